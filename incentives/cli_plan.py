"""The ``plan`` subcommand: which experiment would settle an audit.

``causalpost plan DESIGN.json --posterior post.npz --data DATA.csv
[--intervention-column INT] [--candidates A,B] [--n-rows 100] [--n-sims 64]
[--threshold 0.05] [--seed 0] [--plot eig.png] [--json] [--markdown [PATH]] [--quiet]``

Prints the candidate interventions ranked by expected information gain about
the audit's verdict (:func:`incentives.plan.plan_experiments`); ``--json``
prints exactly :meth:`ExperimentPlan.to_json`. Exit status: 0 ok, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from causalpost import parallel
from causalpost.cli_output import add_markdown_option, check_markdown, emit_markdown

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``plan`` subcommand on an ``argparse`` subparsers object.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="causalpost")
    >>> _ = add_parser(parser.add_subparsers())
    >>> parser.parse_args(["plan", "d.json", "--posterior", "p.npz", "--data", "x.csv"]).n_rows
    100
    """
    parser = subparsers.add_parser(
        "plan",
        help="rank the experiments (single-node interventions) that would settle an audit",
        description="Expected information gain of each single-node hard intervention about "
        "the verdict-deciding rows of an audit, simulated under every plausible world model. "
        "Exit status: 0 ok, 2 bad input.",
    )
    parser.add_argument("design", metavar="DESIGN.json", help="the audited agent design")
    parser.add_argument("--posterior", required=True, help="a .npz file from `causalpost fit`")
    parser.add_argument("--data", required=True, help="the CSV the posterior was fitted on")
    parser.add_argument("--intervention-column", metavar="COL",
                        help="as given to `causalpost fit`")
    parser.add_argument("--discrete", nargs="*", default=[], metavar="COL",
                        help="as given to `causalpost fit`")
    parser.add_argument("--continuous", nargs="*", default=[], metavar="COL",
                        help="as given to `causalpost fit`")
    parser.add_argument("--na-values", nargs="*", metavar="TOKEN",
                        help="as given to `causalpost fit`")
    parser.add_argument("--candidates", help="comma-separated nodes (default: every column)")
    parser.add_argument("--n-rows", type=int, default=100, help="rows per experiment")
    parser.add_argument("--n-sims", type=int, default=64,
                        help="simulated experiments per candidate")
    parser.add_argument("--threshold", type=float, default=0.05, help="the audit's threshold")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="write a bar plot of EIG per candidate")
    parallel.add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    add_markdown_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Plan the experiments; print them; return 0.

    Raises
    ------
    IncentiveError, CausalpostError
        On bad input (the caller prints one line and exits with status 2).
    """
    import causalpost as cp
    from causalpost._io import check_output
    from causalpost.posterior import Posterior
    from causalpost.transforms import apply_recorded
    from incentives.design import Design
    from incentives.plan import plan_experiments

    if args.plot:
        check_output(args.plot, "--plot", [args.design, args.posterior, args.data])
    check_markdown(args, [args.design, args.posterior, args.data])
    design = Design.load(args.design)
    posterior = Posterior.load(args.posterior)
    kinds = {c: "discrete" for c in args.discrete}
    kinds.update({c: "continuous" for c in args.continuous})
    data = cp.load_csv(args.data, kinds=kinds or None,
                       intervention_column=args.intervention_column, na_values=args.na_values)
    data = apply_recorded(data, posterior.info)  # e.g. fit --log: the table it was fitted on
    candidates = None
    if args.candidates is not None:
        candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
    plan = plan_experiments(posterior, design, data, candidates=candidates, n_rows=args.n_rows,
                            n_sims=args.n_sims, threshold=args.threshold, seed=args.seed,
                            quiet=args.quiet or args.json, n_jobs=args.n_jobs,
                            scheduler=args.scheduler)
    if args.plot:
        from causalpost.plot import save_figure

        save_figure(plan.plot(), args.plot)
    printed = emit_markdown(args.markdown, plan.to_markdown())
    if args.json:
        print(json.dumps(plan.to_json()))
    elif not printed:
        print(_text(plan))
        for path in (args.markdown, args.plot):  # as `audit` and `plot` say it
            if path:
                print(f"wrote {path}")
    return 0


def _text(plan: Any) -> str:
    best = plan.table.iloc[0]
    lines = [
        f"{plan.design_name}: the verdict-deciding rows hold {plan.entropy_now:.3g} nats of "
        f"uncertainty; intervening on {best.node} would remove {best.eig:.3g} "
        f"(± {best.eig_error:.2g}) in expectation ({plan.n_rows} rows).",
        f"  {'intervene on':<16} {'EIG':>8} {'±':>7} {'P(decided)':>11}",
    ]
    for r in plan.table.itertuples():
        lines.append(f"  {r.node:<16} {r.eig:8.3f} {r.eig_error:7.3f} {r.p_decided:11.2f}")
    return "\n".join(lines)
