import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from causalpost.graphs import (
    adjacency_to_masks,
    count_dags,
    enumerate_dags,
    is_acyclic,
    masks_to_adjacency,
    shd,
    transitive_closure,
)

KNOWN_DAG_COUNTS = [1, 1, 3, 25, 543, 29281]  # OEIS A003024


def test_dag_counts_match_oeis():
    for n_nodes, expected in enumerate(KNOWN_DAG_COUNTS[1:], start=1):
        dags = enumerate_dags(n_nodes)
        assert dags.shape == (expected, n_nodes, n_nodes)
        assert count_dags(n_nodes) == expected
        assert len(np.unique(dags.reshape(expected, -1), axis=0)) == expected
    assert is_acyclic(enumerate_dags(5)).all()


def random_digraph(draw_bits, n_nodes):
    adj = np.array(draw_bits, dtype=np.uint8).reshape(n_nodes, n_nodes)
    np.fill_diagonal(adj, 0)
    return adj


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.booleans(), min_size=n * n, max_size=n * n))))
def test_acyclicity_and_closure_agree_with_networkx(case):
    n_nodes, bits = case
    adj = random_digraph(bits, n_nodes)
    graph = nx.from_numpy_array(adj, create_using=nx.DiGraph)
    assert is_acyclic(adj) == nx.is_directed_acyclic_graph(graph)
    closure = transitive_closure(adj)
    for i in range(n_nodes):
        reach = nx.descendants(graph, i)
        assert {j for j in range(n_nodes) if closure[i, j] and j != i} == reach - {i}
    assert (masks_to_adjacency(adjacency_to_masks(adj)) == adj).all()


def test_shd_counts_reversal_once():
    truth = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    reversed_one = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]])
    assert shd(reversed_one, truth) == 1
    assert shd(np.zeros((3, 3)), truth) == 2
    assert shd(truth, truth) == 0
    assert shd(np.stack([truth, reversed_one]), truth).tolist() == [0, 1]


def test_group_by_parents_partitions_draws():
    from causalpost.graphs import group_by_parents

    dags = enumerate_dags(4)
    for node in range(4):
        seen = np.zeros(len(dags), dtype=int)
        for parents, draws in group_by_parents(dags, node):
            seen[draws] += 1
            expected = np.zeros(4, dtype=np.uint8)
            expected[parents] = 1
            assert (dags[draws][:, :, node] == expected).all()
        assert (seen == 1).all()
