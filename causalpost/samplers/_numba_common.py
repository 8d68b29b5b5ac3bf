"""Flat score-table arrays and bit helpers shared by the compiled (numba) MCMC kernels.

The Python kernels read a :class:`~causalpost.scores.ScoreTable` through dicts
and Python-int bitsets; the compiled kernels read the same table flattened
into int64 / float64 arrays. A parent set as a mask over the node's candidates
("local" mask) is one int64, so a node has at most
:data:`causalpost.scores.table.MAX_CANDIDATES` candidates (the score table refuses
more); sets over all nodes ("global": a DAG's parents, children and ancestors) are
multi-word bitsets, int64 rows of :func:`n_words` words, bit ``i`` in word ``i >> 6``,
so graphs have any number of nodes. Per node, the table's parent sets
appear twice: sorted by mask (for look-ups by binary search) and sorted by
score, best first (for drawing a parent set in proportion to its weight:
a scan from the best entry stops as soon as the entries left cannot change
the running sum in double precision).

Randomness: the kernels take the chain's :class:`numpy.random.Generator`
(numba compiles its methods and shares its state), so there is no global
random state and a chain's draws depend only on its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from causalpost.scores import ScoreTable

__all__ = ["FlatTable", "adjacency_to_bitsets", "bitsets_to_adjacency",
           "flat_table", "n_words"]

MAX_SUBSET_SUMS = 1 << 22  # subset sums are built when all nodes' together are no more
# indices into the tuple of arrays the kernels take (see FlatTable.arrays)
OFF, LKM, LKS, DSM, DSS, DSW, CAND, NCAND, POS, F, FOFF, DW = range(12)


@dataclass(frozen=True)
class FlatTable:
    """A score table as flat arrays (all per-node slices run ``off[j]:off[j + 1]``).

    Attributes
    ----------
    cand : numpy.ndarray, shape (n_nodes, c_max)
        Candidate parents, padded with ``n_nodes``.
    n_cand : numpy.ndarray, shape (n_nodes,)
    pos : numpy.ndarray, shape (n_nodes, n_nodes)
        ``pos[j, i]``: the candidate bit of ``i`` for node ``j`` (0 if not a candidate).
    off : numpy.ndarray, shape (n_nodes + 1,)
    lk_masks, lk_scores : numpy.ndarray
        Entries sorted by candidate mask.
    ds_masks, ds_scores, ds_weights : numpy.ndarray
        Entries sorted by score, best first (``-inf`` last), and ``exp(score - best)``.
    f, f_off : numpy.ndarray
        Subset sums (see :mod:`causalpost.samplers._dag_from_order`), node j's from
        ``f_off[j]``; empty when too large.
    dense : numpy.ndarray
        ``exp(score - best)`` indexed like ``f`` by candidate mask (0 where not in the
        table); empty when all nodes' together would exceed :data:`MAX_SUBSET_SUMS`.
    """

    n_nodes: int
    cand: np.ndarray
    n_cand: np.ndarray
    pos: np.ndarray
    off: np.ndarray
    lk_masks: np.ndarray
    lk_scores: np.ndarray
    ds_masks: np.ndarray
    ds_scores: np.ndarray
    ds_weights: np.ndarray
    f: np.ndarray
    f_off: np.ndarray
    dense: np.ndarray

    def arrays(self) -> tuple:
        """The arrays in the order the kernels index them (``OFF`` ... ``DW``)."""
        return (self.off, self.lk_masks, self.lk_scores, self.ds_masks, self.ds_scores,
                self.ds_weights, self.cand, self.n_cand, self.pos, self.f, self.f_off,
                self.dense)


def flat_table(table: ScoreTable, with_sums: bool | None = None) -> FlatTable:
    """Flatten a score table for the compiled kernels (its local masks are one int64 each:
    :func:`~causalpost.scores.build_score_table` allows at most 62 candidates per node).

    Subset sums are built always (``with_sums=True``: order and partition MCMC need
    them; at most 24 candidates per node), never (False), or by default when all nodes'
    together hold at most :data:`MAX_SUBSET_SUMS` entries.
    """
    from causalpost.samplers._dag_from_order import subset_sums as build_sums

    d = table.n_nodes
    sizes = np.array([c.size for c in table.candidates], dtype=np.int64)
    cand = np.full((d, max(int(sizes.max(initial=0)), 1)), d, dtype=np.int64)
    pos = np.zeros((d, d), dtype=np.int64)
    for j, c in enumerate(table.candidates):
        cand[j, : c.size] = c
        pos[j, c] = np.left_shift(np.int64(1), np.arange(c.size, dtype=np.int64))
    lk_m, lk_s, ds_m, ds_s = [], [], [], []
    for masks, scores in zip(table.masks, table.scores):
        by_mask = np.argsort(masks, kind="stable")
        by_score = np.argsort(-np.nan_to_num(scores, neginf=-np.finfo(float).max), kind="stable")
        lk_m.append(masks[by_mask])
        lk_s.append(scores[by_mask])
        ds_m.append(masks[by_score])
        ds_s.append(scores[by_score])
    off = np.concatenate([[0], np.cumsum([m.size for m in lk_m])]).astype(np.int64)
    weights = [np.exp(s - s[0]) if s.size and s[0] > -np.inf else np.zeros(s.size) for s in ds_s]
    small = int(np.sum(np.left_shift(1, sizes))) <= MAX_SUBSET_SUMS
    built = bool(with_sums or (with_sums is None and small))
    if built:
        subset_sums, subset_offsets = build_sums(table)
    else:
        subset_sums, subset_offsets = np.zeros(0), np.zeros(d, dtype=np.int64)
    dense = np.zeros(0)
    if built and small:
        dense = np.zeros(subset_sums.size)
        for j in range(d):
            dense[subset_offsets[j] + ds_m[j]] = weights[j]
    cat = np.concatenate
    return FlatTable(d, cand, sizes, pos, off, cat(lk_m).astype(np.int64),
                     cat(lk_s).astype(np.float64), cat(ds_m).astype(np.int64),
                     cat(ds_s).astype(np.float64), cat(weights).astype(np.float64),
                     np.ascontiguousarray(subset_sums, dtype=np.float64),
                     np.asarray(subset_offsets, dtype=np.int64), dense)


@njit(cache=True)
def pick(rng, n):
    """A uniform integer in [0, n)."""
    k = int(rng.random() * n)
    return k if k < n else n - 1


@njit(cache=True)
def popcount(x):
    """Number of set bits of a non-negative int64."""
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56 & 0xFF


@njit(cache=True)
def lowbit_index(x):
    """Index of the lowest set bit of a positive int64."""
    return popcount((x & -x) - 1)


@njit(cache=True)
def lookup(off, lk_masks, lk_scores, node, mask):
    """Score of ``node``'s parent set ``mask`` (candidate bits), NaN when not in the table."""
    lo, hi = off[node], off[node + 1]
    k = lo + np.searchsorted(lk_masks[lo:hi], mask)
    if k < hi and lk_masks[k] == mask:
        return lk_scores[k]
    return np.nan


@njit(cache=True)
def set_log_z(tab, node, bad, must):
    """Log of the summed weight of ``node``'s parent sets avoiding the candidate bits
    ``bad`` and (when ``must`` is nonzero) meeting ``must``; ``-inf`` when there is none.

    With subset sums ``F`` this is ``F[A]`` or ``log(exp F[A] - exp F[A - must])`` for
    the allowed set ``A``; where the difference loses more than six digits, or without
    subset sums, it is summed over the table instead.
    """
    full = (np.int64(1) << tab[NCAND][node]) - 1
    allowed = full & ~bad
    if must != 0 and (allowed & must) == 0:
        return -np.inf
    f = tab[F]
    if f.size > 0:
        base = tab[FOFF][node]
        fa = f[base + allowed]
        if fa < -1e299:
            return -np.inf
        if must == 0:
            return fa
        r = np.exp(f[base + (allowed & ~must)] - fa)
        if r < 1.0 - 1e-6:
            return fa + np.log1p(-r)
    return _scan_log_z(tab, node, bad, must)


@njit(cache=True)
def _scan_log_z(tab, node, bad, must):
    off, masks, scores, weights = tab[OFF], tab[DSM], tab[DSS], tab[DSW]
    lo, hi = off[node], off[node + 1]
    acc = 0.0
    for k in range(lo, hi):
        m = masks[k]
        if (m & bad) == 0 and (must == 0 or (m & must) != 0):
            acc += weights[k]
    if acc > 1e-280:
        return scores[lo] + np.log(acc)
    top = -np.inf  # far below the node's best: sum relative to the best allowed set
    for k in range(lo, hi):
        m = masks[k]
        if (m & bad) == 0 and (must == 0 or (m & must) != 0):
            if top == -np.inf:
                top = scores[k]
                if top == -np.inf:
                    return -np.inf
            acc += np.exp(scores[k] - top)
    if top == -np.inf:
        return -np.inf
    return top + np.log(acc)


@njit(cache=True)
def set_draw(tab, node, bad, must, log_z, rng):
    """One parent set ``(mask, score)`` of those counted by :func:`set_log_z`, drawn in
    proportion to its weight; ``log_z`` as it returned.

    Scans the allowed set's submasks in the dense weights when they are few (at most an
    eighth of the node's table), else the node's table best first.
    """
    off, masks, scores, weights = tab[OFF], tab[DSM], tab[DSS], tab[DSW]
    lo, hi = off[node], off[node + 1]
    allowed = ((np.int64(1) << tab[NCAND][node]) - 1) & ~bad
    gap = log_z - scores[lo]
    u = rng.random()
    acc = 0.0
    if tab[DW].size > 0 and gap > -600.0 and (np.int64(8) << popcount(allowed)) <= hi - lo:
        u *= np.exp(gap)
        dense, base = tab[DW], tab[FOFF][node]
        sub, last = allowed, np.int64(-1)
        while True:
            if must == 0 or (sub & must) != 0:
                w = dense[base + sub]
                if w > 0:
                    last = sub
                    acc += w
                    if acc > u:
                        break
            if sub == 0:
                break
            sub = (sub - 1) & allowed
        return last, lookup(off, tab[LKM], tab[LKS], node, last)
    last = -1
    if gap > -600.0:
        u *= np.exp(gap)
        for k in range(lo, hi):
            m = masks[k]
            if (m & bad) == 0 and (must == 0 or (m & must) != 0) and weights[k] > 0:
                last = k
                acc += weights[k]
                if acc > u:
                    break
        return masks[last], scores[last]
    for k in range(lo, hi):
        m = masks[k]
        if (m & bad) == 0 and (must == 0 or (m & must) != 0):
            w = np.exp(scores[k] - log_z)
            if w > 0:
                last = k
                acc += w
                if acc > u:
                    break
    return masks[last], scores[last]


@njit(cache=True)
def local_to_global(cand, node, local, out, row):
    """Global parent bitset of a candidate mask of ``node``, written into ``out[row]``."""
    clear_all(out, row)
    x = local
    while x:
        set_bit(out, row, cand[node, lowbit_index(x)])
        x &= x - 1


# ---- multi-word bitsets over all nodes: int64 rows, bit i in word i >> 6 ------------------


def n_words(n_nodes: int) -> int:
    """Words of a bitset over ``n_nodes`` nodes (at least one)."""
    return max(1, -(-n_nodes // 64))


def adjacency_to_bitsets(adjacency: np.ndarray) -> np.ndarray:
    """Parent bitsets, shape (..., n_nodes, n_words): node i in row j iff ``i -> j``."""
    adjacency = np.asarray(adjacency, dtype=bool)
    d = adjacency.shape[-1]
    packed = np.packbits(np.swapaxes(adjacency, -1, -2), axis=-1, bitorder="little")
    out = np.zeros(adjacency.shape[:-1] + (8 * n_words(d),), dtype=np.uint8)
    out[..., : packed.shape[-1]] = packed
    return out.view("<i8").astype(np.int64)  # words little-endian: byte k holds bits 8k..


def bitsets_to_adjacency(bitsets: np.ndarray, n_nodes: int) -> np.ndarray:
    """Inverse of :func:`adjacency_to_bitsets`: uint8 adjacency, shape (..., n_nodes, n_nodes)."""
    as_bytes = np.ascontiguousarray(bitsets, dtype="<i8").view(np.uint8)
    parents = np.unpackbits(as_bytes, axis=-1, count=n_nodes, bitorder="little")
    return np.ascontiguousarray(np.swapaxes(parents, -1, -2))


# Bitsets are rows of 2-d arrays, addressed as (array, row): a row view would cost
# reference counting on every call in the chains' inner loops.


@njit(cache=True, inline="always")
def has_bit(bits, row, i):
    """Whether node ``i`` is in the bitset ``bits[row]``."""
    return (bits[row, i >> 6] >> (i & 63)) & 1 != 0


@njit(cache=True, inline="always")
def set_bit(bits, row, i):
    bits[row, i >> 6] |= np.int64(1) << (i & 63)


@njit(cache=True, inline="always")
def clear_bit(bits, row, i):
    bits[row, i >> 6] &= ~(np.int64(1) << (i & 63))


@njit(cache=True, inline="always")
def clear_all(bits, row):
    for w in range(bits.shape[1]):
        bits[row, w] = 0


@njit(cache=True, inline="always")
def bit_count(bits, row):
    """Number of nodes in the bitset ``bits[row]``."""
    n = 0
    for w in range(bits.shape[1]):
        n += popcount(bits[row, w])
    return n
