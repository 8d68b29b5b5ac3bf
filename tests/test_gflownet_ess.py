"""The GFlowNet's own error: its terminating-probability estimate and importance-sampling ESS.

References come from the policy's exact distribution (the DP of
:func:`policy_log_probs`), from exact enumeration of all DAGs
(:func:`causalpost.samplers.exact.exact_log_weights`), from brute-force loops
written here, and from the identity ``ESS / n -> 1 / sum_G p(G)^2 / q(G)`` for
draws from ``q`` weighted towards ``p``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import causalpost as cp
from causalpost.errors import CausalpostError
from causalpost.graphs import masks_to_adjacency
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.gflownet import DAGEnv, GFlowNetSampler, NodePolicy, policy_log_probs
from causalpost.samplers.gflownet.importance import (
    importance_diagnostics,
    importance_ess,
    log_terminating_probs,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")




def _table(data, max_parents=None):
    return prepare_problem(data, "bge", None, None, None, max_parents).table()


def _policy(d, seed=0):
    return NodePolicy(d, width=16, n_layers=1, n_heads=2,
                      generator=torch.Generator().manual_seed(seed))


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _factorial_of_edges(adj, start):
    return np.array([math.factorial(int(m)) for m in (adj & ~start).sum((1, 2))])


@pytest.mark.parametrize("d", [3, 4])
def test_all_orders_give_the_exact_terminating_probability(gfn_data3, gfn_data4, d):
    table = _table(gfn_data3 if d == 3 else gfn_data4)
    masks, _ = exact_log_weights(table)
    env = DAGEnv.from_table(table, np.zeros((d, d), bool))
    policy = _policy(d, seed=d)
    adj = masks_to_adjacency(masks).astype(bool)
    exact = policy_log_probs(policy, env, masks)
    most = int(_factorial_of_edges(adj, np.zeros((d, d), bool)).max())
    estimate = log_terminating_probs(policy, env, adj, most, generator=_gen(0))
    np.testing.assert_allclose(estimate, exact, atol=1e-6)
    assert abs(np.exp(estimate).sum() - 1.0) < 1e-5  # a distribution over all DAGs


def test_exact_with_a_start_graph_and_parent_limit(gfn_data4):
    """Required edges are never removed; only the other edges' orders count."""
    table = _table(gfn_data4, max_parents=2)
    start = np.zeros((4, 4), bool)
    start[0, 1] = True
    allowed = ~np.eye(4, dtype=bool)
    env = DAGEnv(allowed, start, 2)
    masks, _ = exact_log_weights(table)
    adj = masks_to_adjacency(masks).astype(bool)
    masks = masks[adj[:, 0, 1]]
    adj = adj[adj[:, 0, 1]]
    policy = _policy(4, seed=7)
    exact = policy_log_probs(policy, env, masks)
    estimate = log_terminating_probs(policy, env, adj, 120, generator=_gen(1))
    np.testing.assert_allclose(estimate, exact, atol=1e-6)


def _every_dag(data, policy_seed: int):
    """Every 4-node DAG, an untrained policy on the data's table, and its exact log q."""
    table = _table(data)
    masks, _ = exact_log_weights(table)
    env = DAGEnv.from_table(table, np.zeros((4, 4), bool))
    policy = _policy(4, seed=policy_seed)
    adj = masks_to_adjacency(masks).astype(bool)
    return env, policy, adj, policy_log_probs(policy, env, masks)


def test_graphs_with_few_orders_are_exact_the_rest_estimated(gfn_data4):
    env, policy, adj, exact = _every_dag(gfn_data4, 2)
    estimate = log_terminating_probs(policy, env, adj, 6, generator=_gen(2))
    small = _factorial_of_edges(adj, np.zeros((4, 4), bool)) <= 6
    np.testing.assert_allclose(estimate[small], exact[small], atol=1e-6)
    assert np.abs(estimate[~small] - exact[~small]).max() > 1e-3  # sampled, not exact


def test_random_orders_converge_to_the_exact_value(gfn_data4):
    env, policy, adj, exact = _every_dag(gfn_data4, 4)
    many = adj.sum((1, 2)) >= 4  # 24 to 720 orders each
    exact = exact[many]
    errors = []
    for k in (2, 32, 512):
        est = log_terminating_probs(policy, env, adj[many], k, generator=_gen(k),
                                    all_orders=False)
        errors.append(float(np.abs(est - exact).mean()))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.02 and errors[0] > 4 * errors[2]
    # q-hat itself is unbiased: its mean over many single-order estimates is q
    reps = np.stack([log_terminating_probs(policy, env, adj[many][:20], 1, generator=_gen(r),
                                           all_orders=False) for r in range(200)])
    mean_q = np.exp(reps).mean(0)
    np.testing.assert_allclose(np.log(mean_q), exact[:20], atol=0.05)


def test_equal_graphs_get_equal_estimates_and_the_seed_fixes_them(gfn_data4):
    table = _table(gfn_data4)
    env = DAGEnv.from_table(table, np.zeros((4, 4), bool))
    policy = _policy(4, seed=5)
    g = np.zeros((4, 4), bool)
    g[0, 1] = g[1, 2] = g[2, 3] = g[0, 3] = g[0, 2] = True
    batch = np.stack([g, g, np.zeros((4, 4), bool), g])
    one = log_terminating_probs(policy, env, batch, 3, generator=_gen(9))
    two = log_terminating_probs(policy, env, batch, 3, generator=_gen(9))
    np.testing.assert_array_equal(one, two)
    assert one[0] == one[1] == one[3]


def _brute_force_ess(log_r, log_q):
    """Kish's ESS by a plain loop, weights shifted by their largest log."""
    top = max(r - q for r, q in zip(log_r, log_q, strict=True))
    total = square = 0.0
    for r, q in zip(log_r, log_q, strict=True):
        w = math.exp(r - q - top)
        total += w
        square += w * w
    return total * total / square


def test_importance_ess_of_draws_matches_brute_force(gfn_data4):
    table = _table(gfn_data4)
    masks, log_p = exact_log_weights(table)
    env = DAGEnv.from_table(table, np.zeros((4, 4), bool))
    policy = _policy(4, seed=6)
    log_q = policy_log_probs(policy, env, masks)
    adj = masks_to_adjacency(masks).astype(bool)
    rng = np.random.default_rng(0)
    idx = rng.choice(len(masks), size=300, p=np.exp(log_q) / np.exp(log_q).sum())
    log_r = table.graph_scores(adj[idx])
    expect = _brute_force_ess(log_r.tolist(), log_q[idx].tolist())
    assert importance_ess(log_r, log_q[idx]) == pytest.approx(expect, rel=1e-10)
    # the sampler's diagnostics (estimated q, all orders at d = 4) give the same number
    diag = importance_diagnostics(policy, env, table, adj[idx], 720, seed=0)
    assert diag["ess_importance"] == pytest.approx(expect, rel=1e-6)
    assert diag["ess"] == pytest.approx(expect, rel=1e-6)
    assert diag["ess_orders"] == 720
    # and log R differs from the normalised posterior only by a constant
    assert importance_ess(log_p[idx], log_q[idx]) == pytest.approx(expect, rel=1e-8)


def test_ess_per_draw_tends_to_one_over_one_plus_chi_square(gfn_data3):
    """For draws from q weighted towards p, ESS / n -> 1 / sum_G p(G)^2 / q(G)."""
    table = _table(gfn_data3)
    masks, log_p = exact_log_weights(table)
    env = DAGEnv.from_table(table, np.zeros((3, 3), bool))
    log_q = policy_log_probs(_policy(3, seed=1), env, masks)
    limit = 1.0 / np.exp(logsumexp_np(2 * log_p - log_q))
    assert limit < 0.9  # the untrained policy is visibly off
    rng = np.random.default_rng(1)
    idx = rng.choice(len(masks), size=200_000, p=np.exp(log_q) / np.exp(log_q).sum())
    assert importance_ess(log_p[idx], log_q[idx]) / idx.size == pytest.approx(limit, rel=0.02)


def logsumexp_np(x):
    top = np.max(x)
    return top + np.log(np.exp(x - top).sum())


finite = st.floats(-50, 50, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(finite, min_size=1, max_size=60), st.floats(-1e3, 1e3, allow_nan=False))
def test_ess_is_between_one_and_n_and_ignores_constants(log_w, shift):
    log_w = np.array(log_w)
    ess = importance_ess(log_w, np.zeros_like(log_w))
    assert 1.0 - 1e-9 <= ess <= log_w.size + 1e-9
    assert importance_ess(log_w + shift, np.zeros_like(log_w)) == pytest.approx(ess, rel=1e-9)
    assert importance_ess(log_w, log_w - shift) == pytest.approx(log_w.size, rel=1e-12)
    assert importance_ess(log_w + 1e4 * (np.arange(log_w.size) == 0),
                          np.zeros_like(log_w)) == pytest.approx(1.0)


def test_ess_edge_cases():
    assert importance_ess(np.array([0.0, -np.inf, 0.0]), np.zeros(3)) == pytest.approx(2.0)
    assert importance_ess(np.array([np.inf, 0.0]), np.array([0.0, 0.0])) == 1.0
    with pytest.raises(ValueError, match="finite"):
        importance_ess(np.array([-np.inf]), np.zeros(1))
    with pytest.raises(ValueError, match="n_orders"):
        log_terminating_probs(_policy(2), DAGEnv(~np.eye(2, dtype=bool),
                                                 np.zeros((2, 2), bool), 1),
                              np.zeros((1, 2, 2), bool), 0)


def _fit(data, n_steps, **kw):
    return GFlowNetSampler(n_steps=n_steps, n_draws=200, seed=0, quiet=True,
                           parameters=False, **kw).fit(data)


@pytest.fixture(scope="module")
def trained4(gfn_data4):
    return _fit(gfn_data4, 400)


def test_fit_records_the_ess_and_the_posterior_uses_it(gfn_data4, trained4, tmp_path):
    post = trained4.posterior_
    diag = post.diagnostics
    assert 1.0 <= diag["ess"] <= post.n_draws
    assert diag["ess"] == post.effective_sample_size
    assert diag["ess_log_score"] == post.n_draws  # independent draws: no autocorrelation
    assert diag["ess_orders"] == 16
    np.testing.assert_array_equal(post.log_weights, np.full(200, -np.log(200)))  # not reweighted
    # at d = 4 the default orders are exact for m <= 3 only: compare with the exact q
    table = _table(gfn_data4)
    masks, _ = exact_log_weights(table)
    exact_q = policy_log_probs(trained4.policy_, trained4.env_, masks)
    codes = {m.tobytes(): q for m, q in zip(masks_to_adjacency(masks).astype(bool),
                                            exact_q, strict=True)}
    log_q = np.array([codes[a.astype(bool).tobytes()] for a in post.adjacency])
    exact_ess = importance_ess(table.graph_scores(post.adjacency), log_q)
    assert diag["ess_importance"] == pytest.approx(exact_ess, rel=0.2)
    loaded = cp.Posterior.load(post.save(tmp_path / "post.npz"))
    assert loaded.effective_sample_size == post.effective_sample_size
    assert loaded.diagnostics["ess_orders"] == 16


def test_a_badly_trained_policy_has_a_much_smaller_ess(gfn_data4, trained4):
    bad = _fit(gfn_data4, 1).posterior_.diagnostics["ess"]
    good = trained4.posterior_.diagnostics["ess"]
    assert bad < 0.1 * 200  # one step: the policy is far from the posterior
    assert good > 0.5 * 200


def test_ess_is_seeded_off_switch_and_draw_posterior(gfn_data3, gfn_data4, trained4):
    again = _fit(gfn_data4, 400).posterior_.diagnostics
    assert again["ess"] == trained4.posterior_.diagnostics["ess"]
    off = _fit(gfn_data3, 5, ess_orders=0).posterior_
    assert "ess" not in off.diagnostics
    assert off.effective_sample_size == pytest.approx(200)
    redrawn = trained4.draw_posterior(gfn_data4, n_draws=100, seed=3)
    assert 1.0 <= redrawn.effective_sample_size <= 100
    assert redrawn.diagnostics["ess_importance"] == redrawn.effective_sample_size
    capped = _fit(gfn_data3, 5, ess_max_steps=1).posterior_.diagnostics
    assert capped["ess_orders"] == 1


def test_bad_ess_options(gfn_data3):
    with pytest.raises(CausalpostError, match="ess_orders"):
        GFlowNetSampler(ess_orders=-1, quiet=True).fit(gfn_data3)
    with pytest.raises(CausalpostError, match="ess_max_steps"):
        GFlowNetSampler(ess_max_steps=0, quiet=True).fit(gfn_data3)


def test_show_reports_the_importance_ess_beside_the_draws(trained4, tmp_path, capsys):
    import json

    from causalpost_cli import main

    path = trained4.posterior_.save(tmp_path / "gfn.npz")
    expected = trained4.posterior_.diagnostics["ess_importance"]
    assert main(["show", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ess_importance"] == pytest.approx(expected)
    assert "ess_importance" not in shown["diagnostics"]  # the keys every sampler reports
    assert shown["diagnostics"]["ess_log_score"] == trained4.posterior_.n_draws
    assert main(["show", str(path)]) == 0
    assert f"ess_importance {expected:.4g}" in capsys.readouterr().out
