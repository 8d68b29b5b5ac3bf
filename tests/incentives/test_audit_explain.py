"""The audit says why: paths in the witness graph, hinge edges, definitions, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from causalpost import Posterior
from causalpost_cli import main
from incentives import CID
from incentives._explain import hinge_edges, incentive_paths
from incentives.audit import audit
from incentives.design import Design

NAMES = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
RECOMMENDER = Path(__file__).parents[2] / "datasets/designs/recommender.json"


def _two_orientations() -> Posterior:
    """Clicks -> Opinion (no ICI on Opinion) 0.6, Opinion -> Clicks (ICI) 0.4; exact."""
    g = np.zeros((2, 6, 6), dtype=np.uint8)
    for a, b in [("Age", "Interest"), ("History", "Interest"), ("Interest", "Clicks"),
                 ("Clicks", "TimeOnSite")]:
        g[:, NAMES.index(a), NAMES.index(b)] = 1
    g[0, NAMES.index("Clicks"), NAMES.index("Opinion")] = 1
    g[1, NAMES.index("Opinion"), NAMES.index("Clicks")] = 1
    return Posterior(NAMES, g, np.log([0.6, 0.4]), exact=True)


def test_paths_and_hinge_of_the_recommender_row() -> None:
    report = audit(_two_orientations(), Design.load(RECOMMENDER), n_quantitative=0)
    position = int(report.table.query("kind == 'ici' and node == 'Opinion'").index[0])
    assert report.rows.iloc[position]["probability"] == pytest.approx(0.4)
    paths = report.paths[position]
    assert paths[0] == ["Rec", "Opinion", "Clicks", "Engagement"]
    top = report.hinges[position][0]
    assert set(top["edge"]) == {"Clicks", "Opinion"}
    # the row is decided by that edge: 1 or 0 depending on its direction
    assert {top["p_if_present"], top["p_if_absent"]} == {0.0, 1.0}
    assert top["p_edge"] == pytest.approx(0.4 if top["edge"][0] == "Opinion" else 0.6)
    head = report.headline()
    assert len(head) == 3 and "FAIL" in head[0] and "Opinion" in head[1]
    assert "hinges on" in head[2]


def test_paths_follow_the_definitions_on_a_small_cid() -> None:
    cid = CID([("X", "D"), ("D", "A"), ("A", "U"), ("X", "U"), ("B", "U")], ["D"], ["U"])
    assert incentive_paths(cid, "D", "ici", "A") == [["D", "A", "U"]]
    assert incentive_paths(cid, "D", "voc", "B") == [["B", "U"]]
    assert incentive_paths(cid, "D", "ri", "X") == [["X", "D", "A", "U"]]
    assert incentive_paths(cid, "D", "ici", "B") == []


def test_hinge_edges_against_direct_conditioning() -> None:
    rng = np.random.default_rng(0)
    graphs = (rng.random((40, 3, 3)) < 0.4).astype(np.uint8)
    graphs[:, np.arange(3), np.arange(3)] = 0
    weights = rng.dirichlet(np.ones(40))
    admits = rng.random((40, 2)) < 0.5
    out = hinge_edges(graphs, weights, admits, ["A", "B", "C"], [0, 1])
    for row, hinges in out.items():
        for h in hinges:
            i, j = ["A", "B", "C"].index(h["edge"][0]), ["A", "B", "C"].index(h["edge"][1])
            has = graphs[:, i, j] == 1
            assert h["p_edge"] == pytest.approx(weights[has].sum())
            assert h["p_if_present"] == pytest.approx(
                weights[has & admits[:, row]].sum() / weights[has].sum())
            assert h["p_if_absent"] == pytest.approx(
                weights[~has & admits[:, row]].sum() / weights[~has].sum())
        gaps = [abs(h["p_if_present"] - h["p_if_absent"]) for h in hinges]
        assert gaps == sorted(gaps, reverse=True)


def test_report_contents_and_json_keys(tmp_path: Path, capsys) -> None:
    post = _two_orientations()
    post.info.update(data_file="rec.csv", seed=3, n_obs=500, sampler="exact")
    saved = post.save(tmp_path / "post.npz")
    assert main(["audit", str(RECOMMENDER), "--posterior", str(saved), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    prov = out["provenance"]
    assert {"data_file", "data_sha256", "n_obs", "nodes", "score", "prior", "sampler", "seed",
            "n_draws", "diagnostics", "version", "audited_at"} <= set(prov)
    assert prov["data_file"] == "rec.csv" and prov["seed"] == 3 and prov["n_draws"] == 2
    row = next(r for r in out["incentives"] if r["kind"] == "ici" and r["node"] == "Opinion")
    assert row["paths"][0] == ["Rec", "Opinion", "Clicks", "Engagement"]
    assert set(row["hinge_edges"][0]["edge"]) == {"Clicks", "Opinion"}
    assert main(["audit", str(RECOMMENDER), "--posterior", str(saved)]) == 1
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("news recommender: FAIL") and "hinges on" in text[2]
    page = audit(post, Design.load(RECOMMENDER), n_quantitative=0).to_html()
    for heading in ("Why", "How to read this", "Provenance"):
        assert f"<h2>{heading}</h2>" in page
    assert "instrumental control incentive" in page and "rec.csv" in page


def test_report_diagram_colours_only_protected_nodes(monkeypatch) -> None:
    import incentives.plot as plot_module

    seen = {}
    real = plot_module.plot_cid

    def spy(edges, decisions, utilities, risk, **kwargs):
        seen.update(risk)
        return real(edges, decisions, utilities, risk, **kwargs)

    monkeypatch.setattr(plot_module, "plot_cid", spy)
    report = audit(_two_orientations(), Design.load(RECOMMENDER), n_quantitative=0)
    report.to_html()
    # Clicks has ICI with probability 1 but is not protected: not coloured as a risk
    assert set(seen) == {"Opinion"} and seen["Opinion"] == pytest.approx(0.4)
