"""Exact edge marginals by dynamic programming, checked against brute-force enumeration.

References come from listing every DAG (and, for the order-modular prior,
every (order, DAG) pair), never from the dynamic programmes themselves.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import causalpost as cp
from causalpost.dp import dag_modular_edge_probs, order_modular_edge_probs
from causalpost.errors import CausalpostError, GraphTooLargeError
from causalpost.graphs import enumerate_parent_masks, masks_to_adjacency
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import exact_log_weights
from causalpost.scores import ScoreTable
from tests.conftest import chain_frame, discrete_frame

TOL = 1e-8


def _dag_scores(table: ScoreTable) -> tuple[np.ndarray, np.ndarray]:
    masks = enumerate_parent_masks(table.n_nodes)
    total = np.zeros(masks.shape[0])
    for node in range(table.n_nodes):
        total += table.dense(node)[masks[:, node]]
    return masks, total


def _edge_probs(masks: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    keep = np.isfinite(log_w)
    weights = np.exp(log_w[keep] - logsumexp(log_w[keep]))
    return np.einsum("s,sij->ij", weights, masks_to_adjacency(masks[keep]).astype(float))


def brute_dag_modular(table: ScoreTable) -> np.ndarray:
    """Every DAG weighted by its score (the exact sampler's enumeration)."""
    masks, log_w = exact_log_weights(table)
    return _edge_probs(masks, log_w)


def brute_order_modular(table: ScoreTable) -> np.ndarray:
    """Every (order, compatible DAG) pair weighted by the DAG's score."""
    masks, total = _dag_scores(table)
    n_pairs = np.zeros(masks.shape[0])
    for order in itertools.permutations(range(table.n_nodes)):
        compatible = np.ones(masks.shape[0], dtype=bool)
        before = 0
        for node in order:
            compatible &= (masks[:, node] & ~before) == 0
            before |= 1 << node
        n_pairs += compatible
    with np.errstate(divide="ignore"):
        return _edge_probs(masks, total + np.log(n_pairs))


def _table(data, score=None, prior=None, knowledge=None, max_parents=None, candidates=None):
    problem = prepare_problem(data, score, None, prior, knowledge, max_parents)
    return problem.table(candidates)


def _check_both(table: ScoreTable) -> None:
    order = order_modular_edge_probs(table)
    dag = dag_modular_edge_probs(table)
    np.testing.assert_allclose(order, brute_order_modular(table), atol=TOL, rtol=0)
    np.testing.assert_allclose(dag, brute_dag_modular(table), atol=TOL, rtol=0)


KNOWLEDGE = cp.BackgroundKnowledge.from_strings(forbid=["A:B", "D:C"], require=["B:C"],
                                                tiers="A,B;C,D,E")


@pytest.mark.parametrize("n_nodes", [2, 3, 4, 5])
@pytest.mark.parametrize("max_parents", [None, 1, 2])
def test_bge_matches_enumeration(n_nodes, max_parents):
    data = cp.from_pandas(chain_frame(80, seed=n_nodes).iloc[:, :n_nodes])
    _check_both(_table(data, max_parents=max_parents))


@pytest.mark.parametrize("max_parents", [None, 2])
def test_knowledge_and_erdos_renyi_prior_match_enumeration(max_parents):
    data = cp.from_pandas(chain_frame(80, seed=3))
    prior = cp.GraphPrior("erdos_renyi", edge_prob=0.3)
    table = _table(data, prior=prior, knowledge=KNOWLEDGE, max_parents=max_parents)
    _check_both(table)
    probs = dag_modular_edge_probs(table)
    names = list(data.names)
    a, b, c, d = (names.index(n) for n in "ABCD")
    assert probs[a, b] == 0 and probs[d, c] == 0 and probs[c, a] == 0
    assert probs[b, c] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("max_parents", [None, 1])
def test_bdeu_matches_enumeration(max_parents):
    data = cp.from_pandas(discrete_frame(300), kinds={"Y": "discrete", "Z": "discrete",
                                                      "W": "discrete"})
    _check_both(_table(data, score="bdeu", max_parents=max_parents))
    _check_both(_table(data, score="bdeu", max_parents=max_parents,
                       knowledge=cp.BackgroundKnowledge.from_strings(require=["X:Y"])))


def test_candidate_parents_match_enumeration():
    data = cp.from_pandas(chain_frame(80, seed=4))
    candidates = [np.array([1, 2]), np.array([0, 3]), np.array([0, 1, 3, 4]), np.array([4]),
                  np.array([0, 1, 2, 3])]
    _check_both(_table(data, max_parents=3, candidates=candidates))


def test_strong_signal_stays_finite_and_exact():
    """Unstandardized n = 2000 data: local scores span thousands of nats."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2000, 5))
    for j in range(1, 5):
        x[:, j] += 3 * x[:, j - 1]
    data = cp.from_numpy(x)
    problem = prepare_problem(data, "bge", {"standardize": False}, None, None, None)
    table = problem.table()
    assert max(s.max() - s.min() for s in table.scores) > 1000
    _check_both(table)


@pytest.mark.parametrize(("n_obs", "standardize"), [(1000, False), (60, True)])
def test_total_tier_order_factorizes_on_ten_nodes(n_obs, standardize):
    """With one node per tier every allowed DAG follows the tier order, so under the
    DAG prior each node picks its parents independently: P(u -> v) is a ratio of
    sums over v's own parent sets. Strong unstandardized data (scores spanning
    thousands of nats) stress the signed inclusion-exclusion sums; weak data
    give many marginals strictly between 0 and 1."""
    rng = np.random.default_rng(7)
    n_nodes = 10
    x = rng.normal(size=(n_obs, n_nodes))
    for j in range(1, n_nodes):
        x[:, j] += 2 * x[:, j - 1] - 1.5 * x[:, max(j - 3, 0)] * (j >= 3)
    data = cp.from_numpy(x[:, ::-1].copy())  # the tiers run against the data's causal order
    tiers = ";".join(data.names)
    problem = prepare_problem(data, "bge", {"standardize": standardize}, None,
                              cp.BackgroundKnowledge.from_strings(tiers=tiers), 3)
    table = problem.table()
    expected = np.zeros((n_nodes, n_nodes))
    for v in range(n_nodes):
        weights = np.exp(table.scores[v] - logsumexp(table.scores[v]))
        for k, u in enumerate(table.candidates[v]):
            expected[u, v] = weights[(table.masks[v] >> k) & 1 == 1].sum()
    np.testing.assert_allclose(dag_modular_edge_probs(table), expected, atol=TOL, rtol=0)


def brute_order_modular_by_orders(table: ScoreTable) -> np.ndarray:
    """Sum over all d! orders; given an order each node's parents are independent."""
    n_nodes = table.n_nodes
    global_masks = [table.global_masks(v) for v in range(n_nodes)]
    bits = [(m[:, None] >> np.arange(n_nodes)) & 1 for m in global_masks]
    log_w, cond = [], []
    for order in itertools.permutations(range(n_nodes)):
        before, total, probs = 0, 0.0, np.zeros((n_nodes, n_nodes))
        for v in order:
            ok = (global_masks[v] & ~before) == 0
            if not ok.any():  # a required parent comes later: the order has weight 0
                total = -np.inf
                break
            scores = table.scores[v][ok]
            weights = np.exp(scores - scores.max())
            total += scores.max() + np.log(weights.sum())
            probs[:, v] = weights @ bits[v][ok] / weights.sum()
            before |= 1 << v
        log_w.append(total)
        cond.append(probs)
    weights = np.exp(np.array(log_w) - logsumexp(log_w))
    return np.einsum("s,sij->ij", weights, np.array(cond))


def test_order_prior_matches_order_enumeration_on_seven_nodes():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(40, 7))
    for j in range(1, 7):
        x[:, j] += 0.8 * x[:, j - 1]
    knowledge = cp.BackgroundKnowledge.from_strings(forbid=["X0:X3"], require=["X5:X6"])
    table = _table(cp.from_numpy(x), knowledge=knowledge, max_parents=2)
    expected = brute_order_modular_by_orders(table)
    assert ((expected > 0.01) & (expected < 0.99)).sum() > 10
    np.testing.assert_allclose(order_modular_edge_probs(table), expected, atol=TOL, rtol=0)


def test_uniform_scores_give_known_probabilities():
    """All weights 1: P(0 -> 1) is 1/3 over the 3 DAGs on 2 nodes, and 1/4 over
    (order, DAG) pairs for any number of nodes (i before j, then the edge half the time)."""
    for n_nodes in (2, 4, 7):
        table = _uniform_table(n_nodes)
        order = order_modular_edge_probs(table)
        np.testing.assert_allclose(order, 0.25 * (1 - np.eye(n_nodes)), atol=1e-12)
    np.testing.assert_allclose(dag_modular_edge_probs(_uniform_table(2)),
                               [[0, 1 / 3], [1 / 3, 0]], atol=1e-12)


def test_uniform_dag_prior_counts_dags():
    """With unit weights the DAG-prior DP counts DAGs. On 3 nodes the 25 DAGs are
    1 empty, 6 with one edge, 12 with two and 6 transitive triangles: 48 edges,
    8 per ordered pair, so P(i -> j) = 8 / 25."""
    np.testing.assert_allclose(dag_modular_edge_probs(_uniform_table(3)),
                               8 / 25 * (1 - np.eye(3)), atol=1e-12)


def _uniform_table(n_nodes: int) -> ScoreTable:
    cands, masks, scores = [], [], []
    for node in range(n_nodes):
        cands.append(np.array([i for i in range(n_nodes) if i != node], dtype=np.int64))
        masks.append(np.arange(1 << (n_nodes - 1), dtype=np.int64))
        scores.append(np.zeros(1 << (n_nodes - 1)))
    return ScoreTable(n_nodes, tuple(cands), tuple(masks), tuple(scores), n_nodes - 1)


@st.composite
def random_tables(draw):
    """Arbitrary score tables: random candidates, in-degree bound, dropped sets, scores."""
    n_nodes = draw(st.integers(1, 4))
    max_parents = draw(st.integers(0, n_nodes - 1))
    cands, masks, scores = [], [], []
    for node in range(n_nodes):
        others = [i for i in range(n_nodes) if i != node]
        keep = draw(st.lists(st.booleans(), min_size=len(others), max_size=len(others)))
        cand = np.array([o for o, k in zip(others, keep) if k], dtype=np.int64)
        sets = [m for m in range(1 << cand.size) if bin(m).count("1") <= max_parents]
        allowed = draw(st.lists(st.booleans(), min_size=len(sets), max_size=len(sets)))
        sets = [0] + [m for m, a in zip(sets[1:], allowed[1:]) if a]
        values = draw(st.lists(st.floats(-40, 40), min_size=len(sets), max_size=len(sets)))
        cands.append(cand)
        masks.append(np.array(sets, dtype=np.int64))
        scores.append(np.array(values))
    return ScoreTable(n_nodes, tuple(cands), tuple(masks), tuple(scores), max_parents)


@settings(max_examples=60, deadline=None)
@given(random_tables())
def test_random_tables_match_enumeration(table):
    _check_both(table)


@settings(max_examples=30, deadline=None)
@given(random_tables())
def test_marginals_are_probabilities(table):
    for probs in (order_modular_edge_probs(table), dag_modular_edge_probs(table)):
        assert np.all(probs >= -1e-12) and np.all(probs + probs.T <= 1 + 1e-9)
        assert np.all(np.diag(probs) == 0)
        assert np.all(probs.sum(axis=0) <= table.max_parents + 1e-9)


def test_too_large_and_bad_input():
    with pytest.raises(GraphTooLargeError, match="at most 25"):
        order_modular_edge_probs(_empty_table(26))
    with pytest.raises(GraphTooLargeError, match="at most 18"):
        dag_modular_edge_probs(_empty_table(19))
    with pytest.raises(CausalpostError, match="ScoreTable"):
        order_modular_edge_probs(np.zeros((3, 3)))


def test_table_without_a_dag_is_an_error():
    table = _empty_table(2)
    table = ScoreTable(2, table.candidates, (np.array([1]), np.array([1])),
                       (np.zeros(1), np.zeros(1)), 1)  # 0 <- 1 and 1 <- 0 both required
    with pytest.raises(CausalpostError, match="no DAG"):
        dag_modular_edge_probs(table)
    with pytest.raises(CausalpostError, match="no DAG"):
        order_modular_edge_probs(table)


def _empty_table(n_nodes: int) -> ScoreTable:
    cands = tuple(np.array([i for i in range(n_nodes) if i != j][:1], dtype=np.int64)
                  for j in range(n_nodes))
    zeros = tuple(np.zeros(1, dtype=np.int64) for _ in range(n_nodes))
    return ScoreTable(n_nodes, cands, zeros, tuple(np.zeros(1) for _ in range(n_nodes)), 1)


@pytest.mark.slow
def test_six_nodes_match_enumeration():
    data = cp.from_pandas(chain_frame(80, seed=6).assign(F=lambda f: f.A - f.D))
    _check_both(_table(data, max_parents=3))
