"""CLI habits of a scientist (issue 14, section 4): show, missing values, help, column kinds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost_cli import main


@pytest.fixture
def fitted(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = 0.9 * x + 0.3 * rng.normal(size=300)
    z = rng.normal(size=300)
    csv = tmp_path / "d.csv"
    pd.DataFrame({"X": x, "Y": y, "Z": z}).to_csv(csv, index=False)
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact", "--quiet"]) == 0
    return out


def test_show_ranks_edges_and_shows_diagnostics(fitted: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["show", str(fitted)]) == 0
    out = capsys.readouterr().out
    assert "diagnostics: converged True" in out
    ranked = out.split("Edges by posterior probability")[1].split("Top ")[0]
    lines = [ln.strip() for ln in ranked.splitlines() if " -> " in ln]
    probs = [float(ln.split()[-1]) if ln[-1].isdigit() else float(ln.split()[-3])
             for ln in lines]
    assert probs == sorted(probs, reverse=True) and len(probs) >= 2
    assert any("X -> Y" in ln and "direction open" in ln for ln in lines)
    assert main(["show", str(fitted), "--matrix"]) == 0
    assert "row -> column" in capsys.readouterr().out


def test_none_is_a_category_not_a_missing_value(tmp_path: Path) -> None:
    csv = tmp_path / "child.csv"
    csv.write_text("A,B\nNone,x\nMild,y\nNone,x\nSevere,y\n")
    data = cp.load_csv(csv)
    assert data.levels[0] == ("Mild", "None", "Severe")
    with pytest.raises(cp.DataError):  # declared missing: refused
        cp.load_csv(csv, na_values=["None"])


def test_fit_says_how_columns_were_read_and_help_shows_defaults(tmp_path, capsys) -> None:
    csv = tmp_path / "m.csv"
    csv.write_text("A,B\n" + "\n".join(f"{i % 3},{i * 0.37:.3f}" for i in range(40)) + "\n")
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv), "--out", str(out), "--sampler", "exact",
                 "--score", "bge", "--continuous", "A"]) == 0
    printed = capsys.readouterr().out
    assert "read 40 rows x 2 columns; continuous: A, B" in printed
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    assert "(default: auto)" in capsys.readouterr().out


def test_mcmc_flags_burn_in_thin_and_no_params(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 6))
    x[:, 1] += x[:, 0]
    csv = tmp_path / "six.csv"
    pd.DataFrame(x, columns=list("ABCDEF")).to_csv(csv, index=False)
    out = tmp_path / "p.npz"
    code = main(["fit", str(csv), "--out", str(out), "--sampler", "mcmc", "--n-chains", "1",
                 "--burn-in", "50", "--thin", "3", "--no-params", "--quiet"])
    assert code == 0, capsys.readouterr().err
    post = cp.Posterior.load(out)
    assert post.params == {}
    for flag, value in (("--thin", "0"), ("--burn-in", "-1")):
        capsys.readouterr()
        assert main(["fit", str(csv), "--out", str(out), "--sampler", "mcmc", flag, value]) == 2
        assert f"{flag} must be" in capsys.readouterr().err
