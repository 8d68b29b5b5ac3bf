"""The ``causalpost guard`` subcommand: P(harm | do(action), context, data) and its bound.

Exit codes: 0 allow (for a grid: every action allowed), 1 refuse or defer
(for a grid: some action not allowed), 2 bad input.
"""

from __future__ import annotations

import argparse
import json

from causalpost.cli_output import add_markdown_option, check_markdown, emit_markdown

__all__ = ["add_parser"]

EXIT_ALLOW, EXIT_NOT_ALLOWED = 0, 1


def add_parser(sub) -> None:
    """Register ``guard`` on the ``causalpost`` command's subparsers."""
    p = sub.add_parser(
        "guard", help="probability of harm of an action over every plausible causal model",
        description="P(harm | do(action), given, data) over the posterior's causal models, "
                    "bounded by the worst plausible one. Exit 0 allow, 1 refuse or defer "
                    "(a grid: 0 only when every action is allowed), 2 bad input.")
    p.add_argument("posterior", help="a .npz file written by `causalpost fit` (with parameters)")
    p.add_argument("--action", required=True, action="append", metavar="NODE=VALUE",
                   help="the action, e.g. Dose=3; a grid Dose=0:5:11 or Dose=1,2,3; repeat "
                        "for several nodes")
    p.add_argument("--harm", required=True, metavar="EVENT",
                   help="the harm event, e.g. 'Toxicity>2.5', '1<Tox<2', 'Tox=high'")
    p.add_argument("--given", action="append", default=[], metavar="NODE=VALUE",
                   help="context, e.g. Age=70 (repeatable)")
    p.add_argument("--observed", choices=["before", "after"], default="before",
                   help="when the context is observed relative to the action (default before)")
    p.add_argument("--threshold", type=float, default=0.05, help="largest acceptable P(harm)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="the bound covers the most probable graphs holding 1 - alpha")
    add_markdown_option(p)
    p.add_argument("--html", metavar="PATH", help="also write an HTML report with plots")
    p.add_argument("--plot", metavar="PATH",
                   help="write q(G) against P(G) (a grid: marginal and bound per action)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="print only the verdict; no progress bar")
    p.set_defaults(handler=_cmd_guard)


def _cmd_guard(args: argparse.Namespace) -> int:
    from causalpost._io import check_output
    from causalpost.guard import guard
    from causalpost.posterior import Posterior

    check_markdown(args, [args.posterior])  # before the work, not after it
    for option in ("html", "plot"):
        if getattr(args, option):
            check_output(getattr(args, option), f"--{option}", [args.posterior])
    posterior = Posterior.load(args.posterior)
    _note_transforms(posterior)
    report = guard(posterior, args.action, args.harm, args.given or None,
                   threshold=args.threshold, alpha=args.alpha, observed=args.observed,
                   quiet=args.quiet or args.json)
    printed = emit_markdown(args.markdown, report.to_markdown())
    if args.html:
        report.to_html(args.html)
    if args.plot:
        from causalpost.plot import save_figure

        fig = report.plot_grid() if len(report.rows) > 1 else report.plot()
        save_figure(fig, args.plot)
    if args.json:
        print(json.dumps(report.to_json()))
    elif printed:
        pass  # the Markdown report took the text summary's place
    elif args.quiet:
        print(report.verdict)
    else:
        _print(report)
        for option in ("markdown", "html", "plot"):  # as `audit` and `plot` say it
            if getattr(args, option):
                print(f"wrote {getattr(args, option)}")
    return EXIT_ALLOW if report.verdict == "allow" else EXIT_NOT_ALLOWED


def _note_transforms(posterior) -> None:
    """Say on stderr (JSON output stays clean) which columns the values are log-scale for."""
    import sys

    logged = (posterior.info.get("transforms") or {}).get("log") or []
    if logged:
        names = ", ".join(f"log({n})" for n in logged)
        print(f"causalpost: note: the posterior was fitted on {names}: values of "
              f"{', '.join(logged)} in --action, --given and --harm are on the log scale",
              file=sys.stderr)


def _print(report) -> None:
    given = ", ".join(f"{k}={v}" for k, v in report.given.items())
    print(f"P({report.harm} | do(action){', ' + given if given else ''}) over "
          f"{len(report.graph_probabilities)} distinct graphs ({report.n_draws} draws); bound "
          f"over the {report.credible_set_size} most probable ({1 - report.alpha:.0%} of the "
          f"mass); threshold {report.threshold:g}")
    cols = [*report.action_nodes, "marginal", "lo", "hi", "bound", "witness_probability",
            "plausible", "verdict"]
    print(report.rows[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if len(report.rows) > 1:
        safe = ", ".join(" ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                  for k, v in a.items()) for a in report.safe_set)
        print(f"safe set: {safe or '(none)'}")
    print(f"verdict: {report.verdict} ({report.reason})")
