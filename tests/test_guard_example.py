"""The harm-guard example runs end to end and tells its story; its data regenerate."""

from __future__ import annotations

import runpy
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::causalpost.errors.ChainDisagreementWarning")


def test_harm_guard_example(tmp_path, capsys):
    main = runpy.run_path(str(ROOT / "examples" / "harm_guard.py"), run_name="example")["main"]
    reports = main(out=tmp_path, quiet=True)
    dose, grid, settled = reports["dose"], reports["grid"], reports["settled"]
    # the records cannot orient Dose - Level: the marginal is under 5 %, a plausible
    # model (Dose -> Level) is over it, so the guard defers instead of allowing
    assert dose.marginal < 0.05 < dose.bound and dose.verdict == "defer"
    assert ("Dose", "Level") in dose.graph_edges(int(dose.rows["witness"].iloc[0]))
    assert [a["Dose"] for a in grid.safe_set] == [2.0, 2.5, 3.0]
    # the randomized trial settles the orientation: the same dose is refused; the true
    # probability from the SEM is P(N(1.65, 0.566^2) > 2.5) = 0.067
    assert settled.verdict == "refuse" and 0.05 < settled.marginal < 0.12
    assert "defer" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == {"guard_graphs.png", "guard_grid.png",
                                                     "guard_report.html"}


def test_dosing_tables_regenerate():
    module = runpy.run_path(str(ROOT / "datasets" / "dosing" / "make_dosing.py"),
                            run_name="make")
    observational, trial = module["make"]()
    folder = ROOT / "datasets" / "dosing"
    pd.testing.assert_frame_equal(observational, pd.read_csv(folder / "dosing.csv"))
    pd.testing.assert_frame_equal(trial, pd.read_csv(folder / "dosing_trial.csv"))
