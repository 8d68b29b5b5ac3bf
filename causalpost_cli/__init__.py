"""The ``causalpost`` command: the one place that uses both packages.

``causalpost`` (posteriors over causal DAGs) and ``incentives`` (audits of
agent designs under them) each define their subcommands next to the code
they run, as ``add_parser(subparsers)`` functions; this module composes them
into one parser and turns errors into exit codes. ``causalpost`` never
imports ``incentives``; ``incentives`` may import ``causalpost``; only this
layer imports both.

Exit codes: 0 ok (or audit passed / action allowed), 1 audit failed (or
action refused / deferred), 2 bad input (one line on standard error, never a
traceback), 3 not converged under ``fit --strict``, 130 interrupted, 143
terminated.

Examples
--------
>>> args = build_parser().parse_args(["audit", "design.json", "--posterior", "post.npz"])
>>> args.handler.__module__, args.threshold
('incentives.cli_audit', 0.05)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from causalpost import cli as _core
from causalpost import cli_evaluate, cli_guard, cli_plot
from causalpost.errors import CausalpostError
from incentives import cli as _incentives_cli
from incentives import cli_audit, cli_design, cli_plan, demo
from incentives.errors import IncentiveError

__all__ = ["COMMANDS", "build_parser", "main"]

EXIT_OK, EXIT_BAD_INPUT = 0, 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM


def _fit(sub: Any) -> argparse.ArgumentParser:
    # fit --design: the design's exact constraints, from the incentives package
    return _core.add_fit_parser(sub, design=cli_design.design_constraints)


COMMANDS: tuple[Callable[[Any], Any], ...] = (
    _fit,
    _core.add_show_parser,
    cli_plot.add_parser,
    cli_evaluate.add_parser,
    cli_guard.add_parser,
    _incentives_cli.add_parser,
    cli_audit.add_parser,
    cli_plan.add_parser,
    demo.add_parser,
)
"""Each package's subcommand registrations, in the order ``--help`` lists them."""

_USER_ERRORS = (CausalpostError, IncentiveError, FileNotFoundError, IsADirectoryError)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread: running chains stop, nothing is written."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated


def build_parser() -> argparse.ArgumentParser:
    """The ``causalpost`` argument parser with every package's subcommands.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="causalpost",
        description="Bayesian posteriors over causal DAGs, and audits of agent designs under them.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 ok, 1 audit failed / action not allowed, 2 bad input, 3 not converged
        (``fit --strict``), 130 interrupted, 143 terminated.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    args.argv = list(sys.argv[1:] if argv is None else argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with warnings.catch_warnings():  # warnings too are one line, without source
            warnings.showwarning = _one_line_warning
            return int(args.handler(args) or 0)
    except _Terminated:
        print("causalpost: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C: one line, the conventional 128 + SIGINT
        print("causalpost: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "the work needs more memory"
        print(f"causalpost: error: out of memory: {detail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except _USER_ERRORS as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"causalpost: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _one_line_warning(message: Any, category: type[Warning], filename: str, lineno: int,
                      file: Any = None, line: str | None = None) -> None:
    text = str(message).splitlines()[0] if str(message) else category.__name__
    print(f"causalpost: warning: {text}", file=sys.stderr if file is None else file)
