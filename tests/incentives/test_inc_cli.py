"""The ``causalpost incentives`` subcommand, driven through an argparse parser."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from incentives.cli import add_parser, run

DATA = Path(__file__).resolve().parents[2] / "datasets" / "cids"


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="causalpost")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(argv)
    return args.handler(args)


def test_json_output_grade_predictor(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["incentives", str(DATA / "grade_predictor.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"per_decision", "sufficient_recall", "requisite_graph_edges"}
    assert out["sufficient_recall"] is True
    assert out["per_decision"] == {
        "P": {
            "voi": ["E", "Gr", "HS"],
            "ri": ["HS", "R"],
            "voc": ["Ac", "E", "Gr", "HS", "R"],
            "ici": ["Ac", "P"],
        }
    }
    assert ["Ge", "P"] not in out["requisite_graph_edges"]
    assert out["requisite_graph_edges"] == sorted(out["requisite_graph_edges"])
    assert len(out["requisite_graph_edges"]) == 6


def test_json_output_content_recommenders(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["incentives", str(DATA / "content_recommender.json"), "--json"]) == 0
    p = json.loads(capsys.readouterr().out)["per_decision"]["P"]
    assert p["ici"] == ["C", "I", "P"] and p["voc"] == ["C", "I", "M", "O"]
    assert _main(["incentives", str(DATA / "modified_content_recommender.json"), "--json"]) == 0
    p = json.loads(capsys.readouterr().out)["per_decision"]["P"]
    assert "I" not in p["ici"]


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["incentives", str(DATA / "grade_predictor.json")]) == 0
    text = capsys.readouterr().out
    assert "voi  E, Gr, HS" in text
    assert "removed: Ge -> P" in text


def test_refused_criteria_are_null_with_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "forgetful.json"
    path.write_text(
        json.dumps(
            {"edges": [["D1", "U"], ["D2", "U"]], "decisions": ["D1", "D2"], "utilities": ["U"]}
        )
    )
    assert _main(["incentives", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sufficient_recall"] is False
    assert out["per_decision"]["D1"] == {"voi": None, "ri": None, "voc": None, "ici": ["D1", "U"]}
    assert set(out["errors"]["D2"]) == {"voi", "ri", "voc"}
    assert "sufficient recall" in out["errors"]["D2"]["voi"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read CID file"),
        ("{oops", "not valid JSON"),
        (
            '{"edges": [["A", "B"], ["B", "A"]], "decisions": ["A"], "utilities": ["U"]}',
            "unknown node",
        ),
        (
            '{"edges": [["A", "B"], ["B", "A"], ["B", "U"]], '
            '"decisions": ["A"], "utilities": ["U"]}',
            "cycle: A -> B -> A",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "cid.json"
    if content is not None:
        path.write_text(content)
    assert run(argparse.Namespace(cid=str(path), json=True)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"edges": [["S", "D"], ["S", "U"], ["D", "U"]], "decisions": ["D"], "utilities": ["U"]}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(doc)))
    assert run(argparse.Namespace(cid="-", json=True)) == 0
    assert json.loads(capsys.readouterr().out)["per_decision"]["D"]["voi"] == ["S"]
