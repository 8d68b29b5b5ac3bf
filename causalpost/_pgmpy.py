"""Adapter to pgmpy: the one module that builds pgmpy objects.

The typed parameter draws (:mod:`causalpost.scores.draws`) hand their numbers to
:func:`linear_gaussian_network` / :func:`discrete_network`; :func:`hill_climb` runs
pgmpy's greedy search.

Kept apart so a rename in pgmpy touches one file (pycid pinned itself to an
old pgmpy by subclassing its model class; we only construct its objects).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError

__all__ = ["discrete_network", "hill_climb", "linear_gaussian_network"]

# our score names -> pgmpy's, by data kind
_HC_SCORES = {
    "continuous": {"bic": "bic-g", "aic": "aic-g", "ll": "ll-g"},
    "discrete": {"bic": "bic-d", "aic": "aic-d", "bdeu": "bdeu", "k2": "k2", "bds": "bds"},
}


def linear_gaussian_network(nodes: Sequence[str], adjacency: np.ndarray,
                            cpds: Sequence[tuple[list[int], list[float], float]]) -> Any:
    """A pgmpy ``LinearGaussianBayesianNetwork``.

    Node j's entry of ``cpds`` is (parents, [intercept, weights of the parents...], std).
    """
    from pgmpy.factors.continuous import LinearGaussianCPD
    from pgmpy.models import LinearGaussianBayesianNetwork

    model = LinearGaussianBayesianNetwork(_edges(nodes, adjacency))
    model.add_nodes_from(nodes)
    model.add_cpds(*[LinearGaussianCPD(name, beta, std, [nodes[p] for p in parents])
                     for name, (parents, beta, std) in zip(nodes, cpds)])
    return model


def discrete_network(nodes: Sequence[str], adjacency: np.ndarray,
                     levels: Sequence[Sequence[str] | None],
                     tables: Sequence[np.ndarray]) -> Any:
    """A pgmpy ``DiscreteBayesianNetwork``; node j's table is (n_parent_configs, arity_j)."""
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork(_edges(nodes, adjacency))
    model.add_nodes_from(nodes)
    cpds = []
    for j, name in enumerate(nodes):
        parents = np.flatnonzero(adjacency[:, j]).tolist()
        cards = [len(levels[p] or ()) for p in parents]
        cpds.append(TabularCPD(
            name, len(levels[j] or ()), tables[j].T,
            evidence=[nodes[p] for p in parents] or None,
            evidence_card=cards or None,
            state_names={nodes[k]: list(levels[k] or ()) for k in [j, *parents]},
        ))
    model.add_cpds(*cpds)
    return model


def _edges(nodes: Sequence[str], adjacency: np.ndarray) -> list[tuple[str, str]]:
    return [(nodes[a], nodes[b]) for a, b in np.argwhere(adjacency)]


def hill_climb(
    data: Dataset,
    score: str = "bic",
    *,
    max_parents: int | None = None,
    tabu_length: int = 100,
) -> np.ndarray:
    """pgmpy's greedy hill climbing (add / delete / reverse one edge): a MAP point estimate.

    Parameters
    ----------
    data : Dataset
        All-continuous or all-discrete.
    score : {"bic", "aic", "ll", "bdeu", "k2", "bds"}
        ``"bic"``, ``"aic"`` and ``"ll"`` use pgmpy's Gaussian (``-g``) or discrete
        (``-d``) version by data kind; ``"bdeu"``, ``"k2"`` and ``"bds"`` need
        discrete data.
    max_parents : int, optional
        pgmpy's ``max_indegree``.
    tabu_length : int

    Returns
    -------
    numpy.ndarray of uint8, shape (n_nodes, n_nodes)
        ``A[i, j] = 1`` for ``i -> j``, rows and columns in ``data.names`` order.

    References
    ----------
    Koller, D. & Friedman, N. (2009). Probabilistic Graphical Models, section
    18.4.3. MIT Press.
    """
    if not isinstance(data, Dataset):
        raise CausalpostError(f"expected a causalpost Dataset, got {type(data).__name__}")
    if data.kind not in _HC_SCORES:
        raise CausalpostError("hill climbing needs all-continuous or all-discrete data")
    names = _HC_SCORES[data.kind]
    if score not in names:
        raise CausalpostError(f"score {score!r} is not available for {data.kind} data; "
                              f"choose from {sorted(names)}")
    with warnings.catch_warnings():  # pgmpy 1.x flags its own upcoming renames
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.causal_discovery import HillClimbSearch

        search = HillClimbSearch(scoring_method=names[score], max_indegree=max_parents,
                                 tabu_length=tabu_length, return_type="dag",
                                 show_progress=False)
        search.fit(data.to_pandas())
    index = {name: k for k, name in enumerate(data.names)}
    adjacency = np.zeros((data.n_nodes, data.n_nodes), dtype=np.uint8)
    for a, b in search.causal_graph_.edges():
        adjacency[index[a], index[b]] = 1
    return adjacency
