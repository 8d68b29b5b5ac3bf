"""One set of incentive-kind labels (issue 15, item 4): ``incentives.sets.KIND_LABELS``."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from incentives import CID
from incentives.errors import InsufficientRecallError
from incentives.plot import plot_risk
from incentives.sets import INCENTIVE_KINDS, KIND_LABELS, incentive_nodes

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_has_a_label() -> None:
    assert set(KIND_LABELS) == set(INCENTIVE_KINDS)


def test_no_second_copy_of_the_labels() -> None:
    # a dict literal keyed by kind names ("voi", "ri", ...) with string values is a copy
    copies = []
    where = [*(ROOT / "incentives").rglob("*.py"), *(ROOT / "causalpost" / "plot").rglob("*.py"),
             *(ROOT / "causalpost").glob("cli*.py"), *(ROOT / "causalpost_cli").rglob("*.py")]
    for path in where:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"voi", "ri"} <= keys and all(isinstance(v, ast.Constant)
                                                 and isinstance(v.value, str)
                                                 for v in node.values):
                    copies.append(str(path.relative_to(ROOT)))
    assert copies == ["incentives/sets.py"]


def test_risk_plot_names_kinds_by_the_labels() -> None:
    table = pd.DataFrame({"node": ["Opinion", "Clicks"], "kind": ["ici", "ri"],
                          "decision": ["Rec", "Rec"], "probability": [0.4, 0.0],
                          "lo": [0.3, 0.0], "hi": [0.5, 0.01], "protected": [True, False]})
    fig = plot_risk(table, threshold=0.05)
    labels = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert labels == {"instrumental control incentive on Opinion", "response incentive on Clicks"}


def test_recall_error_names_the_kind_by_its_label() -> None:
    # two decisions, each relevant to the other: no sufficient recall
    cid = CID([("D1", "U2"), ("D2", "U1"), ("D1", "U1"), ("D2", "U2")],
              ["D1", "D2"], ["U1", "U2"])
    with pytest.raises(InsufficientRecallError, match="^value of information needs"):
        incentive_nodes(cid, "voi", "D1")
