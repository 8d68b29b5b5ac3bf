"""Quantitative MEU, VoI and VoC: hand-computed values, and agreement with the graph criteria."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from inc_helpers import cids, random_discrete_params
from scipy.optimize import minimize

from incentives import (
    CID,
    DiscreteParams,
    InsufficientRecallError,
    LinearGaussianParams,
    ParameterError,
    admits_voc,
    admits_voi,
    meu,
    optimal_policy,
    quantitative_voc,
    quantitative_voi,
    sufficient_recall,
)
from incentives.discrete import _aligned, _brute_force, solve_discrete
from incentives.gaussian import _Model

TOL = 1e-9

# -- introduced bias with pycid's parameters, solved by hand -------------------------
# A, Z fair coins; X = A*Z; Y = X + Z; D in {0, 1} sees X; U = -(D - Y)^2.
# P(X=0) = 3/4 and then Y = 1 w.p. 1/3, so D = 0 costs 1/3; X = 1 means Y = 2,
# D = 1 costs 1: MEU = -3/4 * 1/3 - 1/4 = -1/2.
BIAS = CID(
    [("A", "X"), ("Z", "X"), ("Z", "Y"), ("X", "D"), ("X", "Y"), ("D", "U"), ("Y", "U")],
    ["D"],
    ["U"],
)


def _bias_params() -> DiscreteParams:
    x = np.zeros((2, 2, 2))
    y = np.zeros((3, 2, 2))
    for a in range(2):
        for z in range(2):
            x[a * z, a, z] = 1  # X = A * Z
            y[a + z, a, z] = 1  # Y = X + Z (here a plays X)
    u = np.array([[-((d - yv) ** 2) for yv in range(3)] for d in range(2)], dtype=float)
    return DiscreteParams(
        {"A": 2, "Z": 2, "X": 2, "Y": 3, "D": 2},
        {"A": ((), [0.5, 0.5]), "Z": ((), [0.5, 0.5]), "X": (("A", "Z"), x), "Y": (("X", "Z"), y)},
        {"U": (("D", "Y"), u)},
    )


def test_introduced_bias_by_hand() -> None:
    p = _bias_params()
    assert meu(BIAS, p) == pytest.approx(-0.5)
    np.testing.assert_array_equal(optimal_policy(BIAS, p)["D"], np.eye(2))  # D = X
    # Observing Z (or Y) as well leaves only Y = 2 (prob 1/4) mispredicted: -1/4.
    assert quantitative_voi(BIAS, p, "D", "Z") == pytest.approx(0.25)
    assert quantitative_voi(BIAS, p, "D", "Y") == pytest.approx(0.25)
    # Blind, D = 1 is best: -(1/2 * 1 + 1/4 * 1) = -3/4, so X is worth 1/4.
    assert quantitative_voi(BIAS, p, "D", "X") == pytest.approx(0.25)
    # The criterion allows VoI for A, but with D in {0, 1} these tables give none:
    # given X = 0, D = 0 stays best whether or not A is known.
    assert admits_voi(BIAS, "D", "A")
    assert quantitative_voi(BIAS, p, "D", "A") == pytest.approx(0.0, abs=TOL)
    # Control: Z := 0 gives Y = 0 = D; X := 1 - Z gives Y = 1 = D; Y := 0 = D; U := 0.
    for node in ("Z", "X", "Y", "U"):
        assert quantitative_voc(BIAS, p, node) == pytest.approx(0.5)
    # A alone cannot help: A = 0 leaves Y = Z unseen, A = 1 leaves Y = 2 at Z = 1.
    assert quantitative_voc(BIAS, p, "A") == pytest.approx(0.0, abs=TOL)
    assert quantitative_voc(BIAS, p, "D") == 0.0


def test_from_pgmpy_and_parent_order() -> None:
    from incentives.discrete import _pgmpy

    _, tabular, _ = _pgmpy()
    p = _bias_params()
    # X's table given over (Z, A) instead of (A, Z): the same by symmetry of A*Z,
    # so use Y's table over (Z, X), which is not symmetric in shape.
    y = np.transpose(p.cpds["Y"].values, (0, 2, 1))
    cpds = [
        tabular("A", 2, [[0.5], [0.5]]),
        tabular("Z", 2, [[0.5], [0.5]]),
        tabular(
            "X", 2, p.cpds["X"].values.reshape(2, 4), evidence=["A", "Z"], evidence_card=[2, 2]
        ),
        tabular("Y", 3, y.reshape(3, 4), evidence=["Z", "X"], evidence_card=[2, 2]),
    ]
    utils = {"U": (("Y", "D"), p.utilities["U"].values.T)}
    q = DiscreteParams.from_pgmpy(cpds, utils, {"D": 2})
    assert meu(BIAS, q) == pytest.approx(-0.5)
    assert quantitative_voi(BIAS, q, "D", "Z") == pytest.approx(0.25)


def test_discrete_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="columns summing to 1"):
        DiscreteParams({"S": 2}, {"S": ((), [0.5, 0.6])}, {})
    with pytest.raises(ParameterError, match="shape"):
        DiscreteParams({"S": 2}, {"S": ((), [0.2, 0.3, 0.5])}, {})
    with pytest.raises(ParameterError, match="needs cards\\['D'\\]"):
        DiscreteParams({"S": 2}, {}, {"U": (("S", "D"), np.zeros((2, 2)))})
    cid = CID([("S", "U"), ("D", "U")], ["D"], ["U"])
    with pytest.raises(ParameterError, match="no table for 'S'"):
        meu(cid, DiscreteParams({"S": 2, "D": 2}, {}, {"U": (("S", "D"), np.zeros((2, 2)))}))
    wrong = DiscreteParams({"S": 2, "D": 2}, {"S": ((), [1, 0])}, {"U": (("S",), np.zeros(2))})
    with pytest.raises(ParameterError, match="its parents are \\['S', 'D'\\]"):
        meu(cid, wrong)
    with pytest.raises(ParameterError, match="must be DiscreteParams"):
        meu(cid, {"S": 1})  # type: ignore[arg-type]


def test_voi_of_descendant_is_refused() -> None:
    p = _bias_params()
    with pytest.raises(ValueError, match="descendant"):
        quantitative_voi(BIAS, p, "D", "U")


def test_insufficient_recall_solved_by_enumeration() -> None:
    # Two forgetful decisions must match each other: U = 1 iff D1 == D2.
    cid = CID([("D1", "U"), ("D2", "U")], ["D1", "D2"], ["U"])
    assert not sufficient_recall(cid)
    p = DiscreteParams({"D1": 2, "D2": 2}, {}, {"U": (("D1", "D2"), np.eye(2))})
    assert meu(cid, p) == pytest.approx(1.0)


# -- linear-Gaussian ------------------------------------------------------------------
# S ~ N(0, 1), Y = S + N(0, 1/2), D sees S, U = -(D - Y)^2: D = S, MEU = -1/2;
# blind, D = 0 and MEU = -Var(Y) = -3/2; seeing Y itself, MEU = 0.
LABEL = CID([("S", "Y"), ("S", "D"), ("D", "U"), ("Y", "U")], ["D"], ["U"])
SQUARED = {"U": (("D", "Y"), [[-1, 1], [1, -1]])}


def test_gaussian_by_hand() -> None:
    g = LinearGaussianParams({("S", "Y"): 1.0}, SQUARED, variances={"Y": 0.5})
    assert meu(LABEL, g) == pytest.approx(-0.5)
    offset, gains = optimal_policy(LABEL, g)["D"]
    assert offset == pytest.approx(0.0, abs=TOL) and gains["S"] == pytest.approx(1.0)
    assert quantitative_voi(LABEL, g, "D", "S") == pytest.approx(1.0)
    assert quantitative_voi(LABEL, g, "D", "Y") == pytest.approx(0.5)
    # controlling the label Y (a static team with D): Y := S = D, MEU 0
    assert quantitative_voc(LABEL, g, "Y") == pytest.approx(0.5)
    assert quantitative_voc(LABEL, g, "S") == pytest.approx(0.0, abs=TOL)
    assert quantitative_voc(LABEL, g, "U") == pytest.approx(0.5)  # sup of -(D - Y)^2 is 0


def test_gaussian_errors() -> None:
    linear = LinearGaussianParams({("S", "Y"): 1.0}, {"U": (("D", "Y"), None, [1.0, 0.0])})
    with pytest.raises(ParameterError, match="unbounded in decision 'D'"):
        meu(LABEL, linear)
    with pytest.raises(ParameterError, match="no weight for the edge 'S' -> 'Y'"):
        meu(LABEL, LinearGaussianParams({}, SQUARED))
    with pytest.raises(ParameterError, match="not an edge"):
        meu(LABEL, LinearGaussianParams({("S", "Y"): 1.0, ("Y", "S"): 1.0}, SQUARED))
    with pytest.raises(ParameterError, match="negative"):
        LinearGaussianParams({}, SQUARED, variances={"Y": -1.0})
    forgetful = CID([("S", "D2"), ("D1", "S"), ("D1", "U"), ("D2", "U")], ["D1", "D2"], ["U"])
    g = LinearGaussianParams({("D1", "S"): 1.0}, {"U": (("D1", "D2"), -np.eye(2))})
    assert not sufficient_recall(forgetful)
    with pytest.raises(InsufficientRecallError):
        meu(forgetful, g)


def _sequential() -> tuple[CID, LinearGaussianParams]:
    """Two decisions, the second remembering the first and seeing a noisy result of it."""
    cid = CID(
        [
            ("S", "D1"),
            ("S", "X"),
            ("D1", "X"),
            ("X", "D2"),
            ("S", "D2"),
            ("D1", "D2"),
            ("D2", "U"),
            ("X", "U"),
            ("S", "U"),
            ("D1", "U"),
        ],
        ["D1", "D2"],
        ["U"],
    )
    quad = -np.array(
        [[1.0, 0.3, -0.5, 0.1], [0.3, 2.0, 0.2, 0.0], [-0.5, 0.2, 1.5, 0.4], [0.1, 0.0, 0.4, 1.0]]
    )
    g = LinearGaussianParams(
        {("S", "X"): 0.7, ("D1", "X"): -1.2},
        {"U": (("D2", "X", "S", "D1"), quad, [0.5, -1.0, 0.3, 2.0], 1.0)},
        intercepts={"S": 0.4, "X": -0.3},
        variances={"S": 2.0, "X": 0.5},
    )
    return cid, g


def test_gaussian_expected_utility_matches_monte_carlo() -> None:
    cid, g = _sequential()
    model = _Model(cid, g)
    for d in ("D2", "D1"):
        model.best_response(d)
    exact = model.expected_utility()
    rng = np.random.default_rng(0)
    m, cov, _ = model.moments()
    x = rng.multivariate_normal(m, cov, size=400_000, method="eigh")
    u = model.c0 + x @ model.b + np.einsum("ni,ij,nj->n", x, model.A, x)
    assert exact == pytest.approx(u.mean(), abs=4 * u.std() / np.sqrt(len(u)))
    assert exact == pytest.approx(meu(cid, g))


def test_gaussian_policy_is_optimal_among_affine_rules() -> None:
    cid, g = _sequential()
    best = meu(cid, g)
    model = _Model(cid, g)
    slots = [(model.pos[p], model.pos[d]) for d in cid.decisions for p in cid.parents(d)]
    offsets = [model.pos[d] for d in cid.decisions]
    model.var[offsets] = 0.0  # deterministic rules

    def negative_eu(theta: np.ndarray) -> float:
        for k, (i, j) in enumerate(slots):
            model.B[i, j] = theta[k]
        for k, j in enumerate(offsets):
            model.c[j] = theta[len(slots) + k]
        return -model.expected_utility()

    found = minimize(negative_eu, np.zeros(len(slots) + len(offsets)), method="BFGS")
    assert -found.fun == pytest.approx(best, rel=1e-6, abs=1e-8)


# -- agreement with the graph criteria on random diagrams ----------------------------

QUICK = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@QUICK
@given(cid=cids(max_nodes=5, max_decisions=2), seed=st.integers(0, 2**32 - 1))
def test_backward_induction_matches_enumeration(cid: CID, seed: int) -> None:
    assume(sufficient_recall(cid))
    p = random_discrete_params(cid, np.random.default_rng(seed))
    chance, utils = _aligned(cid, p)
    try:
        expected, _ = _brute_force(cid, chance, utils, p.cards)
    except ParameterError:  # too many joint policies to enumerate
        assume(False)
    assert solve_discrete(cid, p)[0] == pytest.approx(expected, abs=1e-9)


def _voc_or_skip(cid: CID, p: DiscreteParams, x: str) -> float | None:
    try:
        return quantitative_voc(cid, p, x)
    except ParameterError as exc:  # too many joint policies to enumerate
        assert "too many" in str(exc)
        return None


@QUICK
@given(cid=cids(max_nodes=5, max_decisions=2), seed=st.integers(0, 2**32 - 1))
def test_no_graphical_incentive_means_zero_value(cid: CID, seed: int) -> None:
    assume(sufficient_recall(cid))
    p = random_discrete_params(cid, np.random.default_rng(seed))
    for d in cid.decisions:
        for x in cid.nodes:
            if x == d or x in cid.descendants(d):
                continue
            value = quantitative_voi(cid, p, d, x)
            assert value >= -TOL
            if not admits_voi(cid, d, x):
                assert value == pytest.approx(0.0, abs=TOL), (d, x)
    for x in cid.nodes:
        value = _voc_or_skip(cid, p, x)
        if value is not None:
            assert value >= -TOL
            if not admits_voc(cid, x):
                assert value == pytest.approx(0.0, abs=TOL), x


def _positive_somewhere(value_of, seed: int, tries: int) -> bool:
    rng = np.random.default_rng(seed)
    return any(value_of(rng) > 1e-7 for _ in range(tries))


@QUICK
@given(cid=cids(max_nodes=5, max_decisions=1), seed=st.integers(0, 2**32 - 1))
def test_graphical_incentive_means_positive_value_somewhere(cid: CID, seed: int) -> None:
    (d,) = cid.decisions
    for x in cid.nodes:
        if x != d and x not in cid.descendants(d) and admits_voi(cid, d, x):
            assert _positive_somewhere(
                lambda rng, x=x: quantitative_voi(cid, random_discrete_params(cid, rng), d, x),
                seed,
                40,
            ), x
        if admits_voc(cid, x) and not set(cid.parents(x)) <= set(cid.decisions):
            # (a deterministic utility table over the decision alone already attains its
            # maximum, so controlling it is worth nothing: skip those)
            p0 = random_discrete_params(cid, np.random.default_rng(seed))
            if _voc_or_skip(cid, p0, x) is None:
                continue
            assert _positive_somewhere(
                lambda rng, x=x: quantitative_voc(cid, random_discrete_params(cid, rng), x),
                seed,
                40,
            ), x


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(cid=cids(max_nodes=6, max_decisions=1), seed=st.integers(0, 2**32 - 1))
def test_graphical_incentive_means_positive_value_somewhere_slow(cid: CID, seed: int) -> None:
    test_graphical_incentive_means_positive_value_somewhere.hypothesis.inner_test(cid, seed)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(cid=cids(max_nodes=6, max_decisions=3), seed=st.integers(0, 2**32 - 1))
def test_no_graphical_incentive_means_zero_value_slow(cid: CID, seed: int) -> None:
    test_no_graphical_incentive_means_zero_value.hypothesis.inner_test(cid, seed)
