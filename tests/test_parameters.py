"""Conjugate parameter posteriors: consistent with least squares / frequencies, and
concentrating like 1 / sqrt(n)."""

import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost.scores import BDeu, BGe


def regression_data(n_obs, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=n_obs)
    y = 1.5 + 0.7 * x + rng.normal(0, 0.5, size=n_obs)
    return cp.from_numpy(np.c_[x, y], ["X", "Y"]), x, y


def graph_x_to_y(n_draws):
    adj = np.zeros((n_draws, 2, 2), dtype=np.uint8)
    adj[:, 0, 1] = 1
    return adj


@pytest.mark.parametrize("standardize", [True, False])
def test_linear_gaussian_posterior_approaches_least_squares(standardize):
    data, x, y = regression_data(5000)
    bound = BGe(standardize=standardize).bind(data)
    params = bound.sample_parameters(graph_x_to_y(4000), np.random.default_rng(0))
    slope, intercept = np.polyfit(x, y, 1)
    residual_var = np.var(y - (slope * x + intercept))
    assert params["weights"][:, 0, 1].mean() == pytest.approx(slope, abs=0.01)
    assert params["intercept"][:, 1].mean() == pytest.approx(intercept, abs=0.03)
    assert params["noise_var"][:, 1].mean() == pytest.approx(residual_var, rel=0.02)
    assert params["noise_var"][:, 0].mean() == pytest.approx(np.var(x), rel=0.02)
    assert params["intercept"][:, 0].mean() == pytest.approx(x.mean(), abs=0.05)
    assert (params["weights"][:, 1, 0] == 0).all()


def test_linear_gaussian_spread_shrinks_like_one_over_sqrt_n():
    # slope sd = sigma / (sd_x sqrt(n)): normalized by the sample's own sigma and sd_x,
    # sd * sqrt(n) must be the same constant (1) at every n
    for n_obs in (400, 6400):
        data, x, y = regression_data(n_obs, seed=1)
        params = BGe().bind(data).sample_parameters(graph_x_to_y(8000),
                                                     np.random.default_rng(2))
        slope, intercept = np.polyfit(x, y, 1)
        sigma = np.std(y - slope * x - intercept)
        normalized = params["weights"][:, 0, 1].std() * np.sqrt(n_obs) * x.std() / sigma
        assert normalized == pytest.approx(1.0, rel=0.05)


def test_dirichlet_posterior_approaches_frequencies():
    rng = np.random.default_rng(0)
    n_obs = 20000
    a = rng.integers(0, 2, n_obs)
    b = np.where(rng.random(n_obs) < np.where(a == 1, 0.8, 0.3), 1, 0)
    data = cp.from_pandas(pd.DataFrame({"A": a, "B": b}))
    bound = BDeu().bind(data)
    params = bound.sample_parameters(graph_x_to_y(500), np.random.default_rng(1))
    cpt = params["cpt_1"]  # (draws, configs of A, states of B)
    for config in (0, 1):
        freq = np.mean(b[a == config] == 1)
        assert cpt[:, config, 1].mean() == pytest.approx(freq, abs=0.01)
    assert np.allclose(cpt.sum(axis=-1), 1.0)
    assert params["cpt_0"].shape == (500, 1, 2)


def test_dirichlet_spread_shrinks_like_one_over_sqrt_n():
    spreads = []
    for n_obs in (500, 8000):
        rng = np.random.default_rng(n_obs)
        a = rng.integers(0, 2, n_obs)
        b = np.where(rng.random(n_obs) < 0.4, 1, 0)
        bound = BDeu().bind(cp.from_pandas(pd.DataFrame({"A": a, "B": b})))
        cpt = bound.sample_parameters(graph_x_to_y(4000), np.random.default_rng(0))["cpt_1"]
        spreads.append(cpt[:, 0, 1].std())
    assert spreads[0] / spreads[1] == pytest.approx(4.0, rel=0.15)


def test_padding_marks_unused_configurations():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"A": rng.integers(0, 3, 200), "B": rng.integers(0, 2, 200)})
    bound = BDeu().bind(cp.from_pandas(frame))
    adj = np.zeros((2, 2, 2), dtype=np.uint8)
    adj[1, 0, 1] = 1  # draw 1: A -> B (3 configs); draw 0: B alone (1 config)
    cpt = bound.sample_parameters(adj, np.random.default_rng(0))["cpt_1"]
    assert cpt.shape == (2, 3, 2)
    assert np.isnan(cpt[0, 1:]).all() and not np.isnan(cpt[1]).any()
