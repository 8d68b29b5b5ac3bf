"""The state of a compiled structure-MCMC chain and its bookkeeping (numba).

The move kernels of :mod:`causalpost.samplers._numba_structure` change a DAG through
these helpers only. State arrays ``st``, one entry (row) per node: ``pa`` parents,
``lm`` parent set as a candidate mask (int64), ``sc`` local score, ``ch`` children,
``anc`` ancestors; ``ne[0]`` edge count; then scratch space of the new-edge reversal
(bitset rows, named by the constants below, and a node stack), allocated once.
``pa``, ``ch`` and ``anc`` are bitsets over all nodes, shape (n_nodes, n_words)
(see :mod:`~causalpost.samplers._numba_common`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from causalpost.samplers._numba_common import (
    LKM,
    LKS,
    OFF,
    POS,
    bit_count,
    clear_all,
    clear_bit,
    has_bit,
    lookup,
    lowbit_index,
    set_bit,
)

__all__ = ["init_state"]

# rows of the scratch bitsets st[6]: the orphaned pair, the empty set, the nodes reached,
# the drawn parents of i and of j, the nodes whose ancestors are done
ORPHANS, EMPTY, REACHED, NEW_PA_I, NEW_PA_J, DONE = range(6)


@njit(cache=True, inline="always")
def _merge_into(anc, k, p):
    """Add ``p`` and its ancestors to ``anc[k]``."""
    for w in range(anc.shape[1]):
        anc[k, w] |= anc[p, w]
    set_bit(anc, k, p)


@njit(cache=True)
def _collect_ancestors(pa, anc, k):
    """``anc[k]``: the parents of ``k`` and their ancestors (read from ``anc``)."""
    clear_all(anc, k)
    for w in range(pa.shape[1]):
        x = pa[k, w]
        while x:
            _merge_into(anc, k, (w << 6) + lowbit_index(x))  # not k: the graph is acyclic
            x &= x - 1


@njit(cache=True, inline="always")
def _parents_done(pa, j, done, row):
    """Whether every parent of ``j`` is in the bitset ``done[row]``."""
    for w in range(pa.shape[1]):
        if pa[j, w] & ~done[row, w]:
            return False
    return True


@njit(cache=True)
def _ancestors_all(pa, anc, scratch):
    """Every node's ancestors, from scratch (nodes done kept in ``scratch[DONE]``).

    Raises ``ValueError`` if the parent sets hold a cycle (a sweep finishes no node):
    a corrupted state then fails loudly instead of looping forever.
    """
    d = pa.shape[0]
    clear_all(scratch, DONE)
    n_done = 0
    while n_done < d:
        before = n_done
        for j in range(d):
            if not has_bit(scratch, DONE, j) and _parents_done(pa, j, scratch, DONE):
                _collect_ancestors(pa, anc, j)
                set_bit(scratch, DONE, j)
                n_done += 1
        if n_done == before:
            raise ValueError("structure MCMC state holds a cycle")


@njit(cache=True, inline="always")
def _link(st, i, j):
    """Add the edge ``i -> j`` to the parent / child bitsets and the edge count."""
    set_bit(st[0], j, i)
    set_bit(st[3], i, j)
    st[5][0] += 1


@njit(cache=True, inline="always")
def _unlink(st, i, j):
    """Remove the edge ``i -> j`` from the parent / child bitsets and the edge count."""
    clear_bit(st[0], j, i)
    clear_bit(st[3], i, j)
    st[5][0] -= 1


@njit(cache=True, nogil=True)
def init_state(tab, parents):
    """State arrays ``(pa, lm, sc, ch, anc, ne, scratch, stack)`` of the DAG with parent
    bitsets ``parents`` (shape (n_nodes, n_words))."""
    off, lk_masks, lk_scores, pos = tab[OFF], tab[LKM], tab[LKS], tab[POS]
    d, n_w = parents.shape
    st = (np.zeros((d, n_w), dtype=np.int64), np.zeros(d, dtype=np.int64), np.zeros(d),
          np.zeros((d, n_w), dtype=np.int64), np.zeros((d, n_w), dtype=np.int64),
          np.zeros(1, dtype=np.int64), np.zeros((6, n_w), dtype=np.int64),
          np.zeros(d, dtype=np.int64))
    lm, sc = st[1], st[2]
    for j in range(d):
        for w in range(n_w):
            x = parents[j, w]
            while x:
                i = (w << 6) + lowbit_index(x)
                _link(st, i, j)
                lm[j] |= pos[j, i]
                x &= x - 1
        sc[j] = lookup(off, lk_masks, lk_scores, j, lm[j])
    _ancestors_all(st[0], st[4], st[6])
    return st


@njit(cache=True)
def _after_add(anc, i, j):
    # anc[i] does not change here: j is not an ancestor of i (the graph stays acyclic)
    for k in range(anc.shape[0]):
        if k == j or has_bit(anc, k, j):
            _merge_into(anc, k, i)


@njit(cache=True)
def _after_delete(pa, anc, j):
    d = anc.shape[0]
    nodes = np.empty(d, dtype=np.int64)
    keys = np.empty(d, dtype=np.int64)
    n = 0
    for k in range(d):
        if k == j or has_bit(anc, k, j):
            nodes[n] = k
            keys[n] = bit_count(anc, k)
            n += 1
    order = np.argsort(keys[:n])  # fewer ancestors first: a topological order
    for r in range(n):
        _collect_ancestors(pa, anc, nodes[order[r]])


@njit(cache=True)
def _set_parents(st, j, parents, row, local, score):
    """Give ``j`` the parents in the bitset ``parents[row]`` (candidate mask ``local``,
    local score ``score``)."""
    pa = st[0]
    for w in range(pa.shape[1]):
        old, new = pa[j, w], parents[row, w]
        x = old & ~new
        while x:
            _unlink(st, (w << 6) + lowbit_index(x), j)
            x &= x - 1
        x = new & ~old
        while x:
            _link(st, (w << 6) + lowbit_index(x), j)
            x &= x - 1
    st[1][j] = local
    st[2][j] = score
