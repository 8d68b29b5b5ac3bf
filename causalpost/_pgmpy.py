"""Adapter to pgmpy: the one module that builds pgmpy objects.

Kept apart so a rename in pgmpy touches one file (pycid pinned itself to an
old pgmpy by subclassing its model class; we only construct its objects).
"""

from __future__ import annotations

import warnings

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError

__all__ = ["hill_climb", "to_pgmpy"]

# our score names -> pgmpy's, by data kind
_HC_SCORES = {
    "continuous": {"bic": "bic-g", "aic": "aic-g", "ll": "ll-g"},
    "discrete": {"bic": "bic-d", "aic": "aic-d", "bdeu": "bdeu", "k2": "k2", "bds": "bds"},
}


def to_pgmpy(posterior, i: int):
    """Draw ``i`` of a posterior as a pgmpy network with its parameter draw."""
    if "weights" in posterior.params:
        return _linear_gaussian(posterior, i)
    if any(k.startswith("cpt_") for k in posterior.params):
        return _discrete(posterior, i)
    raise CausalpostError("this posterior carries no parameters to build a pgmpy model from")


def _edges(posterior, i: int) -> list[tuple[str, str]]:
    nodes = posterior.nodes
    return [(nodes[a], nodes[b]) for a, b in np.argwhere(posterior.adjacency[i])]


def _linear_gaussian(posterior, i: int):
    from pgmpy.factors.continuous import LinearGaussianCPD
    from pgmpy.models import LinearGaussianBayesianNetwork

    model = LinearGaussianBayesianNetwork(_edges(posterior, i))
    model.add_nodes_from(posterior.nodes)
    weights = posterior.params["weights"][i]
    cpds = []
    for j, name in enumerate(posterior.nodes):
        parents = np.flatnonzero(posterior.adjacency[i][:, j])
        beta = [float(posterior.params["intercept"][i, j])]
        beta += [float(weights[p, j]) for p in parents]
        std = float(np.sqrt(posterior.params["noise_var"][i, j]))
        cpds.append(LinearGaussianCPD(name, beta, std, [posterior.nodes[p] for p in parents]))
    model.add_cpds(*cpds)
    return model


def _discrete(posterior, i: int):
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    levels = posterior.info.get("levels")
    if not levels:
        raise CausalpostError("the posterior does not record the discrete levels of its nodes")
    model = DiscreteBayesianNetwork(_edges(posterior, i))
    model.add_nodes_from(posterior.nodes)
    cpds = []
    for j, name in enumerate(posterior.nodes):
        parents = np.flatnonzero(posterior.adjacency[i][:, j])
        cards = [len(levels[p]) for p in parents]
        n_configs = int(np.prod(cards)) if cards else 1
        table = posterior.params[f"cpt_{j}"][i, :n_configs, :]
        cpds.append(TabularCPD(
            name, len(levels[j]), table.T,
            evidence=[posterior.nodes[p] for p in parents] or None,
            evidence_card=cards or None,
            state_names={posterior.nodes[k]: list(levels[k]) for k in [j, *parents]},
        ))
    model.add_cpds(*cpds)
    return model


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
