"""Helpers on adjacency matrices: acyclicity, orders, closure, enumeration, SHD.

A graph is a ``(n_nodes, n_nodes)`` 0/1 matrix with ``A[i, j] = 1`` meaning
``i -> j``; a batch is ``(n_draws, n_nodes, n_nodes)``. Some internals use a
*parent mask* per node instead: bit ``i`` of ``masks[j]`` is set when ``i`` is
a parent of ``j``. Graph algorithms on one graph go through networkx; the
batched routines below are vectorized numpy because networkx works on one
graph object at a time.
"""

from __future__ import annotations

from functools import lru_cache

import networkx as nx
import numpy as np

from causalpost.errors import GraphError

__all__ = [
    "adjacency_to_masks",
    "count_dags",
    "dag_levels",
    "enumerate_dags",
    "enumerate_parent_masks",
    "group_by_parents",
    "is_acyclic",
    "masks_to_adjacency",
    "rank_of",
    "shd",
    "topological_order",
    "transitive_closure",
]


def is_acyclic(adjacency: np.ndarray) -> bool | np.ndarray:
    """Whether a graph (or each graph of a batch) is a DAG.

    Parameters
    ----------
    adjacency : numpy.ndarray, shape (n_nodes, n_nodes) or (n_draws, n_nodes, n_nodes)

    Returns
    -------
    bool or numpy.ndarray of bool, shape (n_draws,)

    Examples
    --------
    >>> import numpy as np
    >>> bool(is_acyclic(np.array([[0, 1], [0, 0]])))
    True
    >>> bool(is_acyclic(np.array([[0, 1], [1, 0]])))
    False
    """
    adjacency = np.asarray(adjacency)
    single = adjacency.ndim == 2
    batch = adjacency[None] if single else adjacency
    if batch.shape[-1] > 62:  # past one int64 mask per node
        acyclic = _acyclic_dense(batch.astype(bool))
    else:
        acyclic = _acyclic_masks(adjacency_to_masks(batch))
    return bool(acyclic[0]) if single else acyclic


def topological_order(adjacency: np.ndarray) -> list[int]:
    """A topological order of a DAG's nodes (parents before children).

    Raises
    ------
    GraphError
        If the graph has a cycle.
    """
    graph = nx.from_numpy_array(np.asarray(adjacency, dtype=np.uint8), create_using=nx.DiGraph)
    try:
        return list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        cycle = [int(u) for u, _ in nx.find_cycle(graph)]
        raise GraphError(f"the graph has a cycle through nodes {cycle}") from None


def dag_levels(adjacency: np.ndarray) -> np.ndarray:
    """Part index of each node in the labelled partition of a DAG (longest path from a
    source): the state of partition MCMC.

    Examples
    --------
    >>> dag_levels(np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]]))
    array([0, 1, 2])
    """
    adjacency = np.asarray(adjacency, dtype=bool)
    d = adjacency.shape[0]
    level = np.full(d, -1, dtype=np.int64)
    remaining = np.ones(d, dtype=bool)
    k = 0
    while remaining.any():
        sources = remaining & ~(adjacency & remaining[:, None]).any(axis=0)
        level[sources] = k
        remaining &= ~sources
        k += 1
    return level


def rank_of(adjacency: np.ndarray) -> np.ndarray:
    """Position of each node in a topological order of a DAG (by level, then index): the
    state of order MCMC.

    Examples
    --------
    >>> rank_of(np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]]))
    array([2, 0, 1])
    """
    levels = dag_levels(adjacency)
    rank = np.empty(levels.size, dtype=np.int64)
    rank[np.lexsort((np.arange(levels.size), levels))] = np.arange(levels.size)
    return rank


def transitive_closure(adjacency: np.ndarray) -> np.ndarray:
    """Reachability matrix ``C[i, j] = 1`` iff there is a directed path i -> ... -> j.

    Uses Warshall's algorithm vectorized over rows (O(d^3) numpy, no matrix powers).
    """
    closure = np.asarray(adjacency, dtype=bool).copy()
    for k in range(closure.shape[-1]):
        closure |= closure[..., :, k, None] & closure[..., None, k, :]
    return closure.astype(np.uint8)


def shd(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray | int:
    """Structural Hamming distance; a reversed edge counts as one error.

    Parameters
    ----------
    estimate : numpy.ndarray, shape (n_nodes, n_nodes) or (n_draws, n_nodes, n_nodes)
    truth : numpy.ndarray, shape (n_nodes, n_nodes)

    Examples
    --------
    >>> import numpy as np
    >>> shd(np.array([[0, 0], [1, 0]]), np.array([[0, 1], [0, 0]]))
    1
    """
    estimate = np.asarray(estimate, dtype=bool)
    truth = np.asarray(truth, dtype=bool)
    diff = estimate != truth
    # count each unordered pair once: a reversal differs in both (i,j) and (j,i)
    pair_diff = diff | np.swapaxes(diff, -1, -2)
    upper = np.triu(np.ones(truth.shape, dtype=bool), k=1)
    result = (pair_diff & upper).sum(axis=(-1, -2))
    return int(result) if np.ndim(result) == 0 else result


def adjacency_to_masks(adjacency: np.ndarray) -> np.ndarray:
    """Parent masks, shape (..., n_nodes): bit i of ``masks[..., j]`` iff i -> j."""
    adjacency = np.asarray(adjacency, dtype=np.int64)
    n_nodes = adjacency.shape[-1]
    if n_nodes > 62:
        raise GraphError(f"parent masks hold at most 62 nodes, got {n_nodes}")
    weights = np.left_shift(np.int64(1), np.arange(n_nodes, dtype=np.int64))
    return np.einsum("...ij,i->...j", adjacency, weights)


def masks_to_adjacency(masks: np.ndarray) -> np.ndarray:
    """Inverse of :func:`adjacency_to_masks`; returns uint8 adjacency."""
    masks = np.asarray(masks, dtype=np.int64)
    n_nodes = masks.shape[-1]
    bits = np.arange(n_nodes, dtype=np.int64)
    # adjacency[..., i, j] = bit i of masks[..., j]
    return ((masks[..., None, :] >> bits[:, None]) & 1).astype(np.uint8)


def _acyclic_dense(adjacency: np.ndarray) -> np.ndarray:
    """Acyclicity of each bool adjacency matrix of a batch by repeatedly peeling source
    nodes (any number of nodes)."""
    remaining = np.ones(adjacency.shape[:2], dtype=bool)
    for _ in range(adjacency.shape[-1]):
        has_parent = (adjacency & remaining[:, :, None]).any(axis=1)
        sources = remaining & ~has_parent
        if not sources.any():
            break
        remaining &= ~sources
    acyclic: np.ndarray = np.asarray(~remaining.any(axis=1))
    return acyclic


def _acyclic_masks(masks: np.ndarray) -> np.ndarray:
    """Acyclicity of each row of parent masks by repeatedly peeling source nodes."""
    n_nodes = masks.shape[-1]
    remaining = np.full(masks.shape[0], (1 << n_nodes) - 1, dtype=np.int64)
    for _ in range(n_nodes):
        sources = np.zeros_like(remaining)
        for node in range(n_nodes):
            bit = np.int64(1 << node)
            is_source = ((remaining & bit) != 0) & ((masks[:, node] & remaining) == 0)
            sources |= np.where(is_source, bit, 0)
        remaining &= ~sources
    return remaining == 0


@lru_cache(maxsize=4)
def enumerate_parent_masks(n_nodes: int) -> np.ndarray:
    """Parent masks of every labelled DAG on ``n_nodes`` nodes, shape (n_dags, n_nodes).

    Every graph whose unordered pairs each hold no edge or one of two
    orientations (3 ** (d (d - 1) / 2) candidates) is generated in chunks and
    kept if acyclic. The result is cached and read-only.
    """
    if n_nodes < 1:
        raise GraphError(f"n_nodes must be at least 1, got {n_nodes}")
    if n_nodes > 6:
        raise GraphError(f"enumerating DAGs is limited to 6 nodes, got {n_nodes}")
    pairs = [(i, j) for i in range(n_nodes) for j in range(i + 1, n_nodes)]
    n_candidates = 3 ** len(pairs)
    chunks = []
    chunk = 1 << 21
    for start in range(0, n_candidates, chunk):
        code = np.arange(start, min(start + chunk, n_candidates), dtype=np.int64)
        masks = np.zeros((code.size, n_nodes), dtype=np.int64)
        for i, j in pairs:
            state = code % 3
            code //= 3
            masks[:, j] |= np.where(state == 1, np.int64(1 << i), 0)
            masks[:, i] |= np.where(state == 2, np.int64(1 << j), 0)
        chunks.append(masks[_acyclic_masks(masks)])
    result = np.concatenate(chunks)
    result.setflags(write=False)
    return result


def enumerate_dags(n_nodes: int) -> np.ndarray:
    """Every labelled DAG on ``n_nodes`` nodes (at most 6), shape (n_dags, n_nodes, n_nodes).

    Examples
    --------
    >>> enumerate_dags(3).shape
    (25, 3, 3)
    """
    return masks_to_adjacency(enumerate_parent_masks(n_nodes))


def count_dags(n_nodes: int) -> int:
    """Number of labelled DAGs by Robinson's recurrence (1, 1, 3, 25, 543, 29281, ...)."""
    from math import comb

    counts = [1]
    for n in range(1, n_nodes + 1):
        counts.append(
            sum((-1) ** (k + 1) * comb(n, k) * 2 ** (k * (n - k)) * counts[n - k]
                for k in range(1, n + 1))
        )
    return counts[n_nodes]


def group_by_parents(adjacency: np.ndarray, node: int):
    """Group the draws of a batch by the parent set of ``node``.

    Yields
    ------
    parents : numpy.ndarray
        Sorted parent indices shared by the group.
    draws : numpy.ndarray
        Indices of the draws in which ``node`` has exactly these parents.
    """
    column = np.asarray(adjacency)[:, :, node]
    if column.shape[1] <= 62:
        keys = column.astype(np.int64) @ np.left_shift(np.int64(1), np.arange(column.shape[1]))
    else:
        packed = np.packbits(column.astype(bool), axis=1)
        _, keys = np.unique(packed, axis=0, return_inverse=True)
        keys = keys.ravel()
    order = np.argsort(keys, kind="stable")
    _, starts = np.unique(keys[order], return_index=True)
    for group in np.split(order, starts[1:]):
        yield np.flatnonzero(column[group[0]]), group
