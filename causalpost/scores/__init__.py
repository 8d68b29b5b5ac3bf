"""Decomposable scores, graph priors and the cached local-score table."""

from __future__ import annotations

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
    if name == "bge":
        return BGe(**options)
    if name == "bdeu":
        return BDeu(**options)
    raise CausalpostError(f"unknown score {name!r}; use 'bge' or 'bdeu'")
