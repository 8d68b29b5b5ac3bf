"""The harm guard against closed forms, brute-force enumeration and pgmpy."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy.stats import norm

import causalpost as cp
from causalpost import Posterior
from causalpost.guard import credible_size, guard
from tests.conftest import discrete_frame

# X -> Y -> Z with these coefficients and noise standard deviations
B_XY, B_YZ, SD_X, SD_Y, SD_Z = 0.8, 0.9, 1.0, 0.6, 0.5
CHAINS = {  # the Markov equivalence class of X -> Y -> Z
    "X->Y->Z": [[0, 1, 0], [0, 0, 1], [0, 0, 0]],
    "X<-Y->Z": [[0, 0, 0], [1, 0, 1], [0, 0, 0]],
    "X<-Y<-Z": [[0, 0, 0], [1, 0, 0], [0, 1, 0]],
}


@pytest.fixture(scope="module")
def chain_post() -> Posterior:
    rng = np.random.default_rng(0)
    n = 20_000
    x = SD_X * rng.normal(size=n)
    y = B_XY * x + SD_Y * rng.normal(size=n)
    z = B_YZ * y + SD_Z * rng.normal(size=n)
    return cp.fit(cp.from_numpy(np.c_[x, y, z], ["X", "Y", "Z"]), sampler="exact", seed=0)


def _rank(post: Posterior, adjacency) -> int:
    graphs, _, _ = post.unique_graphs()
    return int(np.flatnonzero((graphs == np.array(adjacency)).all(axis=(1, 2)))[0])


def test_chain_against_closed_form(chain_post):
    graphs, probs, _ = chain_post.unique_graphs()
    for adj in CHAINS.values():  # many rows: the three chains hold ~1/3 each
        assert probs[_rank(chain_post, adj)] == pytest.approx(1 / 3, abs=0.02)
    report = guard(chain_post, {"X": 2.0}, "Z>1.5", threshold=0.05)
    # closed forms from the true SEM: under X -> Y -> Z, Z | do(X=2) is Gaussian;
    # under the other two chains X has no descendants, so q is the observational P(Z > 1.5)
    q_causal = norm.sf(1.5, B_YZ * B_XY * 2.0, np.hypot(B_YZ * SD_Y, SD_Z))
    q_obs = norm.sf(1.5, 0.0, np.sqrt(B_YZ**2 * (B_XY**2 * SD_X**2 + SD_Y**2) + SD_Z**2))
    # parameter uncertainty at 20,000 rows moves each q by ~0.01 (one draw per graph)
    assert report.marginal == pytest.approx(q_causal / 3 + 2 * q_obs / 3, abs=0.02)
    assert report.bound == pytest.approx(q_causal, abs=0.03)
    assert report.graph_edges(int(report.rows["witness"].iloc[0])) in (
        [("X", "Y"), ("Y", "Z")], [("X", "Y"), ("X", "Z"), ("Y", "Z")])
    assert report.verdict == "refuse"
    for name in ("X<-Y->Z", "X<-Y<-Z"):
        assert report.q[_rank(chain_post, CHAINS[name]), 0] == pytest.approx(q_obs, abs=0.02)


def test_chain_q_is_exact_for_the_draws_own_parameters(chain_post):
    """q(G) of the causal chain equals the closed form under that draw's parameters."""
    report = guard(chain_post, {"X": 2.0}, "Z>1.5")
    s = int(np.flatnonzero((chain_post.adjacency == np.array(CHAINS["X->Y->Z"]))
                           .all(axis=(1, 2)))[0])
    w, c, v = (chain_post.params[k][s] for k in ("weights", "intercept", "noise_var"))
    mean_z = c[2] + w[1, 2] * (c[1] + w[0, 1] * 2.0)
    sd_z = np.sqrt(w[1, 2] ** 2 * v[1] + v[2])
    assert report.q[_rank(chain_post, CHAINS["X->Y->Z"]), 0] == pytest.approx(
        norm.sf(1.5, mean_z, sd_z), rel=1e-10)
    # the marginal is the posterior average of q over all 25 graphs
    assert report.marginal == pytest.approx(report.graph_probabilities @ report.q[:, 0],
                                            rel=1e-10)


def test_chain_defer_between_marginal_and_bound(chain_post):
    report = guard(chain_post, {"X": 2.0}, "Z>1.5", threshold=0.3)
    assert report.marginal < 0.3 < report.bound and report.verdict == "defer"
    assert report.plausible == pytest.approx(report.bound)  # G* is the causal chain here
    assert guard(chain_post, {"X": 2.0}, "Z>1.5", threshold=0.6).verdict == "allow"


def _gaussian_post(adjacency, weights, intercept, noise_var, nodes=("X", "Y", "Z")):
    return Posterior(list(nodes), np.array([adjacency]), None,
                     {"weights": np.array([weights], dtype=float),
                      "intercept": np.array([intercept], dtype=float),
                      "noise_var": np.array([noise_var], dtype=float)}, exact=True)


def test_gaussian_context_closed_forms():
    # X -> Y -> Z, X -> Z: do(Y = 1) given X = 0.5 before or after (X is not a descendant)
    w = np.zeros((3, 3))
    w[0, 1], w[1, 2], w[0, 2] = 0.7, -1.2, 0.5
    adj = (w != 0).astype(int)
    post = _gaussian_post(adj, w, [0.1, 0.2, 0.3], [1.0, 0.5, 0.25])
    expected = norm.sf(0.4, 0.3 - 1.2 * 1.0 + 0.5 * 0.5, 0.5)
    for observed in ("before", "after"):
        report = guard(post, {"Y": 1.0}, "Z>0.4", {"X": 0.5}, observed=observed)
        assert report.marginal == pytest.approx(expected, rel=1e-10)


def test_gaussian_counterfactual_context():
    # X -> Y -> Z; do(X = x0) with Y = y seen before the action: a counterfactual
    b, c, vy, vz = 0.8, 0.9, 0.36, 0.25
    w = np.zeros((3, 3))
    w[0, 1], w[1, 2] = b, c
    post = _gaussian_post((w != 0).astype(int), w, [0, 0, 0], [1.0, vy, vz])
    x0, y = 2.0, 1.0
    k = vy / (b**2 + vy)  # E[e_Y | Y = y] = k y, Var = b^2 vy / (b^2 + vy)
    mean = c * (b * x0 + k * y)
    sd = np.sqrt(c**2 * b**2 * vy / (b**2 + vy) + vz)
    before = guard(post, {"X": x0}, "Z<1", {"Y": y})
    assert before.marginal == pytest.approx(norm.cdf(1, mean, sd), rel=1e-10)
    after = guard(post, {"X": x0}, "Z<1", {"Y": y}, observed="after")
    assert after.marginal == pytest.approx(norm.cdf(1, c * y, np.sqrt(vz)), rel=1e-10)


def test_gaussian_range_and_complement(chain_post):
    above = guard(chain_post, {"Y": 0.5}, "Z>1").marginal
    below = guard(chain_post, {"Y": 0.5}, "Z<=1").marginal
    inside = guard(chain_post, {"Y": 0.5}, "0<Z<1").marginal
    under = guard(chain_post, {"Y": 0.5}, ("Z", "<", 0.0)).marginal
    assert above + below == pytest.approx(1.0, abs=1e-12)
    assert under + inside + above == pytest.approx(1.0, abs=1e-12)


def test_grid_rows_and_safe_set(chain_post):
    report = guard(chain_post, "X=-2:2:5", "Z>1.5", threshold=0.2)
    assert report.rows["X"].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    for r, x in enumerate(report.rows["X"]):
        single = guard(chain_post, {"X": x}, "Z>1.5", threshold=0.2)
        assert report.rows["marginal"].iloc[r] == pytest.approx(single.marginal, rel=1e-12)
        assert report.rows["verdict"].iloc[r] == single.verdict
    assert report.safe_set == [{"X": x} for x, v in zip(report.rows["X"], report.rows["verdict"])
                               if v == "allow"]
    assert report.verdict in ("refuse", "defer")  # the worst row
    with pytest.raises(AttributeError, match="grid"):
        _ = report.marginal


# ------------------------------------------------------------------ discrete


@pytest.fixture(scope="module")
def discrete_post() -> Posterior:
    frame = discrete_frame(n_obs=300, seed=1)
    data = cp.from_pandas(frame, kinds=dict.fromkeys(frame.columns, "discrete"))
    return cp.fit(data, sampler="exact", seed=0)


def _brute_force(post: Posterior, s: int, action: dict, harm_node: str, harm_levels,
                 given: dict) -> float:
    """P(harm | do(action), given) of draw s by enumerating every joint assignment."""
    nodes, levels = post.nodes, post.info["levels"]
    idx = {n: i for i, n in enumerate(nodes)}
    act = {idx[k]: levels[idx[k]].index(str(v)) for k, v in action.items()}
    giv = {idx[k]: levels[idx[k]].index(str(v)) for k, v in given.items()}
    h, bad = idx[harm_node], {levels[idx[harm_node]].index(str(v)) for v in harm_levels}
    num = den = 0.0
    for x in itertools.product(*(range(len(lv)) for lv in levels)):
        if any(x[j] != a for j, a in act.items()) or any(x[j] != z for j, z in giv.items()):
            continue
        p = 1.0
        for j in range(len(nodes)):
            if j in act:
                continue
            config = 0
            for parent in np.flatnonzero(post.adjacency[s][:, j]):
                config = config * len(levels[parent]) + x[parent]
            p *= post.params[f"cpt_{j}"][s, config, x[j]]
        den += p
        num += p * (x[h] in bad)
    return num / den


def test_discrete_against_brute_force(discrete_post):
    post = discrete_post
    report = guard(post, {"Y": 2}, "W=1", threshold=0.5)
    per_draw = np.array([_brute_force(post, s, {"Y": 2}, "W", [1], {})
                         for s in range(post.n_draws)])
    assert report.marginal == pytest.approx(post.weights @ per_draw, rel=1e-9)
    _, probs, inverse = post.unique_graphs()
    q = np.zeros(len(probs))
    q[inverse] = per_draw  # one draw per graph in an exact posterior
    np.testing.assert_allclose(report.q[:, 0], q, rtol=1e-9)
    k = credible_size(probs, 0.05)
    assert report.bound == pytest.approx(q[:k].max(), rel=1e-9)
    assert report.plausible == pytest.approx(q[np.argmax(probs * q)], rel=1e-9)


def test_discrete_context_after_against_brute_force(discrete_post):
    post = discrete_post
    action, given = {"X": "yes", "Z": 0}, {"W": 0}
    report = guard(post, action, "Y>0", given, observed="after")
    per_draw = [_brute_force(post, s, action, "Y", [1, 2], given) for s in range(post.n_draws)]
    assert report.marginal == pytest.approx(post.weights @ np.array(per_draw), rel=1e-9)


def test_discrete_context_before_refuses_descendants(discrete_post):
    with pytest.raises(cp.CausalpostError, match="counterfactual"):
        guard(discrete_post, {"Y": 2}, "W=1", {"X": "yes"})


def _single(post: Posterior, s: int) -> Posterior:
    params = {k: v[s:s + 1] for k, v in post.params.items()}
    return Posterior(post.nodes, post.adjacency[s:s + 1], None, params, exact=True,
                     info=post.info)


def test_single_graph_matches_pgmpy_causal_inference(discrete_post):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.inference import CausalInference
    post = discrete_post
    graphs, _, _ = post.unique_graphs()
    # the most probable graph in which W is a descendant of Y (pgmpy refuses the others)
    reach = cp.graphs.transitive_closure(post.adjacency).astype(bool)
    s = int(np.flatnonzero(reach[:, 1, 3])[np.argmax(post.log_weights[reach[:, 1, 3]])])
    one = _single(post, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        factor = CausalInference(one.to_pgmpy(0)).query(["W"], do={"Y": "2"},
                                                        show_progress=False)
    expected = factor.get_value(W="1")
    report = guard(one, {"Y": 2}, "W=1")
    assert report.marginal == pytest.approx(expected, rel=1e-9)
    assert report.bound == report.plausible == report.marginal
    assert report.interval == (report.marginal, report.marginal) or report.interval[0] <= \
        report.marginal <= report.interval[1]
    # and under a grid of two levels of a discrete action
    grid = guard(one, {"Y": ["0", "2"]}, "W=1")
    assert grid.rows["marginal"].iloc[1] == pytest.approx(expected, rel=1e-9)


def test_discrete_harm_on_non_numeric_levels(discrete_post):
    p_yes = guard(discrete_post, {"Y": 0}, "X=yes", observed="after").marginal
    p_no = guard(discrete_post, {"Y": 0}, "X!=yes", observed="after").marginal
    assert p_yes + p_no == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(cp.CausalpostError, match="not numbers"):
        guard(discrete_post, {"Y": 0}, "X>0")


def test_credible_size_is_the_smallest_covering_set_with_ties():
    """Brute force on the definition (the audit's conservative set uses the same function)."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        probs = np.sort(rng.dirichlet(np.ones(rng.integers(1, 12))))[::-1]
        probs = np.round(probs, int(rng.integers(1, 4)))  # ties
        probs = np.sort(probs[probs > 0])[::-1] if (probs > 0).any() else np.ones(1)
        alpha = float(rng.uniform(0.01, 0.5))
        total = probs.sum()
        k = next(k for k in range(1, len(probs) + 1)
                 if probs[:k].sum() >= (1 - alpha) * total - 1e-12)
        while k < len(probs) and np.isclose(probs[k], probs[k - 1], rtol=1e-9, atol=0.0):
            k += 1
        assert credible_size(probs, alpha) == k


def _confounded_network(seed: int = 5) -> Posterior:
    """A -> B, A -> C, B -> C, C -> D with random tables; A ternary, the others binary."""
    rng = np.random.default_rng(seed)
    adj = np.zeros((4, 4), dtype=np.uint8)
    adj[0, 1] = adj[0, 2] = adj[1, 2] = adj[2, 3] = 1
    arity = [3, 2, 2, 2]
    configs = [1, 3, 6, 2]  # parents' configurations, ascending parents, last fastest
    params = {f"cpt_{j}": rng.dirichlet(np.ones(arity[j]), size=(1, configs[j]))
              for j in range(4)}
    levels = [["a0", "a1", "a2"], ["0", "1"], ["0", "1"], ["ok", "bad"]]
    return Posterior(["A", "B", "C", "D"], adj[None], None, params, exact=True,
                     info={"levels": levels})


@pytest.mark.parametrize("context", [None, {"A": "a2"}, {"A": "a0"}])
def test_confounded_network_against_pgmpy_and_brute_force(context):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.inference import CausalInference
    post = _confounded_network()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        factor = CausalInference(post.to_pgmpy(0)).query(
            ["D"], do={"B": "1"}, evidence=context, show_progress=False)
    report = guard(post, {"B": 1}, "D=bad", context)
    assert report.marginal == pytest.approx(factor.get_value(D="bad"), rel=1e-9)
    assert report.marginal == pytest.approx(
        _brute_force(post, 0, {"B": 1}, "D", ["bad"], context or {}), rel=1e-9)
    # the do() differs from plain conditioning here: A confounds B and C
    conditioned = _brute_force(post, 0, {}, "D", ["bad"], {"B": "1", **(context or {})})
    if context is None:
        assert abs(conditioned - report.marginal) > 1e-3
