import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import multigammaln

import causalpost as cp
from causalpost.graphs import enumerate_dags
from causalpost.knowledge import BackgroundKnowledge
from causalpost.scores import BDeu, BGe, GraphPrior, build_score_table
from tests.conftest import chain_frame, discrete_frame


def total_score(bound, adj) -> float:
    return sum(bound.local_score(j, tuple(np.flatnonzero(adj[:, j]))) for j in range(len(adj)))


def covered_edges(adj):
    """Edges i -> j with Pa(j) = Pa(i) + {i}: reversing one keeps the Markov class."""
    out = []
    for i, j in np.argwhere(adj):
        pa_i, pa_j = set(np.flatnonzero(adj[:, i])), set(np.flatnonzero(adj[:, j]))
        if pa_j == pa_i | {i}:
            out.append((i, j))
    return out


@pytest.fixture(scope="module")
def bound_scores():
    bge = BGe().bind(cp.from_pandas(chain_frame(150, seed=3)))
    raw = BGe(standardize=False, alpha_mu=2.0).bind(cp.from_pandas(chain_frame(150, seed=4)))
    frame = discrete_frame(300, seed=5)
    bdeu = BDeu(ess=3.0).bind(cp.from_pandas(frame, kinds={c: "discrete" for c in frame}))
    return [bge, raw, bdeu]


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, 29280), which=st.integers(0, 2))
def test_markov_equivalent_dags_score_equal(bound_scores, index, which):
    bound = bound_scores[which]
    n_nodes = bound.n_nodes
    dags = enumerate_dags(n_nodes)
    adj = dags[index % len(dags)].copy()
    for i, j in covered_edges(adj):
        flipped = adj.copy()
        flipped[i, j], flipped[j, i] = 0, 1
        assert total_score(bound, flipped) == pytest.approx(total_score(bound, adj), abs=1e-9)


def test_v_structure_scores_differ(bound_scores):
    bound = bound_scores[0]
    chain = np.zeros((5, 5), dtype=int)
    chain[0, 1] = chain[1, 2] = 1
    collider = np.zeros((5, 5), dtype=int)
    collider[0, 1] = collider[2, 1] = 1
    assert abs(total_score(bound, chain) - total_score(bound, collider)) > 1e-3


def bge_family_log_marginal(x, family, alpha_mu, alpha_w):
    """log p(D^Y) of Kuipers, Moffa & Heckerman (2014), eq. (2), written from the paper."""
    n_obs, d = x.shape
    y = len(family)
    if y == 0:
        return 0.0
    t = alpha_mu * (alpha_w - d - 1) / (alpha_mu + 1)
    xbar = x.mean(axis=0)
    s_n = (x - xbar).T @ (x - xbar)
    r = t * np.eye(d) + s_n + n_obs * alpha_mu / (n_obs + alpha_mu) * np.outer(xbar, xbar)
    r_y = r[np.ix_(family, family)]
    return (
        y / 2 * np.log(alpha_mu / (n_obs + alpha_mu))
        - n_obs * y / 2 * np.log(np.pi)
        + multigammaln((n_obs + alpha_w - d + y) / 2, y)
        - multigammaln((alpha_w - d + y) / 2, y)
        + (alpha_w - d + y) / 2 * y * np.log(t)
        - (n_obs + alpha_w - d + y) / 2 * np.linalg.slogdet(r_y)[1]
    )


def test_bge_matches_formula_written_from_the_paper():
    frame = chain_frame(80, seed=7)
    x = frame.to_numpy()
    x = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    bound = BGe().bind(cp.from_pandas(frame))
    alpha_w = 5 + 1 + 1
    for node in range(5):
        others = [k for k in range(5) if k != node]
        for size in range(4):
            for parents in itertools.combinations(others, size):
                expected = (bge_family_log_marginal(x, [*parents, node], 1.0, alpha_w)
                            - bge_family_log_marginal(x, list(parents), 1.0, alpha_w))
                assert bound.local_score(node, parents) == pytest.approx(expected, abs=1e-8)


def test_bge_without_standardizing_uses_raw_values():
    frame = chain_frame(60, seed=1) * 10 + 3
    x = frame.to_numpy()
    bound = BGe(standardize=False, alpha_mu=1.0, alpha_w=9.0).bind(cp.from_pandas(frame))
    expected = (bge_family_log_marginal(x, [0, 1], 1.0, 9.0)
                - bge_family_log_marginal(x, [0], 1.0, 9.0))
    assert bound.local_score(1, (0,)) == pytest.approx(expected, abs=1e-8)


def test_bdeu_matches_pgmpy():
    from pgmpy.structure_score import BDeu as PgmpyBDeu

    frame = discrete_frame(400, seed=11)
    data = cp.from_pandas(frame, kinds={c: "discrete" for c in frame})
    ours = BDeu(ess=1.0).bind(data)
    theirs = PgmpyBDeu(data.to_pandas(), equivalent_sample_size=1.0)
    names = list(data.names)
    for node in range(4):
        others = [k for k in range(4) if k != node]
        for size in range(3):
            for parents in itertools.combinations(others, size):
                expected = theirs.local_score(names[node], tuple(names[p] for p in parents))
                assert ours.local_score(node, parents) == pytest.approx(expected, abs=1e-8)


def test_table_respects_knowledge_and_max_parents(chain_data):
    bound = BGe().bind(chain_data)
    knowledge = BackgroundKnowledge.from_strings(forbid=["B:A"], require=["A:E"], tiers="A;B,C,D,E")
    forbidden, required = knowledge.matrices(chain_data.names)
    table = build_score_table(bound, GraphPrior(), forbidden, required, max_parents=2)
    for node in range(5):
        for mask in table.global_masks(node):
            parents = [p for p in range(5) if mask >> p & 1]
            assert len(parents) <= 2
            assert not any(forbidden[p, node] for p in parents)
            assert all(p in parents for p in np.flatnonzero(required[:, node]))
    assert table.scores[0].size == 1  # A: first tier, no parents allowed


def test_scores_are_cached_and_decompose(chain_data):
    bound = BGe().bind(chain_data)
    table = build_score_table(bound, GraphPrior(), np.eye(5, dtype=bool),
                              np.zeros((5, 5), dtype=bool))
    dags = enumerate_dags(5)[:200]
    by_table = table.graph_scores(dags)
    by_sum = [total_score(bound, adj) for adj in dags]
    assert np.allclose(by_table, by_sum, atol=1e-9)


def test_tables_past_62_nodes_score_graphs_and_cap_candidates():
    """Past 62 nodes ``graph_scores`` still equals the sum of local scores (-inf for a
    parent outside a node's candidates or too many parents); a node may not have more
    than 62 candidates, whose parent sets would overflow its int64 masks."""
    d = 70
    rng = np.random.default_rng(0)
    bound = BGe().bind(cp.from_numpy(rng.normal(size=(40, d)), [f"X{i}" for i in range(d)]))
    no_self, none = np.eye(d, dtype=bool), np.zeros((d, d), dtype=bool)
    candidates = [np.array([(j + k) % d for k in (1, 2, 5, 40)]) for j in range(d)]
    table = build_score_table(bound, GraphPrior(), no_self, none, max_parents=2,
                              candidates=candidates)
    dags = np.zeros((3, d, d), dtype=np.uint8)
    for j in range(d):  # i -> j only for i > j: acyclic
        later = [i for i in candidates[j].tolist() if i > j]
        dags[0, later[:2], j] = 1
        dags[1, later[:1], j] = 1
    dags[2] = dags[0]
    dags[2, 3, 0] = 1  # 3 is no candidate of 0
    by_table = table.graph_scores(dags)
    np.testing.assert_allclose(by_table[:2], [total_score(bound, a) for a in dags[:2]],
                               atol=1e-8)
    assert by_table[2] == -np.inf
    three = dags[0].copy()
    three[[1, 2, 5], 0] = 1
    assert table.graph_scores(three[None])[0] == -np.inf
    with pytest.raises(cp.GraphTooLargeError, match="69 candidate parents"):
        build_score_table(bound, GraphPrior(), no_self, none, max_parents=1)


def test_erdos_renyi_prior_is_modular_and_normalized_over_edge_sets():
    prior = GraphPrior("erdos_renyi", edge_prob=0.3)
    by_size = prior.log_prior_by_size(3)
    # over all 2^2 parent sets of one node the Bernoulli(0.3) probabilities sum to 1
    subsets = [s for k in range(3) for s in itertools.combinations([0, 1], k)]
    total = sum(np.exp(by_size[len(s)]) for s in subsets)
    assert total == pytest.approx(1.0)
    with pytest.raises(cp.CausalpostError):
        GraphPrior("erdos_renyi")
    with pytest.raises(cp.CausalpostError):
        GraphPrior("erdos_renyi", edge_prob=1.5)
    assert GraphPrior("erdos_renyi", expected_edges=3).edge_probability(4) == pytest.approx(0.5)


def test_too_large_table_is_refused_before_enumeration():
    """60 nodes with every parent set: counted (5.8e17 sets) and refused at once; before
    the fix the sets were enumerated first, which exhausted memory."""
    from causalpost.errors import GraphTooLargeError
    from causalpost.samplers._common import prepare_problem

    x = np.random.default_rng(0).normal(size=(80, 60))
    problem = prepare_problem(cp.from_numpy(x, [f"X{i}" for i in range(60)]), None, None,
                              None, None, None)
    with pytest.raises(GraphTooLargeError, match="parent sets"):
        problem.table()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(0, 5), n_obs=st.integers(5, 300),
       interventional=st.booleans(), ess=st.floats(0.1, 10.0))
def test_bdeu_compiled_block_scores_equal_the_per_set_formula(seed, size, n_obs,
                                                              interventional, ess):
    """The score table's compiled path (dense counts for few cells, sorted codes for many)
    against the per-set contingency-table formula, with and without intervened rows."""
    rng = np.random.default_rng(seed)
    arities = rng.integers(2, 6, size=6)
    columns = {}
    for i, a in enumerate(arities):
        column = rng.integers(0, a, size=n_obs)
        column[:a] = np.arange(a)  # every level seen: no constant column
        columns[f"V{i}"] = column.astype(str)
    frame = pd.DataFrame(columns)
    data = cp.from_pandas(frame, kinds={c: "discrete" for c in frame})
    if interventional:
        mask = rng.random((n_obs, 6)) < 0.2
        mask[:, 1:] = False  # only node 0 is intervened on, in some rows
        mask[:2, 0] = False  # and not in all but one: its score needs 2 observational rows
        data = cp.Dataset(data.values, data.names, kinds=data.kinds, levels=data.levels,
                          intervention=mask)
    bound = BDeu(ess=ess).bind(data)
    sets = np.array([rng.choice(np.arange(1, 6), size=size, replace=False)
                     for _ in range(8)]).reshape(8, size)
    expected = [bound.local_score(0, tuple(int(p) for p in row)) for row in sets]
    np.testing.assert_allclose(bound.local_scores_array(0, sets), expected, rtol=1e-10,
                               atol=1e-9)


@pytest.mark.parametrize("kind", ["bge", "bdeu"])
def test_a_table_scored_in_threads_equals_the_serial_local_scores(kind):
    """Nodes are scored in threads: every entry equals the one-set ``local_score`` plus
    its prior, and a rebuild that reuses unchanged nodes rescores exactly the others."""
    frame = chain_frame(120, seed=2) if kind == "bge" else discrete_frame(200, seed=2)
    data = cp.from_pandas(frame)
    bound = (BGe() if kind == "bge" else BDeu()).bind(data)
    d = data.n_nodes
    prior = GraphPrior("sparse")
    log_prior = prior.log_prior_by_size(d)
    none = np.zeros((d, d), dtype=bool)
    candidates = [np.array([i for i in range(d) if i != j][:2]) for j in range(d)]
    first = build_score_table(bound, prior, none, none, candidates=candidates)
    candidates[1] = np.array([i for i in range(d) if i != 1])
    second = build_score_table(bound, prior, none, none, candidates=candidates, reuse=first)
    for table in (first, second):
        for j in range(d):
            cand = table.candidates[j]
            for mask, got in zip(table.masks[j], table.scores[j]):
                parents = tuple(int(cand[k]) for k in range(cand.size) if (mask >> k) & 1)
                want = bound.local_score(j, parents) + log_prior[len(parents)]
                assert got == pytest.approx(want, abs=1e-9)
    assert second.masks[1].size == 2 ** (d - 1) and second.masks[0] is first.masks[0]
