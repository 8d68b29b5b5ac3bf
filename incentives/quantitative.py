"""Quantitative incentives: maximum expected utility, value of information and of control.

The parameters are given separately from the CID, as :class:`DiscreteParams`
(conditional probability tables; solved with pgmpy's variable elimination)
or :class:`LinearGaussianParams` (linear-Gaussian with quadratic utilities;
solved in closed form).

* ``meu``: the maximum expected utility, by backward induction (sufficient
  recall; discrete diagrams without it are solved by enumerating policies).
* ``quantitative_voi(D, X)``: MEU with ``X -> D`` minus MEU without it.
* ``quantitative_voc(X)``: MEU when ``X`` is made a decision (its mechanism
  chosen by the agent as a function of its parents) minus MEU. For a utility
  node, the agent sets it to its largest value and optimises the rest.

Where the graphical criterion says no, these values are 0 for every
parameterisation (soundness); for single-decision diagrams, where it says yes,
some parameterisation makes them positive (completeness).

References
----------
Everitt et al. (2021). Agent Incentives: A Causal Perspective, definitions of
VoI and VoC. arXiv:2102.01685.
Howard (1966). Information Value Theory. IEEE Trans. Systems Science and Cybernetics 2(1).
"""

from __future__ import annotations

import numpy as np

from incentives.cid import CID
from incentives.discrete import DiscreteParams, solve_discrete
from incentives.errors import IncentiveError, ParameterError
from incentives.gaussian import LinearGaussianParams, Quadratic, solve_gaussian

__all__ = ["Params", "meu", "optimal_policy", "quantitative_voi", "quantitative_voc"]

Params = DiscreteParams | LinearGaussianParams


def _solve(cid: CID, params: Params) -> tuple[float, dict[str, object]]:
    if isinstance(params, DiscreteParams):
        return solve_discrete(cid, params)  # type: ignore[return-value]
    if isinstance(params, LinearGaussianParams):
        return solve_gaussian(cid, params)  # type: ignore[return-value]
    raise ParameterError(
        f"params must be DiscreteParams or LinearGaussianParams; got {type(params).__name__}"
    )


def meu(cid: CID, params: Params) -> float:
    """The maximum expected utility of ``cid`` under ``params``.

    Parameters
    ----------
    cid : CID
    params : DiscreteParams or LinearGaussianParams

    Returns
    -------
    float
        The expected sum of the utilities under an optimal policy.

    Raises
    ------
    ParameterError
        If ``params`` does not fit ``cid``, or the utility is unbounded.
    InsufficientRecallError
        For linear-Gaussian parameters without sufficient recall.

    References
    ----------
    Koller & Milch (2003). Multi-agent influence diagrams for representing and
    solving games. Games and Economic Behavior 45(1).

    Examples
    --------
    Guess a fair coin ``S`` after seeing it, or not:

    >>> cid = CID([("S", "D"), ("S", "U"), ("D", "U")], ["D"], ["U"])
    >>> params = DiscreteParams({"S": 2, "D": 2}, {"S": ((), [0.5, 0.5])},
    ...                         {"U": (("S", "D"), [[1, 0], [0, 1]])})
    >>> meu(cid, params), meu(cid.with_edges(remove=[("S", "D")]), params)
    (1.0, 0.5)
    """
    return _solve(cid, params)[0]


def optimal_policy(cid: CID, params: Params) -> dict[str, object]:
    """An optimal policy: per decision, a 0/1 table (discrete) or ``(offset, {parent: gain})``.

    Parameters
    ----------
    cid : CID
    params : DiscreteParams or LinearGaussianParams

    Returns
    -------
    dict
        Discrete: arrays of shape ``(cards[D], *cards[parents of D])``;
        linear-Gaussian: the affine rule ``D = offset + sum gain[P] * P``.

    Raises
    ------
    ParameterError, InsufficientRecallError
        As :func:`meu`.

    Examples
    --------
    Predict a noisy label ``Y = S + noise`` under squared loss: ``D = S``.

    >>> cid = CID([("S", "Y"), ("S", "D"), ("D", "U"), ("Y", "U")], ["D"], ["U"])
    >>> params = LinearGaussianParams({("S", "Y"): 1.0}, {"U": (("D", "Y"), [[-1, 1], [1, -1]])})
    >>> optimal_policy(cid, params)["D"]
    (0.0, {'S': 1.0})
    """
    return _solve(cid, params)[1]


def _copy_name(cid: CID, node: str) -> str:
    name = f"{node}'"
    while name in cid:
        name += "'"
    return name


def _observe_utility(cid: CID, params: Params, node: str, decision: str) -> tuple[CID, Params]:
    """The CID where ``decision`` observes a chance copy of utility ``node``'s value."""
    copy = _copy_name(cid, node)
    parents = cid.parents(node)
    edges = [*cid.edges, *((p, copy) for p in parents), (copy, decision)]
    new = CID(edges, cid.decisions, cid.utilities, nodes=(*cid.nodes, copy))
    if isinstance(params, DiscreteParams):
        table = params.utilities[node]
        levels, index = np.unique(table.values, return_inverse=True)
        onehot = np.moveaxis(np.eye(len(levels))[index.reshape(table.values.shape)], -1, 0)
        cards = {**params.cards, copy: len(levels)}
        cpds = {k: (t.parents, t.values) for k, t in params.cpds.items()}
        cpds[copy] = (table.parents, onehot)
        utils = {k: (t.parents, t.values) for k, t in params.utilities.items()}
        return new, DiscreteParams(cards, cpds, utils)
    spec = params.utilities[node]
    if np.any(spec.quad != 0):
        raise ParameterError(
            f"observing the quadratic utility {node!r} leaves the linear-Gaussian family"
        )
    weights = {**params.weights, **{(p, copy): w for p, w in zip(spec.parents, spec.lin)}}
    return new, LinearGaussianParams(
        weights,
        dict(params.utilities),
        {**params.intercepts, copy: spec.const},
        {**params.variances, copy: 0.0},
    )


def quantitative_voi(cid: CID, params: Params, decision: str, node: str) -> float:
    """Value of information of ``node`` for ``decision``: MEU with ``node -> decision`` - without.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    params : DiscreteParams or LinearGaussianParams
    decision : str
    node : str
        Not ``decision`` nor one of its descendants. A utility is observed
        through a chance copy of its value.

    Returns
    -------
    float
        Non-negative up to rounding.

    Raises
    ------
    IncentiveError
        If ``node`` is ``decision`` or a descendant of it.
    ParameterError, InsufficientRecallError
        As :func:`meu`.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective, Def. of VoI.
    arXiv:2102.01685.

    Examples
    --------
    >>> cid = CID([("S", "U"), ("D", "U")], ["D"], ["U"])
    >>> params = DiscreteParams({"S": 2, "D": 2}, {"S": ((), [0.5, 0.5])},
    ...                         {"U": (("S", "D"), [[1, 0], [0, 1]])})
    >>> quantitative_voi(cid, params, "D", "S")
    0.5
    """
    d = cid.nodes[cid.decision_index(decision)]
    if node == d or node in cid.descendants(d):
        raise IncentiveError(
            f"{node!r} is {d!r} or a descendant of it: it cannot be observed first"
        )
    cid.index_of(node)
    if node in cid.parents(d):
        return meu(cid, params) - meu(cid.with_edges(remove=[(node, d)]), params)
    if node in cid.utilities:
        seen, seen_params = _observe_utility(cid, params, node, d)
        return meu(seen, seen_params) - meu(cid, params)
    return meu(cid.with_edges(add=[(node, d)]), params) - meu(cid, params)


def _without_utility(cid: CID, params: Params, node: str) -> float:
    """MEU of the other utilities once ``node`` is fixed (0 if it was the only one)."""
    rest = [u for u in cid.utilities if u != node]
    if not rest:
        return 0.0
    smaller = CID(
        [e for e in cid.edges if e[1] != node],
        cid.decisions,
        rest,
        nodes=[v for v in cid.nodes if v != node],
    )
    if isinstance(params, DiscreteParams):
        cpds = {k: (t.parents, t.values) for k, t in params.cpds.items()}
        utils = {k: (t.parents, t.values) for k, t in params.utilities.items() if k != node}
        return meu(smaller, DiscreteParams(params.cards, cpds, utils))
    utils_g = {k: v for k, v in params.utilities.items() if k != node}
    weights = {e: w for e, w in params.weights.items() if e[1] != node}
    return meu(smaller, LinearGaussianParams(weights, utils_g, params.intercepts, params.variances))


def quantitative_voc(cid: CID, params: Params, node: str) -> float:
    """Value of control of ``node``: MEU when ``node`` is made a decision minus MEU.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    params : DiscreteParams or LinearGaussianParams
    node : str
        A chance node (made a decision observing its parents), a utility (set
        to its largest value), or a decision (value 0). Utility tables are
        deterministic, so a utility fixed by decisions alone can have VoC 0
        even though the criterion (which allows random utilities) says yes.

    Returns
    -------
    float
        Non-negative up to rounding; ``inf`` for a linear-Gaussian utility
        that is unbounded above.

    Raises
    ------
    ParameterError, InsufficientRecallError
        As :func:`meu`.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective, Def. of VoC.
    arXiv:2102.01685.

    Examples
    --------
    >>> cid = CID([("S", "U"), ("D", "U")], ["D"], ["U"])
    >>> params = DiscreteParams({"S": 2, "D": 2}, {"S": ((), [0.5, 0.5])},
    ...                         {"U": (("S", "D"), [[1, 0], [0, 1]])})
    >>> quantitative_voc(cid, params, "S")
    0.5
    """
    role = cid.role(node)
    if role == "decision":
        return 0.0
    base = meu(cid, params)
    if role == "utility":
        if isinstance(params, DiscreteParams):
            best = float(np.max(params.utilities[node].values))
        else:
            best = Quadratic.supremum(params.utilities[node])
        return best + _without_utility(cid, params, node) - base
    return meu(cid.with_roles((*cid.decisions, node), cid.utilities), params) - base
