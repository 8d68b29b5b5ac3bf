"""The ``evaluate`` subcommand: a posterior against a known true graph.

``causalpost evaluate post.npz --truth truth.csv [--data DATA.csv] [--json]``
prints :func:`causalpost.evaluate.evaluate` (expected SHD, SHD of the P > 0.5
graph, CPDAG SHD, AUROC, AUPRC, expected vs true number of edges, the empty
graph and -- with ``--data`` -- PC as baselines). Exit status: 0 ok, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``evaluate`` subcommand.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="causalpost")
    >>> _ = add_parser(parser.add_subparsers())
    >>> parser.parse_args(["evaluate", "p.npz", "--truth", "t.csv"]).json
    False
    """
    parser = subparsers.add_parser(
        "evaluate", help="compare a posterior with a known true graph",
        description="Expected SHD, SHD of the P > 0.5 graph, CPDAG SHD, edge AUROC / AUPRC "
        "and edge counts against a true graph, with the empty graph (and PC, given --data) "
        "as baselines. Exit status: 0 ok, 2 bad input.")
    parser.add_argument("posterior", help="a .npz file from `causalpost fit`")
    parser.add_argument("--truth", required=True,
                        help="CSV: an edge list 'from,to' or a 0/1 adjacency matrix with names")
    parser.add_argument("--data", help="the fitted CSV, for the PC baseline")
    parser.add_argument("--intervention-column", metavar="COL", help="as given to fit")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; return 0."""
    import causalpost as cp
    from causalpost.evaluate import evaluate, read_truth
    from causalpost.posterior import Posterior
    from causalpost.transforms import apply_recorded

    posterior = Posterior.load(args.posterior)
    truth = read_truth(args.truth, posterior.nodes)
    data = None
    if args.data:
        data = cp.load_csv(args.data, intervention_column=args.intervention_column)
        data = apply_recorded(data, posterior.info)  # e.g. fit --log
    result = evaluate(posterior, truth, data)
    if args.json:
        print(json.dumps(result))
        return 0
    fmt = {"expected_shd": "expected SHD", "shd_threshold": "SHD of the P > 0.5 graph",
           "cpdag_shd": "expected CPDAG SHD", "auroc": "edge AUROC", "auprc": "edge AUPRC",
           "expected_n_edges": "expected edges", "true_n_edges": "true edges"}
    for key, label in fmt.items():
        value = result[key]
        shown = "n/a (cyclic truth)" if value is None else (
            f"{value:.3f}" if isinstance(value, float) else str(value))
        print(f"{label:<26} {shown}")
    empty = result["baselines"]["empty"]
    print(f"{'baseline: empty graph':<26} SHD {empty['shd']}, "
          f"CPDAG SHD {_or_na(empty['cpdag_shd'])}")
    if "pc" in result["baselines"]:
        pc = result["baselines"]["pc"]
        pooled = " (all rows pooled: PC ignores the interventions)" if (
            data is not None and data.is_interventional) else ""
        print(f"{'baseline: PC (alpha 0.05)':<26} CPDAG SHD {_or_na(pc['cpdag_shd'])}, "
              f"{pc['n_edges']} edges{pooled}")
    return 0


def _or_na(value: Any) -> str:
    """A baseline's CPDAG SHD, or why there is none (a cyclic truth has no CPDAG)."""
    return "n/a (cyclic truth)" if value is None else str(value)
