"""Adapter to pgmpy: the one module that builds pgmpy objects.

Kept apart so a rename in pgmpy touches one file (pycid pinned itself to an
old pgmpy by subclassing its model class; we only construct its objects).
"""

from __future__ import annotations

import numpy as np

from causalpost.errors import CausalpostError

__all__ = ["to_pgmpy"]


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
