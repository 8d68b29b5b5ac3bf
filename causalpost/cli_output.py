"""Report files written by subcommands: one ``--markdown`` convention for every command.

``--markdown PATH`` writes the Markdown report to ``PATH`` atomically (a
failed run leaves no partial file and keeps an old one); ``--markdown -``, or
``--markdown`` with no path, prints it on standard output instead of the text
summary. ``audit``, ``plan`` and ``guard`` all take it this way.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from causalpost.errors import CausalpostError

__all__ = ["STDOUT", "add_markdown_option", "check_markdown", "emit_markdown"]

STDOUT = "-"


def add_markdown_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--markdown [PATH]`` to a subcommand's parser.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_markdown_option(parser)
    >>> parser.parse_args(["--markdown"]).markdown, parser.parse_args([]).markdown
    ('-', None)
    >>> parser.parse_args(["--markdown", "r.md"]).markdown
    'r.md'
    """
    parser.add_argument(
        "--markdown", nargs="?", const=STDOUT, metavar="PATH",
        help="write the Markdown report to PATH; '-' (or no PATH) prints it instead of "
             "the text summary")


def check_markdown(args: argparse.Namespace, inputs: Sequence[str | None]) -> None:
    """Refuse, before any work, a ``--markdown`` path that cannot be written or is an input.

    Raises
    ------
    CausalpostError
        For an unwritable path or one naming an input, and for ``--markdown -``
        together with ``--json`` (both would print on standard output).
    """
    from causalpost._io import check_output

    path = getattr(args, "markdown", None)
    if path is None:
        return
    if path == STDOUT:
        if getattr(args, "json", False):
            raise CausalpostError("--markdown - and --json both print on standard output: "
                                  "give --markdown a file")
        return
    check_output(path, "--markdown", [p for p in inputs if p])


def emit_markdown(path: str | None, text: str) -> bool:
    """Write ``text`` to ``path`` (atomically), or print it when ``path`` is ``-``.

    Returns
    -------
    bool
        Whether it was printed (the caller then prints no text summary).
    """
    if path is None:
        return False
    if path == STDOUT:
        print(text, end="" if text.endswith("\n") else "\n")
        return True
    from causalpost._io import write_text_atomic

    write_text_atomic(path, text)
    return False
