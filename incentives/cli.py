"""The ``incentives`` subcommand: ``causalpost incentives CID.json [--json]``.

Prints, per decision, the nodes with value of information (``voi``), a
response incentive (``ri``), value of control (``voc``) and an instrumental
control incentive (``ici``), whether the diagram has sufficient recall, and
the edges of its reduced graph. ``--json`` prints::

    {"per_decision": {"D": {"voi": [...], "ri": [...], "voc": [...], "ici": [...]}},
     "sufficient_recall": true, "requisite_graph_edges": [["A", "B"], ...]}

with sorted lists; a criterion the diagram does not support (no sufficient
recall) is ``null``, with the reason in ``"errors"`` (``{decision: {kind:
reason}}``, present only then). Exit status: 0 ok, 2 bad input (one line on
standard error). The main ``causalpost`` parser registers it with
:func:`add_parser`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from causalpost._io import parse_json
from incentives.cid import CID
from incentives.errors import CIDError, IncentiveError, InsufficientRecallError
from incentives.recall import require_recall
from incentives.requisite import requisite_graph
from incentives.sets import KINDS, all_incentives

__all__ = ["add_parser", "run", "report"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``incentives`` subcommand on an ``argparse`` subparsers object.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The new subparser; its default ``func`` is :func:`run`.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="causalpost")
    >>> sub = parser.add_subparsers(dest="command")
    >>> _ = add_parser(sub)
    >>> parser.parse_args(["incentives", "cid.json", "--json"]).json
    True
    """
    parser = subparsers.add_parser(
        "incentives",
        help="incentives of one causal influence diagram (no data needed)",
        description="Which nodes the agent of a causal influence diagram has an incentive to "
        "observe (voi), respond to (ri), control (voc) or influence (ici).",
    )
    parser.add_argument("cid", metavar="CID.json", help="the diagram as JSON ('-' reads stdin)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(handler=run)
    return parser


def report(cid: CID) -> dict[str, Any]:
    """The JSON-ready report printed by ``causalpost incentives --json``.

    Parameters
    ----------
    cid : CID

    Returns
    -------
    dict
        ``per_decision``, ``sufficient_recall``, ``requisite_graph_edges`` and,
        when a criterion is refused, ``errors``.

    Examples
    --------
    >>> cid = CID([("S", "D"), ("S", "U"), ("D", "U")], ["D"], ["U"])
    >>> report(cid)["per_decision"]["D"]["voi"]
    ['S']
    """
    sets = all_incentives(cid, KINDS, on_insufficient_recall="none")
    reason = None
    try:
        require_recall(cid, "this criterion")
    except InsufficientRecallError as exc:
        reason = str(exc)
    out: dict[str, Any] = {
        "per_decision": {
            d: {kind: None if nodes is None else sorted(nodes) for kind, nodes in kinds.items()}
            for d, kinds in sets.items()
        },
        "sufficient_recall": reason is None,
        "requisite_graph_edges": sorted([a, b] for a, b in requisite_graph(cid).edges),
    }
    if reason is not None:
        out["errors"] = {
            d: {kind: reason for kind, nodes in kinds.items() if nodes is None}
            for d, kinds in sets.items()
        }
    return out


def _text(cid: CID, rep: dict[str, Any]) -> str:
    lines = [
        f"{len(cid.nodes)} nodes, decisions: {', '.join(cid.decisions)}; "
        f"utilities: {', '.join(cid.utilities)}",
        f"sufficient recall: {'yes' if rep['sufficient_recall'] else 'no'}",
    ]
    for d, kinds in rep["per_decision"].items():
        lines.append(f"decision {d}")
        for kind, nodes in kinds.items():
            shown = "(refused: no sufficient recall)" if nodes is None else ", ".join(nodes) or "-"
            lines.append(f"  {kind:<4} {shown}")
    removed = sorted(set(cid.edges) - {tuple(e) for e in rep["requisite_graph_edges"]})
    links = ", ".join(f"{a} -> {b}" for a, b in removed) or "none"
    lines.append(f"non-requisite observations removed: {links}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status (0 ok, 2 bad input).

    Parameters
    ----------
    args : argparse.Namespace
        With ``cid`` (a path, or ``-`` for standard input) and ``json`` (bool).

    Returns
    -------
    int
    """
    try:
        source: Any = (parse_json(sys.stdin.read(), "stdin", CIDError) if args.cid == "-"
                       else args.cid)
        cid = CID.from_json(source)
        rep = report(cid)
    except json.JSONDecodeError as exc:
        print(f"causalpost incentives: error: stdin is not valid JSON: {exc}", file=sys.stderr)
        return 2
    except IncentiveError as exc:
        print(f"causalpost incentives: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(rep) if args.json else _text(cid, rep))
    return 0
