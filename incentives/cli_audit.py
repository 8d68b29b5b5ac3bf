"""The ``audit`` subcommand: ``causalpost audit DESIGN.json --posterior post.npz``.

Options: ``--threshold`` (default 0.05), ``--alpha`` (default 0.05),
``--json`` (print exactly the object of :meth:`incentives.report.AuditReport.to_json`),
``--markdown PATH`` (write the Markdown report; ``-`` or no path prints it,
see :mod:`causalpost.cli_output`), ``--html PATH`` (write a
self-contained page), ``--n-quantitative`` (draws for the quantitative risk,
default 200; 0 skips it). Exit status: 0 pass, 1 fail, 2 bad input (the main
``causalpost`` command turns :class:`incentives.IncentiveError` and
:class:`causalpost.errors.CausalpostError` into a one-line message).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from causalpost import parallel
from causalpost._io import atomic_path, check_output
from causalpost.cli_output import add_markdown_option, check_markdown, emit_markdown
from causalpost.posterior import Posterior
from incentives.audit import audit
from incentives.design import Design, DesignError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``audit`` subcommand on an ``argparse`` subparsers object.

    Parameters
    ----------
    subparsers
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
        The new subparser; its default ``handler`` is :func:`run`.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="causalpost")
    >>> sub = parser.add_subparsers()
    >>> _ = add_parser(sub)
    >>> parser.parse_args(["audit", "d.json", "--posterior", "p.npz"]).threshold
    0.05
    """
    parser = subparsers.add_parser(
        "audit",
        help="audit an agent design under a posterior over world models",
        description="Posterior probability of each incentive of an agent design, with a "
        "conservative check over the most probable world models and a pass/fail verdict. "
        "Exit status: 0 pass, 1 fail, 2 bad input.",
    )
    parser.add_argument("design", metavar="DESIGN.json", help="the agent design")
    parser.add_argument("--posterior", required=True, help="a .npz file from `causalpost fit`")
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.05,
        help="largest acceptable probability of a guarded incentive",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="the conservative set covers 1 - alpha of the posterior mass",
    )
    parser.add_argument(
        "--n-quantitative",
        type=int,
        default=200,
        help="draws for quantitative VoI/VoC of protected nodes (0: skip)",
    )
    parser.add_argument(
        "--min-evaluable",
        type=float,
        default=0.5,
        help="smallest posterior mass the design can be checked on for the audit to pass",
    )
    parallel.add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_markdown_option(parser)
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the audit; return 0 on pass, 1 on fail.

    Raises
    ------
    IncentiveError, CausalpostError
        On bad input (the caller prints one line and exits with status 2).
    """
    if args.n_quantitative < 0:
        raise DesignError(f"--n-quantitative must be >= 0; got {args.n_quantitative}")
    if args.html:  # before any work: a bad path must not cost a whole audit
        check_output(args.html, "--html", [args.design, args.posterior])
    check_markdown(args, [args.design, args.posterior])
    design = Design.load(args.design)
    posterior = Posterior.load(args.posterior)
    report = audit(
        posterior,
        design,
        threshold=args.threshold,
        alpha=args.alpha,
        n_quantitative=(0 if args.json and not (args.html or args.markdown)
                        else args.n_quantitative),
        min_evaluable=args.min_evaluable,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
        quiet=args.quiet or args.json,
    )
    if args.html:
        with atomic_path(args.html) as tmp:  # no partial page, the old one kept on failure
            report.to_html(tmp)
    printed = emit_markdown(args.markdown, report.to_markdown())
    if args.json:
        print(json.dumps(report.to_json()))
    elif not printed:
        print(_text(report))
        for path in (args.markdown, args.html):
            if path:
                print(f"wrote {path}")
    return 0 if report.verdict == "pass" else 1


def _text(report: Any) -> str:
    lines = [*report.headline(), ""]
    lines += [
        f"{report.n_unique_graphs} distinct graphs; evaluable {report.evaluable_fraction:.3g}, "
        f"excluded {report.excluded_fraction:.3g}, unevaluable "
        f"{report.unevaluable_fraction:.3g}; protected rows:"
    ]
    protected = [i for i, v in enumerate(report.rows["protected"]) if v]
    for position, r in zip(protected, report.guarded.itertuples()):
        flag = "  conservative flag" if r.conservative else ""
        lines.append(
            f"  {r.decision} {r.kind:<4} {r.node}: p={r.probability:.4f} "
            f"[{r.lo:.4f}, {r.hi:.4f}]{flag}"
        )
        for path in report.paths.get(position, [])[:1]:
            lines.append(f"      path: {' -> '.join(path)}")
    lines += [f"  why: {reason}" for reason in report.reasons]
    if report.converged is False:
        lines.append(
            "  warning: the posterior did not converge; intervals are widened to every "
            "chain's estimate (refit with a larger --max-seconds)"
        )
    if report.excluded_fraction > 0:
        lines.append(
            f"  note: {report.excluded_fraction:.3g} of the posterior has what the decision "
            "affects upstream of what it observes; excluded, the rest renormalised"
        )
    if report.unevaluable_fraction > 0 and not any("--design" in r for r in report.reasons):
        lines.append(
            "  note: part of the posterior cannot be evaluated (a utility with children?); "
            "refit with `causalpost fit DATA.csv --design DESIGN.json` to apply its constraints"
        )
    return "\n".join(lines)
