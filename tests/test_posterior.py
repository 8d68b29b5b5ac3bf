import json

import networkx as nx
import numpy as np
import pytest

import causalpost as cp
from causalpost.posterior import Posterior


def test_save_load_round_trips_bit_for_bit(tmp_path, chain_data):
    post = cp.fit(chain_data, seed=0)
    path = post.save(tmp_path / "post.npz")
    back = Posterior.load(path)
    assert back.nodes == post.nodes and back.exact == post.exact
    assert np.array_equal(back.adjacency, post.adjacency)
    assert back.log_weights.tobytes() == post.log_weights.tobytes()
    assert post.params.keys() == back.params.keys()
    for key in post.params:
        assert back.params[key].tobytes() == post.params[key].tobytes()
    assert back.info == post.info
    timeless = {k: v for k, v in post.diagnostics.items() if not k.endswith("seconds")}
    assert back.diagnostics == timeless  # wall-clock time is never saved (same seed, same bytes)


def test_discrete_round_trip_keeps_nan_padding(tmp_path, discrete_data):
    post = cp.fit(discrete_data, seed=0)
    back = Posterior.load(post.save(tmp_path / "d.npz"))
    for key in post.params:
        assert np.array_equal(back.params[key], post.params[key], equal_nan=True)


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_corrupt_files_give_clear_errors(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(cp.CausalpostError, match="not a causalpost posterior"):
        Posterior.load(path)


def test_foreign_npz_and_pickled_arrays_are_rejected(tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.arange(3))
    with pytest.raises(cp.CausalpostError, match="not a causalpost posterior"):
        Posterior.load(foreign)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, header=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(cp.CausalpostError, match="not a causalpost posterior"):
        Posterior.load(pickled)
    with pytest.raises(cp.CausalpostError, match="no such file"):
        Posterior.load(tmp_path / "missing.npz")


def test_top_graphs_merge_duplicates_and_sum_weights():
    a = np.array([[0, 1], [0, 0]])
    b = np.array([[0, 0], [1, 0]])
    empty = np.zeros((2, 2))
    post = Posterior(["A", "B"], np.stack([a, b, a, empty, a]))
    top = post.top_graphs(5)
    assert [round(g.probability, 6) for g in top] == [0.6, 0.2, 0.2]
    assert top[0].edges(post.nodes) == [("A", "B")]
    assert np.array_equal(post.map_graph(), a)
    graphs, probs, inverse = post.unique_graphs()
    assert np.array_equal(graphs[inverse], post.adjacency)
    assert probs.sum() == pytest.approx(1.0)


def test_weighted_edge_probs_and_metrics():
    a = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    b = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]])  # A->B reversed
    post = Posterior(list("ABC"), np.stack([a, b]), np.log([0.75, 0.25]))
    assert post.edge_probs.loc["A", "B"] == pytest.approx(0.75)
    assert post.edge_probs.loc["B", "A"] == pytest.approx(0.25)
    assert post.expected_shd(a) == pytest.approx(0.25)
    # true edges A->B (0.75), B->C (1.0); best non-edge B->A (0.25): perfect ranking
    assert post.edge_auroc(a) == pytest.approx(1.0)
    assert post.edge_auroc(b) < 1.0
    with pytest.raises(cp.CausalpostError, match="shape"):
        post.expected_shd(np.zeros((2, 2)))


def test_to_networkx_and_to_pgmpy_continuous(chain_data):
    post = cp.fit(chain_data, seed=0)
    i = int(np.argmax(post.log_weights))
    graph = post.to_networkx(i)
    assert isinstance(graph, nx.DiGraph) and set(graph.nodes) == set("ABCDE")
    assert graph.number_of_edges() == int(post.adjacency[i].sum())
    model = post.to_pgmpy(i)
    assert set(model.edges()) == set(graph.edges())
    assert model.check_model()
    with pytest.raises(cp.CausalpostError, match="out of range"):
        post.to_networkx(post.n_draws)


def test_to_pgmpy_discrete_matches_parameter_draw(discrete_data):
    post = cp.fit(discrete_data, seed=0)
    i = int(np.argmax(post.log_weights))
    model = post.to_pgmpy(i)
    assert model.check_model()
    j = post.nodes.index("Y")
    cpd = model.get_cpds("Y")
    parents = [post.nodes[p] for p in np.flatnonzero(post.adjacency[i][:, j])]
    assert cpd.variables[1:] == parents
    n_configs = cpd.values.reshape(cpd.variable_card, -1).shape[1]
    expected = post.params[f"cpt_{j}"][i, :n_configs].T
    assert np.allclose(cpd.values.reshape(cpd.variable_card, -1), expected)


def test_invalid_construction():
    with pytest.raises(cp.CausalpostError, match="n_draws, d, d"):
        Posterior(["A"], np.zeros((2, 2)))
    with pytest.raises(cp.CausalpostError, match="names for"):
        Posterior(["A"], np.zeros((1, 2, 2)))
    with pytest.raises(cp.CausalpostError, match="leading n_draws"):
        Posterior(["A"], np.zeros((2, 1, 1)), params={"w": np.zeros(3)})


def test_repr_and_json_header(tmp_path, chain_data):
    post = cp.fit(chain_data, seed=0)
    assert "exact" in repr(post)
    with np.load(post.save(tmp_path / "p.npz"), allow_pickle=False) as npz:
        header = json.loads(str(npz["header"]))
    assert header["nodes"] == list("ABCDE")


def test_a_fitted_posterior_records_its_integer_seed(tmp_path):
    import causalpost as cp
    from tests.conftest import chain_frame

    data = cp.from_pandas(chain_frame(100))
    post = cp.fit(data, sampler="partition", seed=7, quiet=True, parameters=False)
    assert post.info["seed"] == 7
    assert Posterior.load(post.save(tmp_path / "p.npz")).info["seed"] == 7
    unseeded = cp.fit(data, sampler="partition", seed=np.random.default_rng(1), quiet=True,
                      parameters=False)
    assert "seed" not in unseeded.info  # a Generator is not a reproducible record
