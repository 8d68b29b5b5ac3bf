"""Shared fixtures: small data tables with known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalpost as cp


def chain_frame(n_obs: int = 200, seed: int = 0) -> pd.DataFrame:
    """A -> B -> C -> D, A -> E, linear Gaussian."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n_obs)
    b = 0.8 * a + 0.6 * rng.normal(size=n_obs)
    c = 0.7 * b + 0.7 * rng.normal(size=n_obs)
    d = 0.5 * c + rng.normal(size=n_obs)
    e = 0.6 * a + 0.8 * rng.normal(size=n_obs)
    return pd.DataFrame({"A": a, "B": b, "C": c, "D": d, "E": e})


def discrete_frame(n_obs: int = 500, seed: int = 0) -> pd.DataFrame:
    """X -> Y <- Z, Y -> W, with 2-3 levels."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n_obs)
    z = rng.integers(0, 3, n_obs)
    y = np.where(rng.random(n_obs) < 0.85, np.minimum(x + z, 2), rng.integers(0, 3, n_obs))
    w = np.where(rng.random(n_obs) < 0.85, y % 2, 1 - y % 2)
    return pd.DataFrame({"X": np.array(["no", "yes"])[x], "Y": y, "Z": z, "W": w})


@pytest.fixture
def chain_data() -> cp.Dataset:
    return cp.from_pandas(chain_frame())


@pytest.fixture
def discrete_data() -> cp.Dataset:
    return cp.from_pandas(discrete_frame(), kinds={"Y": "discrete", "Z": "discrete",
                                                   "W": "discrete"})


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small networks run fastest on one thread (and the CI box has two cores); the
    GFlowNet modules use it for every test (``pytestmark``)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def gfn_data3():
    """Three nodes, two edges, unit noise: small enough to enumerate the policy."""
    from causalpost.synthetic import linear_gaussian

    return linear_gaussian(3, 30, n_edges=2, noise_sd=1.0, seed=3).data


@pytest.fixture(scope="module")
def gfn_data4():
    """Four nodes, three edges, unit noise."""
    from causalpost.synthetic import linear_gaussian

    return linear_gaussian(4, 50, n_edges=3, noise_sd=1.0, seed=1).data
