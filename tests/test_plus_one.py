"""The plus-one space of order MCMC (causalpost.samplers._plus_one) against enumeration.

The reference is the plus-one space written out as an ordinary score table (every
node a candidate, the parent sets being the candidate sets and each of them plus one
outsider, as the builder scored them): exact enumeration of its DAGs at d = 5 and the
order-modular DP at d = 9 then give what the compiled order kernel must match.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import causalpost as cp
from causalpost import dp
from causalpost._edge_estimate import outside_space
from causalpost.samplers import _numba_partition as npart
from causalpost.samplers._boundary import boundary_and_plus_one
from causalpost.samplers._common import prepare_problem
from causalpost.samplers._numba_common import flat_table
from causalpost.samplers._plus_one import build_plus_one, no_plus_one
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.order_mcmc import OrderMCMC
from causalpost.scores import ScoreTable
from causalpost.synthetic import linear_gaussian

FAST = dict(anneal=None, quiet=True, max_seconds=120, rhat_target=10.0, ess_target=1.0,
            disagreement_tol=1.0)


@pytest.fixture(scope="module")
def chain5() -> cp.Dataset:
    """A -> B -> C -> D -> E with strong links, so the outsiders matter."""
    rng = np.random.default_rng(7)
    x = np.zeros((200, 5))
    x[:, 0] = rng.normal(size=200)
    for j in range(1, 5):
        x[:, j] = 0.9 * x[:, j - 1] + 0.6 * rng.normal(size=200)
    return cp.from_numpy(x, list("ABCDE"))


def _restricted(data: cp.Dataset, max_parents: int, width: int):
    """A problem and a table whose candidates leave out each node's strongest parents:
    node j's candidates are the ``width`` nodes farthest from it in index."""
    problem = prepare_problem(data, None, None, None, None, max_parents)
    d = data.n_nodes
    candidates = [np.array(sorted(sorted((i for i in range(d) if i != j),
                                         key=lambda i: -abs(i - j))[:width]), dtype=np.int64)
                  for j in range(d)]
    return problem, problem.table(candidates)


def _written_out(table: ScoreTable, plus) -> ScoreTable:
    """The plus-one space as an ordinary table: every node a candidate, the parent sets
    those of ``table`` and those the builder scored with one outsider."""
    d = table.n_nodes
    masks, scores, every = [], [], []
    for j in range(d):
        cand = np.asarray(table.candidates[j])
        others = np.array([i for i in range(d) if i != j], dtype=np.int64)
        bit = {int(i): k for k, i in enumerate(others)}

        def as_mask(local: int, extra: int | None = None, cand=cand, bit=bit) -> int:
            nodes = [int(cand[k]) for k in range(cand.size) if (local >> k) & 1]
            nodes += [] if extra is None else [extra]
            return sum(1 << bit[i] for i in nodes)

        m = [as_mask(int(x)) for x in table.masks[j]]
        s = list(table.scores[j])
        for k in range(int(plus.n_out[j])):
            o = int(plus.out[j, k])
            lo, hi = plus.r_off[j, k], plus.r_off[j, k + 1]
            m += [as_mask(int(x), o) for x in plus.r_masks[lo:hi]]
            s += list(plus.r_scores[lo:hi])
        every.append(others)
        masks.append(np.array(m, dtype=np.int64))
        scores.append(np.array(s, dtype=np.float64))
    return ScoreTable(d, tuple(every), tuple(masks), tuple(scores), table.max_parents)


def _consistent(adjacency: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Which DAGs of a batch are consistent with the order ``rank``."""
    later = rank[:, None] < rank[None, :]
    return ~(adjacency.astype(bool) & ~later).any(axis=(1, 2))


@pytest.fixture(scope="module")
def space5(chain5):
    problem, table = _restricted(chain5, max_parents=3, width=2)
    plus = build_plus_one(problem, table, gap=np.inf)
    reference = _written_out(table, plus)
    masks, log_w = exact_log_weights(reference)
    return table, plus, reference, cp.graphs.masks_to_adjacency(masks), log_w


def test_every_allowed_set_with_one_outsider_is_scored(space5, chain5):
    """With no gap the builder extends every candidate set within max_parents - 1, and
    each score is the bound score of that set plus its prior."""
    table, plus, reference, _, _ = space5
    problem = prepare_problem(chain5, None, None, None, None, 3)
    assert plus.nodes.all() and (plus.n_out == 2).all()  # 4 others, 2 candidates each
    log_prior = problem.prior.log_prior_by_size(5)
    for j in range(5):
        cand = np.asarray(table.candidates[j])
        for k in range(2):
            o = int(plus.out[j, k])
            lo, hi = plus.r_off[j, k], plus.r_off[j, k + 1]
            assert hi - lo == 4  # every subset of 2 candidates, plus o: at most 3 parents
            for mask, score in zip(plus.r_masks[lo:hi], plus.r_scores[lo:hi]):
                parents = tuple(sorted([int(cand[b]) for b in range(2) if (mask >> b) & 1]
                                       + [o]))
                want = problem.bound.local_score(j, parents) + log_prior[len(parents)]
                assert score == pytest.approx(want, abs=1e-9)
    assert sum(m.size for m in reference.masks) == 5 * (4 + 2 * 4)


def test_order_scores_equal_enumeration(space5):
    """An order's score is the log summed weight of the plus-one DAGs consistent with it."""
    table, plus, _, adj, log_w = space5
    tab, arrays = flat_table(table, True).arrays(), plus.arrays()
    rng = np.random.default_rng(0)
    ranks = [rng.permutation(5) for _ in range(12)]
    got = np.array([npart.state_score(tab, arrays, r, False) for r in ranks])
    want = np.array([logsumexp(log_w[_consistent(adj, r)]) for r in ranks])
    np.testing.assert_allclose(got - got[0], want - want[0], atol=1e-9)
    none = no_plus_one(5).arrays()
    plain = np.array([npart.state_score(tab, none, r, False) for r in ranks])
    assert (got > plain + 1e-6).all()  # the outsiders add weight to every order


def test_rao_blackwellised_edge_probs_equal_enumeration(space5):
    """P(i -> j | order), candidates and outsiders alike, against the DAGs consistent
    with the order."""
    table, plus, _, adj, log_w = space5
    tab = flat_table(table, True).arrays()
    rng = np.random.default_rng(1)
    for rank in (rng.permutation(5) for _ in range(6)):
        rows = _consistent(adj, rank)
        p = np.exp(log_w[rows] - logsumexp(log_w[rows]))
        want = np.tensordot(p, adj[rows].astype(float), axes=1)
        got = npart.mean_edge_probs(tab, plus.arrays(), rank[None].astype(np.int64), False)
        np.testing.assert_allclose(got, want, atol=1e-9)
        cand = np.zeros((5, 5), dtype=bool)
        for j, c in enumerate(table.candidates):
            cand[c, j] = True
        assert got[~cand & ~np.eye(5, dtype=bool)].max() > 0.05  # outsiders do matter


def test_dag_draws_given_an_order_follow_enumeration(space5):
    """DAGs drawn given an order have the enumerated frequencies and their scores."""
    table, plus, reference, adj, log_w = space5
    tab = flat_table(table, True).arrays()
    rank = np.array([0, 1, 2, 3, 4], dtype=np.int64)
    rows = np.flatnonzero(_consistent(adj, rank))
    p = np.exp(log_w[rows] - logsumexp(log_w[rows]))
    n = 20_000
    local = np.zeros((n, 5), dtype=np.int64)
    extra = np.full((n, 5), -1, dtype=np.int64)
    scores = npart.draw_dags(tab, plus.arrays(), np.repeat(rank[None], n, axis=0), False,
                             np.random.default_rng(2), local, extra)
    drawn = np.zeros((n, 5, 5), dtype=np.uint8)
    npart._to_adjacency(tab[6], local, drawn)
    s, j = np.nonzero(extra >= 0)
    drawn[s, extra[s, j], j] = 1
    assert (extra >= 0).mean() > 0.05
    np.testing.assert_allclose(scores, reference.graph_scores(drawn), atol=1e-9)
    keys = {a.tobytes(): r for r, a in enumerate(adj[rows])}
    counts = np.bincount([keys[a.tobytes()] for a in drawn], minlength=rows.size)
    assert np.abs(counts / n - p).max() < 4 * np.sqrt(p.max() / n) + 1e-3


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), width=st.integers(0, 3))
def test_draws_are_dags_of_the_order_with_one_outsider_at_most(chain5, seed, width):
    """Any order, any width of the candidate space: every draw is consistent with the
    order, holds at most one outsider per parent set, and its score is the table's."""
    problem, table = _restricted(chain5, max_parents=3, width=width)
    plus = build_plus_one(problem, table, gap=np.inf)
    reference = _written_out(table, plus)
    tab = flat_table(table, True).arrays()
    rng = np.random.default_rng(seed)
    ranks = np.array([rng.permutation(5) for _ in range(50)], dtype=np.int64)
    local = np.zeros((50, 5), dtype=np.int64)
    extra = np.full((50, 5), -1, dtype=np.int64)
    scores = npart.draw_dags(tab, plus.arrays(), ranks, False, rng, local, extra)
    drawn = np.zeros((50, 5, 5), dtype=np.uint8)
    npart._to_adjacency(tab[6], local, drawn)
    s, j = np.nonzero(extra >= 0)
    drawn[s, extra[s, j], j] = 1
    for a, rank in zip(drawn, ranks):
        assert _consistent(a[None], rank)[0]
    assert drawn.sum(axis=1).max() <= 3
    np.testing.assert_allclose(scores, reference.graph_scores(drawn), atol=1e-9)
    probs = npart.mean_edge_probs(tab, plus.arrays(), ranks, False)
    assert probs.min() >= 0 and (probs + probs.T).max() <= 1 + 1e-9


def test_fit_matches_the_order_modular_dp_of_the_plus_one_space():
    """Order MCMC on a space of one candidate per node (expansions off): its reported
    marginals, outsiders included, against the DP over the written-out plus-one space."""
    data = linear_gaussian(9, 100, seed=3, noise_sd=1.0).data
    sampler = OrderMCMC(search_space="best", max_candidates=1, expansions=0, max_parents=3,
                        n_draws=2000, n_chains=2, seed=0, thin=512, **FAST)
    with pytest.warns(cp.errors.SearchSpaceWarning):
        post = sampler.fit(data).posterior_
    diag = post.diagnostics
    assert diag["plus_one_nodes"].all() and diag["plus_one_sets"] > 0
    problem = prepare_problem(data, None, None, None, None, 3)
    cand = np.asarray(diag["candidates"], dtype=bool)
    table = problem.table([np.flatnonzero(cand[:, j]) for j in range(9)])
    reference = dp.order_modular_edge_probs(_written_out(table, build_plus_one(problem, table)))
    assert np.abs(post.edge_prob_matrix - reference).max() < 0.05
    outside = ~cand & ~np.eye(9, dtype=bool)
    assert reference[outside].max() > 0.5  # the space's candidates miss strong parents
    assert post.draw_edge_frequencies[outside].max() > 0.5  # and the draws hold them
    assert not outside_space(diag, 9).any()  # every edge is inside the sampled space


def test_budgets_take_the_cheapest_nodes_and_the_rest_keep_the_estimate(chain5):
    """A budget too small for every node: the cheapest ones get outsiders, the others
    keep the candidate space (their outside edges then use the plus-one estimate)."""
    problem, table = _restricted(chain5, max_parents=3, width=2)
    full = build_plus_one(problem, table, gap=np.inf)
    assert full.nodes.all()
    tight = build_plus_one(problem, table, gap=np.inf, max_sets=2 * 8 + 1)
    assert tight.nodes.sum() == 2 and tight.n_sets == 16
    assert (tight.n_out[~tight.nodes] == 0).all()
    cheapest = np.flatnonzero(tight.nodes)
    urgent = np.zeros(5, dtype=bool)
    urgent[[j for j in range(5) if j not in cheapest][:1]] = True
    served = build_plus_one(problem, table, gap=np.inf, max_sets=2 * 8 + 1, first=urgent)
    assert served.nodes[urgent].all() and served.nodes.sum() == 2  # the urgent one first
    nothing = build_plus_one(problem, table, max_entries=0)
    assert not nothing.nodes.any()
    diag = {"candidates": np.zeros((5, 5), dtype=np.uint8), "plus_one_nodes": tight.nodes}
    assert (outside_space(diag, 5).any(axis=0) == ~tight.nodes).all()


def test_boundary_of_a_plus_one_node_counts_only_a_second_outsider(chain5):
    """Draws whose parent set holds no outsider sit one step inside the plus-one space:
    they add nothing to its boundary; a draw holding one does."""
    problem, table = _restricted(chain5, max_parents=3, width=2)
    plus_nodes = np.ones(5, dtype=bool)
    empty = np.zeros((3, 5, 5), dtype=np.uint8)
    share, _ = boundary_and_plus_one(problem, table.candidates, empty,
                                     plus_one_nodes=plus_nodes)
    assert share.max() == 0
    plain, _ = boundary_and_plus_one(problem, table.candidates, empty)
    assert plain.max() > 0
    one = empty.copy()
    j = 4
    o = [i for i in range(4) if i not in set(table.candidates[j].tolist())][0]
    one[:, o, j] = 1
    share, _ = boundary_and_plus_one(problem, table.candidates, one, plus_one_nodes=plus_nodes)
    assert share[:, j].sum() > 0 and share[o, j] == 0


@pytest.mark.parametrize("value", [1, "yes", None])
def test_plus_one_takes_only_true_or_false(chain5, value):
    with pytest.raises(cp.errors.CausalpostError, match="plus_one must be True or False"):
        OrderMCMC(plus_one=value, quiet=True).fit(chain5)
