"""The cached local-score table over parent sets.

For each node the table lists every *allowed* parent set (within the
node's candidate parents, at most ``max_parents`` of them, containing every
required parent and no forbidden one) with its local log score plus its
log prior. Samplers only ever read this table: nothing in an inner loop
touches the data. Parent sets are stored as bit masks over the node's
candidate list (bit ``k`` set means ``candidates[node][k]`` is a parent).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, combinations
from math import comb
from typing import Protocol, TypeVar

import numpy as np

from causalpost.errors import CausalpostError, GraphTooLargeError
from causalpost.scores.priors import GraphPrior

__all__ = ["BoundScore", "ScoreTable", "build_score_table"]

T = TypeVar("T")
R = TypeVar("R")

MAX_TABLE_ROWS = 5_000_000
MAX_CANDIDATES = 62  # a parent set is an int64 mask over its node's candidates


class BoundScore(Protocol):
    """A score bound to a data table: local log marginal likelihoods."""

    name: str
    n_nodes: int

    def local_scores(self, node: int, parent_sets: list[tuple[int, ...]]) -> np.ndarray:
        """Local log marginal likelihood of ``node`` under each parent set."""

    def local_score(self, node: int, parents: tuple[int, ...]) -> float:
        """One cached local log marginal likelihood."""

    def sample_parameters(
        self, adjacency: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """One draw of the conjugate parameter posterior per graph (leading draws axis)."""


@dataclass(frozen=True)
class ScoreTable:
    """Local scores of every allowed parent set of every node.

    Attributes
    ----------
    candidates : tuple of numpy.ndarray
        Per node, the sorted candidate parents (global node indices).
    masks : tuple of numpy.ndarray
        Per node, shape (n_sets,), int64 bit masks over the candidates.
    scores : tuple of numpy.ndarray
        Per node, shape (n_sets,), log marginal likelihood + log prior.
    max_parents : int
    """

    n_nodes: int
    candidates: tuple[np.ndarray, ...]
    masks: tuple[np.ndarray, ...]
    scores: tuple[np.ndarray, ...]
    max_parents: int

    def global_masks(self, node: int) -> np.ndarray:
        """Parent sets as masks over all nodes (needs ``n_nodes <= 62``)."""
        if self.n_nodes > 62:
            raise GraphTooLargeError("global parent masks hold at most 62 nodes")
        out = np.zeros_like(self.masks[node])
        for k, parent in enumerate(self.candidates[node]):
            out |= ((self.masks[node] >> k) & 1) << int(parent)
        return out

    def dense(self, node: int) -> np.ndarray:
        """Scores indexed by global parent mask, shape (2 ** n_nodes,); -inf where disallowed."""
        if self.n_nodes > 20:
            raise GraphTooLargeError("a dense score table needs n_nodes <= 20")
        dense = np.full(1 << self.n_nodes, -np.inf)
        dense[self.global_masks(node)] = self.scores[node]
        return dense

    def graph_scores(self, adjacency: np.ndarray) -> np.ndarray:
        """Log score + log prior of each graph of a batch, shape (n_draws,); -inf if disallowed."""
        from causalpost.graphs import adjacency_to_masks

        adjacency = np.asarray(adjacency, dtype=bool)
        total = np.zeros(adjacency.shape[0])
        if self.n_nodes <= 20:
            parent_masks = adjacency_to_masks(adjacency)
            for node in range(self.n_nodes):
                total += self.dense(node)[parent_masks[:, node]]
            return total
        for node in range(self.n_nodes):
            total += self._set_scores(node, adjacency[:, :, node])
        return total

    def _set_scores(self, node: int, parents: np.ndarray) -> np.ndarray:
        """Scores of ``node``'s parent sets given as rows of a bool matrix (n_sets, n_nodes),
        -inf where not in the table (by candidate mask: any number of nodes)."""
        if self.masks[node].size == 0:
            return np.full(parents.shape[0], -np.inf)
        cand = self.candidates[node]
        local = parents[:, cand].astype(np.int64) @ np.left_shift(np.int64(1), np.arange(cand.size))
        outside = parents.sum(axis=1) > parents[:, cand].sum(axis=1)  # a non-candidate parent
        order = np.argsort(self.masks[node], kind="stable")
        masks, scores = self.masks[node][order], self.scores[node][order]
        k = np.minimum(np.searchsorted(masks, local), masks.size - 1)
        return np.where(~outside & (masks[k] == local), scores[k], -np.inf)


def build_score_table(
    score: BoundScore,
    prior: GraphPrior,
    forbidden: np.ndarray,
    required: np.ndarray,
    max_parents: int | None = None,
    candidates: list[np.ndarray] | None = None,
    reuse: ScoreTable | None = None,
) -> ScoreTable:
    """Score every allowed parent set of every node once.

    Parameters
    ----------
    score : BoundScore
    prior : GraphPrior
    forbidden, required : numpy.ndarray of bool, shape (n_nodes, n_nodes)
        From :meth:`BackgroundKnowledge.matrices`.
    max_parents : int, optional
        Largest parent set; default ``n_nodes - 1``.
    candidates : list of numpy.ndarray, optional
        Per node, candidate parents (default: every node). Required parents
        are always added; forbidden ones always removed.
    reuse : ScoreTable, optional
        A table of the same score, prior and knowledge (e.g. before a search-space
        expansion): nodes whose candidates did not change keep their rows unscored.

    Raises
    ------
    CausalpostError
        If ``max_parents`` is smaller than a node's number of required parents.
    GraphTooLargeError
        If the table would exceed five million parent sets, or a node would have more
        than 62 candidate parents.
    """
    n_nodes = score.n_nodes
    if max_parents is None:
        max_parents = n_nodes - 1
    if max_parents < 0:
        raise CausalpostError(f"max_parents must be >= 0, got {max_parents}")
    log_prior = prior.log_prior_by_size(n_nodes)
    all_cands, all_masks, all_scores = [], [], []
    to_score: list[tuple[int, np.ndarray, list[int]]] = []
    for node in range(n_nodes):
        given = np.arange(n_nodes) if candidates is None else np.asarray(candidates[node])
        union = set(int(p) for p in given) | set(np.flatnonzero(required[:, node]).tolist())
        pool = np.array(sorted(p for p in union if not forbidden[p, node]), dtype=np.int64)
        if pool.size > MAX_CANDIDATES:  # its masks would overflow int64
            raise GraphTooLargeError(
                f"node {node} has {pool.size} candidate parents; a score table allows at "
                f"most {MAX_CANDIDATES} (restrict them: search_space='hybrid', 'pc' or "
                "'best', or max_candidates)")
        must = [k for k, p in enumerate(pool) if required[p, node]]
        if len(must) > max_parents:
            raise CausalpostError(
                f"node {node} has {len(must)} required parents but max_parents={max_parents}"
            )
        n_sets = sum(comb(pool.size - len(must), k)
                     for k in range(max_parents - len(must) + 1))
        if n_sets > MAX_TABLE_ROWS:  # counted before anything is enumerated
            raise GraphTooLargeError(
                f"node {node} would have {n_sets:.3g} parent sets; lower max_parents "
                "or restrict the candidate parents"
            )
        all_cands.append(pool)
        if (reuse is not None and reuse.max_parents == max_parents
                and np.array_equal(reuse.candidates[node], pool)):
            all_masks.append(reuse.masks[node])
            all_scores.append(reuse.scores[node])
            continue
        all_masks.append(np.zeros(0, dtype=np.int64))  # scored below
        all_scores.append(np.zeros(0))
        to_score.append((node, pool, must))

    def score_node(job: tuple[int, np.ndarray, list[int]]) -> tuple[np.ndarray, np.ndarray]:
        node, pool, must = job
        masks, scores = [], []
        for local in _parent_set_blocks(pool.size, must, max_parents):
            block = batch_scores(score, node, pool[local])
            masks.append((np.int64(1) << local).sum(axis=1, dtype=np.int64))
            scores.append(np.asarray(block) + log_prior[local.shape[1]])
        return np.concatenate(masks), np.concatenate(scores)

    for (node, _, _), (masks, scores) in zip(to_score, map_in_threads(score_node, to_score)):
        all_masks[node], all_scores[node] = masks, scores
    return ScoreTable(n_nodes, tuple(all_cands), tuple(all_masks), tuple(all_scores), max_parents)


def map_in_threads(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[fn(item) for item in items]``, the items in threads (at most one per core): the
    scoring calls release the GIL (compiled BDeu, BGe's LAPACK; alarm's tables, 2,000 rows,
    took 48 s of BDeu on one core). Each item is one node's sets, scored in one call, so
    the results do not depend on the threads."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 1)) as pool:
        return list(pool.map(fn, items))


def batch_scores(score: BoundScore, node: int, parents: np.ndarray) -> np.ndarray:
    """Local scores of ``node`` for parent sets of one size, one per row of the int array
    ``parents`` (n_sets, size): batched where the score has ``local_scores_array`` (no
    per-set Python objects), else set by set."""
    if hasattr(score, "local_scores_array"):
        return np.asarray(score.local_scores_array(node, parents), dtype=np.float64)
    return np.asarray(score.local_scores(node, [tuple(p) for p in parents.tolist()]))


def _parent_set_blocks(n_pool: int, must: list[int], max_parents: int) -> list[np.ndarray]:
    """Allowed parent sets as candidate indices, one int array ``(n_sets, size)`` per
    size (ascending; lexicographic within a size), each set holding ``must``."""
    optional = [k for k in range(n_pool) if k not in must]
    blocks = []
    for n_extra in range(0, max_parents - len(must) + 1):
        if n_extra > len(optional):
            break
        if n_extra == 0:
            extra = np.zeros((1, 0), dtype=np.int64)
        else:
            extra = np.fromiter(chain.from_iterable(combinations(optional, n_extra)),
                                dtype=np.int64).reshape(-1, n_extra)
        fixed = np.broadcast_to(np.array(must, dtype=np.int64), (extra.shape[0], len(must)))
        blocks.append(np.sort(np.concatenate([fixed, extra], axis=1), axis=1))
    return blocks
