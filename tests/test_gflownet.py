"""DAG-GFlowNet sampler: environment invariants, exactness of the DP, accuracy, contract.

Reference answers come from exact enumeration of all DAGs
(:func:`causalpost.samplers.exact.exact_log_weights`) and from brute-force
graph checks, never from the sampler's own earlier output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import causalpost as cp
from causalpost.errors import NotFittedError
from causalpost.graphs import adjacency_to_masks, is_acyclic, masks_to_adjacency
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.gflownet import DAGEnv, GFlowNetSampler, NodePolicy, policy_log_probs

# Every device torch can use here: CI has only the CPU; on a GPU machine the same
# tests also run on CUDA (``pytest tests/test_gflownet.py`` there).
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


pytestmark = pytest.mark.usefixtures("one_torch_thread")




def _table(data, **kw):
    return prepare_problem(data, "bge", None, None, kw.get("knowledge"),
                           kw.get("max_parents")).table()


def _edge_marginals(log_p, masks):
    return np.einsum("n,nij->ij", np.exp(log_p), masks_to_adjacency(masks))


def test_env_closure_mask_and_rewards_match_brute_force(gfn_data4):
    table = _table(gfn_data4, max_parents=2)
    env = DAGEnv.from_table(table, np.zeros((4, 4), bool))
    gen = torch.Generator().manual_seed(0)
    states = env.reset(64)
    from causalpost.samplers.gflownet.trainer import sample_actions

    for _ in range(6):
        mask = env.valid_actions(states)
        adj = states.adj.numpy()
        for b in range(0, 64, 7):  # brute force: an edge is valid iff the result is a DAG
            for i in range(4):
                for j in range(4):
                    new = adj[b].copy()
                    new[i, j] = True
                    ok = (i != j and not adj[b, i, j] and is_acyclic(new)
                          and adj[b, :, j].sum() < 2)
                    assert bool(mask[b, i * 4 + j]) == ok
        actions = sample_actions(torch.zeros(64, 17), mask, 1.0, gen)
        delta = env.delta_scores(states, actions).double().numpy()
        nxt = env.step(states, actions)
        expect = table.graph_scores(nxt.adj.numpy()) - table.graph_scores(adj)
        np.testing.assert_allclose(delta, expect, atol=1e-4)
        closure = np.linalg.matrix_power(nxt.adj.numpy().astype(int) + np.eye(4, dtype=int), 4)
        np.testing.assert_array_equal(nxt.closure.numpy(), closure > 0)
        states = nxt


def test_exact_distribution_of_a_policy_matches_its_draws(gfn_data3):
    table = _table(gfn_data3)
    masks, _ = exact_log_weights(table)
    env = DAGEnv.from_table(table, np.zeros((3, 3), bool))
    gfn = GFlowNetSampler(n_steps=1, batch_size=4, n_envs=2, n_draws=2, width=16, n_heads=2,
                          seed=0, quiet=True, parameters=False).fit(gfn_data3)
    log_q = policy_log_probs(gfn.policy_, env, masks)
    assert np.exp(log_q).sum() == pytest.approx(1.0, abs=1e-5)
    draws = adjacency_to_masks(gfn.sample(20_000, seed=1))
    freq = np.array([np.all(draws == m, axis=1).mean() for m in masks])
    np.testing.assert_allclose(freq, np.exp(log_q), atol=0.015)


@pytest.mark.parametrize("device", DEVICES)
def test_trained_sampler_matches_exact_edge_marginals(gfn_data4, device):
    masks, log_w = exact_log_weights(_table(gfn_data4))
    exact = _edge_marginals(log_w, masks)
    gfn = GFlowNetSampler(n_steps=800, batch_size=64, n_draws=4000, width=32, n_layers=1,
                          seed=0, quiet=True, parameters=False, device=device).fit(gfn_data4)
    learned = _edge_marginals(policy_log_probs(gfn.policy_, gfn.env_, masks), masks)
    assert np.abs(learned - exact).max() < 0.05
    drawn = gfn.posterior_.edge_probs.to_numpy()
    assert np.abs(drawn - exact).max() < 0.05


@pytest.mark.parametrize("device", DEVICES)
def test_draws_are_acyclic_and_honour_knowledge(gfn_data4, device):
    names = list(gfn_data4.names)
    knowledge = cp.BackgroundKnowledge(
        forbidden=frozenset({(names[0], names[1])}),
        required=frozenset({(names[2], names[3])}),
        tiers=((names[3],), (names[0],)),
    )
    gfn = GFlowNetSampler(knowledge=knowledge, max_parents=2, n_steps=300, n_draws=500,
                          width=16, n_layers=1, n_heads=2, seed=0, quiet=True,
                          device=device).fit(gfn_data4)
    adj = gfn.posterior_.adjacency
    assert is_acyclic(adj).all()
    assert not adj[:, 0, 1].any()  # forbidden
    assert adj[:, 2, 3].all()  # required
    assert not adj[:, 0, 3].any()  # tiers: X3 before X0
    assert adj.sum(1).max() <= 2  # max_parents
    # the policy puts all its mass on the allowed DAGs (those in the exact enumeration)
    table = _table(gfn_data4, knowledge=knowledge, max_parents=2)
    masks, _ = exact_log_weights(table)
    log_q = policy_log_probs(gfn.policy_, gfn.env_, masks)
    assert np.exp(log_q).sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_same_seed_same_draws(gfn_data3, device):
    def fit(seed):
        return GFlowNetSampler(n_steps=60, n_draws=200, width=16, n_layers=1, n_heads=2,
                               seed=seed, quiet=True, device=device).fit(gfn_data3)

    first, again, other = fit(7).posterior_, fit(7).posterior_, fit(8).posterior_
    np.testing.assert_array_equal(first.adjacency, again.adjacency)
    assert not np.array_equal(first.adjacency, other.adjacency)


@pytest.mark.parametrize("device", DEVICES)
def test_save_load_gives_the_same_samples(gfn_data3, tmp_path, device):
    gfn = GFlowNetSampler(n_steps=60, n_draws=50, width=32, n_layers=1, seed=0,
                          quiet=True, device=device).fit(gfn_data3)
    path = tmp_path / "gfn.pt"
    gfn.save(path)
    loaded = GFlowNetSampler.load(path, device=device)
    np.testing.assert_array_equal(loaded.sample(300, seed=4), gfn.sample(300, seed=4))
    for (name, a), b in zip(gfn.policy_.state_dict().items(),
                            loaded.policy_.state_dict().values()):
        assert torch.equal(a, b), name
    on_cpu = GFlowNetSampler.load(path, device="cpu")  # a GPU-trained policy loads anywhere
    assert is_acyclic(on_cpu.sample(50, seed=0)).all()
    post = loaded.draw_posterior(gfn_data3, n_draws=20, seed=0)
    assert post.n_draws == 20 and is_acyclic(post.adjacency).all()
    with pytest.raises(NotFittedError):
        _ = loaded.posterior_


def test_not_fitted_and_bad_options(gfn_data3, tmp_path):
    gfn = GFlowNetSampler()
    with pytest.raises(NotFittedError):
        _ = gfn.posterior_
    with pytest.raises(NotFittedError):
        gfn.sample(3)
    with pytest.raises(cp.CausalpostError):
        GFlowNetSampler(loss="l1").fit(gfn_data3)
    with pytest.raises(cp.CausalpostError):
        GFlowNetSampler(n_steps=0).fit(gfn_data3)
    bad = tmp_path / "bad.pt"
    torch.save({"state_dict": {}, "config": {"format": "other"}}, bad)
    with pytest.raises(cp.CausalpostError):
        GFlowNetSampler.load(bad)


def test_registry_and_fit_entry_point(gfn_data3):
    post = cp.fit(gfn_data3, sampler="gfn", n_draws=30, n_steps=20, seed=0, quiet=True)
    assert post.n_draws == 30 and post.info["sampler"] == "gfn"
    assert set(post.params)  # conjugate parameters attached


def test_policy_is_a_distribution_over_valid_actions():
    net = NodePolicy(4, width=16, n_layers=1, n_heads=2,
                     generator=torch.Generator().manual_seed(0))
    adj = torch.zeros(3, 4, 4, dtype=torch.bool)
    closure = torch.eye(4, dtype=torch.bool).expand(3, 4, 4)
    mask = torch.rand(3, 17, generator=torch.Generator().manual_seed(1)) < 0.5
    mask[:, -1] = True
    probs = net(adj, closure, mask).exp()
    assert torch.all(probs[~mask] == 0)
    torch.testing.assert_close(probs.sum(1), torch.ones(3, dtype=probs.dtype))


def test_edge_deltas_match_one_edge_score_differences(gfn_data4):
    table = _table(gfn_data4, max_parents=2)
    env = DAGEnv.from_table(table, np.zeros((4, 4), bool))
    from causalpost.samplers.gflownet.trainer import sample_actions

    states, gen = env.reset(32), torch.Generator().manual_seed(2)
    for _ in range(3):
        states = env.step(states, sample_actions(torch.zeros(32, 17), env.valid_actions(states),
                                                 1.0, gen))
    deltas, mask = env.edge_deltas(states), env.valid_actions(states)[:, :16]
    for action in range(16):
        rows = torch.nonzero(mask[:, action])[:, 0]
        if rows.numel():
            acts = torch.full((rows.numel(),), action)
            torch.testing.assert_close(deltas[rows, action],
                                       env.delta_scores(states.index(rows), acts))


def test_reward_guided_exploration_trains_and_is_seeded(gfn_data3):
    def fit(seed):
        return GFlowNetSampler(n_steps=60, max_seconds=None, guide=0.5, n_draws=50, width=16,
                               n_heads=2, seed=seed, quiet=True, parameters=False).fit(gfn_data3)

    first, again = fit(3), fit(3)
    np.testing.assert_array_equal(first.posterior_.adjacency, again.posterior_.adjacency)
    assert is_acyclic(first.posterior_.adjacency).all()
    with pytest.raises(cp.CausalpostError, match="guide must be in"):
        GFlowNetSampler(guide=1.5).fit(gfn_data3)
