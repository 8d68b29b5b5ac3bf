"""``fit --log`` and the standardization: applied, stated in the output, recorded in the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost import Posterior
from causalpost_cli import main


@pytest.fixture
def table(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(0)
    a = rng.lognormal(size=120)
    frame = pd.DataFrame({"A": a, "B": 0.9 * np.log(a) + rng.normal(size=120),
                          "C": rng.normal(size=120)})
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    return csv, frame


def _fit(csv: Path, out: Path, *extra: str) -> int:
    return main(["fit", str(csv), "--out", str(out), "--sampler", "exact", "--quiet", *extra])


def test_log_fits_the_log_and_says_so(table, tmp_path, capsys):
    csv, frame = table
    out = tmp_path / "post.npz"
    assert _fit(csv, out, "--log", "A") == 0
    printed = capsys.readouterr().out.splitlines()
    assert "transforms: log(A), standardized (BGe)" in printed
    post = Posterior.load(out)
    assert post.info["transforms"] == {"log": ["A"]}
    logged = cp.from_pandas(frame.assign(A=np.log(frame["A"])))  # the table it must have seen
    assert post.info["data_sha256"] == logged.fingerprint()
    assert post.info["data_sha256"] != cp.from_pandas(frame).fingerprint()
    assert main(["show", str(out)]) == 0
    assert "transforms: log(A), standardized (BGe)" in capsys.readouterr().out.splitlines()
    assert main(["show", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["transforms"] == ["log(A)", "standardized (BGe)"]


def test_log_changes_the_posterior_as_the_log_table_does(table, tmp_path):
    csv, frame = table
    out, logged_csv, ref = tmp_path / "a.npz", tmp_path / "logged.csv", tmp_path / "b.npz"
    frame.assign(A=np.log(frame["A"])).to_csv(logged_csv, index=False)
    assert _fit(csv, out, "--log", "A") == 0
    assert _fit(logged_csv, ref) == 0
    np.testing.assert_allclose(Posterior.load(out).edge_prob_matrix,
                               Posterior.load(ref).edge_prob_matrix, atol=1e-12)


@pytest.mark.parametrize(("extra", "line"), [
    (["--log", "A,C", "--no-standardize"], None),
    (["--no-standardize"], "transforms: none (the columns as read)"),
    ([], "transforms: standardized (BGe)"),
    (["--no-standardize", "--standardize"], "transforms: standardized (BGe)"),  # last wins
])
def test_every_transform_is_stated(table, tmp_path, capsys, extra, line):
    csv, frame = table
    if "C" in "".join(extra):  # C has negative values: shift it first
        frame.assign(C=frame["C"] - frame["C"].min() + 1).to_csv(csv, index=False)
        line = "transforms: log(A), log(C)"
    assert _fit(csv, tmp_path / "p.npz", *extra) == 0
    assert line in capsys.readouterr().out.splitlines()


def test_repeated_and_comma_separated_columns(table, tmp_path):
    csv, frame = table
    out = tmp_path / "p.npz"
    frame.assign(C=np.exp(frame["C"])).to_csv(csv, index=False)
    assert _fit(csv, out, "--log", "C,A", "--log", "A") == 0
    assert Posterior.load(out).info["transforms"] == {"log": ["C", "A"]}


@pytest.mark.parametrize(("edit", "log", "message"), [
    (lambda f: f.assign(A=np.where(np.arange(len(f)) == 7, 0.0, f["A"])), "A",
     "--log A: the log needs positive values, but row 8 has 0 (1 row <= 0 in all); drop A "
     "or shift it to positive values first"),
    (lambda f: f, "C", "--log C: the log needs positive values, but row "),
    (lambda f: f, "a", "--log a: no such column; the data has ['A', 'B', 'C']; did you mean "
                       "'A'?"),
    (lambda f: f.assign(B=np.where(f["B"] > 0, "hi", "lo")), "B",
     "--log B: B was read as discrete (2 levels: hi, lo); the log applies to continuous "
     "columns"),
    (lambda f: f, ",", "--log needs column names"),
])
def test_bad_log_is_one_line_exit_2(table, tmp_path, capsys, edit, log, message):
    csv, frame = table
    edit(frame).to_csv(csv, index=False)
    out = tmp_path / "p.npz"
    assert _fit(csv, out, "--log", log) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"causalpost: error: {message}")
    assert not out.exists()


def test_old_file_without_transforms_still_loads_and_shows(tmp_path, capsys):
    g = np.zeros((2, 2, 2), dtype=np.uint8)
    g[0, 0, 1] = 1
    out = Posterior(["A", "B"], g, info={"score": {"name": "bdeu"}}).save(tmp_path / "old.npz")
    assert main(["show", str(out)]) == 0
    assert "transforms: none (the columns as read)" in capsys.readouterr().out


def test_plan_evaluate_guard_and_audit_know_the_transform(table, tmp_path, capsys):
    csv, frame = table
    post = tmp_path / "post.npz"
    assert _fit(csv, post, "--log", "A") == 0
    design = tmp_path / "d.json"
    design.write_text(json.dumps({"name": "toy", "decisions": {"D": {"observes": [],
                                  "affects": ["A"]}}, "utilities": {"U": {"parents": ["B"]}},
                                  "protected": ["A"], "kinds": ["ici"]}))
    capsys.readouterr()
    # plan re-applies the recorded log: the raw CSV is the fitted table
    assert main(["plan", str(design), "--posterior", str(post), "--data", str(csv),
                 "--n-sims", "4", "--n-rows", "20", "--quiet", "--json"]) == 0
    capsys.readouterr()
    truth = tmp_path / "truth.csv"
    truth.write_text("from,to\nA,B\n")
    assert main(["evaluate", str(post), "--truth", str(truth), "--data", str(csv), "--json"]) == 0
    assert "pc" in json.loads(capsys.readouterr().out)["baselines"]
    assert main(["audit", str(design), "--posterior", str(post), "--json"]) in (0, 1)
    prov = json.loads(capsys.readouterr().out)["provenance"]
    assert prov["transforms"] == ["log(A)", "standardized (BGe)"]
    assert main(["audit", str(design), "--posterior", str(post), "--markdown", "-"]) in (0, 1)
    assert "- transforms: log(A), standardized (BGe)" in capsys.readouterr().out
    assert main(["guard", str(post), "--action", "A=0", "--harm", "B>5", "--quiet"]) in (0, 1)
    assert "fitted on log(A): values of A in --action" in capsys.readouterr().err
