"""Structure, order and partition MCMC against exact answers, and their machinery.

References come from enumeration (every DAG on 5 nodes, every node order and
labelled partition) or from the dynamic programmes of ``causalpost.dp``,
never from the samplers' own earlier output. Budgets are fixed with fixed
seeds; the tolerances are a few Monte Carlo standard errors at the chains'
effective sample sizes.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import causalpost as cp
from causalpost.errors import CausalpostError, GraphTooLargeError, SearchSpaceWarning
from causalpost.graphs import masks_to_adjacency
from causalpost.samplers import _numba_partition as npart
from causalpost.samplers._chains import Targets
from causalpost.samplers._common import prepare_problem
from causalpost.samplers._diagnostics import (
    ChainDisagreementWarning,
    convergence_warning,
    ess,
    split_rhat,
    window_check,
)
from causalpost.samplers._numba_common import flat_table
from causalpost.samplers._plus_one import no_plus_one
from causalpost.samplers._search_space import candidate_parents
from causalpost.samplers.exact import ExactSampler, exact_log_weights
from causalpost.samplers.order_mcmc import OrderMCMC
from causalpost.samplers.partition_mcmc import PartitionMCMC, dag_levels
from causalpost.samplers.structure_mcmc import StructureMCMC
from causalpost.synthetic import linear_gaussian
from tests.conftest import chain_frame

FAST = dict(quiet=True, parameters=False, n_workers=1)


@pytest.fixture(scope="module")
def data5() -> cp.Dataset:
    """A -> B -> C -> D, A -> E with 100 rows: orientations are uncertain."""
    return cp.from_pandas(chain_frame(100, seed=1))


@pytest.fixture(scope="module")
def exact5(data5) -> np.ndarray:
    return ExactSampler(parameters=False).fit(data5).posterior_.edge_prob_matrix


def _order_modular_reference(table) -> np.ndarray:
    """Edge marginals under the order-modular prior by enumerating orders x DAGs:
    a DAG weighs its score times its number of linear extensions."""
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    d = table.n_nodes
    ranks = np.argsort(np.array(list(itertools.permutations(range(d)))), axis=1)
    counts = np.array([np.all(ranks[:, np.nonzero(a)[0]] < ranks[:, np.nonzero(a)[1]], axis=1)
                       .sum() for a in adj])
    w = log_w + np.log(counts)
    return np.einsum("s,sij->ij", np.exp(w - logsumexp(w)), adj)


# ---- accuracy against exact answers -----------------------------------------------------


def test_structure_mcmc_matches_exact(data5, exact5):
    post = StructureMCMC(n_draws=6000, thin=25, burn_in=10_000, n_chains=2, seed=0,
                         **FAST).fit(data5).posterior_
    assert np.abs(post.edge_prob_matrix - exact5).max() < 0.03
    diag = post.diagnostics
    assert diag["log_score_trace"].shape[0] == 2 and diag["converged"]
    assert 0 < diag["acceptance"]["rev"] < 1 and 0 < diag["acceptance"]["add"] < 1
    assert 1000 < diag["ess"] <= 6000


def test_partition_mcmc_matches_exact(data5, exact5):
    post = PartitionMCMC(n_draws=40_000, thin=10, burn_in=5000, n_chains=2, seed=0,
                         **FAST).fit(data5).posterior_
    assert np.abs(post.edge_prob_matrix - exact5).max() < 0.03
    assert np.abs(post.diagnostics["edge_probs_rb"] - exact5).max() < 0.03


def test_order_mcmc_matches_order_modular_enumeration(data5):
    table = prepare_problem(data5, None, None, None, None, None).table()
    reference = _order_modular_reference(table)
    post = OrderMCMC(n_draws=4000, thin=5, n_chains=1, seed=0, **FAST).fit(data5).posterior_
    assert np.abs(post.edge_prob_matrix - reference).max() < 0.03


def test_order_mcmc_matches_order_modular_dp():
    dp = pytest.importorskip("causalpost.dp")
    bench = linear_gaussian(10, 60, seed=4, noise_sd=1.0)
    table = prepare_problem(bench.data, None, None, None, None, 3).table()
    reference = dp.order_modular_edge_probs(table)
    post = OrderMCMC(max_parents=3, n_draws=12_000, thin=8, n_chains=1, seed=0,
                     **FAST).fit(bench.data).posterior_
    assert np.abs(post.edge_prob_matrix - reference).max() < 0.03


# ---- exact pieces: partition and order scores, proposals ---------------------------------


def _tab(table):
    return flat_table(table, True).arrays()


def _no_plus(tab):
    return no_plus_one(tab[7].size).arrays()  # tab[7]: each node's number of candidates


def _rb(tab, level, partition):
    return npart.mean_edge_probs(tab, _no_plus(tab), np.asarray(level, dtype=np.int64)[None],
                                 partition)


def test_partition_and_order_scores_equal_enumeration(data5):
    """The compiled partition / order scores against sums over the enumerated DAGs."""
    table = prepare_problem(data5, None, None, None, None, 3).table()
    tab = _tab(table)
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    by_partition: dict[tuple, list[float]] = {}
    for a, w in zip(adj, log_w):
        by_partition.setdefault(tuple(dag_levels(a)), []).append(w)
    assert len(by_partition) == 541  # ordered set partitions of 5 nodes
    got = np.array([npart.state_score(tab, _no_plus(tab), np.array(k), True) for k in by_partition])
    want = np.array([logsumexp(v) for v in by_partition.values()])
    np.testing.assert_allclose(got - logsumexp(got), want - logsumexp(want), atol=1e-9)
    rank = np.array([2, 0, 4, 1, 3])
    consistent = [w for a, w in zip(adj, log_w)
                  if all(rank[i] < rank[j] for i, j in zip(*np.nonzero(a)))]
    assert npart.state_score(tab, _no_plus(tab), rank, False) - logsumexp(got) == pytest.approx(
        logsumexp(consistent) - logsumexp(want), abs=1e-9)


def test_rao_blackwellised_edge_probs_equal_enumeration(data5):
    """P(i -> j | partition) and P(i -> j | order) against the DAGs enumerated per state."""
    table = prepare_problem(data5, None, None, None, None, 3).table()
    tab = _tab(table)
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    groups: dict[tuple, list[int]] = {}
    for k, a in enumerate(adj):
        groups.setdefault(tuple(dag_levels(a)), []).append(k)
    for key, rows in list(groups.items())[::7]:
        w = np.exp(log_w[rows] - logsumexp(log_w[rows]))
        np.testing.assert_allclose(_rb(tab, key, True),
                                   np.einsum("s,sij->ij", w, adj[rows]), atol=1e-9)
    rank = np.array([3, 0, 4, 1, 2])
    rows = [k for k, a in enumerate(adj) if all(rank[i] < rank[j] for i, j in zip(*np.nonzero(a)))]
    w = np.exp(log_w[rows] - logsumexp(log_w[rows]))
    np.testing.assert_allclose(_rb(tab, rank, False),
                               np.einsum("s,sij->ij", w, adj[rows]), atol=1e-9)


def _labelled_partitions(d: int) -> list[tuple[int, ...]]:
    out = []
    for lv in itertools.product(range(d), repeat=d):
        if sorted(set(lv)) == list(range(len(set(lv)))):
            out.append(lv)
    return out


def _flat_target_frequencies(move, d: int, n_steps: int, seed: int = 0) -> np.ndarray:
    """Visit frequencies of the labelled partitions of ``d`` nodes under a compiled
    proposal accepted by Metropolis-Hastings at a flat target (``move(part, new, rng)``
    returns the log Hastings ratio, NaN when there is no neighbour)."""
    rng = np.random.default_rng(seed)
    part, new = np.zeros(d, dtype=np.int64), np.zeros(d, dtype=np.int64)
    counts: Counter = Counter()
    for _ in range(n_steps):
        log_q = move(part, new, rng)
        if not np.isnan(log_q) and (log_q >= 0 or rng.random() < math.exp(log_q)):
            part = new.copy()
        counts[tuple(part.tolist())] += 1
    return np.array([counts[p] for p in _labelled_partitions(d)]) / n_steps


def test_compiled_node_move_is_symmetric():
    """The node move is accepted as symmetric: at a flat target the chain visits all 75
    labelled partitions of 4 nodes equally often (an asymmetric proposal would not)."""
    def node(part, new, rng):
        return 0.0 if npart._node_move(part, new, rng) else np.nan

    freq = _flat_target_frequencies(node, 4, 150_000)
    assert freq.size == 75 and np.abs(freq - 1 / 75).max() < 0.004


def test_compiled_split_join_targets_uniform_partitions():
    freq = _flat_target_frequencies(npart._split_join, 3, 30_000)
    assert np.abs(freq - 1 / 13).max() < 0.015


def test_compiled_swap_is_symmetric():
    def swap(part, new, rng):
        return 0.0 if npart._swap(part, new, rng, rng.random() < 0.5) else np.nan

    # swaps keep the part sizes: from (0, 1, 1) the chain visits the 3 partitions of that shape
    rng = np.random.default_rng(1)
    part, new = np.array([0, 1, 1], dtype=np.int64), np.zeros(3, dtype=np.int64)
    counts: Counter = Counter()
    for _ in range(30_000):
        if swap(part, new, rng) == 0.0:
            part = new.copy()
        counts[tuple(part.tolist())] += 1
    assert len(counts) == 3 and max(abs(c / 30_000 - 1 / 3) for c in counts.values()) < 0.015


# ---- chains, diagnostics, options --------------------------------------------------------


def test_results_do_not_depend_on_workers(data5):
    opts = dict(n_draws=60, n_chains=2, thin=5, burn_in=20, seed=3, quiet=True,
                parameters=False, disagreement_tol=1.0)
    serial = PartitionMCMC(n_workers=1, **opts).fit(data5).posterior_
    parallel = PartitionMCMC(n_workers=2, **opts).fit(data5).posterior_
    np.testing.assert_array_equal(serial.adjacency, parallel.adjacency)


def test_split_rhat_and_ess_on_known_series():
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(4, 2000))
    assert split_rhat(iid) == pytest.approx(1.0, abs=0.01)
    assert 6400 < ess(iid) < 9600
    phi, ar = 0.9, np.zeros((4, 4000))
    noise = rng.normal(size=ar.shape)
    for t in range(1, ar.shape[1]):
        ar[:, t] = phi * ar[:, t - 1] + noise[:, t]
    expected = ar.size * (1 - phi) / (1 + phi)
    assert 0.7 * expected < ess(ar) < 1.3 * expected
    shifted = iid + np.array([0, 0, 0, 3.0])[:, None]
    assert split_rhat(shifted) > 1.1
    assert split_rhat(np.ones((2, 10))) == 1.0


class _FixedChain:
    """Recorded scores and edge marginals of a chain, as ``window_check`` reads them."""

    def __init__(self, scores, marginals):
        self.rec_score = np.asarray(scores, dtype=float)
        self.rec_t = np.arange(self.rec_score.size)
        self.marginals = np.asarray(marginals, dtype=float)

    def window(self, start, end):
        return np.flatnonzero((self.rec_t >= start) & (self.rec_t < end))

    def edge_marginals(self, idx):
        return self.marginals


def test_disagreeing_chains_are_not_converged_and_the_warning_names_nodes():
    rng = np.random.default_rng(0)
    low, high = np.zeros((2, 2)), np.zeros((2, 2))
    low[0, 1], high[0, 1] = 0.02, 0.97
    chains = [_FixedChain(rng.normal(size=2000), low), _FixedChain(rng.normal(size=2000), high)]
    targets = Targets()
    diag = window_check(chains, (0, 2000), targets)
    assert diag["max_chain_disagreement"] == pytest.approx(0.95)
    assert diag["n_edges_disagreeing"] == 1  # only 0 -> 1 differs
    assert diag["chain_edge_probs"].shape == (2, 2, 2)
    assert diag["rhat_log_score"] < 1.05 and diag["ess_log_score"] > 400
    assert not diag["converged"]
    with pytest.warns(ChainDisagreementWarning, match="Clicks -> Opinion: chains 0.02 / 0.97"):
        convergence_warning(diag, ["Clicks", "Opinion"], targets, 12.0)
    agreeing = window_check([chains[0], _FixedChain(rng.normal(size=2000), low)], (0, 2000),
                            targets)
    assert agreeing["converged"]
    stuck = window_check([_FixedChain(np.r_[np.zeros(1000), np.ones(1000)] + rng.normal(
        0, 0.1, 2000), low)] * 2, (0, 2000), targets)
    assert stuck["rhat_log_score"] > 1.05 and not stuck["converged"]


def test_bad_options_raise(data5):
    with pytest.raises(CausalpostError):
        StructureMCMC(n_draws=0, **FAST).fit(data5)
    with pytest.raises(CausalpostError):
        PartitionMCMC(swap_prob=0.8, node_prob=0.5, **FAST).fit(data5)
    with pytest.raises(CausalpostError):
        OrderMCMC(search_space="nope", **FAST).fit(data5)
    with pytest.raises(GraphTooLargeError):
        StructureMCMC(search_space="full", **FAST).fit(
            cp.from_numpy(np.random.default_rng(0).normal(size=(60, 40)),
                          [f"X{i}" for i in range(40)]))


def test_search_space_expansion_recovers_excluded_parents():
    """Four candidates per node exclude true parents and leave posterior mass at the
    boundary; the iterative expansion (the default) takes them in until the boundary
    mass is below its tolerance."""
    bench = linear_gaussian(12, 300, seed=2)
    truth = bench.truth.astype(bool)
    opts = dict(sampler="partition", n_draws=300, seed=0, quiet=True, search_space="best",
                max_candidates=4, n_chains=1, parameters=False)
    with pytest.warns(SearchSpaceWarning, match="posterior mass just outside"):
        narrow = cp.fit(bench.data, expansions=0, **opts)  # the space is too narrow: loud
    grown = cp.fit(bench.data, **opts)  # expanded until within boundary_tol: no warning
    assert grown.n_draws == 300 and grown.info["sampler"] == "partition"
    assert max(narrow.diagnostics["n_candidates"]) == 4
    assert (truth & ~narrow.diagnostics["candidates"].astype(bool)).any()
    assert not (truth & ~grown.diagnostics["candidates"].astype(bool)).any()
    share = narrow.diagnostics["boundary_share"]
    assert (share >= 0).all() and (share.sum(axis=0) <= 1 + 1e-9).all()
    missed = truth & ~narrow.diagnostics["candidates"].astype(bool)
    assert share[missed].max() > 0.5  # a missed true parent claims the boundary mass
    assert grown.diagnostics["n_expansions"] >= 1
    assert grown.diagnostics["boundary_mass"] <= 0.01 < narrow.diagnostics["boundary_mass"]
    assert grown.edge_auroc(bench.truth) > max(0.85, narrow.edge_auroc(bench.truth))
    with pytest.raises(CausalpostError, match="expansions"):
        cp.fit(bench.data, expansions=-1, **opts)
    with pytest.raises(CausalpostError, match="boundary_tol"):
        cp.fit(bench.data, boundary_tol=0, **opts)


def test_candidate_parents_and_expansion(data5):
    problem = prepare_problem(data5, None, None, None, None, None)
    best = candidate_parents(problem, "best", max_candidates=2)
    assert [c.size for c in best] == [2] * 5
    pc = candidate_parents(problem, "pc", min_candidates=1)
    assert all(c.size >= 1 and j not in c for j, c in enumerate(pc))
    assert candidate_parents(problem, "full") is None



# ---- annealed burn-in ---------------------------------------------------------------------


@pytest.mark.parametrize("sampler", [PartitionMCMC, OrderMCMC])
def test_annealed_burn_in_leaves_the_target_unchanged(data5, exact5, sampler):
    """Annealing acts during burn-in only: the draws still match the exact answer."""
    if sampler is OrderMCMC:
        table = prepare_problem(data5, None, None, None, None, None).table()
        reference, opts = _order_modular_reference(table), dict(n_draws=4000, thin=5)
    else:
        reference, opts = exact5, dict(n_draws=40_000, thin=10)
    post = sampler(anneal=0.01, burn_in=20_000, n_chains=1, seed=0, **opts,
                   **FAST).fit(data5).posterior_
    assert np.abs(post.edge_prob_matrix - reference).max() < 0.03


@settings(max_examples=60, deadline=None)
@given(n_iter=st.integers(1, 5000), burn_frac=st.floats(0, 1),
       power=st.sampled_from([0.001, 0.01, 0.5, 1.0]), chunk=st.integers(1, 700))
def test_annealed_chunks_cover_the_chain_and_cool_monotonically(n_iter, burn_frac, power,
                                                                 chunk):
    from causalpost.samplers._chains import annealed_chunks

    burn_in = int(burn_frac * n_iter)
    spans = list(annealed_chunks(n_iter, burn_in, power, chunk))
    starts = [t0 for t0, _, _ in spans]
    ends = [t1 for _, t1, _ in spans]
    assert starts[0] == 0 and ends[-1] == n_iter and starts[1:] == ends[:-1]
    betas = [b for _, _, b in spans]
    assert all(power <= b <= 1 for b in betas) and betas == sorted(betas)
    cool = int(0.8 * burn_in)
    assert all(b == 1.0 for t0, _, b in spans if t0 >= cool)  # sampling at the target
    if power < 1 and cool > 0:
        assert betas[0] == pytest.approx(power)


def test_anneal_option_is_checked_and_auto_needs_a_long_burn_in(data5):
    with pytest.raises(CausalpostError, match="anneal"):
        PartitionMCMC(anneal=0.0, **FAST).fit(data5)
    with pytest.raises(CausalpostError, match="anneal"):
        OrderMCMC(anneal="hot", **FAST).fit(data5)
    problem = prepare_problem(data5, None, None, None, None, None)
    assert PartitionMCMC(burn_in=10**6)._anneal_power(problem) == 0.01
    assert OrderMCMC(search_space="pcor", burn_in=10**6)._anneal_power(problem) == 0.01
    assert PartitionMCMC(burn_in=1000)._anneal_power(problem) == 1.0  # cools too fast
    assert PartitionMCMC(n_draws=100, thin=10)._anneal_power(problem) == 1.0
    assert PartitionMCMC(anneal=None, burn_in=10**6)._anneal_power(problem) == 1.0


# ---- partial-correlation search spaces ----------------------------------------------------


def test_partial_correlations_equal_residual_correlations():
    """Partial correlation of i, j given the rest = correlation of their residuals after
    least-squares regression on the rest (the definition), up to the small ridge."""
    from causalpost.samplers._search_space import partial_correlations

    bench = linear_gaussian(6, 5000, seed=3, noise_sd=1.0)
    x = np.asarray(bench.data.values, dtype=float)
    x = (x - x.mean(0)) / x.std(0)
    got = partial_correlations(bench.data)
    for i, j in itertools.combinations(range(6), 2):
        rest = np.delete(x, [i, j], axis=1)
        resid = [x[:, k] - rest @ np.linalg.lstsq(rest, x[:, k], rcond=None)[0] for k in (i, j)]
        want = abs(np.corrcoef(resid[0], resid[1])[0, 1])
        assert got[i, j] == pytest.approx(want, abs=0.02)
        assert got[i, j] == got[j, i]
    assert np.all(np.diag(got) == 0)


def test_pcor_and_hybrid_spaces_hold_the_true_parents():
    """With edge weights away from zero, each node's largest partial correlations are its
    Markov blanket (parents, children, co-parents), so they hold every parent."""
    rng = np.random.default_rng(5)
    d, n_obs = 20, 4000
    truth = np.triu(rng.random((d, d)) < 0.12, k=1)
    weights = truth * rng.uniform(0.5, 1.0, (d, d)) * rng.choice([-1, 1], (d, d))
    x = np.zeros((n_obs, d))
    for j in range(d):
        x[:, j] = x @ weights[:, j] + rng.normal(size=n_obs)
    data = cp.from_numpy(x, [f"X{j}" for j in range(d)])
    blanket = [set(np.flatnonzero(truth[:, j])) | set(np.flatnonzero(truth[j]))
               | {int(s) for c in np.flatnonzero(truth[j]) for s in np.flatnonzero(truth[:, c])}
               - {j} for j in range(d)]
    k = max(len(b) for b in blanket)
    problem = prepare_problem(data, None, None, None, None, None)
    pcor = candidate_parents(problem, "pcor", max_candidates=k)
    hybrid = candidate_parents(problem, "hybrid", max_candidates=k)
    pc = candidate_parents(problem, "pc")
    assert all(c.size == k and j not in c for j, c in enumerate(pcor))
    assert all(b <= set(c.tolist()) for b, c in zip(blanket, pcor))
    for j, (h, p) in enumerate(zip(hybrid, pc)):
        assert j not in h and h.size <= max(16, k)
        assert blanket[j] <= set(h.tolist())
        if p.size + k <= 16:
            assert set(p.tolist()) <= set(h.tolist())


def test_pcor_needs_continuous_data_and_hybrid_falls_back_to_pc(discrete_data):
    problem = prepare_problem(discrete_data, None, None, None, None, None)
    with pytest.raises(CausalpostError, match="continuous"):
        candidate_parents(problem, "pcor")
    hybrid = candidate_parents(problem, "hybrid")
    pc = candidate_parents(problem, "pc")
    assert [c.tolist() for c in hybrid] == [c.tolist() for c in pc]


def test_score_table_reuses_unchanged_rows_and_equals_a_fresh_build(data5):
    problem = prepare_problem(data5, None, None, None, None, None)
    narrow = [np.array([k for k in range(5) if k != j][:2]) for j in range(5)]
    wider = list(narrow)
    wider[3] = np.array([0, 1, 2, 4])
    old = problem.table(narrow)
    reused, fresh = problem.table(wider, reuse=old), problem.table(wider)
    assert reused.masks[0] is old.masks[0]  # unchanged node: not rescored
    for j in range(5):
        np.testing.assert_array_equal(reused.candidates[j], fresh.candidates[j])
        np.testing.assert_array_equal(reused.masks[j], fresh.masks[j])
        np.testing.assert_allclose(reused.scores[j], fresh.scores[j])


def test_expansion_at_the_cap_swaps_unused_candidates_for_wanted_ones():
    from causalpost.samplers._boundary import expand

    share = np.zeros((5, 5))
    share[4, 0] = 0.3  # node 4 wants in as a parent of node 0
    usage = np.zeros((5, 5))
    usage[1, 0] = usage[2, 0] = 0.9  # the draws use candidates 1 and 2, never 3
    cand = [np.array([1, 2, 3])] + [np.array([0])] * 4
    grown, changed = expand(cand, share, 0.01, cap=3, usage=usage)
    assert changed and grown[0].tolist() == [1, 2, 4]
    assert [c.tolist() for c in grown[1:]] == [[0]] * 4
    full, changed = expand(cand, share, 0.01, cap=3)  # without usage: no room
    assert not changed and full[0].tolist() == [1, 2, 3]
    assert expand(cand, share, 0.5, cap=5)[1] is False  # below the tolerance


def test_warm_started_chains_continue_from_the_pilots_states(data5):
    """The final run's chain k starts where pilot chain k ended (its order or partition),
    with that state's score, instead of a fresh hill climb."""
    from causalpost.samplers._chains import chain_seeds

    problem = prepare_problem(data5, None, None, None, None, 3)
    table = problem.table()
    for sampler in (OrderMCMC(n_chains=2, seed=0, quiet=True),
                    PartitionMCMC(n_chains=2, seed=0, quiet=True)):
        pilot = sampler._run(problem, table, chain_seeds(0, 2)[0],
                             sampler._plan(5), sampler._targets(), float("inf"), False)
        starts = sampler._warm_starts(pilot)
        assert starts is not None and len(starts) == 2
        payload = sampler._payload(problem, table, None, starts)
        chains = sampler._make_chains(payload, chain_seeds(1, 2)[0])
        for chain, pilot_chain in zip(chains, pilot.chains):
            chain.start()
            np.testing.assert_array_equal(chain.level, pilot_chain.level)
            assert chain.score == pytest.approx(pilot_chain.score)
    assert OrderMCMC()._warm_starts(None) is None
