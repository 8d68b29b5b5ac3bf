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
