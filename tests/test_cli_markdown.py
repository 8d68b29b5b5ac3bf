"""``--markdown`` means one thing in audit, plan and guard: PATH writes a file, '-' prints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from causalpost import Posterior
from causalpost_cli import main

DESIGN = {"name": "toy", "decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
          "utilities": {"U": {"parents": ["C"]}}, "protected": ["B"], "kinds": ["ici"]}


@pytest.fixture
def audit_files(tmp_path: Path) -> tuple[str, str]:
    g = np.zeros((4, 3, 3), dtype=np.uint8)
    g[:, 0, 1] = 1
    g[0, 1, 2] = 1  # ICI on B in one draw of four: the audit fails
    post = Posterior(["A", "B", "C"], g).save(tmp_path / "post.npz")
    design = tmp_path / "design.json"
    design.write_text(json.dumps(DESIGN))
    return str(design), str(post)


@pytest.fixture
def guard_post(tmp_path: Path) -> str:
    rng = np.random.default_rng(0)
    adj = np.zeros((4, 2, 2), dtype=np.uint8)
    adj[:, 0, 1] = 1
    params = {"weights": adj * 2.0, "intercept": np.zeros((4, 2)),
              "noise_var": rng.uniform(0.5, 1.0, size=(4, 2))}
    post = Posterior(["X", "Z"], adj, None, params, info={"kinds": ["continuous"] * 2})
    return str(post.save(tmp_path / "guard.npz"))


def _audit(design: str, post: str, *extra: str) -> int:
    return main(["audit", design, "--posterior", post, "--n-quantitative", "0", *extra])


def test_audit_markdown_path_writes_the_file_and_says_so(audit_files, tmp_path, capsys):
    md = tmp_path / "out" / "audit.md"
    md.parent.mkdir()
    assert _audit(*audit_files, "--markdown", str(md)) == 1
    printed = capsys.readouterr().out
    assert md.read_text().startswith("# Incentive audit: toy")
    assert f"wrote {md}" in printed and "# Incentive audit" not in printed  # the text summary
    assert not list(md.parent.glob(".*"))  # no temporary file left beside it


@pytest.mark.parametrize("flag", [["--markdown", "-"], ["--markdown"]])
def test_audit_markdown_dash_or_bare_prints_it(audit_files, capsys, flag):
    assert _audit(*audit_files, *flag) == 1
    assert capsys.readouterr().out.startswith("# Incentive audit: toy")


def test_guard_markdown_dash_prints_it_and_path_writes(guard_post, tmp_path, capsys):
    argv = ["guard", guard_post, "--action", "X=1", "--harm", "Z>10", "--quiet"]
    assert main([*argv, "--markdown", "-"]) == 0
    assert capsys.readouterr().out.startswith("# Harm guard: P(Z>10 | do(action)")
    md = tmp_path / "g.md"
    assert main([*argv, "--markdown", str(md)]) == 0
    assert capsys.readouterr().out.strip() == "allow"
    assert md.read_text().startswith("# Harm guard")


def test_plan_markdown_path_writes_the_file(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    frame = {"X": x, "Y": 0.8 * x + rng.normal(size=300)}
    import pandas as pd

    csv = tmp_path / "toy.csv"
    pd.DataFrame(frame).to_csv(csv, index=False)
    post = tmp_path / "post.npz"
    assert main(["fit", str(csv), "--out", str(post), "--sampler", "exact", "--quiet"]) == 0
    design = tmp_path / "toy.json"
    design.write_text(json.dumps({"name": "toy", "decisions": {"D": {"observes": [],
                                  "affects": ["X"]}}, "utilities": {"U": {"parents": ["Y"]}},
                                  "protected": ["X"], "kinds": ["ici"]}))
    md = tmp_path / "plan.md"
    capsys.readouterr()
    assert main(["plan", str(design), "--posterior", str(post), "--data", str(csv),
                 "--n-sims", "4", "--n-rows", "20", "--quiet", "--markdown", str(md)]) == 0
    assert md.read_text().startswith("# Which experiment would settle the audit of toy")
    assert f"wrote {md}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["audit", "plan", "guard"])
def test_markdown_dash_with_json_is_refused_before_any_work(command, tmp_path, capsys):
    missing = str(tmp_path / "missing")  # never read: the flags are checked first
    argv = {"audit": ["audit", missing, "--posterior", missing],
            "plan": ["plan", missing, "--posterior", missing, "--data", missing],
            "guard": ["guard", missing, "--action", "X=1", "--harm", "Z>0"]}[command]
    assert main([*argv, "--json", "--markdown", "-"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("causalpost: error: --markdown - and --json both print on standard "
                   "output: give --markdown a file")


@pytest.mark.parametrize("command", ["audit", "guard"])
def test_markdown_over_an_input_is_refused(command, audit_files, guard_post, capsys):
    design, post = audit_files
    argv = (["audit", design, "--posterior", post, "--markdown", design] if command == "audit"
            else ["guard", guard_post, "--action", "X=1", "--harm", "Z>0",
                  "--markdown", guard_post])
    before = Path(argv[-1]).read_bytes()
    assert main(argv) == 2
    assert "--markdown" in capsys.readouterr().err
    assert Path(argv[-1]).read_bytes() == before


def test_every_markdown_option_reads_the_same(capsys):
    helps = {}
    for command in ("audit", "plan", "guard"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        helps[command] = text[text.rindex("--markdown [PATH]"):].split(" --")[0]
    assert len(set(helps.values())) == 1, helps
    assert "'-' (or no PATH) prints it" in helps["audit"]
