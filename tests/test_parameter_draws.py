"""Typed parameter draws beside their score (issue 15): the family a posterior carries."""

from __future__ import annotations

import numpy as np

import causalpost as cp
from causalpost.scores.draws import DiscreteDraws, LinearGaussianDraws, parameter_draws


def test_a_continuous_fit_carries_linear_gaussian_draws(chain_data):
    post = cp.fit(chain_data, seed=0)
    draws = post.parameters
    assert isinstance(draws, LinearGaussianDraws) and draws.n_draws == post.n_draws
    assert draws.weights is post.params["weights"]  # a view, not a copy
    assert not draws.weights[post.adjacency == 0].any()  # no weight without its edge
    s, j = 1, int(np.argmax(post.adjacency[1].sum(axis=0)))
    weights, intercept, noise = draws.regression(s, j)
    np.testing.assert_array_equal(weights, post.params["weights"][s, :, j])
    assert intercept == post.params["intercept"][s, j] and noise > 0
    assert draws.to_params().keys() == post.params.keys()


def test_a_discrete_fit_carries_one_table_per_node(discrete_data):
    post = cp.fit(discrete_data, seed=0)
    draws = post.parameters
    assert isinstance(draws, DiscreteDraws) and len(draws.cpts) == post.n_nodes
    for j in range(post.n_nodes):
        assert draws.cpt(j) is post.params[f"cpt_{j}"]
        assert draws.arity(j) == len(post.info["levels"][j])


def test_no_parameters_no_family(chain_data):
    assert cp.fit(chain_data, seed=0, parameters=False).parameters is None
    assert parameter_draws({"weights": np.zeros((1, 2, 2))}, 2) is None  # incomplete
    assert parameter_draws({"cpt_0": np.ones((1, 1, 2))}, 2) is None  # a node missing


def _chain_gaussian():
    """X -> Y, Y = 1 + 2 X + N(0, 0.25); X = N(0, 1), two equal draws."""
    weights = np.zeros((2, 2, 2))
    weights[:, 0, 1] = 2.0
    return LinearGaussianDraws(weights, np.array([[0.0, 1.0]] * 2), np.array([[1.0, 0.25]] * 2))


def test_linear_gaussian_log_density_is_the_product_of_normals():
    from scipy.stats import norm

    draws = _chain_gaussian()
    rows = np.array([[0.5, 1.5], [-1.0, 0.0]])
    expected = (norm.logpdf(rows[:, 0], 0, 1) + norm.logpdf(rows[:, 1], 1 + 2 * rows[:, 0], 0.5))
    adjacency = np.array([[[0, 1], [0, 0]]] * 2)
    got = draws.log_density(adjacency, rows)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, np.stack([expected] * 2))
    assert draws.take(slice(1, 2)).n_draws == 1


def test_linear_gaussian_simulation_follows_the_regression_and_do():
    draws = _chain_gaussian()
    graph = np.array([[0, 1], [0, 0]])
    rows = draws.simulate(0, graph, 20000, rng=np.random.default_rng(0))
    slope = np.polyfit(rows[:, 0], rows[:, 1], 1)
    np.testing.assert_allclose(slope, [2.0, 1.0], atol=0.03)
    forced = draws.simulate(0, graph, 5, do={0: np.full(5, 3.0)}, rng=np.random.default_rng(0))
    assert (forced[:, 0] == 3.0).all() and abs(forced[:, 1].mean() - 7.0) < 1.5


def _chain_discrete():
    """X -> Y, binary: P(X=1) = 0.3, P(Y=1 | X=0) = 0.1, P(Y=1 | X=1) = 0.8; one draw."""
    cpt_x = np.array([[[0.7, 0.3], [np.nan, np.nan]]])
    cpt_y = np.array([[[0.9, 0.1], [0.2, 0.8]]])
    return DiscreteDraws((cpt_x, cpt_y))


def test_discrete_tables_configs_and_log_density():
    draws = _chain_discrete()
    parents = np.array([0])
    np.testing.assert_array_equal(draws.table(1, parents, 0), [[0.9, 0.1], [0.2, 0.8]])
    assert draws.table(0, np.array([], dtype=int), np.array([0])).shape == (1, 2)
    codes = np.array([[0, 0], [1, 1], [1, 0]])
    np.testing.assert_array_equal(draws.configs(parents, codes), [0, 1, 1])
    got = draws.log_density(np.array([[[0, 1], [0, 0]]]), codes)
    np.testing.assert_allclose(got, np.log([[0.7 * 0.9, 0.3 * 0.8, 0.3 * 0.2]]))


def test_discrete_simulation_matches_the_tables():
    draws = _chain_discrete()
    rows = draws.simulate(0, np.array([[0, 1], [0, 0]]), 40000, rng=np.random.default_rng(1))
    x, y = rows[:, 0].astype(int), rows[:, 1].astype(int)
    assert abs(x.mean() - 0.3) < 0.01
    assert abs(y[x == 1].mean() - 0.8) < 0.015 and abs(y[x == 0].mean() - 0.1) < 0.01
