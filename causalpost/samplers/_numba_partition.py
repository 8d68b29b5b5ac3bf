"""Partition- and order-MCMC chain loops compiled with numba.

The moves, scores and Hastings ratios described in
:mod:`causalpost.samplers.partition_mcmc` and :mod:`causalpost.samplers.order_mcmc`
(scores from the subset sums of :mod:`causalpost.samplers._dag_from_order`, read
from a :class:`~causalpost.samplers._numba_common.FlatTable`; DAG draws exact given
the state; Rao-Blackwellised edge probabilities): the only copy of each, tested
directly. ``level[j]`` is node j's part (partition) or rank (order). ``plus`` holds
the outsiders of the plus-one space (:mod:`causalpost.samplers._plus_one`), read by
order chains only (a partition chain gets an empty one).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from causalpost.graphs import dag_levels, rank_of
from causalpost.samplers._chain_state import Chain
from causalpost.samplers._numba_common import (
    CAND,
    FOFF,
    NCAND,
    F,
    pick,
    set_draw,
    set_log_z,
)
from causalpost.samplers._plus_one import GOFF, NOUT, OUT, RMASK, ROFF, RSCORE, G

__all__ = ["LevelChain"]

SPLIT_JOIN, SWAP, SWAP_ADJACENT, NODE = 0, 1, 2, 3


@njit(cache=True)
def _masks(tab, level, j, partition):
    """Candidate masks of node j: allowed (level below j's) and last part (one below)."""
    cand = tab[CAND]
    allowed = np.int64(0)
    last = np.int64(0)
    own = level[j]
    for k in range(tab[NCAND][j]):
        lv = level[cand[j, k]]
        if lv < own:
            allowed |= np.int64(1) << k
            if partition and lv == own - 1:
                last |= np.int64(1) << k
    return allowed, last


@njit(cache=True, inline="always")
def _log_add(a, b):
    """``log(exp a + exp b)`` for finite or clamped (-1e300) logs."""
    if a < b:
        a, b = b, a
    return a + np.log1p(np.exp(b - a))


@njit(cache=True)
def _with_outsiders(plus, level, j, allowed, log_z):
    """``log_z`` (node j's candidate sets within ``allowed``) plus the plus-one sets of
    the outsiders ranked before j: ``G_{j,o}[allowed]`` for each."""
    out, goff, g = plus[OUT], plus[GOFF], plus[G]
    for k in range(plus[NOUT][j]):
        if level[out[j, k]] < level[j]:
            v = g[goff[j, k] + allowed]
            if v > -1e299:
                log_z = _log_add(log_z, v)
    return log_z


@njit(cache=True)
def state_score(tab, plus, level, partition):
    """Log summed weight of the DAGs of a partition (or consistent with an order, in its
    plus-one space where ``plus`` has outsiders)."""
    f, foff = tab[F], tab[FOFF]
    total = 0.0
    for j in range(level.size):
        allowed, last = _masks(tab, level, j, partition)
        if partition and level[j] > 0 and last == 0:
            return -np.inf
        fa = f[foff[j] + allowed]
        if not partition and plus[NOUT][j] > 0:
            fa = _with_outsiders(plus, level, j, allowed, fa)
        if fa < -1e299:
            return -np.inf
        if partition and level[j] > 0:
            ratio = min(np.exp(f[foff[j] + (allowed & ~last)] - fa), 1.0 - 2.0**-52)
            total += fa + np.log1p(-ratio)
        else:
            total += fa
    return total


@njit(cache=True)
def sample_dag(tab, plus, level, partition, rng, out, extra):
    """Draw one DAG given the state into ``out`` (parent sets as candidate masks, so any
    number of nodes) and ``extra`` (each node's outsider parent, -1 for none); returns its
    log score."""
    total = 0.0
    for j in range(level.size):
        allowed, last = _masks(tab, level, j, partition)
        bad = ((np.int64(1) << tab[NCAND][j]) - 1) & ~allowed
        log_z = set_log_z(tab, j, bad, last)
        extra[j] = -1
        if not partition and plus[NOUT][j] > 0:
            k = _pick_outsider(plus, level, j, allowed, log_z, rng)
            if k >= 0:
                out[j], score = _draw_extended(plus, j, k, allowed, rng)
                extra[j] = plus[OUT][j, k]
                total += score
                continue
        if log_z == -np.inf:  # only in a state of score -inf
            out[j] = 0
            total = -np.inf
            continue
        out[j], score = set_draw(tab, j, bad, last, log_z, rng)
        total += score
    return total


@njit(cache=True)
def _pick_outsider(plus, level, j, allowed, log_z, rng):
    """Which outsider node j's parent set holds, in proportion to the plus-one terms of
    the order's weight (an index into ``plus[OUT][j]``), or -1 for none."""
    total = _with_outsiders(plus, level, j, allowed, log_z if log_z > -1e299 else -1e300)
    if total < -1e299:
        return -1
    u = rng.random()
    acc = np.exp(log_z - total) if log_z > -1e299 else 0.0
    if u < acc:
        return -1
    picked = -1
    out, goff, g = plus[OUT], plus[GOFF], plus[G]
    for k in range(plus[NOUT][j]):
        if level[out[j, k]] < level[j]:
            v = g[goff[j, k] + allowed]
            if v > -1e299:
                picked = k
                acc += np.exp(v - total)
                if acc > u:
                    break
    return picked


@njit(cache=True)
def _draw_extended(plus, j, k, allowed, rng):
    """A set ``S`` within ``allowed`` drawn in proportion to ``exp s_j(S + {o})`` for
    node j's outsider ``k``: its candidate mask and score."""
    log_g = plus[G][plus[GOFF][j, k] + allowed]
    masks, scores = plus[RMASK], plus[RSCORE]
    u = rng.random()
    acc = 0.0
    last = -1
    for r in range(plus[ROFF][j, k], plus[ROFF][j, k + 1]):
        if (masks[r] & ~allowed) == 0:
            last = r
            acc += np.exp(scores[r] - log_g)
            if acc > u:
                break
    return masks[last], scores[last]


@njit(cache=True)
def _to_adjacency(cand, local, out):
    """``out[s, i, j] = 1`` where candidate ``i`` of ``j`` is in the mask ``local[s, j]``."""
    for s in range(local.shape[0]):
        for j in range(local.shape[1]):
            x = local[s, j]
            k = 0
            while x:
                if x & 1:
                    out[s, cand[j, k], j] = 1
                x >>= 1
                k += 1


@njit(cache=True)
def add_edge_probs(tab, plus, level, partition, rb):
    """Add ``P(i -> j | state)`` to ``rb[i, j]``: with ``A`` the allowed and ``L`` the
    last-part candidates of node j, the sets holding ``i`` weigh ``F[A] - F[A - i]``
    (less ``F[A - L] - F[A - L - i]`` when ``i`` is not in ``L``), out of ``F[A]`` (less
    ``F[A - L]`` for a partition); in an order's plus-one space, see
    :func:`_add_plus_one_probs`."""
    f, foff, cand = tab[F], tab[FOFF], tab[CAND]
    for j in range(level.size):
        allowed, last = _masks(tab, level, j, partition)
        base = foff[j]
        if not partition and plus[NOUT][j] > 0:
            _add_plus_one_probs(tab, plus, level, j, allowed, rb)
            continue
        fa = f[base + allowed]
        rest = allowed & ~last
        r2 = np.exp(f[base + rest] - fa)
        for k in range(tab[NCAND][j]):
            bit = np.int64(1) << k
            if not allowed & bit:
                continue
            r1 = np.exp(f[base + (allowed & ~bit)] - fa)
            if partition:
                r3 = np.exp(f[base + (rest & ~bit)] - fa)
                num = (1.0 - r1) if last & bit else (1.0 - r1) - (r2 - r3)
                den = 1.0 - r2
                p = num / den if den > 0 else 0.0
            else:
                p = 1.0 - r1
            rb[cand[j, k], j] += min(max(p, 0.0), 1.0)


@njit(cache=True)
def _add_plus_one_probs(tab, plus, level, j, allowed, rb):
    """Node j's ``P(i -> j | order)`` in the plus-one space: out of ``Z`` (the candidate
    sets' ``F[A]`` and every preceding outsider's ``G_o[A]``), a candidate ``i`` weighs
    ``F[A] - F[A - i]`` plus ``G_o[A] - G_o[A - i]`` for each outsider, and an outsider
    ``o`` weighs ``G_o[A]``."""
    f, base, cand = tab[F], tab[FOFF][j], tab[CAND]
    out, goff, g = plus[OUT], plus[GOFF], plus[G]
    fa = f[base + allowed]
    z = _with_outsiders(plus, level, j, allowed, fa)
    if z < -1e299:
        return
    for k in range(plus[NOUT][j]):
        if level[out[j, k]] < level[j]:
            rb[out[j, k], j] += min(np.exp(g[goff[j, k] + allowed] - z), 1.0)
    for c in range(tab[NCAND][j]):
        bit = np.int64(1) << c
        if not allowed & bit:
            continue
        p = np.exp(fa - z) - np.exp(f[base + (allowed & ~bit)] - z)
        for k in range(plus[NOUT][j]):
            if level[out[j, k]] < level[j]:
                at = goff[j, k]
                p += np.exp(g[at + allowed] - z) - np.exp(g[at + (allowed & ~bit)] - z)
        rb[cand[j, c], j] += min(max(p, 0.0), 1.0)


@njit(cache=True)
def _n_split_join(part):
    m = part.max() + 1
    sizes = np.zeros(m, dtype=np.int64)
    for x in part:
        sizes[x] += 1
    total = m - 1.0
    for size in sizes:
        total += 2.0**size - 2.0
    return total, sizes


@njit(cache=True)
def _split_join(part, new, rng):
    """A uniform split / join neighbour into ``new``; returns the log Hastings ratio
    (``nan`` when there is none: one node)."""
    n_here, sizes = _n_split_join(part)
    if n_here == 0:
        return np.nan
    m = sizes.size
    r = rng.random() * n_here
    if r < m - 1:
        t = int(r)
        for v in range(part.size):
            new[v] = part[v] - 1 if part[v] > t else part[v]
    else:
        r -= m - 1
        t = m - 1
        for k in range(m):
            r -= 2.0 ** sizes[k] - 2.0
            if r < 0:
                t = k
                break
        upper = np.zeros(part.size, dtype=np.bool_)
        while True:
            n_up = 0
            for v in range(part.size):
                if part[v] == t:
                    upper[v] = rng.random() < 0.5
                    n_up += upper[v]
            if 0 < n_up < sizes[t]:
                break
        for v in range(part.size):
            new[v] = part[v] + 1 if part[v] > t else part[v]
            if part[v] == t and not upper[v]:
                new[v] = t + 1
    return np.log(n_here) - np.log(_n_split_join(new)[0])


@njit(cache=True)
def _swap(part, new, rng, adjacent):
    """Exchange two nodes of different (or neighbouring) parts; False if impossible."""
    d = part.size
    if part.max() == 0:
        return False
    while True:
        a, b = pick(rng, d), pick(rng, d)
        if part[a] != part[b] and (not adjacent or abs(part[a] - part[b]) == 1):
            break
    new[:] = part
    new[a], new[b] = part[b], part[a]
    return True


@njit(cache=True)
def _node_move(part, new, rng):
    """Move one node to another part or a new part of its own (symmetric)."""
    d = part.size
    if d < 2:
        return False
    new[:] = part
    v = pick(rng, d)
    p = part[v]
    alone = (part == p).sum() == 1
    if alone:
        for u in range(d):
            if new[u] > p:
                new[u] -= 1
    n_parts = 0
    for u in range(d):
        if u != v and new[u] + 1 > n_parts:
            n_parts = new[u] + 1
    current = n_parts + p if alone else p
    o = pick(rng, 2 * n_parts)
    o += o >= current
    if o < n_parts:
        new[v] = o
    else:
        g = o - n_parts
        for u in range(d):
            if new[u] >= g:
                new[u] += 1
        new[v] = g
    return True


@njit(cache=True, nogil=True)
def run_partition(tab, plus, part, score, swap_prob, node_prob, t0, n_iter, every, rec_state,
                  rec_score, proposed, accepted, rng, beta):
    """Iterations ``t0 .. t0 + n_iter - 1`` of a partition chain from ``part`` (updated in
    place) with score ``score``, recording the state where ``(t + 1) % every == 0``;
    returns the score at the end and the number of records."""
    new = np.empty_like(part)
    n_rec = 0
    for t in range(t0, t0 + n_iter):
        u = rng.random()
        log_q = 0.0
        if u < swap_prob:
            adjacent = u < 0.5 * swap_prob
            move = SWAP_ADJACENT if adjacent else SWAP
            ok = _swap(part, new, rng, adjacent)
        elif u < swap_prob + node_prob:
            move = NODE
            ok = _node_move(part, new, rng)
        else:
            move = SPLIT_JOIN
            log_q = _split_join(part, new, rng)
            ok = not np.isnan(log_q)
        proposed[move] += 1
        new_score = state_score(tab, plus, new, True) if ok else -np.inf
        if new_score > -np.inf:
            log_ratio = beta * (new_score - score) + log_q
            if log_ratio >= 0 or rng.random() < np.exp(log_ratio):
                part[:] = new
                score = new_score
                accepted[move] += 1
        if (t + 1) % every == 0:
            rec_state[n_rec] = part
            rec_score[n_rec] = score
            n_rec += 1
    return score, n_rec


@njit(cache=True, nogil=True)
def run_order(tab, plus, rank, score, t0, n_iter, every, rec_state, rec_score, proposed, accepted,
              rng, beta):
    """Iterations of an order chain (swap two nodes' positions); as :func:`run_partition`."""
    d = rank.size
    new = np.empty_like(rank)
    n_rec = 0
    for t in range(t0, t0 + n_iter):
        proposed[0] += 1
        if d > 1:
            a = pick(rng, d)
            b = pick(rng, d - 1)
            b += b >= a
            new[:] = rank
            new[a], new[b] = rank[b], rank[a]
            new_score = state_score(tab, plus, new, False)
            log_ratio = beta * (new_score - score)
            if new_score > -np.inf and (log_ratio >= 0 or rng.random() < np.exp(log_ratio)):
                rank[:] = new
                score = new_score
                accepted[0] += 1
        if (t + 1) % every == 0:
            rec_state[n_rec] = rank
            rec_score[n_rec] = score
            n_rec += 1
    return score, n_rec


@njit(cache=True, nogil=True)
def draw_dags(tab, plus, levels, partition, rng, out, extra):
    """One DAG per state ``levels[s]`` into ``out[s]`` (candidate masks) and ``extra[s]``
    (outsider parents); their scores."""
    scores = np.empty(levels.shape[0])
    for s in range(levels.shape[0]):
        scores[s] = sample_dag(tab, plus, levels[s], partition, rng, out[s], extra[s])
    return scores


@njit(cache=True, nogil=True)
def mean_edge_probs(tab, plus, levels, partition):
    """Mean of ``P(i -> j | state)`` over the states ``levels``, shape (n_nodes, n_nodes)."""
    d = levels.shape[1]
    rb = np.zeros((d + 1, d))
    for s in range(levels.shape[0]):
        add_edge_probs(tab, plus, levels[s], partition, rb)
    return rb[:d] / max(levels.shape[0], 1)


# ---- Python side -------------------------------------------------------------------------


class LevelChain(Chain):
    """A partition (``partition=True``) or order chain on the compiled kernels; its state
    is ``level[j]``, node j's part or rank."""

    def __init__(self, payload, seed, partition: bool, index: int = 0) -> None:
        self.state_shape = (payload.n_nodes,)
        self.move_names = (("split_join", "swap", "swap_adjacent", "node") if partition
                           else ("swap",))
        self.kernels = ((run_partition if partition else run_order), state_score, draw_dags,
                        mean_edge_probs)
        super().__init__(seed)
        self.payload, self.tab, self.partition = payload, payload.tab, partition
        self.plus, self.index = payload.plus, index

    def start(self) -> None:
        from causalpost.samplers._numba_structure import climbed_adjacency

        to_level = dag_levels if self.partition else rank_of
        if self.payload.starts is not None:  # warm: where a pilot's chain ended
            level = self.payload.starts[self.index]
        elif self.payload.climber is not None:
            level = to_level(climbed_adjacency(self.payload.climber, self.rng)[0])
        else:
            level = self.payload.start.copy()
        self.level = np.ascontiguousarray(level, dtype=np.int64)
        self.score = state_score(self.tab, self.plus, self.level, self.partition)

    def _advance(self, n_iter, beta, states, scores) -> int:
        args = (self.t, n_iter, self.every, states, scores, self.proposed, self.accepted,
                self.rng, float(beta))
        if self.partition:
            self.score, n = run_partition(self.tab, self.plus, self.level, self.score,
                                          float(self.payload.swap_prob),
                                          float(self.payload.node_prob), *args)
        else:
            self.score, n = run_order(self.tab, self.plus, self.level, self.score, *args)
        return n

    def edge_marginals(self, idx: np.ndarray) -> np.ndarray:
        """Rao-Blackwellised: the mean over the records of ``P(i -> j | state)``."""
        return mean_edge_probs(self.tab, self.plus,
                               np.ascontiguousarray(self.rec_state[idx]), self.partition)

    def draws(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self.state_shape[0]
        local = np.zeros((idx.size, d), dtype=np.int64)
        extra = np.full((idx.size, d), -1, dtype=np.int64)
        scores = draw_dags(self.tab, self.plus, np.ascontiguousarray(self.rec_state[idx]),
                           self.partition, self.rng, local, extra)
        adjacency = np.zeros((idx.size, d, d), dtype=np.uint8)
        _to_adjacency(self.tab[CAND], local, adjacency)
        draw, child = np.nonzero(extra >= 0)
        adjacency[draw, extra[draw, child], child] = 1
        return adjacency, scores
