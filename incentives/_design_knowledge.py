"""Background knowledge implied by an agent design (see :meth:`Design.background_knowledge`).

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. AAAI. arXiv:2102.01685.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TYPE_CHECKING

from causalpost.knowledge import BackgroundKnowledge
from incentives.errors import IncentiveError

if TYPE_CHECKING:
    from incentives.design import Design

__all__ = ["bundled_header", "describe", "design_knowledge"]


def design_knowledge(design: Design, data_names: Sequence[str]) -> BackgroundKnowledge:
    """The edge constraints a design implies exactly -- and nothing stronger.

    Required edges come from the design's own edges between data columns (a
    data decision's observations and effects, a data utility's parents); a
    utility that is a data column is a sink; a decision that is a data column
    has exactly its observations as parents (the design replaces its mechanism).

    The design's other premise -- no directed path from what a decision affects
    to what it observes -- is not an edge constraint: a per-edge rule that
    implied it would forbid edges the world may well have (every edge into an
    observed column from outside the observations) and distort the learned
    model. It is enforced exactly instead, by conditioning: the audit excludes
    the graphs that violate it and renormalises over the rest, reporting the
    excluded mass (:mod:`incentives.audit`).
    """
    names = tuple(data_names)
    design.check(names)
    data = set(names)
    forbidden: set[tuple[str, str]] = set()
    required: set[tuple[str, str]] = set()
    for d, observes, affects in design.decisions:
        if d in data:
            required |= {(o, d) for o in observes if o in data}
            forbidden |= {(v, d) for v in names if v not in observes and v != d}
            required |= {(d, a) for a in affects if a in data}
    for u, parents in design.utilities:
        if u in data:
            forbidden |= {(u, v) for v in names if v != u}
            required |= {(p, u) for p in parents if p in data}
    return BackgroundKnowledge(frozenset(forbidden), frozenset(required))


def describe(design: Design, data_names: Sequence[str]) -> str:
    """One line saying what a design imposes on the world model, for ``fit`` and reports."""
    knowledge = design_knowledge(design, data_names)
    parts = []
    if knowledge.required:
        parts.append("requires " + ", ".join(f"{a} -> {b}" for a, b in sorted(knowledge.required)))
    sinks = [u for u, _ in design.utilities if u in set(data_names)]
    if sinks:
        parts.append("makes utility column(s) " + ", ".join(sinks) + " sinks")
    for d, observes, affects in design.decisions:
        if observes and affects:
            parts.append(f"excludes (at audit time) graphs with a directed path from "
                         f"{{{', '.join(affects)}}} to {{{', '.join(observes)}}} (what {d} "
                         "affects would influence what it observes)")
    return "design " + ("; ".join(parts) if parts else "imposes nothing on the world model")


def bundled_header(dataset: str) -> tuple[str, ...]:
    """The column names (CSV header) of the bundled data set ``dataset``."""
    from causalpost.datasets import datasets_dir

    path = datasets_dir() / dataset / f"{dataset}.csv"
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
    except (OSError, StopIteration):
        raise IncentiveError(f"cannot read the column names of the bundled data set "
                             f"{dataset!r} ({path})") from None
    return tuple(h.strip() for h in header)
