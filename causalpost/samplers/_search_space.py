"""Candidate parents: which nodes may be a node's parents in the score table.

With every node a candidate, the table of a node holds all parent sets up to
``max_parents``; past ~20 nodes that is too many. BiDAG (Kuipers, Suter &
Moffa 2022) restricts each node's candidates to its neighbours in a PC
skeleton, then expands the space iteratively with the parents of the best
graph found so far. Five starting spaces are offered:

``"full"``
    every node (the exact target of the samplers);
``"pc"``
    the node's neighbours in a PC skeleton (causal-learn), topped up with the
    best-scoring single parents when the skeleton leaves fewer than
    ``min_candidates``;
``"best"``
    the ``max_candidates`` nodes with the largest single-parent score gain;
``"pcor"`` (continuous data)
    the ``max_candidates`` (default 12) nodes of largest absolute partial
    correlation with the node: an estimate of its Markov blanket, which holds
    every parent whatever the faithfulness of the data;
``"hybrid"``
    the PC skeleton's neighbours united with ``"pcor"``'s candidates on
    continuous data (PC alone on discrete data), at most ``HYBRID_CAP`` per
    node, ranked by partial correlation. The ``"auto"`` choice of the MCMC
    samplers on graphs too large for the full space.

Why partial correlations: on the benchmark's low-noise linear data (noise sd
0.1, d = 50 or 100) the PC skeleton at alpha = 0.05 left 64 of 201 true edges
(d = 100, n = 1000) outside the candidates and the sampled graphs scored
thousands of nats below the true graph; PC united with the 12 strongest
partial correlations left the chains above the true graph's score
(``benchmarks/RESULTS_samplers.md``).

References
----------
Kuipers, J., Suter, P. & Moffa, G. (2022). Efficient sampling and structure
learning of Bayesian networks. JCGS 31(3), 639-650.
https://doi.org/10.1080/10618600.2021.2020127
"""

from __future__ import annotations

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError

__all__ = ["SEARCH_SPACES", "candidate_parents", "partial_correlations",
           "single_parent_gains", "symmetrized", "EXPANSION_ROOM"]

SEARCH_SPACES = ("full", "pc", "best", "pcor", "hybrid")
HYBRID_CAP = 16
PCOR_DEFAULT = 12
# ridge (times d / n) added to the correlation matrix before inverting it: keeps the
# precision matrix defined when n <= d or columns are collinear, and vanishes as n grows
# (a plain numpy inverse: the field's graphical-lasso solvers are far slower at d = 100
# and need tuning)
PCOR_RIDGE = 0.01


def single_parent_gains(bound, n_nodes: int) -> np.ndarray:
    """``gain[i, j]``: local score of j with parent {i} minus with none (-inf on the diagonal)."""
    gains = np.full((n_nodes, n_nodes), -np.inf)
    for node in range(n_nodes):
        others = [i for i in range(n_nodes) if i != node]
        scores = bound.local_scores(node, [()] + [(i,) for i in others])
        gains[others, node] = scores[1:] - scores[0]
    return gains


def candidate_parents(
    problem,
    search_space: str = "full",
    max_candidates: int | None = None,
    min_candidates: int = 6,
    alpha: float = 0.05,
    *,
    quiet: bool = True,
) -> list[np.ndarray] | None:
    """Per node, its candidate parents (``None`` means every node).

    Parameters
    ----------
    problem : causalpost.samplers._common.Problem
    search_space : {"full", "pc", "best", "pcor", "hybrid"}
    max_candidates : int, optional
        Cap on candidates per node (default: 10 for ``"best"``, 12 for
        ``"pcor"`` and for the partial-correlation part of ``"hybrid"``; for
        ``"pc"`` the skeleton neighbours, capped at this value if given).
    min_candidates : int
        ``"pc"`` tops a node up to this many candidates by single-parent score gain.
    alpha : float
        Significance level of the PC independence tests.
    quiet : bool
        No progress bar for the PC skeleton (``"pc"``, ``"hybrid"``).

    Returns
    -------
    list of numpy.ndarray or None
    """
    n_nodes = problem.data.n_nodes
    if search_space not in SEARCH_SPACES:
        raise CausalpostError(f"unknown search_space {search_space!r}; use one of {SEARCH_SPACES}")
    if search_space == "full":
        return None
    if search_space == "pcor":
        return _top_partial_correlations(problem.data, max_candidates or PCOR_DEFAULT)
    if search_space == "hybrid":
        return _hybrid(problem, max_candidates, min_candidates, alpha, quiet)
    if search_space == "pc":
        return _pc_candidates(problem, max_candidates, min_candidates, alpha, quiet)
    gains = single_parent_gains(problem.bound, n_nodes)
    cap = min(max_candidates or 10, n_nodes - 1)
    return [np.sort(np.argsort(-gains[:, j], kind="stable")[:cap]) for j in range(n_nodes)]


def _pc_candidates(problem, max_candidates: int | None, min_candidates: int, alpha: float,
                   quiet: bool) -> list[np.ndarray]:
    """``"pc"``: skeleton neighbours, capped and topped up by single-parent score gain."""
    n_nodes = problem.data.n_nodes
    gains = single_parent_gains(problem.bound, n_nodes)
    skeleton = _pc_skeleton(problem.data, alpha, quiet)
    out = []
    for j in range(n_nodes):
        nbrs = np.flatnonzero(skeleton[:, j])
        if max_candidates is not None and nbrs.size > max_candidates:
            nbrs = nbrs[np.argsort(-gains[nbrs, j], kind="stable")[:max_candidates]]
        ranked = [int(i) for i in np.argsort(-gains[:, j], kind="stable") if i != j]
        extra = [i for i in ranked if i not in set(nbrs.tolist())][: max(0, min_candidates
                                                                         - nbrs.size)]
        out.append(np.array(sorted(set(nbrs.tolist()) | set(extra)), dtype=np.int64))
    return out


# slots a node keeps free of reverse partners: room for one round of expansion
EXPANSION_ROOM = 3


def symmetrized(candidates: list[np.ndarray], cap: int) -> list[np.ndarray]:
    """Each candidate pair in both orientations where the cap allows: ``j`` joins ``i``'s
    candidates when ``i`` is one of ``j``'s and ``i`` has fewer than
    ``cap - EXPANSION_ROOM`` candidates.

    The room matters: at d = 100 (ER2, n = 1000) every node sits at the cap, and filling
    it with reverse partners left 9 of 201 true edges outside the space (AUROC 0.971,
    against 0.998 with none outside when the slots stay free for the expansion).

    Why: a space that admits ``i -> j`` but not ``j -> i`` decides the orientation of an
    edge the data may leave open (for a score-equivalent score both orientations of a
    covered edge score the same), so the posterior would report P = 1 for a direction
    it has no evidence for. Nodes are filled in index order.
    """
    out = [set(np.asarray(c, dtype=np.int64).tolist()) for c in candidates]
    for j, cand in enumerate(candidates):
        for i in np.asarray(cand, dtype=np.int64).tolist():
            if j not in out[i] and len(out[i]) < cap - EXPANSION_ROOM:
                out[i].add(j)
    return [np.array(sorted(c), dtype=np.int64) for c in out]


def partial_correlations(data: Dataset) -> np.ndarray:
    """Absolute partial correlations of every pair given all other columns (zero diagonal),
    from the inverse of the correlation matrix plus a ridge of ``0.01 * d / n``.

    Raises
    ------
    CausalpostError
        For data that are not all continuous.
    """
    if data.kind != "continuous":
        raise CausalpostError("partial correlations (search_space='pcor') need all-continuous "
                              "data; use search_space='pc' or 'best'")
    values = np.asarray(data.values, dtype=np.float64)
    corr = np.atleast_2d(np.corrcoef(values, rowvar=False))
    ridge = PCOR_RIDGE * data.n_nodes / values.shape[0]
    precision = np.linalg.inv(corr + ridge * np.eye(corr.shape[0]))
    scale = np.sqrt(np.diag(precision))
    pcor = np.abs(precision / np.outer(scale, scale))
    pcor = 0.5 * (pcor + pcor.T)  # exactly symmetric despite rounding in the inverse
    np.fill_diagonal(pcor, 0.0)
    return pcor


def _top_partial_correlations(data, k: int) -> list[np.ndarray]:
    pcor = partial_correlations(data)
    k = min(int(k), data.n_nodes - 1)
    return [np.sort(_ranked(pcor[:, j], j)[:k]) for j in range(data.n_nodes)]


def _ranked(strength: np.ndarray, node: int) -> np.ndarray:
    """Other nodes by decreasing strength (ties by index)."""
    order = np.argsort(-strength, kind="stable")
    return order[order != node]


def _hybrid(problem, max_candidates, min_candidates, alpha, quiet=True) -> list[np.ndarray]:
    data = problem.data
    pc = _pc_candidates(problem, None, min_candidates, alpha, quiet)
    if data.kind != "continuous":
        return [c[:HYBRID_CAP] if c.size > HYBRID_CAP else c for c in pc]
    pcor = partial_correlations(data)
    k = min(max_candidates or PCOR_DEFAULT, data.n_nodes - 1)
    out = []
    for j in range(data.n_nodes):
        ranked = _ranked(pcor[:, j], j)
        union = set(pc[j].tolist()) | set(ranked[:k].tolist())
        keep = [int(i) for i in ranked if int(i) in union][:max(HYBRID_CAP, k)]
        out.append(np.array(sorted(keep), dtype=np.int64))
    return out


def _pc_skeleton(data, alpha: float, quiet: bool = True) -> np.ndarray:
    """Undirected skeleton of causal-learn's PC, with a progress bar unless ``quiet``."""
    from causalpost._causallearn import pc_skeleton

    if data.kind not in ("continuous", "discrete"):
        raise CausalpostError("search_space='pc' needs all-continuous or all-discrete data")
    return pc_skeleton(data.values, data.kind, alpha, quiet=quiet)
