"""Background knowledge: edges a user forbids or requires, and tiers.

Tiers order the nodes into layers; no edge may point from a later tier into
an earlier one (nodes in no tier are unconstrained). Knowledge is written
with node names and turned into boolean ``(n_nodes, n_nodes)`` matrices
against a data table's names; every sampler honours the result because
the score table it draws from only holds allowed parent sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from causalpost.errors import GraphError, known_names

__all__ = ["BackgroundKnowledge"]

Edge = tuple[str, str]


@dataclass(frozen=True)
class BackgroundKnowledge:
    """Forbidden edges, required edges and tiers, by node name.

    Parameters
    ----------
    forbidden, required : frozenset of (str, str)
        Edges ``(source, target)``.
    tiers : tuple of tuple of str
        Ordered layers; edges from a later tier into an earlier one are forbidden.

    Examples
    --------
    >>> bk = BackgroundKnowledge.from_strings(forbid=["A:B"], tiers="A;B,C")
    >>> forbidden, required = bk.matrices(["A", "B", "C"])
    >>> forbidden.astype(int).tolist()  # self-loops are always forbidden
    [[1, 1, 0], [1, 1, 0], [1, 0, 1]]
    """

    forbidden: frozenset[Edge] = frozenset()
    required: frozenset[Edge] = frozenset()
    tiers: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def from_strings(
        cls,
        forbid: Iterable[str] = (),
        require: Iterable[str] = (),
        tiers: str | None = None,
    ) -> BackgroundKnowledge:
        """Parse the command-line form: edges ``"A:B"``, tiers ``"A,B;C,D"``."""
        tier_list: tuple[tuple[str, ...], ...] = ()
        if tiers:
            tier_list = tuple(
                tuple(n.strip() for n in layer.split(",") if n.strip())
                for layer in tiers.split(";")
                if layer.strip()
            )
        return cls(
            frozenset(_parse_edge(e) for e in forbid),
            frozenset(_parse_edge(e) for e in require),
            tier_list,
        )

    def merge(self, other: BackgroundKnowledge) -> BackgroundKnowledge:
        """Union of two sets of knowledge (tiers of ``other`` appended only if self has none)."""
        if self.tiers and other.tiers:
            raise GraphError("cannot merge two sets of tiers; give the tiers once")
        return BackgroundKnowledge(
            self.forbidden | other.forbidden,
            self.required | other.required,
            self.tiers or other.tiers,
        )

    def matrices(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Boolean ``(forbidden, required)`` matrices over ``names``.

        Raises
        ------
        GraphError
            For unknown node names, a node in two tiers, an edge both required
            and forbidden, or required edges that form a cycle.
        """
        index = {name: i for i, name in enumerate(names)}
        n_nodes = len(names)
        forbidden = np.eye(n_nodes, dtype=bool)
        required = np.zeros((n_nodes, n_nodes), dtype=bool)
        for source, target in self.forbidden:
            forbidden[_lookup(index, source), _lookup(index, target)] = True
        for source, target in self.required:
            required[_lookup(index, source), _lookup(index, target)] = True
        tier_of: dict[int, int] = {}
        for level, layer in enumerate(self.tiers):
            for name in layer:
                node = _lookup(index, name)
                if node in tier_of:
                    raise GraphError(f"node {name!r} is in more than one tier")
                tier_of[node] = level
        for i, ti in tier_of.items():
            for j, tj in tier_of.items():
                if ti > tj:
                    forbidden[i, j] = True
        clash = np.argwhere(forbidden & required)
        if clash.size:
            i, j = clash[0]
            raise GraphError(f"edge {names[i]} -> {names[j]} is both required and forbidden")
        graph = nx.DiGraph([(names[i], names[j]) for i, j in np.argwhere(required)])
        if not nx.is_directed_acyclic_graph(graph):
            cycle = [u for u, _ in nx.find_cycle(graph)]
            raise GraphError(f"the required edges form a cycle: {' -> '.join(cycle)}")
        return forbidden, required

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        return {
            "forbidden": sorted(list(e) for e in self.forbidden),
            "required": sorted(list(e) for e in self.required),
            "tiers": [list(t) for t in self.tiers],
        }

    @classmethod
    def from_json(cls, obj: dict) -> BackgroundKnowledge:
        """Inverse of :meth:`to_json`."""
        return cls(
            frozenset(tuple(e) for e in obj.get("forbidden", [])),
            frozenset(tuple(e) for e in obj.get("required", [])),
            tuple(tuple(t) for t in obj.get("tiers", [])),
        )


def _parse_edge(text: str) -> Edge:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise GraphError(f"cannot read edge {text!r}: write it as SOURCE:TARGET")
    return parts[0].strip(), parts[1].strip()


def _lookup(index: dict[str, int], name: str) -> int:
    if name not in index:
        raise GraphError(f"unknown node {name!r} in background knowledge; nodes are "
                         f"{known_names(name, index)}")
    return index[name]
