"""Bit-mask helpers for dynamic programmes over node subsets.

A subset of ``d`` nodes is an int64 mask (bit ``i`` set when node ``i`` is
in it). These helpers enumerate subsets by size, move between masks over all
nodes and masks over all nodes but one, run log-space zeta (subset-sum)
transforms, and expand each row of a batch into all subsets of a few listed
nodes, so that :mod:`causalpost.dp` stays vectorized.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = [
    "expand_subsets",
    "insert_bit",
    "layers",
    "log_of_scaled",
    "log_zeta",
    "lse_rows",
    "positions",
    "remove_bit",
    "row_chunks",
    "signed_sum",
    "signs",
]

CHUNK = 1 << 17  # elements of a (rows, 2 ** k) work array


def layers(d: int) -> list[np.ndarray]:
    """All subset masks of ``d`` nodes, grouped by size."""
    masks = np.arange(1 << d, dtype=np.int64)
    sizes = np.bitwise_count(masks).astype(np.uint8)
    ordered = masks[np.argsort(sizes, kind="stable")]
    bounds = np.cumsum(np.bincount(sizes, minlength=d + 1))
    return np.split(ordered, bounds[:-1])


def insert_bit(masks: np.ndarray, bit: int | np.ndarray) -> np.ndarray:
    """Masks over the nodes other than ``bit`` -> masks over all nodes."""
    low = (np.int64(1) << bit) - 1
    return (masks & low) | ((masks >> bit) << (bit + 1))


def remove_bit(masks: np.ndarray, bit: int | np.ndarray) -> np.ndarray:
    """Inverse of :func:`insert_bit` (bit ``bit`` of ``masks`` must be clear)."""
    low = (np.int64(1) << bit) - 1
    return (masks & low) | ((masks >> (bit + 1)) << bit)


def positions(masks: np.ndarray, d: int, member: bool) -> np.ndarray:
    """Per row, the nodes in (``member``) or out of a mask; rows of equal size."""
    bits = ((masks[:, None] >> np.arange(d, dtype=np.int64)) & 1).astype(bool)
    if not member:
        bits = ~bits
    return np.nonzero(bits)[1].reshape(masks.size, -1).astype(np.int64)


def log_zeta(values: np.ndarray, n_bits: int, upward: bool = False) -> np.ndarray:
    """Log-space subset sums (or superset sums if ``upward``), in place."""
    for b in range(n_bits):
        view = values.reshape(-1, 2, 1 << b)
        if upward:
            np.logaddexp(view[:, 0], view[:, 1], out=view[:, 0])
        else:
            np.logaddexp(view[:, 1], view[:, 0], out=view[:, 1])
    return values


def lse_rows(terms: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp of a 2-D array; all ``-inf`` rows give ``-inf``."""
    top = terms.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(terms - top[:, None]).sum(axis=1))


def row_chunks(rows: np.ndarray, width: int) -> Iterator[np.ndarray]:
    """Consecutive slices of ``rows`` such that ``len(slice) * width <= CHUNK``."""
    step = max(1, CHUNK // max(width, 1))
    for start in range(0, rows.size, step):
        yield rows[start:start + step]


def expand_subsets(
    base: np.ndarray, items: np.ndarray, weights: np.ndarray, start: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """For each subset ``T`` of each row's ``items``: ``base ^ bits(T)`` and
    ``start + sum weights[T]``.

    Parameters
    ----------
    base : numpy.ndarray, shape (n_rows,)
    items, weights : numpy.ndarray, shape (n_rows, k)
    start : float or numpy.ndarray, shape (n_rows,)

    Returns
    -------
    masks, sums : numpy.ndarray, shape (2 ** k, n_rows)
        Subsets first, so each doubling step writes one contiguous block.
    """
    rows, k = items.shape
    masks = np.empty((1 << k, rows), dtype=np.int64)
    sums = np.empty((1 << k, rows))
    masks[0] = base
    sums[0] = start
    bits = (np.int64(1) << items).T
    weights = np.ascontiguousarray(weights.T)
    for i in range(k):
        h = 1 << i
        np.bitwise_xor(masks[:h], bits[i], out=masks[h:2 * h])
        np.add(sums[:h], weights[i], out=sums[h:2 * h])
    return masks, sums


def signs(k: int, first: float) -> np.ndarray:
    """``(-1)^|T|`` over the subsets ``T`` of ``k`` items, with ``first`` at ``T = {}``."""
    out = 1.0 - 2.0 * (np.bitwise_count(np.arange(1 << k, dtype=np.int64)) & 1)
    out[0] = first
    return out


def signed_sum(terms: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Column sums of ``terms * signs[:, None]`` (einsum: a threaded BLAS gemv is slower)."""
    return np.einsum("ij,i->j", terms, signs)


def log_of_scaled(scaled: np.ndarray, log_scale: np.ndarray) -> np.ndarray:
    """``log(scaled) + log_scale``; a sum cancelled to <= 0 is an exact zero."""
    return np.where(scaled > 0, np.log(np.maximum(scaled, 1e-300)) + log_scale, -np.inf)
