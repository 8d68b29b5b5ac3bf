"""The one adapter to causal-learn: PC and GES on a numpy table, and their graphs.

causal-learn returns a ``GeneralGraph`` whose matrix encodes ``i -> j`` as
``G[j, i] == 1 and G[i, j] == -1``, ``i --- j`` as ``G[i, j] == G[j, i] == -1``
and ``i <-> j`` as ``G[i, j] == G[j, i] == 1``. That encoding is translated
here and goes no further: callers get a *PDAG* as two 0/1 matrices, directed
``D[i, j] = 1`` for ``i -> j`` and a symmetric undirected ``U``. A
bidirected edge (PC's conflicting colliders) is read as undirected.

:func:`extend_pdag` turns such a PDAG into a DAG: forbidden orientations are
removed first, required edges added, and the remaining undirected edges are
oriented by Dor & Tarsi's sink elimination with random tie-breaking, which
adds no new v-structure and no cycle whenever the PDAG admits a consistent
extension. When it does not (PC on small samples can return conflicting
orientations), the elimination carries on with a random sink, and if the
directed part itself has a cycle it reverses (or, where the reverse is
forbidden, drops) a non-required edge out of a node: so the result is always
acyclic and honours the background knowledge.

References
----------
Spirtes, P., Glymour, C. & Scheines, R. (2000). Causation, Prediction, and
Search (2nd ed.). MIT Press. https://doi.org/10.7551/mitpress/1754.001.0001

Chickering, D. M. (2002). Optimal structure identification with greedy
search. JMLR 3, 507-554. https://doi.org/10.1162/153244303321897717

Dor, D. & Tarsi, M. (1992). A simple algorithm to construct a consistent
extension of a partially oriented graph. Technical Report R-185, UCLA
Cognitive Systems Laboratory.

Zheng, Y. et al. (2024). causal-learn: Causal discovery in Python. JMLR 25(60).
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge

__all__ = ["extend_pdag", "from_causallearn", "pc_skeleton", "run_ges", "run_pc",
           "skeleton_candidates"]


def from_causallearn(graph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Translate causal-learn's endpoint matrix into ``(directed, undirected)`` 0/1 matrices.

    Examples
    --------
    >>> g = np.array([[0, -1, -1], [1, 0, 0], [-1, 0, 0]])  # 0 -> 1, 0 --- 2
    >>> directed, undirected = from_causallearn(g)
    >>> directed.tolist(), undirected.tolist()
    ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 1], [0, 0, 0], [1, 0, 0]])
    """
    g = np.asarray(graph)
    directed = (g.T == 1) & (g == -1)  # directed[i, j]: G[j, i] == 1 and G[i, j] == -1
    undirected = ((g == -1) & (g.T == -1)) | ((g == 1) & (g.T == 1))
    return directed.astype(np.uint8), undirected.astype(np.uint8)


def run_pc(
    values: np.ndarray,
    kind: str,
    alpha: float = 0.05,
    forbidden: np.ndarray | None = None,
    required: np.ndarray | None = None,
    test: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """causal-learn's PC (stable) on a table: the CPDAG as ``(directed, undirected)``.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_obs, n_nodes)
    kind : {"continuous", "discrete"}
        Chooses the test: Fisher's z, or the G-squared test for discrete codes.
    alpha : float
        Significance level.
    forbidden, required : numpy.ndarray of bool, shape (n_nodes, n_nodes), optional
        Passed to PC as its background knowledge.
    test : {"fisherz", "chisq", "gsq"}, optional
        Overrides the test.
    """
    from causallearn.search.ConstraintBased.PC import pc

    test = test or _default_test(kind)
    if test not in ("fisherz", "chisq", "gsq"):
        raise CausalpostError(f"unknown PC test {test!r}; use 'fisherz', 'chisq' or 'gsq'")
    names = [f"X{i}" for i in range(values.shape[1])]
    knowledge = _pc_knowledge(names, forbidden, required)
    with _quiet():
        result = pc(np.asarray(values, dtype=np.float64), alpha, test, stable=True,
                    background_knowledge=knowledge, show_progress=False, verbose=False,
                    node_names=names)
    return from_causallearn(result.G.graph)


def run_ges(
    values: np.ndarray, kind: str, max_parents: int | None = None, ess: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """causal-learn's GES: BIC for continuous data, BDeu for discrete codes.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_obs, n_nodes)
    kind : {"continuous", "discrete"}
    max_parents : int, optional
        GES's ``maxP``.
    ess : float, optional
        BDeu equivalent sample size (causal-learn's ``sample_prior``; default 1).
    """
    from causallearn.search.ScoreBased.GES import ges

    values = np.asarray(values, dtype=np.float64)
    if values.shape[1] < 2:  # causal-learn's GES needs two columns; one node has no edges
        empty = np.zeros((values.shape[1],) * 2, dtype=np.uint8)
        return empty, empty.copy()
    if kind == "continuous":
        score, params = "local_score_BIC", None
    elif kind == "discrete":
        arities = {i: int(np.unique(values[:, i]).size) for i in range(values.shape[1])}
        score = "local_score_BDeu"
        params = {"sample_prior": 1.0 if ess is None else ess, "structure_prior": 1,
                  "r_i_map": arities}
    else:
        raise CausalpostError(f"GES needs all-continuous or all-discrete data, got {kind!r}")
    with _quiet():
        result = ges(values, score_func=score, maxP=max_parents, parameters=params)
    return from_causallearn(result["G"].graph)


def pc_skeleton(
    values: np.ndarray, kind: str, alpha: float = 0.05, *, quiet: bool = True
) -> np.ndarray:
    """The skeleton of causal-learn's PC (stable), with a progress bar unless ``quiet``.

    Runs only PC's skeleton phase (the independence tests, where the time goes:
    about a minute at 200 columns): the orientation phases never add or
    remove an adjacency, so the result is the adjacency of :func:`run_pc`'s
    graph, without its orientation cost.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_obs, n_nodes)
    kind : {"continuous", "discrete"}
        Fisher's z or the G-squared test.
    alpha : float
        Significance level.
    quiet : bool
        No progress bar (causal-learn's, on standard error: one pass over the
        nodes per conditioning-set size, ``Depth=k``).

    Returns
    -------
    numpy.ndarray of bool, shape (n_nodes, n_nodes)
        Symmetric, ``True`` where PC keeps the pair adjacent.
    """
    from causallearn.utils.cit import CIT
    from causallearn.utils.PCUtils import SkeletonDiscovery

    values = np.asarray(values, dtype=np.float64)
    test = _default_test(kind)
    with _quiet():
        graph = SkeletonDiscovery.skeleton_discovery(
            values, alpha, CIT(values, test), stable=True, show_progress=not quiet,
            node_names=[f"X{i}" for i in range(values.shape[1])]).G.graph
    graph = np.asarray(graph)
    return (graph != 0) | (graph.T != 0)


def skeleton_candidates(
    data: Dataset, alpha: float = 0.05, knowledge: BackgroundKnowledge | None = None
) -> list[np.ndarray]:
    """Per node, its candidate parents: its neighbours in the PC skeleton.

    Forbidden parents are removed and required parents added, so the lists
    can go straight to ``Problem.table(candidates)`` for a restricted search.

    Returns
    -------
    list of numpy.ndarray
        ``n_nodes`` sorted int64 arrays of node indices.
    """
    forbidden, required = (knowledge or BackgroundKnowledge()).matrices(data.names)
    directed, undirected = run_pc(data.values, data.kind, alpha, forbidden, required)
    adjacent = (directed | directed.T | undirected).astype(bool)
    allowed = (adjacent & ~forbidden) | required
    return [np.flatnonzero(allowed[:, j]).astype(np.int64) for j in range(data.n_nodes)]


def extend_pdag(
    directed: np.ndarray,
    undirected: np.ndarray,
    rng: np.random.Generator,
    forbidden: np.ndarray | None = None,
    required: np.ndarray | None = None,
) -> np.ndarray:
    """A random DAG consistent with a PDAG and with the background knowledge.

    Parameters
    ----------
    directed : numpy.ndarray, shape (n_nodes, n_nodes)
        ``directed[i, j] = 1`` for ``i -> j``.
    undirected : numpy.ndarray, shape (n_nodes, n_nodes)
        Symmetric; 1 for ``i --- j``.
    rng : numpy.random.Generator
        Breaks ties between eligible sinks (so orients undirected edges at random).
    forbidden, required : numpy.ndarray of bool, optional

    Returns
    -------
    numpy.ndarray of uint8, shape (n_nodes, n_nodes)
        Acyclic; no forbidden edge; every required edge.

    Examples
    --------
    >>> und = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])  # a chain 0 --- 1 --- 2
    >>> dags = {extend_pdag(np.zeros((3, 3)), und, np.random.default_rng(s)).tobytes()
    ...         for s in range(30)}
    >>> len(dags)  # the three DAGs of the class; never the collider 0 -> 1 <- 2
    3
    """
    n = directed.shape[0]
    forbidden = np.zeros((n, n), bool) if forbidden is None else np.asarray(forbidden, bool)
    required = np.zeros((n, n), bool) if required is None else np.asarray(required, bool)
    arrow = np.asarray(directed, bool).copy()
    line = np.asarray(undirected, bool) | np.asarray(undirected, bool).T
    flip = arrow & forbidden & ~forbidden.T  # a forbidden arrow whose reverse is allowed
    arrow = (arrow & ~forbidden) | flip.T
    line &= ~(forbidden & forbidden.T)
    arrow |= line & forbidden.T  # i --- j with j -> i forbidden: orient i -> j
    line &= ~(forbidden | forbidden.T)
    arrow = (arrow & ~required.T) | required  # required edges win
    line &= ~(required | required.T)
    line &= ~(arrow | arrow.T)
    return _eliminate_sinks(arrow, line, rng, forbidden, required)


def _eliminate_sinks(arrow, line, rng, forbidden, required) -> np.ndarray:
    n = arrow.shape[0]
    dag = np.zeros((n, n), dtype=np.uint8)
    left = np.ones(n, dtype=bool)
    while left.any():
        out_arrows = (arrow & left[None, :]).any(axis=1)
        sinks = np.flatnonzero(left & ~out_arrows)
        eligible = [x for x in sinks if _no_new_collider(x, arrow, line, left)]
        if eligible:
            x = int(rng.choice(eligible))
        elif sinks.size:
            x = int(rng.choice(sinks))
        else:  # a directed cycle: a node without a required out-edge gives way
            free = np.flatnonzero(left & ~(required & left[None, :]).any(axis=1))
            x = int(rng.choice(free))
        adjacent = (arrow[:, x] | arrow[x, :] | line[:, x]) & left
        adjacent[x] = False
        dag[adjacent & ~forbidden[:, x], x] = 1
        left[x] = False
    return dag


def _no_new_collider(x, arrow, line, left) -> bool:
    """Dor & Tarsi: every undirected neighbour of ``x`` is adjacent to all of x's neighbours."""
    adj = (arrow | arrow.T | line) & left[None, :] & left[:, None]
    nbrs = np.flatnonzero(adj[x])
    for y in np.flatnonzero(line[x] & left):
        others = nbrs[nbrs != y]
        if not adj[y, others].all():
            return False
    return True


def _default_test(kind: str) -> str:
    if kind == "continuous":
        return "fisherz"
    if kind == "discrete":
        return "gsq"
    raise CausalpostError(f"PC needs all-continuous or all-discrete data, got {kind!r}")


def _pc_knowledge(names, forbidden, required):
    if (forbidden is None or not np.any(forbidden & ~np.eye(len(names), dtype=bool))) and (
        required is None or not np.any(required)
    ):
        return None
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge as ClBK

    nodes = [GraphNode(name) for name in names]
    knowledge = ClBK()
    for i, j in np.argwhere(forbidden if forbidden is not None else []):
        if i != j:
            knowledge.add_forbidden_by_node(nodes[i], nodes[j])
    for i, j in np.argwhere(required if required is not None else []):
        knowledge.add_required_by_node(nodes[i], nodes[j])
    return knowledge


@contextlib.contextmanager
def _quiet():
    """Silence causal-learn's prints and warnings (only around its calls)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
