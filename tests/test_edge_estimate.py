"""The reported edge marginals: Rao-Blackwellised inside the search space, the plus-one
estimate outside it, the draws' frequencies otherwise (causalpost._edge_estimate). Order
MCMC runs here with ``plus_one=False`` where the estimate is under test: by default it
samples the plus-one space itself (tests/test_plus_one.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import causalpost as cp
from causalpost import Posterior, dp
from causalpost._edge_estimate import edge_estimate
from causalpost.data import from_numpy
from causalpost.errors import SearchSpaceWarning
from causalpost.knowledge import BackgroundKnowledge
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.order_mcmc import OrderMCMC
from causalpost.samplers.partition_mcmc import PartitionMCMC
from tests.conftest import chain_frame


def _collider(n: int = 300, seed: int = 0):
    """X2 = X0 + X1 + noise, X0 and X1 independent: a collider."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = x.sum(axis=1) + 0.5 * rng.normal(size=n)
    return from_numpy(np.c_[x, y], ["X0", "X1", "X2"])


RESTRICTED = dict(n_draws=200, n_chains=2, seed=0, quiet=True, parameters=False,
                  search_space="best", max_candidates=1, expansions=0, max_seconds=60)


def test_a_posterior_without_sampler_records_reports_its_draw_frequencies():
    adj = np.array([[[0, 1], [0, 0]], [[0, 0], [1, 0]], [[0, 1], [0, 0]]])
    post = Posterior(["A", "B"], adj, np.log([0.5, 0.3, 0.2]))
    np.testing.assert_allclose(post.edge_prob_matrix, [[0, 0.7], [0.3, 0]])
    np.testing.assert_array_equal(post.edge_prob_matrix, post.draw_edge_frequencies)


def test_order_mcmc_reports_rao_blackwellised_marginals_close_to_the_dp():
    data5 = cp.from_pandas(chain_frame(100, seed=1))
    problem = prepare_problem(data5, None, None, None, None, None)
    exact = dp.order_modular_edge_probs(problem.table())
    post = OrderMCMC(n_draws=300, n_chains=2, seed=1, quiet=True,
                     parameters=False).fit(data5).posterior_
    rb = np.asarray(post.diagnostics["edge_probs_rb"])
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(post.edge_prob_matrix[off], rb[off])
    assert not np.array_equal(post.edge_prob_matrix, post.draw_edge_frequencies)
    assert np.abs(post.edge_prob_matrix - exact).max() < 0.05


def test_an_edge_outside_the_space_reports_its_plus_one_estimate_not_zero():
    # one candidate each, and the parents of the collider may not have X2 as a parent:
    # X2 admits one of its two parents, the other parent is outside its space
    knowledge = BackgroundKnowledge(forbidden=frozenset({("X2", "X0"), ("X2", "X1")}))
    with pytest.warns(SearchSpaceWarning):
        post = OrderMCMC(knowledge=knowledge, plus_one=False,
                         **RESTRICTED).fit(_collider()).posterior_
    cand = np.asarray(post.diagnostics["candidates"], dtype=bool)
    estimate = np.asarray(post.diagnostics["edge_probs_outside"])
    excluded = [i for i in (0, 1) if not cand[i, 2]]
    assert len(excluded) == 1
    i = excluded[0]
    assert post.draw_edge_frequencies[i, 2] == 0.0  # the chains cannot sample it
    assert estimate[i, 2] > 0.99  # adding it to X2's parents gains many nats in every draw
    assert post.edge_prob_matrix[i, 2] == pytest.approx(estimate[i, 2])  # reported, not 0
    probs = post.edge_prob_matrix
    assert np.all(probs + probs.T <= 1.0 + 1e-9)


def test_a_reversal_the_space_forces_is_not_counted_as_the_edge():
    """Where the space only admits X2 -> parent, the draws all hold it, and adding the
    parent to X2 would close a cycle: the plus-one estimate (additions only) is 0, while
    the boundary (which counts the reversal) says the data want it, and warns."""
    with pytest.warns(SearchSpaceWarning):
        post = OrderMCMC(plus_one=False, **RESTRICTED).fit(_collider()).posterior_
    cand = np.asarray(post.diagnostics["candidates"], dtype=bool)
    i = next(i for i in (0, 1) if not cand[i, 2])
    assert post.draw_edge_frequencies[2, i] == pytest.approx(1.0)
    assert post.diagnostics["edge_probs_outside"][i, 2] == 0.0
    assert post.diagnostics["boundary_share"][i, 2] > 0.5


def test_a_forbidden_edge_stays_at_zero():
    knowledge = BackgroundKnowledge(forbidden=frozenset({("X1", "X2"), ("X0", "X2")}))
    with pytest.warns(SearchSpaceWarning):
        post = PartitionMCMC(knowledge=knowledge, **RESTRICTED).fit(_collider()).posterior_
    assert post.edge_prob_matrix[0, 2] == 0.0 and post.edge_prob_matrix[1, 2] == 0.0
    assert post.edge_prob_matrix.max() > 0.3  # the other edges are still reported


def test_the_estimate_survives_a_save_and_load(tmp_path):
    with pytest.warns(SearchSpaceWarning):
        post = OrderMCMC(plus_one=False, **RESTRICTED).fit(_collider()).posterior_
    loaded = Posterior.load(post.save(tmp_path / "p.npz"))
    np.testing.assert_allclose(loaded.edge_prob_matrix, post.edge_prob_matrix, atol=1e-12)


def _probability_pairs(d: int):
    """Edge-probability matrices with P(i -> j) + P(j -> i) <= 1 and a zero diagonal."""
    def build(raw):
        split = raw[0] / max(raw[0].max(), 1.0)
        upper = np.triu(split, 1)
        lower = np.triu(raw[1] * (1 - split), 1)
        out = upper + lower.T
        return out
    return arrays(np.float64, (2, d, d), elements=st.floats(0, 1)).map(build)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda d: st.tuples(
    _probability_pairs(d), arrays(np.float64, (d, d), elements=st.floats(0, 1)),
    arrays(np.bool_, (d, d)), st.booleans())))
def test_estimate_invariants(case):
    inside, share, candidates, with_rb = case
    d = inside.shape[0]
    diagnostics = {"candidates": candidates, "edge_probs_outside": share}
    if with_rb:
        diagnostics["edge_probs_rb"] = inside
    frequencies = np.zeros((d, d)) if with_rb else inside
    probs = edge_estimate(frequencies, diagnostics)
    off = ~np.eye(d, dtype=bool)
    outside = ~candidates & off
    assert np.all((probs >= 0) & (probs <= 1)) and np.all(np.diag(probs) == 0)
    target = np.where(outside, share, inside)  # before the pairs are capped
    fits = (target + target.T <= 1) & off
    np.testing.assert_allclose(probs[fits], target[fits])
    # an edge and its reverse never sum past 1; a pair that would is scaled, in proportion
    assert np.all(probs + probs.T <= 1 + 1e-12)
    over = ~fits & off
    np.testing.assert_allclose((probs * (target + target.T))[over], target[over])


def test_show_marks_edges_outside_the_search_space(tmp_path, capsys):
    from causalpost_cli import main

    with pytest.warns(SearchSpaceWarning):
        post = OrderMCMC(plus_one=False, **RESTRICTED).fit(_collider()).posterior_
    path = post.save(tmp_path / "p.npz")
    assert main(["show", str(path), "--min-prob", "0.05"]) == 0
    out = capsys.readouterr().out
    outside = np.asarray(post.diagnostics["candidates"], dtype=bool) == 0
    probs = post.edge_prob_matrix
    marked = [line for line in out.splitlines() if line.endswith("(outside the search space)")]
    expected = int((outside & (probs >= 0.05) & ~np.eye(3, dtype=bool)).sum())
    assert expected >= 1 and len(marked) == expected
    assert "one parent from outside the candidates" in out


def test_the_heatmap_marks_cells_outside_the_space_that_it_reports():
    from matplotlib.patches import Rectangle

    from causalpost.plot import plot_edge_probs
    from causalpost.plot._posterior import OUTSIDE_COLOUR, OUTSIDE_SHOWN

    adj = np.zeros((4, 3, 3), dtype=np.uint8)
    adj[:, 0, 1] = 1
    candidates = np.ones((3, 3), dtype=np.uint8)
    candidates[2, 1] = candidates[0, 2] = candidates[1, 2] = 0
    share = np.zeros((3, 3))
    share[2, 1], share[0, 2], share[1, 2] = 0.2, 0.5 * OUTSIDE_SHOWN, 0.04
    post = Posterior(["A", "B", "C"], adj,
                     diagnostics={"candidates": candidates, "edge_probs_outside": share})
    assert post.edge_prob_matrix[2, 1] == pytest.approx(0.2)
    ax = plot_edge_probs(post).axes[0]
    from matplotlib.colors import to_rgba
    marks = [p for p in ax.patches if isinstance(p, Rectangle)
             and p.get_facecolor() == to_rgba(OUTSIDE_COLOUR)]
    cells = sorted((round(p.get_y() - 0.2), round(p.get_x() + 0.5)) for p in marks)
    assert cells == [(1, 2), (2, 1)]  # (row, column): C -> B and B -> C; A -> C is too small
    legend = ax.figure.legends[0] if ax.figure.legends else ax.get_legend()
    assert any("outside the search space (2 with" in t.get_text() for t in legend.get_texts())


@pytest.mark.parametrize("weight", [0.15, 0.18, 0.22])
def test_the_plus_one_estimate_matches_the_exact_probability_of_an_excluded_edge(weight):
    """X2 = X0 + w X1 + noise with X2's space {X0}: a weak second parent is left outside.
    Its reported probability is the exact one (full space, same knowledge) within Monte
    Carlo error; 0 would be off by the whole of it."""
    rng = np.random.default_rng(5)
    x0, x1 = rng.normal(size=(2, 200))
    x2 = x0 + weight * x1 + rng.normal(size=200)
    data = from_numpy(np.c_[x0, x1, x2], ["X0", "X1", "X2"])
    knowledge = BackgroundKnowledge(forbidden=frozenset({("X2", "X0"), ("X2", "X1")}))
    exact = cp.fit(data, sampler="exact", knowledge=knowledge, quiet=True,
                   parameters=False).edge_prob_matrix[1, 2]
    assert 0.1 < exact < 0.95  # an edge the data leave open
    with pytest.warns(SearchSpaceWarning):
        post = OrderMCMC(knowledge=knowledge, plus_one=False, **RESTRICTED).fit(data).posterior_
    assert not post.diagnostics["candidates"][1, 2]
    assert post.edge_prob_matrix[1, 2] == pytest.approx(exact, abs=0.05)
    # order MCMC's default samples the plus-one space, here every set of X2: its target
    # is then the order-modular posterior of the full space, computed exactly by the DP
    sampled = OrderMCMC(knowledge=knowledge, **RESTRICTED).fit(data).posterior_
    assert sampled.diagnostics["plus_one_nodes"][2]
    order_modular = dp.order_modular_edge_probs(
        prepare_problem(data, None, None, None, knowledge, None).table())[1, 2]
    assert sampled.edge_prob_matrix[1, 2] == pytest.approx(order_modular, abs=0.03)
    assert sampled.draw_edge_frequencies[1, 2] == pytest.approx(order_modular, abs=0.1)
