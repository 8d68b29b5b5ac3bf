"""``causalpost audit``: exit codes 0 pass / 1 fail / 2 bad input, and the --json format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from causalpost import Posterior
from causalpost_cli import main

NAMES = ["A", "B", "C"]
DESIGN = {
    "name": "toy",
    "decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
    "utilities": {"U": {"parents": ["C"]}},
    "protected": ["B"],
    "kinds": ["ici"],
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    g = np.zeros((4, 3, 3), dtype=np.uint8)
    g[:, 0, 1] = 1  # A -> B everywhere
    g[0, 1, 2] = 1  # B -> C in one draw of four: ICI on B with probability 1/4
    out = {"post": Posterior(NAMES, g).save(tmp_path / "post.npz")}
    for name, spec in {"fail": DESIGN, "pass": {**DESIGN, "protected": ["A"]}}.items():
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(json.dumps(spec))
    return out


def test_fail_exits_1_and_prints_the_json_format(files, capsys) -> None:
    code = main(["audit", str(files["fail"]), "--posterior", str(files["post"]), "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "fail" and out["n_draws"] == 4 and out["n_unique_graphs"] == 2
    assert out["threshold"] == 0.05 and out["invalid_fraction"] == 0.0
    row = next(r for r in out["incentives"] if r["kind"] == "ici" and r["node"] == "B")
    assert row["probability"] == 0.25 and row["protected"] and row["conservative"]
    lo, hi = row["interval"]
    assert lo < 0.25 < hi
    assert ["B", "C"] in row["witness"]["edges"] and row["witness"]["probability"] == 0.25


def test_pass_exits_0_and_writes_html(files, tmp_path, capsys) -> None:
    page = tmp_path / "report.html"
    code = main(
        [
            "audit",
            str(files["pass"]),
            "--posterior",
            str(files["post"]),
            "--threshold",
            "0.5",
            "--html",
            str(page),
        ]
    )
    assert code == 0
    assert "PASS" in capsys.readouterr().out
    assert "data:image/png;base64," in page.read_text()


def test_markdown_output(files, capsys) -> None:
    code = main(
        [
            "audit",
            str(files["fail"]),
            "--posterior",
            str(files["post"]),
            "--markdown",
            "--n-quantitative",
            "0",
        ]
    )
    assert code == 1 and capsys.readouterr().out.startswith("# Incentive audit: toy")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kinds": ["bogus"]}, "unknown incentive kind"),
        ({"protected": ["Nope"]}, "protected node 'Nope' is not in the graph"),
        ({"decisions": {"D": {"observes": ["Q"], "affects": []}}}, "unknown node 'Q'"),
    ],
)
def test_bad_design_exits_2_with_one_line(files, tmp_path, capsys, change, message) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**DESIGN, **change}))
    assert main(["audit", str(bad), "--posterior", str(files["post"])]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_files_and_options_exit_2(files, tmp_path, capsys) -> None:
    missing = str(tmp_path / "missing.npz")
    assert main(["audit", str(files["fail"]), "--posterior", missing]) == 2
    assert main(["audit", str(tmp_path / "nope.json"), "--posterior", str(files["post"])]) == 2
    assert (
        main(["audit", str(files["fail"]), "--posterior", str(files["post"]), "--threshold", "2"])
        == 2
    )
    assert "threshold must be in" in capsys.readouterr().err


def test_large_audits_show_a_progress_bar_unless_quiet(files, capsys, monkeypatch) -> None:
    from importlib import import_module

    audit_module = import_module("incentives._audit_graphs")  # where the graphs are evaluated
    monkeypatch.setattr(audit_module, "PROGRESS_MIN_GRAPHS", 1)  # this posterior has 2
    argv = ["audit", str(files["pass"]), "--posterior", str(files["post"]),
            "--threshold", "0.5"]
    assert main(argv) == 0
    assert "audit" in capsys.readouterr().err
    assert main([*argv, "--quiet"]) == 0
    assert "audit" not in capsys.readouterr().err
    monkeypatch.setattr(audit_module, "PROGRESS_MIN_GRAPHS", 3)
    assert main(argv) == 0
    assert "audit" not in capsys.readouterr().err  # small audits stay silent
