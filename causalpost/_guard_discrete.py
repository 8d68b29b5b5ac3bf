"""P(harm | do(action), given) in a discrete Bayesian network, exactly, batched over draws.

For one graph and all of its parameter draws at once: the action removes the
factors of the action nodes and fixes their value in their children's tables
(the mutilated network); the context fixes the given nodes; only the
ancestors of the harm and given nodes in the mutilated graph matter (the rest
sum to one). The product of the remaining conditional probability tables is
contracted by ``numpy.einsum`` with a leading draws axis (its contraction
order is variable elimination), giving ``P(H, Z = z | do(a))`` per draw,
then normalised over ``H``.

The context is conditioned on in the mutilated network, so a given node must
not be a descendant of an action node unless it is observed after the action
(``observed="after"``): a context observed *before* the action that the
action then changes is a counterfactual, which the tables alone do not
identify. :func:`check_before` says so.

References
----------
Pearl, J. (2009). Causality, 2nd ed., section 3.2.1 (the truncated
factorisation). Cambridge University Press. doi:10.1017/CBO9780511803161
Koller, D. & Friedman, N. (2009). Probabilistic Graphical Models, chapter 9
(variable elimination). MIT Press.
"""

from __future__ import annotations

from string import ascii_letters
from typing import Any

import numpy as np

from causalpost._guard_parse import Harm
from causalpost.errors import CausalpostError
from causalpost.graphs import transitive_closure
from causalpost.scores.draws import DiscreteDraws

__all__ = ["check_before", "discrete_probabilities"]


def check_before(graphs: np.ndarray, probs: np.ndarray, nodes, action_nodes, given) -> None:
    """Raise when a given node is a descendant of an action node in some graph."""
    if not given:
        return
    reach = transitive_closure(graphs).astype(bool)  # (n_graphs, d, d)
    for z in given:
        hit = reach[:, list(action_nodes), z].any(axis=1) & (probs > 0)
        if hit.any():
            raise CausalpostError(
                f"given node {nodes[z]!r} is a descendant of the action in graphs of posterior "
                f"mass {probs[hit].sum():.3g}: a context observed before the action would be a "
                "counterfactual, not identified by discrete tables; use observed='after' "
                "(--observed after), or tiers that put it before the action")


def discrete_probabilities(
    parameters: DiscreteDraws,
    adjacency: np.ndarray,
    draws: np.ndarray,
    action_nodes: tuple[int, ...],
    action_values: np.ndarray,
    harm: Harm,
    given: dict[int, float],
) -> np.ndarray:
    """Harm probability of each of one graph's draws and each action row, (len(draws), n_rows)."""
    d = adjacency.shape[0]
    cut = adjacency.astype(bool).copy()
    cut[:, list(action_nodes)] = False
    keep = [harm.node, *given]
    reach = transitive_closure(cut).astype(bool)
    relevant = [j for j in range(d) if j in keep or reach[j, keep].any()]
    if len(relevant) >= len(ascii_letters):
        raise CausalpostError(f"the harm query involves {len(relevant)} nodes; at most "
                              f"{len(ascii_letters) - 1} are supported")
    letter = {j: ascii_letters[k] for k, j in enumerate(relevant)}
    batch = ascii_letters[len(relevant)]
    mask = np.zeros(parameters.arity(harm.node))
    mask[list(harm.levels or ())] = 1.0
    out = np.empty((draws.size, action_values.shape[0]))
    for r, row in enumerate(action_values):
        fixed = dict(zip(action_nodes, row.astype(int)))
        fixed.update({z: int(v) for z, v in given.items()})
        operands, subscripts = [], []
        for j in relevant:
            if j in action_nodes:
                continue
            table, labels = _factor(parameters, adjacency, draws, j, fixed, letter)
            operands.append(table)
            subscripts.append(batch + labels)
        spec = ",".join(subscripts) + "->" + batch + letter[harm.node]
        joint = np.einsum(spec, *operands, optimize="greedy")
        out[:, r] = (joint @ mask) / joint.sum(axis=1)
    return out


def _factor(parameters: DiscreteDraws, adjacency, draws, j, fixed, letter):
    """Node j's table over (draw, parents ascending..., j), fixed nodes sliced out."""
    parents = np.flatnonzero(adjacency[:, j])
    table = parameters.table(j, parents, draws)
    index: list[Any] = [slice(None)]
    labels = ""
    for node in [*parents.tolist(), j]:
        if node in fixed:
            index.append(fixed[node])
        else:
            index.append(slice(None))
            labels += letter[node]
    return table[tuple(index)], labels
