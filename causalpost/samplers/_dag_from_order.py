"""Scoring orders and partitions, and sampling a DAG exactly given one.

For node ``j`` let ``s_j(pi)`` be the table's local score (log marginal
likelihood + log prior) of parent set ``pi``. Its *subset sums*
``F_j[U] = log sum_{pi subset U} exp s_j(pi)``, for every subset ``U`` of the
node's candidate parents, are computed once by a log-space zeta transform
(Koivisto & Sood 2004). Then

- an order's score is ``sum_j F_j[pred_j]`` (Friedman & Koller 2003);
- a partition's score is ``sum_j log(exp F_j[U_j] - exp F_j[U_j \\ L_j])``,
  with ``U_j`` the nodes of earlier parts and ``L_j`` the part just above
  (each node needs one parent there; Kuipers & Moffa 2017),

so scoring a proposal is a handful of vectorized look-ups. Given an order or
partition, each node's parent set is drawn exactly from the table entries
compatible with it, in proportion to ``exp s_j(pi)``.

References
----------
Friedman, N. & Koller, D. (2003). Being Bayesian about network structure.
Machine Learning 50, 95-125. https://doi.org/10.1023/A:1020249912095

Koivisto, M. & Sood, K. (2004). Exact Bayesian structure discovery in
Bayesian networks. JMLR 5, 549-573.

Kuipers, J. & Moffa, G. (2017). Partition MCMC for inference on acyclic
digraphs. JASA 112(517), 282-299. https://doi.org/10.1080/01621459.2015.1133426
"""

from __future__ import annotations

import numpy as np

from causalpost.errors import GraphTooLargeError
from causalpost.scores import ScoreTable

__all__ = ["CompiledTable", "compile_table"]

MAX_CANDIDATES = 24


class CompiledTable:
    """A score table with per-node subset sums, padded candidate arrays and a draw cache.

    Attributes
    ----------
    cand : numpy.ndarray, shape (n_nodes, c_max)
        Candidate parents, padded with ``n_nodes`` (a dummy node).
    bits : numpy.ndarray, shape (n_nodes, c_max)
        ``1 << k`` for candidate ``k`` (0 in the padding).
    subset_sums : numpy.ndarray
        All nodes' ``F_j`` concatenated; node j's start at ``offsets[j]``.
    """

    def __init__(self, table: ScoreTable) -> None:
        self.table = table
        self.n_nodes = d = table.n_nodes
        sizes = [c.size for c in table.candidates]
        if max(sizes, default=0) > MAX_CANDIDATES:
            raise GraphTooLargeError(
                f"a node has {max(sizes)} candidate parents; order and partition MCMC allow "
                f"at most {MAX_CANDIDATES} (use search_space='hybrid', 'pc' or 'best')"
            )
        c_max = max(max(sizes, default=0), 1)
        self.cand = np.full((d, c_max), d, dtype=np.int64)
        self.bits = np.zeros((d, c_max), dtype=np.int64)
        for j, c in enumerate(table.candidates):
            self.cand[j, : c.size] = c
            self.bits[j, : c.size] = np.left_shift(1, np.arange(c.size, dtype=np.int64))
        sums = [_subset_sums(table.masks[j], table.scores[j], sizes[j]) for j in range(d)]
        self.offsets = np.cumsum([0] + [s.size for s in sums[:-1]]).astype(np.int64)
        # finite stand-in for -inf (so differences stay defined), and a sentinel at the end
        self.subset_sums = np.maximum(np.concatenate(sums + [np.array([-np.inf])]), -1e300)
        self._level = np.full(d + 1, np.iinfo(np.int64).max, dtype=np.int64)
        self._cache: dict[tuple[int, int, int], tuple] = {}
        self._memo: dict[bytes, float] = {}

    def local_masks(self, level: np.ndarray, last: bool) -> tuple[np.ndarray, np.ndarray]:
        """Allowed and (if ``last``) last-part masks of every node, over its candidates.

        ``level`` has one entry per node (order rank or partition index); a
        candidate is allowed when its level is below the node's, and in the
        last part when its level is exactly one below.
        """
        lv = np.append(level, np.iinfo(np.int64).max)[self.cand]
        own = level[:, None]
        allowed = ((lv < own) * self.bits).sum(axis=1)
        if not last:
            return allowed, np.zeros_like(allowed)
        return allowed, ((lv == own - 1) * self.bits).sum(axis=1)

    def cached(self, kind: str, level: np.ndarray) -> float:
        """``order_score`` or ``partition_score`` through a memo keyed by the state (chains
        revisit states often); the memo is cleared when it holds 200,000 entries."""
        key = level.tobytes()
        value = self._memo.get(key)
        if value is None:
            value = self.partition_score(level) if kind == "partition" else \
                self.order_score(level)
            if len(self._memo) >= 200_000:
                self._memo.clear()
            self._memo[key] = value
        return value

    def order_score(self, rank: np.ndarray) -> float:
        """Log of the summed weight of the DAGs consistent with an order (``rank[j]`` =
        position of node j)."""
        self._level[: self.n_nodes] = rank
        allowed = ((self._level[self.cand] < rank[:, None]) * self.bits).sum(axis=1)
        f = self.subset_sums[self.offsets + allowed]
        return -np.inf if (f < -1e299).any() else float(f.sum())

    def partition_score(self, part: np.ndarray) -> float:
        """Log of the summed weight of the DAGs whose labelled partition is ``part``
        (``part[j]`` = index of node j's part, the first part 0)."""
        self._level[: self.n_nodes] = part
        lv = self._level[self.cand]
        own = part[:, None]
        allowed = ((lv < own) * self.bits).sum(axis=1)
        last = ((lv == own - 1) * self.bits).sum(axis=1)
        f = self.subset_sums
        f_all = f[self.offsets + allowed]
        # index -1 holds a sentinel -huge: first-part nodes take f_all only
        f_without = f[np.where(part == 0, -1, self.offsets + (allowed & ~last))]
        ratio = np.minimum(np.exp(f_without - f_all), 1.0 - 2.0**-52)
        if ((last == 0) & (part > 0)).any() or (f_all < -1e299).any():
            return -np.inf
        return float((f_all + np.log1p(-ratio)).sum())

    def edge_probs(self, level: np.ndarray, partition: bool) -> np.ndarray:
        """Exact ``P(i -> j | order or partition)``, shape (n_nodes, n_nodes).

        A Rao-Blackwellised edge estimate: with ``A`` the allowed and ``L`` the
        last-part candidates of node j, the sets holding ``i`` weigh
        ``F[A] - F[A - i]`` (less ``F[A - L] - F[A - L - i]`` when ``i`` is not in
        ``L``), out of ``F[A]`` (less ``F[A - L]`` for a partition).
        """
        d, f, bits = self.n_nodes, self.subset_sums, self.bits
        self._level[:d] = level
        lv = self._level[self.cand]
        own = level[:, None]
        in_a = lv < own
        allowed = (in_a * bits).sum(axis=1)
        base = self.offsets[:, None]
        f_a = f[self.offsets + allowed][:, None]
        r1 = np.exp(f[base + (allowed[:, None] & ~bits)] - f_a)
        if partition:
            in_l = lv == own - 1
            rest = allowed & ~(in_l * bits).sum(axis=1)
            r2 = np.exp(f[self.offsets + rest][:, None] - f_a)
            r3 = np.exp(f[base + (rest[:, None] & ~bits)] - f_a)
            num = np.where(in_l, 1.0 - r1, (1.0 - r1) - (r2 - r3))
            den = 1.0 - r2
            with np.errstate(divide="ignore", invalid="ignore"):
                probs = np.where(den > 0, num / den, 0.0)
        else:
            probs = 1.0 - r1
        probs = np.clip(np.where(in_a, probs, 0.0), 0.0, 1.0)
        out = np.zeros((d + 1, d))
        out[self.cand, np.arange(d)[:, None]] = probs
        return out[:d]

    def sample_parents(self, node: int, allowed: int, last: int,
                       rng: np.random.Generator) -> tuple[int, float]:
        """Draw a parent set (candidate mask) of ``node`` among the compatible ones,
        with its local score."""
        key = (node, int(allowed), int(last))
        entry = self._cache.get(key)
        if entry is None:
            masks, scores = self.table.masks[node], self.table.scores[node]
            ok = (masks & ~allowed) == 0
            if last:
                ok &= (masks & last) != 0
            idx = np.flatnonzero(ok & np.isfinite(scores))
            weights = np.exp(scores[idx] - scores[idx].max())
            entry = (masks[idx], scores[idx], np.cumsum(weights))
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = entry
        masks, scores, cum = entry
        pick = min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")),
                   masks.size - 1)
        return int(masks[pick]), float(scores[pick])

    def sample_dag(self, level: np.ndarray, last: bool,
                   rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """One DAG compatible with the order / partition ``level`` and its log score.

        Returns
        -------
        adjacency : numpy.ndarray, shape (n_nodes, n_nodes)
        log_score : float
        """
        allowed, last_masks = self.local_masks(level, last)
        d = self.n_nodes
        adjacency = np.zeros((d, d), dtype=np.uint8)
        total = 0.0
        for j in range(d):
            mask, score = self.sample_parents(j, int(allowed[j]), int(last_masks[j]), rng)
            total += score
            cand = self.table.candidates[j]
            chosen = ((mask >> np.arange(cand.size)) & 1).astype(bool)
            adjacency[cand[chosen], j] = 1
        return adjacency, total


def compile_table(table: ScoreTable) -> CompiledTable:
    """Precompute the subset sums of a score table."""
    return CompiledTable(table)


def _subset_sums(masks: np.ndarray, scores: np.ndarray, n_cand: int) -> np.ndarray:
    """``F[U] = logsumexp of scores over masks subset of U``, for every U (zeta transform)."""
    f = np.full(1 << n_cand, -np.inf)
    f[masks] = scores  # each parent set appears once in a table
    for k in range(n_cand):
        view = f.reshape(-1, 2, 1 << k)
        np.logaddexp(view[:, 1, :], view[:, 0, :], out=view[:, 1, :])
    return f
