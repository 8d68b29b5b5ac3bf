"""The contract every registered sampler keeps (scikit-learn's parametrize_with_checks idea).

Every registered sampler is checked: a registered name whose module is missing fails
here (it is an error, not a sampler still being built).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import causalpost as cp
from causalpost.errors import GraphTooLargeError, NotFittedError
from causalpost.graphs import is_acyclic
from causalpost.knowledge import BackgroundKnowledge
from causalpost.samplers import SAMPLERS, get_sampler

# small budgets, passed only to samplers that take them (each is some sampler's parameter)
FAST = {"n_draws": 40, "n_chains": 1, "n_steps": 60, "batch_size": 16, "n_envs": 4,
        "thin": 5, "burn_in": 50}
KNOWLEDGE = BackgroundKnowledge(forbidden=frozenset({("B", "A"), ("D", "C")}),
                                required=frozenset({("A", "E")}))


def _sampler_class(name: str) -> type:
    return get_sampler(name)


def _make(name: str, **options):
    cls = _sampler_class(name)
    accepted = inspect.signature(cls).parameters
    kwargs = {k: v for k, v in FAST.items() if k in accepted}
    kwargs.update(quiet=True, **options)
    return cls(**{k: v for k, v in kwargs.items() if k in accepted})


@pytest.fixture(scope="module")
def data5() -> cp.Dataset:
    rng = np.random.default_rng(3)
    a = rng.normal(size=150)
    b = 0.9 * a + rng.normal(size=150)
    c = 0.8 * b + rng.normal(size=150)
    d = 0.7 * c + rng.normal(size=150)
    e = 0.6 * a - 0.5 * d + rng.normal(size=150)
    return cp.from_numpy(np.c_[a, b, c, d, e], ["A", "B", "C", "D", "E"])


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_not_fitted_error(name):
    sampler = _make(name)
    with pytest.raises(NotFittedError):
        _ = sampler.posterior_


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_draws_acyclic_and_knowledge_respected(name, data5):
    post = _make(name, knowledge=KNOWLEDGE, seed=0).fit(data5).posterior_
    adj = post.adjacency
    assert is_acyclic(adj).all()
    idx = {n: i for i, n in enumerate(post.nodes)}
    for a, b in KNOWLEDGE.forbidden:
        assert not adj[:, idx[a], idx[b]].any()
    for a, b in KNOWLEDGE.required:
        assert adj[:, idx[a], idx[b]].all()


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_a_dataframe_fits_like_its_dataset(name, data5):
    frame = data5.to_pandas()
    from_frame = _make(name, seed=3).fit(frame).posterior_
    from_data = _make(name, seed=3).fit(data5).posterior_
    assert from_frame.nodes == data5.names
    np.testing.assert_array_equal(from_frame.adjacency, from_data.adjacency)
    with pytest.raises(cp.CausalpostError, match="expected a causalpost Dataset"):
        _make(name).fit(frame.to_numpy())


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_seed_same_draws(name, data5):
    first = _make(name, seed=7).fit(data5).posterior_
    second = _make(name, seed=7).fit(data5).posterior_
    np.testing.assert_array_equal(first.adjacency, second.adjacency)
    np.testing.assert_array_equal(first.log_weights, second.log_weights)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_n_draws_respected(name, data5):
    cls = _sampler_class(name)
    if "n_draws" not in inspect.signature(cls).parameters:
        pytest.skip(f"sampler {name!r} has no n_draws (not a Monte Carlo sampler)")
    post = _make(name, seed=1, n_draws=23).fit(data5).posterior_
    assert post.n_draws == 23
    assert np.allclose(post.weights, 1 / 23)


@pytest.mark.parametrize("name", ["exact", "mcmc", "order", "partition"])
def test_too_many_nodes_error(name):
    rng = np.random.default_rng(0)
    data = cp.from_numpy(rng.normal(size=(40, 30)), [f"X{i}" for i in range(30)])
    options = {} if name == "exact" else {"search_space": "full", "max_parents": 29}
    with pytest.raises(GraphTooLargeError):
        _make(name, seed=0, **options).fit(data)


def test_every_fast_option_is_some_samplers_parameter():
    taken = set().union(*(inspect.signature(get_sampler(n)).parameters for n in SAMPLERS))
    assert set(FAST) <= taken, sorted(set(FAST) - taken)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_parameters_stored_unchanged_and_listed(name):
    cls = get_sampler(name)
    signature = inspect.signature(cls).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in signature.values())
    sampler = cls(seed=5, quiet=True)
    params = sampler.get_params()
    assert list(params) == list(signature)
    assert params["seed"] == 5 and params["quiet"] is True
    assert all(params[k] == p.default for k, p in signature.items() if k not in ("seed", "quiet"))
    assert all(f"{k} :" in cls.__doc__ for k in signature)  # one doc entry per parameter
    assert sampler.set_params(seed=6).seed == 6
    with pytest.raises(cp.CausalpostError, match="does not take"):
        sampler.set_params(no_such_option=1)
