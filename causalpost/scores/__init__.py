"""Decomposable scores, graph priors and the cached local-score table."""

from __future__ import annotations

import dataclasses

from causalpost.errors import CausalpostError
from causalpost.scores.bdeu import BDeu
from causalpost.scores.bge import BGe
from causalpost.scores.priors import GraphPrior
from causalpost.scores.table import ScoreTable, build_score_table

__all__ = ["BDeu", "BGe", "GraphPrior", "ScoreTable", "build_score_table", "make_score"]


def make_score(name: str, **options) -> BGe | BDeu:
    """A score by name: ``"bge"`` or ``"bdeu"``, with its hyperparameters.

    Examples
    --------
    >>> make_score("bdeu", ess=10.0)
    BDeu(ess=10.0, name='bdeu')
    """
    kinds = {"bge": BGe, "bdeu": BDeu}
    if name not in kinds:
        raise CausalpostError(f"unknown score {name!r}; use 'bge' or 'bdeu'")
    accepted = [f.name for f in dataclasses.fields(kinds[name]) if f.init]
    unknown = sorted(k for k in options if k not in accepted)
    if unknown:  # e.g. BDeu's ess given to BGe: one line, not a TypeError
        raise CausalpostError(
            f"score {name!r} does not take option(s) {unknown}; it takes {accepted}")
    return kinds[name](**options)
