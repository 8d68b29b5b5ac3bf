"""Candidate parents: which nodes may be a node's parents in the score table.

With every node a candidate, the table of a node holds all parent sets up to
``max_parents``; past ~20 nodes that is too many. BiDAG (Kuipers, Suter &
Moffa 2022) restricts each node's candidates to its neighbours in a PC
skeleton, then expands the space iteratively with the parents of the best
graph found so far. Three starting spaces are offered:

``"full"``
    every node (the exact target of the samplers);
``"pc"``
    the node's neighbours in a PC skeleton (causal-learn), topped up with the
    best-scoring single parents when the skeleton leaves fewer than
    ``min_candidates``;
``"best"``
    the ``max_candidates`` nodes with the largest single-parent score gain.

References
----------
Kuipers, J., Suter, P. & Moffa, G. (2022). Efficient sampling and structure
learning of Bayesian networks. JCGS 31(3), 639-650.
https://doi.org/10.1080/10618600.2021.2020127
"""

from __future__ import annotations

import numpy as np

from causalpost.errors import CausalpostError

__all__ = ["SEARCH_SPACES", "candidate_parents", "expand_candidates", "single_parent_gains"]

SEARCH_SPACES = ("full", "pc", "best")


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
) -> list[np.ndarray] | None:
    """Per node, its candidate parents (``None`` means every node).

    Parameters
    ----------
    problem : causalpost.samplers._common.Problem
    search_space : {"full", "pc", "best"}
    max_candidates : int, optional
        Cap on candidates per node (default: 10 for ``"best"``; for ``"pc"``
        the skeleton neighbours, capped at this value if given).
    min_candidates : int
        ``"pc"`` tops a node up to this many candidates by single-parent score gain.
    alpha : float
        Significance level of the PC independence tests.

    Returns
    -------
    list of numpy.ndarray or None
    """
    n_nodes = problem.data.n_nodes
    if search_space not in SEARCH_SPACES:
        raise CausalpostError(f"unknown search_space {search_space!r}; use one of {SEARCH_SPACES}")
    if search_space == "full":
        return None
    gains = single_parent_gains(problem.bound, n_nodes)
    if search_space == "best":
        cap = min(max_candidates or 10, n_nodes - 1)
        return [np.sort(np.argsort(-gains[:, j], kind="stable")[:cap]) for j in range(n_nodes)]
    skeleton = _pc_skeleton(problem.data, alpha)
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


def expand_candidates(
    bound, candidates: list[np.ndarray], adjacency: np.ndarray, cap: int = 20
) -> tuple[list[np.ndarray], bool]:
    """BiDAG-style expansion: for each node of a (best) DAG, add as candidates the
    non-candidates whose addition to its parents raises its local score.

    Returns the new candidate lists and whether anything was added; a node keeps
    at most ``cap`` candidates (the largest gains first).
    """
    n_nodes = adjacency.shape[0]
    out, changed = [], False
    for j, cand in enumerate(candidates):
        parents = tuple(int(p) for p in np.flatnonzero(adjacency[:, j]))
        outside = [i for i in range(n_nodes) if i != j and i not in set(cand.tolist())]
        room = cap - cand.size
        if not outside or room <= 0:
            out.append(cand)
            continue
        sets = [parents] + [tuple(sorted(parents + (i,))) for i in outside]
        scores = bound.local_scores(j, sets)
        gain = scores[1:] - scores[0]
        best = [outside[k] for k in np.argsort(-gain, kind="stable")[:room] if gain[k] > 0]
        changed |= bool(best)
        out.append(np.array(sorted(set(cand.tolist()) | set(best)), dtype=np.int64))
    return out, changed


def _pc_skeleton(data, alpha: float) -> np.ndarray:
    """Undirected skeleton of causal-learn's PC (adjacency of the returned graph)."""
    from causallearn.search.ConstraintBased.PC import pc

    test = "fisherz" if data.kind == "continuous" else "gsq"
    if data.kind not in ("continuous", "discrete"):
        raise CausalpostError("search_space='pc' needs all-continuous or all-discrete data")
    result = pc(np.asarray(data.values, dtype=np.float64), alpha, test, stable=True,
                show_progress=False, verbose=False)
    graph = np.asarray(result.G.graph)
    return (graph != 0) | (graph.T != 0)
