import numpy as np
import pytest
from scipy.special import logsumexp

import causalpost as cp
from causalpost.errors import GraphTooLargeError
from causalpost.graphs import enumerate_dags, is_acyclic
from tests.conftest import chain_frame


def brute_force_log_posterior(data, adjacency, prior_edge_prob=None):
    """Score every DAG by summing local scores one at a time (no table)."""
    bound = cp.BGe().bind(data)
    d = data.n_nodes
    out = []
    for adj in adjacency:
        total = 0.0
        for j in range(d):
            parents = tuple(np.flatnonzero(adj[:, j]))
            total += bound.local_score(j, parents)
            if prior_edge_prob is not None:
                k = len(parents)
                total += k * np.log(prior_edge_prob) + (d - 1 - k) * np.log1p(-prior_edge_prob)
        out.append(total)
    out = np.array(out)
    return out - logsumexp(out)


def test_exact_posterior_equals_brute_force_on_4_nodes():
    data = cp.from_pandas(chain_frame(120, seed=2).iloc[:, :4])
    post = cp.fit(data, seed=0)
    dags = enumerate_dags(4)
    expected = brute_force_log_posterior(data, dags)
    # match each enumerated DAG to its posterior entry
    lookup = {adj.tobytes(): lw for adj, lw in zip(post.adjacency, post.log_weights)}
    got = np.array([lookup[adj.astype(np.uint8).tobytes()] for adj in dags])
    assert np.allclose(got, expected, atol=1e-9)
    assert post.exact and post.n_draws == 543
    assert post.weights.sum() == pytest.approx(1.0)


def test_erdos_renyi_prior_enters_the_weights():
    data = cp.from_pandas(chain_frame(60, seed=2).iloc[:, :3])
    prior = cp.GraphPrior("erdos_renyi", edge_prob=0.2)
    post = cp.fit(data, prior=prior, seed=0)
    expected = brute_force_log_posterior(data, post.adjacency, prior_edge_prob=0.2)
    assert np.allclose(post.log_weights, expected, atol=1e-9)


def test_knowledge_is_honoured(chain_data):
    knowledge = cp.BackgroundKnowledge.from_strings(
        forbid=["B:A", "C:D"], require=["A:E"], tiers="A;B,C,D,E")
    post = cp.fit(chain_data, knowledge=knowledge, max_parents=2, seed=0)
    names = list(chain_data.names)
    a, b, c, d, e = (names.index(n) for n in "ABCDE")
    assert is_acyclic(post.adjacency).all()
    assert (post.adjacency[:, b, a] == 0).all() and (post.adjacency[:, c, d] == 0).all()
    assert (post.adjacency[:, a, e] == 1).all()
    assert (post.adjacency[:, 1:, a] == 0).all()  # nothing points into the first tier
    assert (post.adjacency.sum(axis=1) <= 2).all()
    # the count of allowed DAGs matches a direct filter of all 29,281
    dags = enumerate_dags(5)
    allowed = ((dags[:, b, a] == 0) & (dags[:, c, d] == 0) & (dags[:, a, e] == 1)
               & (dags[:, 1:, a].sum(axis=1) == 0) & (dags.sum(axis=1) <= 2).all(axis=1))
    assert post.n_draws == int(allowed.sum())


def test_contradicting_knowledge_is_rejected(chain_data):
    with pytest.raises(cp.GraphError, match="cycle"):
        cp.fit(chain_data, knowledge=cp.BackgroundKnowledge.from_strings(
            require=["A:B", "B:C", "C:A"]))
    with pytest.raises(cp.GraphError, match="both required and forbidden"):
        cp.fit(chain_data, knowledge=cp.BackgroundKnowledge.from_strings(
            require=["A:B"], forbid=["A:B"]))
    with pytest.raises(cp.GraphError, match="unknown node 'Q'"):
        cp.fit(chain_data, knowledge=cp.BackgroundKnowledge.from_strings(forbid=["Q:B"]))
    with pytest.raises(cp.GraphError, match="SOURCE:TARGET"):
        cp.BackgroundKnowledge.from_strings(forbid=["A-B"])


def test_too_many_nodes_for_enumeration():
    data = cp.from_numpy(np.random.default_rng(0).normal(size=(20, 7)))
    with pytest.raises(GraphTooLargeError, match="at most 6.*partition"):
        cp.fit(data, sampler="exact")


def test_strong_dependence_is_found():
    post = cp.fit(cp.from_pandas(chain_frame(500, seed=1)), seed=0)
    probs = post.edge_probs
    for a, b in [("A", "B"), ("B", "C"), ("C", "D"), ("A", "E")]:
        assert probs.loc[a, b] + probs.loc[b, a] > 0.95
    assert probs.loc["D", "E"] + probs.loc["E", "D"] < 0.1


def test_unknown_sampler_and_option(chain_data):
    with pytest.raises(cp.CausalpostError, match="unknown sampler"):
        cp.fit(chain_data, sampler="magic")
    with pytest.raises(cp.CausalpostError, match="does not take"):
        cp.fit(chain_data, sampler="exact", n_iterations=5)


def test_discrete_exact_posterior(discrete_data):
    post = cp.fit(discrete_data, seed=0)
    assert post.info["score"]["name"] == "bdeu"
    # X -> Y <- Z is a v-structure: identifiable
    p = post.edge_probs
    assert p.loc["X", "Y"] > 0.9 and p.loc["Z", "Y"] > 0.9
    assert all(k.startswith("cpt_") for k in post.params)


def test_same_seed_same_parameters(chain_data):
    one = cp.fit(chain_data, seed=3)
    two = cp.fit(chain_data, seed=3)
    other = cp.fit(chain_data, seed=4)
    assert np.array_equal(one.params["weights"], two.params["weights"])
    assert not np.array_equal(one.params["weights"], other.params["weights"])


@pytest.mark.parametrize("size", [1, 2, 3])
def test_small_graph_counts(size):
    data = cp.from_pandas(chain_frame(40).iloc[:, :size])
    assert cp.fit(data, seed=0).n_draws == [1, 3, 25][size - 1]


def test_dataframes_are_accepted_and_arrays_refused_clearly():
    frame = chain_frame(80, seed=3).iloc[:, :3]
    post = cp.fit(frame, seed=0)
    assert post.nodes == ("A", "B", "C") and post.n_draws == 25
    with pytest.raises(cp.CausalpostError, match="from_numpy"):
        cp.fit(frame.to_numpy(), seed=0)
