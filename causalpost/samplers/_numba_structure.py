"""The structure-MCMC kernel compiled with numba: the moves of
:mod:`causalpost.samplers._structure_kernel` on multi-word parent bitsets.

Same proposals and Hastings ratios as the Python kernel (pair move: a uniform
node pair, then one of its other possible states uniformly; new-edge reversal
of Grzegorczyk & Husmeier 2008); only the random stream differs (numba's
generator, called through the chain's numpy generator). State arrays, one entry
(row) per node: ``pa`` parents, ``lm`` parent set as a candidate mask (int64),
``sc`` local score, ``ch`` children, ``anc`` ancestors; ``ne[0]`` edge count; then
scratch space of the new-edge reversal (bitset rows and a node stack), allocated once;
they and their bookkeeping (edges, ancestors) are in
:mod:`~causalpost.samplers._numba_structure_state`, the moves here.
``pa``, ``ch`` and ``anc`` are bitsets over all nodes, shape (n_nodes, n_words)
(see :mod:`~causalpost.samplers._numba_common`), so any number of nodes is fine;
only a node's candidates are capped, by its one-word local masks.
The table arrays ``tab`` are :meth:`FlatTable.arrays
<causalpost.samplers._numba_common.FlatTable.arrays>`, indexed by the constants of
:mod:`~causalpost.samplers._numba_common`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from causalpost.samplers._chain_state import Chain
from causalpost.samplers._numba_common import (
    CAND,
    LKM,
    LKS,
    NCAND,
    OFF,
    POS,
    adjacency_to_bitsets,
    bit_count,
    bitsets_to_adjacency,
    clear_all,
    flat_table,
    has_bit,
    local_to_global,
    lookup,
    lowbit_index,
    n_words,
    pick,
    popcount,
    set_bit,
    set_draw,
    set_log_z,
)
from causalpost.samplers._numba_structure_state import (
    EMPTY,
    NEW_PA_I,
    NEW_PA_J,
    ORPHANS,
    REACHED,
    _after_add,
    _after_delete,
    _ancestors_all,
    _link,
    _set_parents,
    _unlink,
    init_state,
)

__all__ = ["StructureChain", "climbed_adjacency", "kernel_arrays"]

ADD, DELETE, REVERSE, REV = 0, 1, 2, 3


@njit(cache=True)
def _accept(delta, greedy, rng):
    if greedy:
        return delta > 1e-9
    return delta >= 0 or rng.random() < np.exp(delta)


@njit(cache=True)
def _try_add(tab, st, i, j, greedy, rng):
    lm, sc, anc = st[1], st[2], st[4]
    if has_bit(anc, i, j):
        return False
    local = lm[j] | tab[POS][j, i]
    new = lookup(tab[OFF], tab[LKM], tab[LKS], j, local)
    if np.isnan(new) or not _accept(new - sc[j], greedy, rng):
        return False
    _link(st, i, j)
    lm[j], sc[j] = local, new
    _after_add(anc, i, j)
    return True


@njit(cache=True)
def _try_delete(tab, st, i, j, greedy, rng):
    lm, sc = st[1], st[2]
    local = lm[j] & ~tab[POS][j, i]
    new = lookup(tab[OFF], tab[LKM], tab[LKS], j, local)
    if np.isnan(new) or not _accept(new - sc[j], greedy, rng):
        return False
    _unlink(st, i, j)
    lm[j], sc[j] = local, new
    _after_delete(st[0], st[4], j)
    return True


@njit(cache=True)
def _reversal_closes_cycle(pa, anc, i, j):
    """Whether ``i`` is an ancestor of a parent of ``j`` other than ``i``."""
    for w in range(pa.shape[1]):
        x = pa[j, w]
        while x:
            p = (w << 6) + lowbit_index(x)
            if p != i and has_bit(anc, p, i):
                return True
            x &= x - 1
    return False


@njit(cache=True)
def _try_reverse(tab, st, i, j, greedy, rng):
    pa, lm, sc, anc = st[0], st[1], st[2], st[4]
    if _reversal_closes_cycle(pa, anc, i, j):
        return False
    lm_j = lm[j] & ~tab[POS][j, i]
    lm_i = lm[i] | tab[POS][i, j]
    new_j = lookup(tab[OFF], tab[LKM], tab[LKS], j, lm_j)
    new_i = lookup(tab[OFF], tab[LKM], tab[LKS], i, lm_i)
    if np.isnan(new_j) or np.isnan(new_i):
        return False
    if not _accept(new_j + new_i - sc[j] - sc[i], greedy, rng):
        return False
    _unlink(st, i, j)
    lm[j], sc[j] = lm_j, new_j
    _after_delete(pa, anc, j)
    _link(st, j, i)
    lm[i], sc[i] = lm_i, new_i
    _after_add(anc, j, i)
    return True


@njit(cache=True)
def _pair_move(tab, st, pairs, greedy, rng):
    """One add / delete / reverse proposal; returns ``(move, accepted)``."""
    pa = st[0]
    r = pick(rng, pairs.shape[0])
    i, j = pairs[r, 0], pairs[r, 1]
    cur = 1 if has_bit(pa, j, i) else (2 if has_bit(pa, i, j) else 0)
    others = np.empty(2, dtype=np.int64)
    n = 0
    for s in range(3):
        if s != cur and (s == 0 or pairs[r, 1 + s] != 0):
            others[n] = s
            n += 1
    new = others[pick(rng, n)] if n > 1 else others[0]
    if cur == 2 or (cur == 0 and new == 2):  # orient so that the move is about i -> j
        i, j = j, i
        cur = 0 if cur == 0 else 3 - cur
        new = 0 if new == 0 else 3 - new
    if cur == 0:
        return ADD, _try_add(tab, st, i, j, greedy, rng)
    if new == 0:
        return DELETE, _try_delete(tab, st, i, j, greedy, rng)
    return REVERSE, _try_reverse(tab, st, i, j, greedy, rng)


@njit(cache=True)
def _reach(st, start, extra_parents, row, extra_child):
    """``scratch[REACHED]``: ``start`` and its descendants once the orphans lose their
    parents and ``extra_child`` gains the parents in the bitset ``extra_parents[row]``."""
    ch, scratch, stack = st[3], st[6], st[7]  # a node is pushed once, when first reached
    clear_all(scratch, REACHED)
    set_bit(scratch, REACHED, start)
    stack[0] = start
    top = 1
    while top:
        top -= 1
        node = stack[top]
        to_extra = extra_child >= 0 and has_bit(extra_parents, row, node)
        for w in range(ch.shape[1]):
            nxt = ch[node, w] & ~scratch[ORPHANS, w]
            if to_extra and w == extra_child >> 6:
                nxt |= np.int64(1) << (extra_child & 63)
            nxt &= ~scratch[REACHED, w]
            scratch[REACHED, w] |= nxt
            while nxt:
                stack[top] = (w << 6) + lowbit_index(nxt)
                top += 1
                nxt &= nxt - 1


@njit(cache=True)
def _constraint(tab, node, forbidden, row, must):
    """Candidate bits of ``node`` that are in the bitset ``forbidden[row]``, and of ``must``
    (>= 0)."""
    cand = tab[CAND]
    bad = np.int64(0)
    for k in range(tab[NCAND][node]):
        if has_bit(forbidden, row, cand[node, k]):
            bad |= np.int64(1) << k
    return bad, (tab[POS][node, must] if must >= 0 else np.int64(0))


@njit(cache=True)
def _log_z(tab, node, st, must):
    """Log normalizer over ``node``'s parent sets avoiding the nodes reached by the last
    :func:`_reach` and holding ``must`` when >= 0 (``-inf`` when ``must`` is not a
    candidate); with the constraint bits."""
    bad, must_bit = _constraint(tab, node, st[6], REACHED, must)
    if must >= 0 and must_bit == 0:
        return -np.inf, bad, must_bit
    return set_log_z(tab, node, bad, must_bit), bad, must_bit


@njit(cache=True)
def _random_edge(pa, n_edges, rng):
    """A uniform edge ``(i, j)``: edges counted by child, then by parent, ascending."""
    target = pick(rng, n_edges)
    for j in range(pa.shape[0]):
        for w in range(pa.shape[1]):
            x = pa[j, w]
            c = popcount(x)
            if target < c:
                for _ in range(target):
                    x &= x - 1
                return (w << 6) + lowbit_index(x), j
            target -= c
    return -1, -1


@njit(cache=True)
def _rev_move(tab, st, rng):
    """Grzegorczyk & Husmeier's new-edge reversal; returns whether it was accepted."""
    pa, anc, ne, scratch = st[0], st[4], st[5], st[6]
    if ne[0] == 0:
        return False
    i, j = _random_edge(pa, ne[0], rng)
    clear_all(scratch, ORPHANS)
    set_bit(scratch, ORPHANS, i)
    set_bit(scratch, ORPHANS, j)
    # forward: i's new parents contain j, then j's new parents
    _reach(st, i, scratch, EMPTY, -1)
    z_i_fwd, bad, mb = _log_z(tab, i, st, j)
    if z_i_fwd == -np.inf:
        return False
    lm_i, sc_i = set_draw(tab, i, bad, mb, z_i_fwd, rng)
    local_to_global(tab[CAND], i, lm_i, scratch, NEW_PA_I)
    _reach(st, j, scratch, NEW_PA_I, i)
    z_j_fwd, bad, mb = _log_z(tab, j, st, -1)
    if z_j_fwd == -np.inf:  # e.g. j's required parents all descend from it now
        return False
    lm_j, sc_j = set_draw(tab, j, bad, mb, z_j_fwd, rng)
    local_to_global(tab[CAND], j, lm_j, scratch, NEW_PA_J)
    # backward: j's old parents contain i, then i's old parents (pa is still the old graph)
    _reach(st, j, scratch, EMPTY, -1)
    z_j_bwd = _log_z(tab, j, st, i)[0]
    _reach(st, i, pa, j, j)
    z_i_bwd = _log_z(tab, i, st, -1)[0]
    n_new = (ne[0] - bit_count(pa, i) - bit_count(pa, j) + bit_count(scratch, NEW_PA_I)
             + bit_count(scratch, NEW_PA_J))
    log_ratio = (np.log(ne[0]) - np.log(n_new) + z_i_fwd + z_j_fwd - z_j_bwd - z_i_bwd)
    if not _accept(log_ratio, False, rng):
        return False
    _set_parents(st, i, scratch, NEW_PA_I, lm_i, sc_i)
    _set_parents(st, j, scratch, NEW_PA_J, lm_j, sc_j)
    _ancestors_all(pa, anc, scratch)
    return True


@njit(cache=True, nogil=True)
def hill_climb(tab, st, pairs, patience, rng):
    """Stochastic hill climbing with pair moves until ``patience`` proposals in a row
    fail to improve the score."""
    misses = 0
    while misses < patience and pairs.shape[0] > 0:
        misses = 0 if _pair_move(tab, st, pairs, True, rng)[1] else misses + 1


@njit(cache=True, nogil=True)
def run_structure(tab, st, pairs, rev_prob, t0, n_iter, every, rec_state, rec_score, proposed,
                  accepted, rng):
    """Iterations ``t0 .. t0 + n_iter - 1`` of a chain: a fixed mixture of pair moves and
    new-edge reversals; records the parent bitsets and log score where ``(t + 1) % every
    == 0``; returns the number of records."""
    has_pairs = pairs.shape[0] > 0
    pa, sc = st[0], st[2]
    n_rec = 0
    for t in range(t0, t0 + n_iter):
        if has_pairs and rng.random() >= rev_prob:
            move, ok = _pair_move(tab, st, pairs, False, rng)
        else:
            move, ok = REV, _rev_move(tab, st, rng)
        proposed[move] += 1
        if ok:
            accepted[move] += 1
        if (t + 1) % every == 0:
            rec_state[n_rec] = pa
            rec_score[n_rec] = sc.sum()
            n_rec += 1
    return n_rec


# ---- Python side: building the arrays, starting and running a chain ----------------------


def kernel_arrays(kernel) -> tuple[tuple, np.ndarray]:
    """The table tuple ``tab`` and the proposal pairs ``(n_pairs, 4)`` (``i, j``, whether
    ``i -> j`` and ``j -> i`` are possible) of a :class:`StructureKernel` (built once per
    kernel, then shared read-only by its chains)."""
    cached = getattr(kernel, "_arrays", None)
    if cached is not None:
        return cached
    tab = flat_table(kernel.table).arrays()
    pairs = np.zeros((len(kernel.pairs), 4), dtype=np.int64)
    for r, (i, j, states) in enumerate(kernel.pairs):
        pairs[r] = i, j, 1 in states, 2 in states
    kernel._arrays = (tab, pairs)
    return kernel._arrays


def start_state(kernel, tab: tuple, pairs: np.ndarray, rng: np.random.Generator | None) -> tuple:
    """The state of the graph of required edges, hill-climbed with ``rng`` when given
    (with the Python kernel's patience)."""
    st = init_state(tab, adjacency_to_bitsets(kernel.required))
    if rng is not None:
        hill_climb(tab, st, pairs, 10 * pairs.shape[0] + 10, rng)
    return st


def climbed_adjacency(kernel, rng: np.random.Generator, n_climbs: int = 1) -> np.ndarray:
    """Hill-climbed start graphs drawn with the compiled kernel, each from the graph of
    required edges: uint8 adjacency, shape (n_climbs, n_nodes, n_nodes)."""
    tab, pairs = kernel_arrays(kernel)
    return bitsets_to_adjacency(np.stack([start_state(kernel, tab, pairs, rng)[0]
                                          for _ in range(n_climbs)]), kernel.n_nodes)


class StructureChain(Chain):
    """A structure-MCMC chain on the compiled kernel; its state is the DAG's parent
    bitsets, shape (n_nodes, n_words)."""

    move_names = ("add", "delete", "reverse", "rev")
    kernels = (run_structure, init_state, hill_climb)

    def __init__(self, kernel, seed, arrays: tuple[tuple, np.ndarray]) -> None:
        d = kernel.n_nodes
        self.state_shape = (d, n_words(d))
        super().__init__(seed)
        self.kernel = kernel
        self.tab, self.pairs = arrays

    def start(self) -> None:
        rng = self.rng if self.kernel.greedy_start else None
        self.st = start_state(self.kernel, self.tab, self.pairs, rng)

    def _advance(self, n_iter, beta, states, scores) -> int:
        return run_structure(self.tab, self.st, self.pairs, float(self.kernel.rev_prob), self.t,
                             n_iter, self.every, states, scores, self.proposed, self.accepted,
                             self.rng)

    def edge_marginals(self, idx: np.ndarray) -> np.ndarray:
        out = np.zeros(self.state_shape[:1] * 2)
        for k in range(0, idx.size, 256):  # bounded memory at large d
            out += bitsets_to_adjacency(self.rec_state[idx[k:k + 256]],
                                        self.kernel.n_nodes).sum(axis=0)
        return out / max(idx.size, 1)

    def draws(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return bitsets_to_adjacency(self.rec_state[idx], self.kernel.n_nodes), \
            self.rec_score[idx].copy()
