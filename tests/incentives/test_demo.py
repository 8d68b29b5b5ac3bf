"""``causalpost demo`` runs the whole story end to end (small budgets)."""

from __future__ import annotations

import pytest

from causalpost_cli import main

pytestmark = pytest.mark.filterwarnings("ignore::causalpost.errors.ChainDisagreementWarning")


def test_demo_writes_the_story(tmp_path, capsys) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n-draws", "200", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Which experiment would settle the audit" in text
    page = (out / "recommender_audit.html").read_text()
    assert "What would settle this" in page and "Verdict: FAIL" in page
    names = {p.name for p in out.iterdir()}
    assert {"sachs_edges.png", "recommender_posterior.npz", "recommender_plan.png"} <= names
