"""Interventional data: the mask, the interventional scores, every sampler, bad input.

The reference here is independent of the code under test's row handling: node
j's interventional local score must equal the *observational* score of j bound
to only the rows that did not intervene on j (Cooper & Yoo 1999).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost.errors import CausalpostError, DataError
from causalpost.graphs import enumerate_dags
from causalpost.scores import BDeu, BGe
from causalpost_cli import main

NAMES = ["A", "B", "C", "D"]


def _gaussian_rows(rng, n, do=None):
    """A -> B -> C, A -> D; ``do`` = (node, values) replaces that node's mechanism."""
    cols = {}
    noise = rng.normal(size=(n, 4))
    cols["A"] = noise[:, 0]
    if do and do[0] == "A":
        cols["A"] = do[1]
    cols["B"] = 0.9 * cols["A"] + 0.5 * noise[:, 1]
    if do and do[0] == "B":
        cols["B"] = do[1]
    cols["C"] = -0.8 * cols["B"] + 0.5 * noise[:, 2]
    if do and do[0] == "C":
        cols["C"] = do[1]
    cols["D"] = 0.7 * cols["A"] + 0.6 * noise[:, 3]
    return pd.DataFrame(cols)


@pytest.fixture(scope="module")
def mixed_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    obs = _gaussian_rows(rng, 60).assign(INT="")
    do_b = _gaussian_rows(rng, 30, ("B", rng.normal(2.0, 1.0, 30))).assign(INT="B")
    do_c = _gaussian_rows(rng, 20, ("C", rng.normal(size=20))).assign(INT="C;")
    return pd.concat([obs, do_b, do_c], ignore_index=True)


def _discrete_frame(rng) -> pd.DataFrame:
    n = 300
    a = rng.integers(0, 2, n)
    b = np.where(rng.random(n) < 0.85, a, 1 - a)
    forced = np.arange(n) >= 200  # do(B = random) in the last 100 rows
    b[forced] = rng.integers(0, 2, forced.sum())
    c = np.where(rng.random(n) < 0.8, b, 1 - b)
    d = rng.integers(0, 3, n)
    return pd.DataFrame({"A": a, "B": b, "C": c, "D": d,
                         "INT": np.where(forced, "B", "")})


def _reference_local(spec, data: cp.Dataset, node: int, parents) -> float:
    """The observational score of ``node`` bound to the rows that did not intervene on it
    (same levels, so the same arities)."""
    rows = ~data.intervention[:, node]
    sub = cp.Dataset(np.array(data.values[rows]), data.names, data.kinds, data.levels)
    return spec.bind(sub).local_score(node, tuple(parents))


def test_mask_parsed_from_the_column(mixed_frame: pd.DataFrame) -> None:
    data = cp.from_pandas(mixed_frame, intervention_column="INT")
    assert data.names == tuple(NAMES) and data.is_interventional
    assert data.intervention.sum(axis=0).tolist() == [0, 30, 20, 0]
    assert data.intervention_labels()[60] == "B" and data.intervention_labels()[0] == ""
    assert np.array_equal(data.kept_rows(1), ~data.intervention[:, 1])
    sub = data.subset(np.arange(60, 70))
    assert sub.intervention[:, 1].all()


def test_csv_loader_and_observational_equivalence(tmp_path: Path, mixed_frame) -> None:
    path = tmp_path / "mixed.csv"
    mixed_frame.to_csv(path, index=False)
    data = cp.load_csv(path, intervention_column="INT")
    assert data.intervention.sum() == 50
    plain = mixed_frame.assign(INT="")
    # an all-empty column is the observational table
    assert not cp.from_pandas(plain, intervention_column="INT").is_interventional


@pytest.mark.parametrize("spec", [BGe(standardize=False), BGe(alpha_mu=2.0, standardize=False)])
def test_bge_local_scores_use_only_rows_not_intervened_on(spec, mixed_frame) -> None:
    data = cp.from_pandas(mixed_frame, intervention_column="INT")
    bound = spec.bind(data)
    for node, parents in [(1, ()), (1, (0,)), (2, (1,)), (2, (0, 1)), (3, (0,)), (0, (2,))]:
        expected = _reference_local(spec, data, node, parents)
        assert bound.local_score(node, parents) == pytest.approx(expected, abs=1e-9)


def test_bdeu_local_scores_use_only_rows_not_intervened_on() -> None:
    frame = _discrete_frame(np.random.default_rng(2))
    data = cp.from_pandas(frame, intervention_column="INT")
    bound = BDeu(ess=2.0).bind(data)
    for node, parents in [(1, ()), (1, (0,)), (2, (1,)), (0, (1,)), (3, (0, 1))]:
        expected = _reference_local(BDeu(ess=2.0), data, node, parents)
        assert bound.local_score(node, parents) == pytest.approx(expected, abs=1e-9)


def test_standardization_takes_each_column_from_its_natural_rows(mixed_frame) -> None:
    shifted = mixed_frame.copy()
    shifted.loc[shifted["INT"] == "B", "B"] += 1000.0  # do(B = huge): not B's distribution
    data = cp.from_pandas(shifted, intervention_column="INT")
    bound = BGe().bind(data)
    natural = shifted.loc[shifted["INT"] != "B", "B"]
    assert bound.location[1] == pytest.approx(natural.mean())
    assert bound.scale[1] == pytest.approx(natural.std(ddof=1))
    everything = shifted["A"]  # A is never intervened: all rows
    assert bound.location[0] == pytest.approx(everything.mean())


def _brute_force_edge_probs(data: cp.Dataset, spec) -> np.ndarray:
    dags = enumerate_dags(data.n_nodes)
    cache: dict = {}
    log_post = np.zeros(len(dags))
    for s, g in enumerate(dags):
        for j in range(data.n_nodes):
            parents = tuple(np.flatnonzero(g[:, j]).tolist())
            if (j, parents) not in cache:
                cache[j, parents] = _reference_local(spec, data, j, parents)
            log_post[s] += cache[j, parents]
    w = np.exp(log_post - log_post.max())
    return np.einsum("s,sij->ij", w / w.sum(), dags.astype(float))


@pytest.mark.parametrize("kind", ["bge", "bdeu"])
def test_exact_posterior_equals_brute_force_enumeration(kind, mixed_frame) -> None:
    if kind == "bge":
        data = cp.from_pandas(mixed_frame, intervention_column="INT")
        spec, options = BGe(standardize=False), {"standardize": False}
    else:
        data = cp.from_pandas(_discrete_frame(np.random.default_rng(4)),
                              intervention_column="INT")
        spec, options = BDeu(), {}
    post = cp.fit(data, sampler="exact", score_options=options, quiet=True, seed=0)
    np.testing.assert_allclose(post.edge_prob_matrix, _brute_force_edge_probs(data, spec),
                               atol=1e-9)
    assert post.info["n_interventional_rows"] == int(data.intervention.any(axis=1).sum())


def test_mcmc_matches_the_exact_interventional_posterior(mixed_frame) -> None:
    data = cp.from_pandas(mixed_frame, intervention_column="INT")
    exact = cp.fit(data, sampler="exact", quiet=True, seed=0).edge_prob_matrix
    mcmc = cp.fit(data, sampler="mcmc", n_draws=4000, n_chains=2, quiet=True, seed=1)
    assert np.abs(mcmc.edge_prob_matrix - exact).max() < 0.06


def test_fifty_rows_of_do_x_orient_x_to_y() -> None:
    rng = np.random.default_rng(0)

    def rows(n, do=False):
        x = rng.normal(size=n)
        y = 0.8 * x + 0.6 * rng.normal(size=n)
        return pd.DataFrame({"X": x, "Y": y, "INT": "X" if do else ""})

    obs = rows(300)
    both = pd.concat([obs, rows(50, do=True)], ignore_index=True)
    p_obs = cp.fit(cp.from_pandas(obs.drop(columns="INT")), sampler="exact",
                   quiet=True).edge_probs.loc["X", "Y"]
    p_int = cp.fit(cp.from_pandas(both, intervention_column="INT"), sampler="exact",
                   quiet=True).edge_probs.loc["X", "Y"]
    assert abs(p_obs - 0.5) < 0.05
    assert p_int >= 0.95


def test_parameter_draws_use_the_kept_rows(mixed_frame) -> None:
    data = cp.from_pandas(mixed_frame, intervention_column="INT")
    post = cp.fit(data, sampler="exact", quiet=True, seed=0)
    top = post.top_graphs(1)[0].adjacency
    assert top[0, 1] or top[1, 0]
    # the regression of C on B is estimated without the do(C) rows (C's slope -0.8)
    draws = post.params["weights"][(post.adjacency[:, 1, 2] == 1)]
    if len(draws):
        assert abs(np.median(draws[:, 1, 2]) + 0.8) < 0.2


# -- bad input ----------------------------------------------------------------------------


def test_unknown_target_is_one_line(mixed_frame) -> None:
    bad = mixed_frame.copy()
    bad.loc[3, "INT"] = "B;Nope"
    with pytest.raises(DataError, match="data row 4: target 'Nope' is not a column"):
        cp.from_pandas(bad, intervention_column="INT")


def test_missing_intervention_column(mixed_frame) -> None:
    with pytest.raises(DataError, match="intervention column 'TARGETS' is not in the table"):
        cp.from_pandas(mixed_frame, intervention_column="TARGETS")


def test_node_intervened_in_every_row_is_named(mixed_frame) -> None:
    bad = mixed_frame.assign(INT="D")
    with pytest.raises(DataError, match="node 'D' is intervened on in 110 of 110 rows"):
        cp.from_pandas(bad, intervention_column="INT")


def test_mask_shape_and_dtype_are_checked() -> None:
    values = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(DataError, match="shape"):
        cp.from_numpy(values, ["X", "Y"], intervention=np.zeros((10, 3), dtype=bool))
    with pytest.raises(DataError, match="boolean"):
        cp.from_numpy(values, ["X", "Y"], intervention=np.zeros((10, 2)))


def test_bootstrap_refuses_interventional_rows(mixed_frame) -> None:
    data = cp.from_pandas(mixed_frame, intervention_column="INT")
    with pytest.raises(CausalpostError, match="cannot use interventional rows"):
        cp.fit(data, sampler="bootstrap-pc", n_draws=2, quiet=True)


def test_cli_reads_the_intervention_column(tmp_path: Path, mixed_frame, capsys) -> None:
    path = tmp_path / "mixed.csv"
    mixed_frame.to_csv(path, index=False)
    out = tmp_path / "post.npz"
    assert main(["fit", str(path), "--out", str(out), "--sampler", "exact",
                 "--intervention-column", "INT", "--quiet"]) == 0
    post = cp.Posterior.load(out)
    assert post.nodes == tuple(NAMES) and post.info["n_interventional_rows"] == 50
    capsys.readouterr()
    assert main(["fit", str(path), "--out", str(out), "--sampler", "exact",
                 "--intervention-column", "WRONG", "--quiet"]) == 2
    assert "intervention column 'WRONG'" in capsys.readouterr().err
    assert main(["fit", str(path), "--out", str(out), "--sampler", "bootstrap-pc",
                 "--intervention-column", "INT", "--quiet"]) == 2
    assert "cannot use interventional rows" in capsys.readouterr().err


def test_gflownet_matches_the_exact_interventional_posterior() -> None:
    rng = np.random.default_rng(5)

    def rows(n, do=None):
        a = rng.normal(size=n)
        b = 0.9 * a + 0.5 * rng.normal(size=n) if do != "B" else rng.normal(2, 1, n)
        c = -0.8 * b + 0.5 * rng.normal(size=n)
        return pd.DataFrame({"A": a, "B": b, "C": c, "INT": do or ""})

    frame = pd.concat([rows(60), rows(30, "B")], ignore_index=True)
    data = cp.from_pandas(frame, intervention_column="INT")
    exact = cp.fit(data, sampler="exact", quiet=True).edge_prob_matrix
    # bounded by steps, not seconds: the same work on a slow machine
    gfn = cp.fit(data, sampler="gfn", n_steps=1500, max_seconds=3600, n_draws=2000, seed=0,
                 quiet=True)
    assert exact[0, 1] > 0.95  # the do(B) rows orient A -> B
    assert np.abs(gfn.edge_prob_matrix - exact).max() < 0.05


def test_append_stacks_rows_and_masks_and_refuses_other_columns(mixed_frame) -> None:
    data = cp.from_pandas(mixed_frame, intervention_column="INT")
    plain = cp.from_pandas(mixed_frame.drop(columns="INT"))
    both = plain.append(data)
    assert both.n_obs == 2 * data.n_obs
    assert not both.intervention[: data.n_obs].any()
    np.testing.assert_array_equal(both.intervention[data.n_obs:], data.intervention)
    with pytest.raises(DataError, match="other columns"):
        plain.append(cp.from_pandas(mixed_frame[["A", "B"]]))
