"""Discrete CIDs: conditional probability tables, and maximum expected utility.

Every chance and decision node takes ``cards[node]`` states ``0, 1, ...``.
A chance node has a table ``P(node | parents)``; a utility node a table of
real values over its parents' states. Decisions get no table: the solver
chooses them. With sufficient recall the optimal policy comes from backward
induction along the relevance graph, each decision's best response computed
by pgmpy's variable elimination (wrapped here, and only here); without it,
every deterministic joint policy is enumerated (small diagrams only).

References
----------
Koller & Milch (2003). Multi-agent influence diagrams for representing and
solving games. Games and Economic Behavior 45(1).
Lauritzen & Nilsson (2001). Representing and Solving Decision Problems with
Limited Information. Management Science 47(9).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from incentives.cid import CID
from incentives.errors import ParameterError
from incentives.recall import solve_order

__all__ = ["DiscreteParams", "Table"]

_MAX_POLICIES = 1 << 16
_MAX_JOINT = 1 << 20


def _table(values: ArrayLike, shape: tuple[int, ...], what: str) -> np.ndarray:
    arr = np.array(values, dtype=float)
    if arr.size == int(np.prod(shape)) and arr.shape != shape:
        arr = arr.reshape(shape)  # pgmpy-style 2-D (card, prod(parent cards)) tables
    if arr.shape != shape:
        raise ParameterError(f"{what} has shape {arr.shape}; expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{what} has non-finite entries")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class Table:
    """A table over ``parents``: a conditional distribution or utility values."""

    parents: tuple[str, ...]
    values: np.ndarray


@dataclass(frozen=True, init=False)
class DiscreteParams:
    """Parameters of a discrete CID, given separately from its graph.

    Parameters
    ----------
    cards : mapping of str to int
        Number of states of every chance and decision node.
    cpds : mapping of str to (parents, array)
        For every chance node, its parents and ``P(node | parents)`` as an array
        of shape ``(cards[node], *cards[parents])`` (or pgmpy's 2-D layout).
    utilities : mapping of str to (parents, array)
        For every utility node, its parents and its values, shape ``cards[parents]``.

    Raises
    ------
    ParameterError
        On a wrong shape, a negative or non-finite entry, or a column of a
        conditional table that does not sum to 1.

    Examples
    --------
    >>> params = DiscreteParams(
    ...     cards={"S": 2, "D": 2},
    ...     cpds={"S": ((), [0.3, 0.7])},
    ...     utilities={"U": (("S", "D"), [[1.0, 0.0], [0.0, 1.0]])},
    ... )
    >>> params.cpds["S"].parents, params.cpds["S"].values
    ((), array([0.3, 0.7]))
    """

    cards: Mapping[str, int]
    cpds: Mapping[str, Table]
    utilities: Mapping[str, Table]

    def __init__(
        self,
        cards: Mapping[str, int],
        cpds: Mapping[str, tuple[Sequence[str], ArrayLike]],
        utilities: Mapping[str, tuple[Sequence[str], ArrayLike]],
    ) -> None:
        card = {}
        for node, k in cards.items():
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
                raise ParameterError(f"cards[{node!r}] must be a positive integer; got {k!r}")
            card[node] = int(k)

        def size(nodes: Sequence[str], what: str) -> tuple[int, ...]:
            missing = [v for v in nodes if v not in card]
            if missing:
                raise ParameterError(f"{what} needs cards[{missing[0]!r}]")
            return tuple(card[v] for v in nodes)

        tables = {}
        for node, (parents, values) in cpds.items():
            parents = tuple(parents)
            what = f"the table of {node!r}"
            arr = _table(values, size((node, *parents), what), what)
            if np.any(arr < 0) or not np.allclose(arr.sum(axis=0), 1.0, atol=1e-6):
                raise ParameterError(f"{what} must be non-negative with columns summing to 1")
            tables[node] = Table(parents, arr)
        utils = {}
        for node, (parents, values) in utilities.items():
            parents = tuple(parents)
            what = f"the utility table of {node!r}"
            utils[node] = Table(parents, _table(values, size(parents, what), what))
        object.__setattr__(self, "cards", MappingProxyType(card))
        object.__setattr__(self, "cpds", MappingProxyType(tables))
        object.__setattr__(self, "utilities", MappingProxyType(utils))

    @classmethod
    def from_pgmpy(
        cls,
        cpds: Iterable[Any],
        utilities: Mapping[str, tuple[Sequence[str], ArrayLike]],
        decision_cards: Mapping[str, int],
    ) -> DiscreteParams:
        """From pgmpy ``TabularCPD`` objects (chance nodes), utility tables and decision sizes.

        Parameters
        ----------
        cpds : iterable of pgmpy.factors.discrete.TabularCPD
        utilities : mapping of str to (parents, array)
        decision_cards : mapping of str to int

        Returns
        -------
        DiscreteParams
        """
        cards = dict(decision_cards)
        tables = {}
        for cpd in cpds:
            cards.update(zip(cpd.variables, (int(c) for c in cpd.cardinality)))
            tables[cpd.variable] = (tuple(cpd.variables[1:]), cpd.values)
        return cls(cards, tables, utilities)


# -- alignment with a CID -------------------------------------------------------------


def _aligned(
    cid: CID, params: DiscreteParams
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Chance tables with axes ``(node, *parents)``, utility tables with ``parents``.

    Parents are in the CID's order.
    """
    cards = params.cards
    for node in (*cid.chance, *cid.decisions):
        if node not in cards:
            raise ParameterError(f"no number of states (cards) for node {node!r}")
    known = set(cid.nodes)
    for node in (*params.cpds, *params.utilities):
        if node not in known:
            raise ParameterError(f"parameters given for {node!r}, which is not a node of the CID")

    def align(node: str, table: Table | None, lead: tuple[str, ...], what: str) -> np.ndarray:
        if table is None:
            raise ParameterError(f"no {what} for {node!r}")
        want = cid.parents(node)
        if set(table.parents) != set(want) or len(table.parents) != len(want):
            raise ParameterError(
                f"the {what} of {node!r} is over {list(table.parents)}; "
                f"its parents are {list(want)}"
            )
        axes = (*lead, *table.parents)
        order = [axes.index(v) for v in (*lead, *want)]
        return np.transpose(table.values, order)

    chance = {v: align(v, params.cpds.get(v), (v,), "table") for v in cid.chance}
    utils = {u: align(u, params.utilities.get(u), (), "utility table") for u in cid.utilities}
    return chance, utils


# -- pgmpy adapter --------------------------------------------------------------------


def _pgmpy() -> tuple[Any, Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pgmpy's deprecated submodules
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork
    return DiscreteBayesianNetwork, TabularCPD, VariableElimination


class _Engine:
    """Joint marginals of a discrete CID's chance and decision nodes under given policies."""

    def __init__(self, cid: CID, chance: dict[str, np.ndarray], cards: Mapping[str, int]) -> None:
        self.cid, self.chance, self.cards = cid, chance, cards
        self.safe = {v: f"n{i}" for i, v in enumerate(cid.nodes)}  # pgmpy-proof names

    def inference(self, policies: Mapping[str, np.ndarray]) -> Any:
        network, tabular, elimination = _pgmpy()
        cid, safe = self.cid, self.safe
        nodes = [v for v in cid.nodes if v not in cid.utilities]
        bn = network()
        bn.add_nodes_from([safe[v] for v in nodes])
        bn.add_edges_from([(safe[a], safe[b]) for a, b in cid.edges if b not in cid.utilities])
        for v in nodes:
            values = self.chance[v] if v in self.chance else policies[v]
            parents = cid.parents(v)
            bn.add_cpds(
                tabular(
                    safe[v],
                    self.cards[v],
                    values.reshape(self.cards[v], -1),
                    evidence=[safe[p] for p in parents] or None,
                    evidence_card=[self.cards[p] for p in parents] or None,
                )
            )
        return elimination(bn)

    def joint(self, ve: Any, nodes: Sequence[str]) -> np.ndarray:
        """``P(nodes)`` as an array with axes in the order of ``nodes`` (distinct)."""
        if not nodes:
            return np.ones(())
        factor = ve.query([self.safe[v] for v in nodes], joint=True, show_progress=False)
        back = {s: v for v, s in self.safe.items()}
        got = [back[s] for s in factor.variables]
        return np.transpose(factor.values, [got.index(v) for v in nodes])


def _contract(
    joint: np.ndarray,
    axes: Sequence[str],
    utility: np.ndarray,
    uaxes: Sequence[str],
    keep: Sequence[str],
) -> np.ndarray:
    label = {v: i for i, v in enumerate(dict.fromkeys((*axes, *uaxes, *keep)))}
    return np.einsum(
        joint,
        [label[v] for v in axes],
        utility,
        [label[v] for v in uaxes],
        [label[v] for v in keep],
    )


def solve_discrete(cid: CID, params: DiscreteParams) -> tuple[float, dict[str, np.ndarray]]:
    """Maximum expected utility and an optimal deterministic policy per decision.

    Policies are arrays of shape ``(cards[D], *cards[parents of D])`` holding 0/1.
    """
    chance, utils = _aligned(cid, params)
    cards = params.cards
    order = solve_order(cid)
    if order is None:
        return _brute_force(cid, chance, utils, cards)
    engine = _Engine(cid, chance, cards)
    policies = {
        d: np.full((cards[d], *(cards[p] for p in cid.parents(d))), 1.0 / cards[d])
        for d in cid.decisions
    }
    for d in order:
        pa = cid.parents(d)
        ve = engine.inference(policies)  # d is still uniform here
        q = np.zeros(tuple(cards[p] for p in pa) + (cards[d],))
        for u in sorted(cid.descendants(d) & set(cid.utilities)):
            nodes = list(dict.fromkeys((*pa, d, *cid.parents(u))))
            q += _contract(engine.joint(ve, nodes), nodes, utils[u], cid.parents(u), (*pa, d))
        best = np.argmax(q, axis=-1)  # ties: the lowest state
        policy = np.moveaxis(np.eye(cards[d])[best], -1, 0)
        policies[d] = policy
    ve = engine.inference(policies)
    value = 0.0
    for u in cid.utilities:
        pa = cid.parents(u)
        value += float(_contract(engine.joint(ve, pa), pa, utils[u], pa, ()))
    return value, policies


def _brute_force(
    cid: CID, chance: dict[str, np.ndarray], utils: dict[str, np.ndarray], cards: Mapping[str, int]
) -> tuple[float, dict[str, np.ndarray]]:
    """Enumerate every deterministic joint policy (diagrams without sufficient recall)."""
    nodes = [v for v in cid.nodes if v not in cid.utilities]
    pos = {v: i for i, v in enumerate(nodes)}
    shape = tuple(cards[v] for v in nodes)
    if int(np.prod(shape)) > _MAX_JOINT:
        raise ParameterError("diagram too large to solve without sufficient recall")

    def spread(arr: np.ndarray, axes: Sequence[str]) -> np.ndarray:
        order = np.argsort([pos[v] for v in axes])
        out = np.transpose(arr, order) if len(axes) else arr
        sorted_axes = [axes[i] for i in order]
        return out.reshape([cards[v] if v in sorted_axes else 1 for v in nodes])

    weight = np.ones(shape)
    for v, arr in chance.items():
        weight = weight * spread(arr, (v, *cid.parents(v)))
    total = np.zeros(shape)
    for u, arr in utils.items():
        total = total + spread(arr, cid.parents(u))
    weight = weight * total
    rules = {}
    for d in cid.decisions:
        pa_shape = tuple(cards[p] for p in cid.parents(d))
        rules[d] = list(itertools.product(range(cards[d]), repeat=int(np.prod(pa_shape))))
    if int(np.prod([len(r) for r in rules.values()])) > _MAX_POLICIES:
        raise ParameterError("too many joint policies to enumerate without sufficient recall")
    best_value, best = -np.inf, {}
    for combo in itertools.product(*rules.values()):
        value = weight
        policies = {}
        for d, rule in zip(cid.decisions, combo):
            pa_shape = tuple(cards[p] for p in cid.parents(d))
            policy = np.moveaxis(np.eye(cards[d])[np.reshape(rule, pa_shape)], -1, 0)
            policies[d] = policy
            value = value * spread(policy, (d, *cid.parents(d)))
        total_value = float(value.sum())
        if total_value > best_value + 1e-12:
            best_value, best = total_value, policies
    return best_value, best
