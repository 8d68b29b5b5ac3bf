"""Partition- and order-MCMC chain loops compiled with numba.

Same moves, scores and Hastings ratios as :mod:`causalpost.samplers.partition_mcmc`
and :mod:`causalpost.samplers.order_mcmc` (scores from the subset sums of
:class:`~causalpost.samplers._dag_from_order.CompiledTable`, DAG draws exact
given the state, Rao-Blackwellised edge probabilities); only the random
stream differs. ``level[j]`` is node j's part (partition) or rank (order).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numba import njit

from causalpost.samplers._numba_common import (
    CAND,
    FOFF,
    NCAND,
    F,
    flat_table,
    pick,
    set_draw,
    set_log_z,
)

__all__ = ["run_level_chain_numba"]

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


@njit(cache=True)
def state_score(tab, level, partition):
    """Log summed weight of the DAGs of a partition (or consistent with an order)."""
    f, foff = tab[F], tab[FOFF]
    total = 0.0
    for j in range(level.size):
        allowed, last = _masks(tab, level, j, partition)
        if partition and level[j] > 0 and last == 0:
            return -np.inf
        fa = f[foff[j] + allowed]
        if fa < -1e299:
            return -np.inf
        if partition and level[j] > 0:
            ratio = min(np.exp(f[foff[j] + (allowed & ~last)] - fa), 1.0 - 2.0**-52)
            total += fa + np.log1p(-ratio)
        else:
            total += fa
    return total


@njit(cache=True)
def sample_dag(tab, level, partition, rng, out):
    """Draw one DAG given the state into ``out`` (parent sets as candidate masks, so any
    number of nodes); returns its log score."""
    total = 0.0
    for j in range(level.size):
        allowed, last = _masks(tab, level, j, partition)
        bad = ((np.int64(1) << tab[NCAND][j]) - 1) & ~allowed
        log_z = set_log_z(tab, j, bad, last)
        if log_z == -np.inf:  # only in a state of score -inf
            out[j] = 0
            total = -np.inf
            continue
        out[j], score = set_draw(tab, j, bad, last, log_z, rng)
        total += score
    return total


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
def add_edge_probs(tab, level, partition, rb):
    """Add ``P(i -> j | state)`` to ``rb[i, j]`` (see ``CompiledTable.edge_probs``)."""
    f, foff, cand = tab[F], tab[FOFF], tab[CAND]
    for j in range(level.size):
        allowed, last = _masks(tab, level, j, partition)
        base = foff[j]
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


@njit(cache=True)
def run_partition(tab, part, score, swap_prob, node_prob, t0, t1, burn_in, thin, draws,
                  scores, trace, rb, proposed, accepted, rng, beta=1.0):
    """Iterations ``t0 .. t1 - 1`` of a partition chain from ``part`` (updated in place)
    with score ``score``; returns the score at the end."""
    new = np.empty_like(part)
    for t in range(t0, t1):
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
        new_score = state_score(tab, new, True) if ok else -np.inf
        if new_score > -np.inf:
            log_ratio = beta * (new_score - score) + log_q
            if log_ratio >= 0 or rng.random() < np.exp(log_ratio):
                part[:] = new
                score = new_score
                accepted[move] += 1
        _record(tab, part, score, True, t, burn_in, thin, draws, scores, trace, rb, rng)
    return score


@njit(cache=True)
def _record(tab, level, score, partition, t, burn_in, thin, draws, scores, trace, rb, rng):
    if (t + 1) % thin == 0:
        trace[(t + 1) // thin - 1] = score
    if t >= burn_in and (t - burn_in + 1) % thin == 0:
        s = (t - burn_in + 1) // thin - 1
        scores[s] = sample_dag(tab, level, partition, rng, draws[s])
        add_edge_probs(tab, level, partition, rb)


@njit(cache=True)
def run_order(tab, rank, score, t0, t1, burn_in, thin, draws, scores, trace, rb, proposed,
              accepted, rng, beta=1.0):
    """Iterations ``t0 .. t1 - 1`` of an order chain (swap two nodes' positions)."""
    d = rank.size
    new = np.empty_like(rank)
    for t in range(t0, t1):
        proposed[0] += 1
        if d > 1:
            a = pick(rng, d)
            b = pick(rng, d - 1)
            b += b >= a
            new[:] = rank
            new[a], new[b] = rank[b], rank[a]
            new_score = state_score(tab, new, False)
            log_ratio = beta * (new_score - score)
            if new_score > -np.inf and (log_ratio >= 0 or rng.random() < np.exp(log_ratio)):
                rank[:] = new
                score = new_score
                accepted[0] += 1
        _record(tab, rank, score, False, t, burn_in, thin, draws, scores, trace, rb, rng)
    return score


# ---- Python side -------------------------------------------------------------------------


def annealed_chunks(n_iter: int, burn_in: int, power: float,
                    chunk: int) -> Iterator[tuple[int, int, float]]:
    """``(t0, t1, beta)`` spans of a chain: while cooling (the first 80% of burn-in) the
    inverse temperature ``beta`` rises geometrically from ``power`` to 1 over 100 spans;
    afterwards, and always when ``power == 1``, spans of ``chunk`` iterations at 1."""
    cool = int(0.8 * burn_in) if power < 1 else 0
    step = max(1, min(chunk, cool // 100)) if cool else chunk
    t0 = 0
    while t0 < n_iter:
        span = step if t0 < cool else chunk
        t1 = min(t0 + span, n_iter)
        yield t0, t1, (power ** (1 - t0 / cool) if t0 < cool else 1.0)
        t0 = t1


def run_level_chain_numba(payload, seed, plan, progress, partition: bool,
                          chunk: int = 20_000):
    """One partition (``partition=True``) or order chain on the compiled kernels (same
    contract as ``run_partition_chain`` / ``run_order_chain``)."""
    from causalpost.samplers._chains import ChainResult
    from causalpost.samplers._numba_structure import climbed_adjacency
    from causalpost.samplers.order_mcmc import _rank_of
    from causalpost.samplers.partition_mcmc import dag_levels

    rng = np.random.default_rng(seed)
    ct = payload.compiled
    tab = flat_table(ct.table, ct.subset_sums, ct.offsets).arrays()
    to_level = dag_levels if partition else _rank_of
    if payload.climber is not None:
        level = to_level(climbed_adjacency(payload.climber, rng)[0])
    else:
        level = payload.start.copy()
    level = np.ascontiguousarray(level, dtype=np.int64)
    score = state_score(tab, level, partition)
    d = ct.n_nodes
    draws = np.zeros((plan.n_keep, d), dtype=np.int64)
    scores, trace = np.empty(plan.n_keep), np.empty(plan.n_iter // plan.thin)
    rb = np.zeros((d + 1, d))
    names = ("split_join", "swap", "swap_adjacent", "node") if partition else ("swap",)
    proposed = np.zeros(len(names), dtype=np.int64)
    accepted = np.zeros(len(names), dtype=np.int64)
    for t0, t1, beta in annealed_chunks(plan.n_iter, plan.burn_in, payload.anneal, chunk):
        if partition:
            score = run_partition(tab, level, score, float(payload.swap_prob),
                                  float(payload.node_prob), t0, t1, plan.burn_in, plan.thin,
                                  draws, scores, trace, rb, proposed, accepted, rng, beta)
        else:
            score = run_order(tab, level, score, t0, t1, plan.burn_in, plan.thin, draws,
                              scores, trace, rb, proposed, accepted, rng, beta)
        if progress is not None:
            progress(t1 - t0)
    adjacency = np.zeros((plan.n_keep, d, d), dtype=np.uint8)
    _to_adjacency(tab[CAND], draws, adjacency)
    return ChainResult(adjacency, trace,
                       {n: int(v) for n, v in zip(names, proposed)},
                       {n: int(v) for n, v in zip(names, accepted)},
                       {"scores": scores, "chain_edge_probs_rb": rb[:d] / max(plan.n_keep, 1)})
