"""Held-out log-likelihood against densities computed independently (scipy, by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

import causalpost as cp
from causalpost.errors import CausalpostError
from causalpost.metrics import held_out_log_likelihood
from causalpost.posterior import Posterior
from causalpost.samplers._common import make_posterior, prepare_problem
from causalpost.synthetic import linear_gaussian

NAMES = ["A", "B", "C"]


def _gaussian_draw(adj, weights, intercept, noise_var) -> dict[str, np.ndarray]:
    return {"weights": np.asarray(weights, float)[None] * np.asarray(adj)[None],
            "intercept": np.asarray(intercept, float)[None],
            "noise_var": np.asarray(noise_var, float)[None]}


def _merge(*draws: dict) -> dict[str, np.ndarray]:
    return {k: np.concatenate([d[k] for d in draws]) for k in draws[0]}


@pytest.fixture
def test_rows() -> cp.Dataset:
    rng = np.random.default_rng(3)
    return cp.from_numpy(rng.normal(size=(40, 3)) * [1.0, 2.0, 0.5] + [0.3, -1.0, 2.0], NAMES)


def _chain_logpdf(x: np.ndarray) -> np.ndarray:
    """Per-row log density of A -> B -> C with the parameters of ``_chain_params``."""
    return (norm.logpdf(x[:, 0], loc=0.5, scale=np.sqrt(2.0))
            + norm.logpdf(x[:, 1], loc=-1.0 + 1.5 * x[:, 0], scale=np.sqrt(0.5))
            + norm.logpdf(x[:, 2], loc=2.0 - 0.7 * x[:, 1], scale=1.0))


def _chain_params() -> dict[str, np.ndarray]:
    adj = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    w = np.array([[0, 1.5, 0], [0, 0, -0.7], [0, 0, 0]])
    return adj, _gaussian_draw(adj, w, [0.5, -1.0, 2.0], [2.0, 0.5, 1.0])


def test_single_graph_matches_scipy(test_rows):
    adj, params = _chain_params()
    post = Posterior(NAMES, adj[None], params=params)
    expected = _chain_logpdf(test_rows.values).mean()
    assert held_out_log_likelihood(post, test_rows) == pytest.approx(expected, rel=1e-12)


def test_weighted_draws_are_log_mean_exp(test_rows):
    adj, chain = _chain_params()
    empty = _gaussian_draw(np.zeros((3, 3)), np.zeros((3, 3)), [0.0, 0.0, 0.0], [1.0, 4.0, 0.25])
    post = Posterior(NAMES, np.stack([adj, np.zeros((3, 3))]), np.log([0.3, 0.7]),
                     params=_merge(chain, empty))
    x = test_rows.values
    log_empty = (norm.logpdf(x[:, 0], 0, 1) + norm.logpdf(x[:, 1], 0, 2)
                 + norm.logpdf(x[:, 2], 0, 0.5))
    by_hand = np.log(0.3 * np.exp(_chain_logpdf(x)) + 0.7 * np.exp(log_empty)).mean()
    assert held_out_log_likelihood(post, test_rows) == pytest.approx(by_hand, rel=1e-10)


def test_column_order_does_not_matter(test_rows):
    adj, params = _chain_params()
    post = Posterior(NAMES, adj[None], params=params)
    shuffled = cp.from_pandas(test_rows.to_pandas()[["C", "A", "B"]])
    assert held_out_log_likelihood(post, shuffled) == pytest.approx(
        held_out_log_likelihood(post, test_rows), rel=1e-12)


def _fresh_rows(bench, n_obs: int, seed: int) -> cp.Dataset:
    """New rows of a linear-Gaussian benchmark's SEM (noise sd 0.1)."""
    noise = np.random.default_rng(seed).normal(size=(n_obs, bench.truth.shape[0])) * 0.1
    values = noise
    for _ in range(bench.truth.shape[0]):  # x = e + x W reaches its fixed point on a DAG
        values = noise + values @ bench.weights
    return cp.from_numpy(values, list(bench.names))


def test_true_graph_beats_empty_graph_on_fresh_data():
    bench = linear_gaussian(5, 200, n_edges=5, noise_sd=0.1, seed=1)
    train, truth = bench
    test = _fresh_rows(bench, 500, seed=7)
    problem = prepare_problem(train, "bge", None, None, None, None)
    rng = np.random.default_rng(0)
    true_post = make_posterior(problem, np.repeat(truth[None], 20, 0), None, rng, sampler="t")
    empty_post = make_posterior(problem, np.zeros((20, 5, 5)), None, rng, sampler="t")
    x = test.values
    oracle = norm.logpdf(x, loc=x @ bench.weights, scale=0.1).sum(axis=1).mean()
    true_ll = held_out_log_likelihood(true_post, test)
    assert true_ll > held_out_log_likelihood(empty_post, test) + 0.3
    assert true_ll == pytest.approx(oracle, abs=0.1)  # the data-generating density


def test_discrete_matches_hand_computation():
    # X -> Y; Y's CPT row k is P(Y | X = level k of X)
    train = cp.from_pandas(pd.DataFrame({"X": ["a", "b", "a", "b"], "Y": ["u", "v", "w", "u"]}))
    adj = np.array([[[0, 1], [0, 0]]])
    params = {"cpt_0": np.array([[[0.25, 0.75]]]),
              "cpt_1": np.array([[[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]])}
    post = make_posterior(prepare_problem(train, None, None, None, None, None), adj, None,
                          np.random.default_rng(0), sampler="t")
    post = Posterior(post.nodes, adj, params=params, info=post.info)
    # test levels seen in a different order, columns swapped
    test = cp.from_pandas(pd.DataFrame({"Y": ["w", "w", "u"], "X": ["b", "a", "a"]}))
    by_hand = np.mean(np.log([0.75 * 0.8, 0.25 * 0.2, 0.25 * 0.5]))
    assert held_out_log_likelihood(post, test) == pytest.approx(by_hand, rel=1e-12)


def test_discrete_posterior_from_a_sampler_is_finite(discrete_data):
    post = cp.fit(discrete_data, sampler="exact", seed=0, quiet=True)
    value = held_out_log_likelihood(post, discrete_data)
    assert np.isfinite(value) and value < 0


def test_errors(test_rows):
    adj, params = _chain_params()
    with pytest.raises(CausalpostError, match="no parameters"):
        held_out_log_likelihood(Posterior(NAMES, adj[None]), test_rows)
    post = Posterior(NAMES, adj[None], params=params)
    other = cp.from_numpy(test_rows.values, ["A", "B", "D"])
    with pytest.raises(CausalpostError, match="missing \\['C'\\], unexpected \\['D'\\]"):
        held_out_log_likelihood(post, other)
    with pytest.raises(CausalpostError, match="Dataset"):
        held_out_log_likelihood(post, test_rows.values)
    coded = cp.from_pandas(pd.DataFrame({"A": ["x", "y"], "B": [0.1, 0.2], "C": [1.0, 3.0]}))
    with pytest.raises(CausalpostError, match="'A' is discrete"):
        held_out_log_likelihood(post, coded)


def test_discrete_errors():
    train = cp.from_pandas(pd.DataFrame({"X": ["a", "b", "a"], "Y": ["u", "v", "u"]}))
    post = cp.fit(train, sampler="exact", seed=0, quiet=True)
    unseen = cp.from_pandas(pd.DataFrame({"X": ["a", "c"], "Y": ["u", "v"]}))
    with pytest.raises(CausalpostError, match="not seen in training"):
        held_out_log_likelihood(post, unseen)
    numeric = cp.from_numpy(np.array([[0.1, 0.2], [0.3, 0.5]]), ["X", "Y"])
    with pytest.raises(CausalpostError, match="continuous"):
        held_out_log_likelihood(post, numeric)


def test_log_mean_exp_is_stable_for_far_rows():
    adj, params = _chain_params()
    post = Posterior(NAMES, np.stack([adj, adj]), params=_merge(params, params))
    far = cp.from_numpy(np.array([[1e3, -1e3, 5e2], [0.0, 1.0, 2.0]]), NAMES)
    expected = logsumexp(np.stack([_chain_logpdf(far.values)] * 2) + np.log(0.5), axis=0)
    assert held_out_log_likelihood(post, far) == pytest.approx(expected.mean(), rel=1e-12)


def test_hill_climb_point_estimate_finds_the_chain_skeleton(chain_data):
    # the benchmark's MAP baseline (pgmpy adapter): A -> B -> C -> D, A -> E up to orientation
    from causalpost._pgmpy import hill_climb

    adjacency = hill_climb(chain_data)
    truth = np.zeros((5, 5), dtype=np.uint8)
    for a, b in [(0, 1), (1, 2), (2, 3), (0, 4)]:
        truth[a, b] = 1
    assert adjacency.shape == (5, 5) and bool(cp.graphs.is_acyclic(adjacency))
    np.testing.assert_array_equal(adjacency | adjacency.T, truth | truth.T)
    with pytest.raises(CausalpostError, match="not available for continuous"):
        hill_climb(chain_data, "bdeu")


def test_draw_blocks_give_the_same_answer(test_rows, monkeypatch, discrete_data):
    # many draws, accumulated block by block, equal one pass over all draws
    import causalpost.metrics as metrics

    rng = np.random.default_rng(5)
    adj, params = _chain_params()
    draws = [{k: v * rng.uniform(0.8, 1.2) for k, v in params.items()} for _ in range(7)]
    post = Posterior(NAMES, np.repeat(adj[None], 7, 0), rng.normal(size=7), params=_merge(*draws))
    discrete = cp.fit(discrete_data, sampler="exact", seed=0, quiet=True)
    whole = (held_out_log_likelihood(post, test_rows),
             held_out_log_likelihood(discrete, discrete_data))
    monkeypatch.setattr(metrics, "_CHUNK", 1)  # one draw per block
    assert held_out_log_likelihood(post, test_rows) == pytest.approx(whole[0], rel=1e-12)
    assert held_out_log_likelihood(discrete, discrete_data) == pytest.approx(whole[1], rel=1e-12)
