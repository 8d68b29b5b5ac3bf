"""What a new user meets first: help texts, messages and output of the command line."""

from __future__ import annotations

import re

import pytest

from causalpost.cli import main


def _help(capsys, *command: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())  # unwrap argparse's line breaks


@pytest.mark.parametrize("command", [("fit",), ("show",)])
def test_help_shows_no_empty_or_doubled_defaults(capsys, command) -> None:
    text = _help(capsys, *command)
    assert "(default: None)" not in text
    assert "(default: False)" not in text
    assert "(default: [])" not in text
    # a help text that states its default is not given a second one
    assert not re.search(r"\(default [^)]*\) \(default:", text)


def test_fit_help_shows_meaningful_defaults_and_every_option_is_explained(capsys) -> None:
    text = _help(capsys, "fit")
    assert "(default: auto)" in text
    assert "(default: 0)" in text  # --seed
    assert "(default: uniform)" in text
    assert "--seed SEED random seed" in text
    assert "--max-parents MAX_PARENTS at most" in text
