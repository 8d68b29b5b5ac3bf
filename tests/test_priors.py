"""Graph priors (issue 20): each against brute-force enumeration at d = 4 (exact sampler, DP)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

import causalpost as cp
from causalpost.dp import dag_modular_edge_probs
from causalpost.errors import CausalpostError
from causalpost.graphs import enumerate_dags
from causalpost.scores import BGe, GraphPrior
from causalpost_cli import main

PRIORS = [
    GraphPrior("uniform"),
    GraphPrior("fair"),
    GraphPrior("erdos_renyi", expected_edges=2.0),
    GraphPrior("sparse"),
    GraphPrior("fair", size_penalty=1.5),
    GraphPrior("uniform", size_penalty=0.7),
]


def _log_prior_by_hand(prior: GraphPrior, sizes: np.ndarray, d: int) -> float:
    """The definitions, written out per node."""
    total = -prior.size_penalty * sizes.sum()
    if prior.kind == "fair":
        total -= sum(np.log(comb(d - 1, int(k))) for k in sizes)
    elif prior.kind in ("erdos_renyi", "sparse"):
        p = (prior.expected_edges / (d * (d - 1) / 2) if prior.kind == "erdos_renyi"
             else min(0.5, 2 / (d - 1)))
        total += sum(k * np.log(p) + (d - 1 - k) * np.log(1 - p) for k in sizes)
    return float(total)


@pytest.fixture(scope="module")
def data() -> cp.Dataset:
    rng = np.random.default_rng(8)
    a = rng.normal(size=60)
    b = 0.5 * a + rng.normal(size=60)
    c = 0.4 * b + rng.normal(size=60)
    e = rng.normal(size=60)
    return cp.from_numpy(np.c_[a, b, c, e], ["A", "B", "C", "E"])


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: f"{p.kind}-{p.size_penalty}")
def test_prior_against_brute_force_enumeration(prior: GraphPrior, data) -> None:
    d = data.n_nodes
    bound = BGe().bind(data)
    dags = enumerate_dags(d)
    log_post = np.array([
        sum(bound.local_score(j, tuple(np.flatnonzero(g[:, j]))) for j in range(d))
        + _log_prior_by_hand(prior, g.sum(axis=0), d)
        for g in dags
    ])
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    expected = np.einsum("s,sij->ij", w, dags.astype(float))
    post = cp.fit(data, sampler="exact", prior=prior, quiet=True)
    np.testing.assert_allclose(post.edge_prob_matrix, expected, atol=1e-9)
    table = cp.score_table(data, score="bge", prior=prior)
    np.testing.assert_allclose(dag_modular_edge_probs(table), expected, atol=1e-9)


@pytest.mark.parametrize("d", [2, 3, 5, 6, 16, 37, 100])
def test_sparse_is_one_expected_edge_per_node_and_uniform_up_to_five_nodes(d) -> None:
    sizes = np.arange(d)
    by_size = GraphPrior("sparse").log_prior_by_size(d)
    if d <= 5:  # p = 1/2: every DAG weighs the same, and scores as under uniform
        np.testing.assert_array_equal(by_size, GraphPrior("uniform").log_prior_by_size(d))
    else:
        p = 2 / (d - 1)
        assert p * d * (d - 1) / 2 == pytest.approx(d)  # one expected edge per node
        er = sizes * np.log(p) + (d - 1 - sizes) * np.log1p(-p)
        np.testing.assert_allclose(by_size - by_size[0], er - er[0])  # up to a constant


def test_sparse_matches_erdos_renyi_in_the_dp() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(80, 8))
    x[:, 1] += x[:, 0]
    x[:, 5] += 0.5 * x[:, 2] - x[:, 4]
    data = cp.from_numpy(x, [f"X{i}" for i in range(8)])
    sparse = dag_modular_edge_probs(cp.score_table(data, score="bge", prior="sparse"))
    er = dag_modular_edge_probs(cp.score_table(
        data, score="bge", prior=GraphPrior("erdos_renyi", edge_prob=2 / 7)))
    np.testing.assert_allclose(sparse, er, atol=1e-12)
    uniform = dag_modular_edge_probs(cp.score_table(data, score="bge", prior="uniform"))
    assert sparse.sum() < uniform.sum()  # fewer expected edges


def test_penalties_make_sparser_posteriors(data) -> None:
    sizes = [cp.fit(data, sampler="exact", prior=GraphPrior("uniform", size_penalty=lam),
                    quiet=True).edge_prob_matrix.sum() for lam in (0.0, 2.0, 6.0)]
    assert sizes[0] > sizes[1] > sizes[2]


@pytest.mark.parametrize("options, message", [
    ({"kind": "beta"}, "unknown prior"),
    ({"kind": "fair", "size_penalty": -1.0}, "size_penalty"),
    ({"kind": "fair", "expected_edges": 3.0}, "belong to the erdos_renyi"),
    ({"kind": "erdos_renyi"}, "exactly one"),
])
def test_bad_prior_options(options, message) -> None:
    with pytest.raises(CausalpostError, match=message):
        GraphPrior(**options)


def test_cli_prior_flags(tmp_path, data, capsys) -> None:
    csv = tmp_path / "d.csv"
    data.to_pandas().to_csv(csv, index=False)
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact", "--prior", "fair",
                 "--size-penalty", "0.5", "--quiet"]) == 0
    assert cp.Posterior.load(out).info["prior"] == {
        "kind": "fair", "edge_prob": None, "expected_edges": None, "size_penalty": 0.5}
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact",
                 "--expected-edges", "2", "--quiet"]) == 0
    assert cp.Posterior.load(out).info["prior"]["expected_edges"] == 2.0
    capsys.readouterr()
    assert main(["fit", str(csv), "--out", str(out), "--expected-edges", "2",
                 "--prior", "fair"]) == 2
    assert "--expected-edges" in capsys.readouterr().err
    assert main(["fit", str(csv), "--out", str(out), "--size-penalty", "-1"]) == 2
