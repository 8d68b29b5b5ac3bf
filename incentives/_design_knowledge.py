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

from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge

if TYPE_CHECKING:
    from .design import Design

__all__ = ["design_knowledge"]


def design_knowledge(design: Design, data_names: Sequence[str] | None) -> BackgroundKnowledge:
    """Forbidden and required edges under which every composed CID is a valid DAG.

    Required edges come from the design's own edges between data columns (a
    data decision's observations and effects, a data utility's parents). For a
    decision that is not a data column, the observed columns and every column
    with a path of required edges into them form its *pre-decision* set; every
    edge into that set from a column outside it is forbidden, so no directed
    path can run from what the decision affects to what it observes.
    """
    names = tuple(_default_names(design) if data_names is None else data_names)
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
    for d, observes, _ in design.decisions:
        if d not in data:
            inside = _required_ancestors({o for o in observes if o in data}, required)
            forbidden |= {(v, o) for o in inside for v in names if v not in inside}
    return BackgroundKnowledge(frozenset(forbidden), frozenset(required))


def _required_ancestors(nodes: set[str], required: set[tuple[str, str]]) -> set[str]:
    """``nodes`` and every node with a path of required edges into them."""
    inside = set(nodes)
    grew = True
    while grew:
        grew = False
        for a, b in required:
            if b in inside and a not in inside:
                inside.add(a)
                grew = True
    return inside


def _default_names(design: Design) -> tuple[str, ...]:
    """The bundled data set's columns when the design names one, else the design's names."""
    from causalpost.datasets import datasets_dir

    if not design.dataset:
        return design.world_nodes
    try:
        path = datasets_dir() / design.dataset / f"{design.dataset}.csv"
        with open(path, encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
    except (CausalpostError, OSError, StopIteration):
        return design.world_nodes
    return tuple(h.strip() for h in header)
