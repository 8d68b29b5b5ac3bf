"""Bundled data and loaders (causalpost.datasets), synthetic generators (causalpost.synthetic)."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalpost import datasets as ds
from causalpost import synthetic
from causalpost.errors import CausalpostError, DataError

DESIGNS = sorted((ds.datasets_dir() / "designs").glob("*.json"))
INCENTIVE_KINDS = {"voi", "ri", "voc", "ici"}


def is_dag(adj: np.ndarray) -> bool:
    return nx.is_directed_acyclic_graph(
        nx.from_numpy_array(adj.astype(np.uint8), create_using=nx.DiGraph)
    )


# ------------------------------------------------------------------ Sachs


@pytest.mark.parametrize(("kind", "n_obs"), [("observational", 853), ("full", 7466)])
def test_sachs_shapes_names_and_values(kind: str, n_obs: int) -> None:
    data, truth = ds.load_sachs(kind)
    assert data.values.shape == (n_obs, 11)
    assert data.names == ds.SACHS_NODES
    assert set(data.kinds) == {"continuous"}
    assert np.isfinite(data.values).all() and (data.values > 0).all()
    assert truth.shape == (11, 11)


def test_sachs_observational_rows_are_the_first_rows_of_full() -> None:
    obs, full = ds.load_sachs("observational").data, ds.load_sachs("full").data
    np.testing.assert_array_equal(obs.values, full.values[:853])


@pytest.mark.parametrize(("truth", "n_edges"), [("consensus", 18), ("bif", 17)])
def test_sachs_truths(truth: str, n_edges: int) -> None:
    bench = ds.load_sachs(truth=truth)
    assert int(bench.truth.sum()) == n_edges
    assert str(n_edges) in bench.truth_name
    assert not np.diag(bench.truth).any()
    # cdt's consensus graph keeps a feedback loop; the BIF network is a DAG
    graph = nx.relabel_nodes(
        nx.from_numpy_array(bench.truth.astype(np.uint8), create_using=nx.DiGraph),
        dict(enumerate(bench.names)),
    )
    cycles = sorted(sorted(c) for c in nx.simple_cycles(graph))
    assert cycles == ([["PIP2", "PIP3", "Plcg"]] if truth == "consensus" else [])


def test_sachs_truths_differ_as_documented() -> None:
    cons = set(ds.load_sachs(truth="consensus").truth_edges())
    bif = set(ds.load_sachs(truth="bif").truth_edges())
    assert cons - bif == {
        ("PIP2", "PIP3"), ("PIP3", "Plcg"), ("PIP2", "PKC"), ("Plcg", "PKC"), ("PIP3", "Akt")
    }  # fmt: skip
    assert bif - cons == {("PIP3", "PIP2"), ("Plcg", "PIP3"), ("Erk", "Akt"), ("PKC", "PKA")}


def test_sachs_bif_edges_file_matches_the_bif_network() -> None:
    bench = ds.sample_bif("sachs", 50, seed=0)
    assert set(bench.names) == set(ds.SACHS_NODES) and bench.data.arities == (3,) * 11
    assert set(ds.load_sachs(truth="bif").truth_edges()) == set(bench.truth_edges())


def test_sachs_log() -> None:
    raw, logged = ds.load_sachs().data, ds.load_sachs(log=True).data
    np.testing.assert_allclose(logged.values, np.log(raw.values))


def test_sachs_interventional_targets() -> None:
    data = ds.load_sachs("interventional").data
    full = ds.load_sachs("full").data
    np.testing.assert_array_equal(data.values, full.values)
    counts = dict(zip(data.names, data.intervention.sum(axis=0).tolist()))
    # the card's row ranges: AKT inh. 911, G0076 723 + PMA 913, psitect. 810, U0126 799,
    # LY294002 848, b2cAMP 707; the first 1,755 rows observational
    assert counts == {"Raf": 0, "Mek": 799, "Plcg": 0, "PIP2": 810, "PIP3": 848, "Erk": 0,
                      "Akt": 911, "PKA": 707, "PKC": 1636, "P38": 0, "Jnk": 0}
    assert not data.intervention[:1755].any() and data.intervention.any(axis=1)[1755:].all()


@pytest.mark.parametrize("kwargs", [{"kind": "pooled"}, {"truth": "sachs2005"}])
def test_sachs_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(CausalpostError, match="unknown"):
        ds.load_sachs(**kwargs)


def test_datasets_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(ds.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=ds.ENV_VAR):
        ds.load_sachs()
    monkeypatch.setenv(ds.ENV_VAR, str(tmp_path))
    with pytest.raises(DataError, match="missing"):
        ds.load_sachs()


# ------------------------------------------------------------------ BIF networks


def test_sample_bif_reproducible_and_discrete() -> None:
    first = ds.sample_bif("asia", 500, seed=3)
    again = ds.sample_bif("asia", 500, seed=3)
    other = ds.sample_bif("asia", 500, seed=4)
    np.testing.assert_array_equal(first.data.values, again.data.values)
    assert not np.array_equal(first.data.values, other.data.values)
    data = first.data
    assert data.names == ("asia", "tub", "smoke", "lung", "bronc", "either", "xray", "dysp")
    assert set(data.kinds) == {"discrete"} and data.arities == (2,) * 8
    assert data.levels[0] == ("yes", "no")
    assert np.array_equal(data.values, np.round(data.values)) and data.values.max() <= 1
    assert int(first.truth.sum()) == 8 and is_dag(first.truth)


def test_sample_bif_frequencies_follow_the_tables() -> None:
    data = ds.sample_bif("asia", 40_000, seed=0).data
    smoke, lung = data.codes()[:, data.index("smoke")], data.codes()[:, data.index("lung")]
    assert abs(np.mean(smoke == 0) - 0.5) < 0.01  # P(smoke = yes) = 0.5
    assert abs(np.mean(lung[smoke == 0] == 0) - 0.10) < 0.01  # P(lung = yes | smoker)
    assert abs(np.mean(lung[smoke == 1] == 0) - 0.01) < 0.004  # P(lung = yes | non-smoker)
    # a node with two parents: P(dysp = yes | bronc, either) from asia.bif
    codes = data.codes()
    bronc, either = codes[:, data.index("bronc")], codes[:, data.index("either")]
    dysp = codes[:, data.index("dysp")]
    expected = {(0, 0): 0.9, (1, 0): 0.7, (0, 1): 0.8, (1, 1): 0.1}  # (bronc, either): yes=0
    for (b, e), p in expected.items():
        assert abs(np.mean(dysp[(bronc == b) & (either == e)] == 0) - p) < 0.04


def test_sample_bif_truth_matches_pgmpy_model() -> None:
    model = ds.load_bif_network("asia")
    bench = ds.sample_bif("asia", 50, seed=0)
    assert set(bench.truth_edges()) == set(model.edges())
    assert bench.data.levels == tuple(tuple(model.get_cpds(n).state_names[n]) for n in bench.names)


@pytest.mark.parametrize(
    ("name", "n_obs", "error"), [("hepar2", 10, "unknown name"), ("asia", 1, "n_obs")]
)
def test_sample_bif_bad_arguments(name: str, n_obs: int, error: str) -> None:
    with pytest.raises(CausalpostError, match=error):
        ds.sample_bif(name, n_obs, seed=0)


# ------------------------------------------------------------------ generators


@settings(max_examples=60, deadline=None)
@given(
    n_nodes=st.integers(1, 15),
    graph=st.sampled_from(["er", "sf"]),
    edges_per_node=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_dag_is_acyclic(n_nodes: int, graph: str, edges_per_node: int, seed: int) -> None:
    if graph == "sf":
        edges_per_node = max(edges_per_node, 1)
    elif edges_per_node * n_nodes > n_nodes * (n_nodes - 1) / 2:
        edges_per_node = 0
    adj = synthetic.random_dag(n_nodes, graph, edges_per_node=edges_per_node, seed=seed)
    assert adj.shape == (n_nodes, n_nodes) and adj.dtype == bool
    assert is_dag(adj)


def test_random_dag_edge_counts() -> None:
    er = [synthetic.random_dag(20, "er", edges_per_node=2, seed=s).sum() for s in range(300)]
    assert abs(np.mean(er) - 40) < 1.5  # 40 expected; s.e. of the mean about 0.35
    assert synthetic.random_dag(12, "er", n_edges=17, seed=1).sum() == 17
    # Barabasi-Albert: node t sends min(m, t) edges
    assert synthetic.random_dag(20, "sf", edges_per_node=2, seed=5).sum() == 1 + 2 * 18


def test_random_dag_node_order_is_random() -> None:
    edges = np.concatenate([np.argwhere(synthetic.random_dag(10, seed=s)) for s in range(100)])
    assert abs(np.mean(edges[:, 0] < edges[:, 1]) - 0.5) < 0.05


def test_random_dag_seeded() -> None:
    for graph in ("er", "sf"):
        a = synthetic.random_dag(15, graph, seed=7)
        np.testing.assert_array_equal(a, synthetic.random_dag(15, graph, seed=7))
        assert not np.array_equal(a, synthetic.random_dag(15, graph, seed=8))


def test_random_dag_scale_free_has_hubs() -> None:
    adj = synthetic.random_dag(300, "sf", edges_per_node=1, seed=0)
    assert adj.sum(axis=0).max() >= 15  # preferential attachment; ER would give ~4
    assert adj.sum(axis=1).max() == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n_nodes": 0}, "n_nodes"),
        ({"n_nodes": 5, "graph": "ba"}, "unknown graph"),
        ({"n_nodes": 3, "edges_per_node": 2}, "probability"),
        ({"n_nodes": 4, "n_edges": 7}, "exceeds"),
        ({"n_nodes": 4, "edges_per_node": -1}, "edges_per_node"),
        ({"n_nodes": 6, "graph": "sf", "edges_per_node": 1.5}, "whole"),
        ({"n_nodes": 6, "graph": "sf", "n_edges": 4}, "only supported"),
    ],
)
def test_random_dag_bad_arguments(kwargs: dict, error: str) -> None:
    with pytest.raises(CausalpostError, match=error):
        synthetic.random_dag(seed=0, **kwargs)


def test_linear_gaussian_recovers_its_weights() -> None:
    bench = synthetic.linear_gaussian(6, 20_000, n_edges=8, min_weight=0.5, seed=11)
    data, truth = bench
    assert data.values.shape == (20_000, 6) and data.names == tuple(f"X{j}" for j in range(6))
    assert np.array_equal(bench.weights != 0, truth)
    assert (np.abs(bench.weights[truth]) >= 0.5).all()
    for j in range(6):
        parents = np.flatnonzero(truth[:, j])
        design = np.column_stack([data.values[:, parents], np.ones(data.n_obs)])
        coef, *_ = np.linalg.lstsq(design, data.values[:, j], rcond=None)
        np.testing.assert_allclose(coef[:-1], bench.weights[parents, j], atol=0.05)
        residual = data.values[:, j] - design @ coef
        assert abs(residual.std() - 0.1) < 0.005


def test_generators_seeded() -> None:
    for make in (synthetic.linear_gaussian, synthetic.nonlinear_gaussian):
        a, b = make(8, 50, seed=2), make(8, 50, seed=2)
        np.testing.assert_array_equal(a.data.values, b.data.values)
        np.testing.assert_array_equal(a.truth, b.truth)
        assert not np.array_equal(a.data.values, make(8, 50, seed=3).data.values)


def test_nonlinear_gaussian() -> None:
    data, truth = synthetic.nonlinear_gaussian(10, 3000, graph="sf", edges_per_node=1, seed=4)
    assert data.values.shape == (3000, 10) and is_dag(truth) and truth.sum() == 9
    roots = np.flatnonzero(truth.sum(axis=0) == 0)
    np.testing.assert_allclose(data.values[:, roots].std(axis=0), 0.1, atol=0.01)


def test_generator_bad_arguments() -> None:
    with pytest.raises(CausalpostError, match="noise_sd"):
        synthetic.linear_gaussian(5, 10, noise_sd=0.0, seed=0)
    with pytest.raises(CausalpostError, match="n_obs"):
        synthetic.nonlinear_gaussian(5, 1, seed=0)


# ------------------------------------------------------------------ examples and designs


@pytest.mark.parametrize("name", ds.EXAMPLES)
def test_example_csv_regenerates_from_its_sem(name: str) -> None:
    shipped, made = ds.load_example(name), ds.make_example_data(name)
    assert shipped.data.names == made.data.names and shipped.data.n_obs == 500
    np.testing.assert_array_equal(shipped.data.values, made.data.values)
    np.testing.assert_array_equal(shipped.truth, made.truth)
    assert is_dag(shipped.truth) and np.array_equal(shipped.weights != 0, shipped.truth)


def test_recommender() -> None:
    data, truth = ds.load_recommender()
    assert data.names == ("Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite")
    assert truth[data.index("Clicks"), data.index("Opinion")]
    np.testing.assert_array_equal(ds.make_recommender_data().data.values, data.values)
    assert ds.make_recommender_data(seed=1).data.n_obs == 500


def test_benchmark_data_is_frozen() -> None:
    bench = ds.load_recommender()
    assert len(tuple(bench)) == 2
    with pytest.raises(ValueError, match="read-only"):
        bench.truth[0, 1] = True


def test_designs_exist() -> None:
    names = {path.stem for path in DESIGNS}
    assert {"recommender", "fitness_tracker", "reward_tampering"} <= names


@pytest.mark.parametrize("path", DESIGNS, ids=lambda p: p.stem)
def test_design_refers_to_its_dataset(path) -> None:
    design = json.loads(path.read_text())
    assert design["description"].strip() and design["dataset"] in ds.EXAMPLES
    data, truth = ds.load_example(design["dataset"])
    columns = set(data.names)
    agent = set(design["decisions"]) | set(design["utilities"])
    assert not agent & columns, "decision and utility names must be new nodes"
    referenced = set(design["protected"])
    for decision in design["decisions"].values():
        referenced |= set(decision["observes"]) | set(decision["affects"])
    for utility in design["utilities"].values():
        referenced |= set(utility["parents"])
    assert referenced <= columns, f"not columns of {design['dataset']}: {referenced - columns}"
    assert set(design["kinds"]) <= INCENTIVE_KINDS
    # the true world model plus the design is a valid influence diagram
    graph = nx.from_numpy_array(truth.astype(np.uint8), create_using=nx.DiGraph)
    graph = nx.relabel_nodes(graph, dict(enumerate(data.names)))
    for name, decision in design["decisions"].items():
        graph.add_edges_from((obs, name) for obs in decision["observes"])
        graph.add_edges_from((name, aff) for aff in decision["affects"])
    for name, utility in design["utilities"].items():
        graph.add_edges_from((parent, name) for parent in utility["parents"])
    assert nx.is_directed_acyclic_graph(graph)


def test_generators_have_one_home():
    for name in ("linear_gaussian", "nonlinear_gaussian", "random_dag"):
        assert name in synthetic.__all__
        assert name not in ds.__all__ and not hasattr(ds, name)
