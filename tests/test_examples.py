"""Each example script runs end to end with small settings, and says something true."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

# tiny budgets: chains may disagree, which the samplers rightly warn about
pytestmark = pytest.mark.filterwarnings("ignore::causalpost.errors.ChainDisagreementWarning")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str) -> dict:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")


def test_sachs_posterior(tmp_path, capsys):
    post = load("sachs_posterior")["main"](n_draws=100, out=tmp_path, quiet=True)
    assert post.n_nodes == 11 and post.n_draws == 100
    text = capsys.readouterr().out
    assert "17 arcs" in text and "18 edges" in text  # both truths, named
    assert {p.name for p in tmp_path.iterdir()} >= {"sachs_edges.png", "sachs_graph.png"}


def test_audit_recommender(tmp_path):
    report = load("audit_recommender")["main"](n_draws=200, out=tmp_path, quiet=True)
    # the data cannot orient Clicks - Opinion, so the control incentive on the protected
    # Opinion node has posterior probability well inside (0, 1): the design fails
    row = report.table.query("node == 'Opinion' and kind == 'ici'")
    assert 0.2 < float(row["probability"].iloc[0]) < 0.8
    assert report.verdict == "fail"
    assert (tmp_path / "recommender_audit.html").stat().st_size > 10_000


def test_samplers_vs_exact(tmp_path):
    module = load("samplers_vs_exact")
    quick = {"mcmc": {}, "bootstrap-ges": {}}
    results = module["main"](n_draws=400, out=tmp_path, quiet=True, samplers=quick)
    assert set(results) == set(quick)
    assert results["mcmc"]["max_abs"] < 0.2
    assert (tmp_path / "mcmc_vs_exact.png").exists()


def test_settle_by_experiment(tmp_path, capsys):
    result = load("settle_by_experiment")["main"](tmp_path)
    # before: Clicks - Opinion unidentified, the incentive about as likely as not
    assert 0.3 < result["before"] < 0.7
    # the plan picks an intervention on one end of that edge, worth most of the entropy
    assert result["best"] in ("Clicks", "Opinion")
    assert result["eig"] > 0.6 * result["entropy_now"]
    # after the experiment the incentive is nearly ruled out (the truth has none)
    assert result["after"] < 0.15
    assert (tmp_path / "recommender_with_experiment.csv").exists()
    assert "do(" in capsys.readouterr().out
