"""``evaluate``: a posterior against a known truth (issue 14, section 3)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalpost as cp
from causalpost.errors import DataError
from causalpost.evaluate import cpdag, cpdag_shd, evaluate, read_truth
from causalpost_cli import main

NAMES = ["A", "B", "C"]


def _collider_data(n=500, seed=0) -> cp.Dataset:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    c = 0.8 * a + 0.8 * b + 0.5 * rng.normal(size=n)
    return cp.from_numpy(np.c_[a, b, c], NAMES)


def test_against_brute_force_on_an_exact_posterior() -> None:
    data = _collider_data()
    post = cp.fit(data, sampler="exact", quiet=True)
    truth = np.zeros((3, 3), dtype=np.uint8)
    truth[0, 2] = truth[1, 2] = 1
    result = evaluate(post, truth, data)
    shd = [np.sum(np.triu((g | g.T) != (truth | truth.T), 1))
           + np.sum(np.triu((g | g.T) & (truth | truth.T) & (g != truth), 1))
           for g in post.adjacency.astype(bool)]
    assert result["expected_shd"] == pytest.approx(float(np.dot(post.weights, shd)), abs=1e-9)
    assert result["true_n_edges"] == 2
    assert result["expected_n_edges"] == pytest.approx(
        float(np.dot(post.weights, post.adjacency.reshape(len(post.weights), -1).sum(1))))
    assert result["auroc"] > 0.95 and result["auprc"] > 0.9 and result["shd_threshold"] == 0
    # against CPDAGs from causal-learn's dag2cpdag (an independent implementation)
    true_cpdag = _causallearn_cpdag(truth)
    expected = sum(w * cpdag_shd(_causallearn_cpdag(g), true_cpdag)
                   for g, w in zip(post.adjacency, post.weights))
    assert result["cpdag_shd"] == pytest.approx(expected, abs=1e-9)
    assert result["baselines"]["empty"] == {"shd": 2, "cpdag_shd": 2}
    assert result["baselines"]["pc"]["cpdag_shd"] == 0


def _causallearn_cpdag(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    from causalpost._causallearn import from_causallearn

    nodes = [GraphNode(f"X{i}") for i in range(adjacency.shape[0])]
    dag = Dag(nodes)
    for i, j in np.argwhere(adjacency):
        dag.add_directed_edge(nodes[i], nodes[j])
    return from_causallearn(dag2cpdag(dag).graph)


def test_cpdag_of_a_chain_and_a_collider() -> None:
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    reversed_chain = chain.T
    assert cpdag_shd(cpdag(chain), cpdag(reversed_chain)) == 0  # Markov equivalent
    collider = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    directed, undirected = cpdag(collider)
    assert directed.sum() == 2 and undirected.sum() == 0
    # (A, B): undirected vs none; (A, C): none vs ->; (B, C): undirected vs ->
    assert cpdag_shd(cpdag(chain), cpdag(collider)) == 3


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=6, max_size=6), st.permutations(range(4)))
def test_cpdag_agrees_with_causal_learn(bits, order) -> None:
    g = np.zeros((4, 4), dtype=np.uint8)
    for (i, j), bit in zip(itertools.combinations(range(4), 2), bits):
        g[order[i], order[j]] = bit
    # pgmpy's CPDAG equals causal-learn's, and keeps the skeleton
    directed, undirected = cpdag(g)
    assert cpdag_shd((directed, undirected), _causallearn_cpdag(g)) == 0
    assert np.array_equal((directed + directed.T + undirected) > 0, (g + g.T) > 0)


def test_read_truth_edge_list_and_matrix(tmp_path: Path) -> None:
    edges = tmp_path / "edges.csv"
    edges.write_text("from,to\nA,C\nB,C\n")
    matrix = tmp_path / "matrix.csv"
    matrix.write_text(",A,B,C\nA,0,0,1\nB,0,0,1\nC,0,0,0\n")
    expected = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    assert np.array_equal(read_truth(edges, NAMES), expected)
    assert np.array_equal(read_truth(matrix, NAMES), expected)
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to\nA,Q\n")
    with pytest.raises(DataError, match="unknown node 'Q'"):
        read_truth(bad, NAMES)
    bad.write_text(",A,B,C\nA,0,2,1\nB,0,0,1\nC,0,0,0\n")
    with pytest.raises(DataError, match="use 0 or 1"):
        read_truth(bad, NAMES)


def test_cli(tmp_path: Path, capsys) -> None:
    data = _collider_data()
    csv = tmp_path / "d.csv"
    data.to_pandas().to_csv(csv, index=False)
    post = tmp_path / "p.npz"
    assert main(["fit", str(csv), "--out", str(post), "--sampler", "exact", "--quiet"]) == 0
    truth = tmp_path / "t.csv"
    truth.write_text("from,to\nA,C\nB,C\n")
    capsys.readouterr()
    assert main(["evaluate", str(post), "--truth", str(truth), "--data", str(csv),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"expected_shd", "shd_threshold", "cpdag_shd", "auroc", "auprc",
            "expected_n_edges", "true_n_edges", "baselines"} == set(out)
    assert main(["evaluate", str(post), "--truth", str(tmp_path / "none.csv")]) == 2
