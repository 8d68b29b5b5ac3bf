"""The read-only views of a CID (internal): bit masks for the criteria, names, graphs.

:class:`CIDViews` is the base of :class:`incentives.cid.CID`, which builds,
validates and holds the state (its slots, declared here for the type checker);
these methods only read it. The criteria modules work on int bit masks over node
indices (bit i: node ``nodes[i]``); the name-level views answer in node names.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from incentives import _bits
from incentives.errors import CIDError

__all__ = ["CIDViews"]


class CIDViews:
    """Read-only views of a causal influence diagram's state (see :class:`~incentives.cid.CID`)."""

    __slots__ = ()  # the slots are CID's

    _nodes: tuple[str, ...]
    _index: dict[str, int]
    _par: tuple[int, ...]
    _ch: tuple[int, ...]
    _dmask: int
    _umask: int
    _order: tuple[int, ...]
    _cache: dict[str, Any]

    # -- bit-mask views for the criteria modules (read-only) -----------------------------
    #
    # The graphical criteria work on int bit masks over node indices (bit i: node
    # ``nodes[i]``); these are the CID's public, read-only views of them.

    @property
    def parent_masks(self) -> tuple[int, ...]:
        """Per node index, the bit mask of its parents."""
        return self._par

    @property
    def child_masks(self) -> tuple[int, ...]:
        """Per node index, the bit mask of its children."""
        return self._ch

    @property
    def decision_mask(self) -> int:
        """Bit mask of the decisions."""
        return self._dmask

    @property
    def utility_mask(self) -> int:
        """Bit mask of the utilities."""
        return self._umask

    @property
    def order_indices(self) -> tuple[int, ...]:
        """The topological order as node indices."""
        return self._order

    @property
    def memo(self) -> dict:
        """A store for results derived from this (immutable) CID, keyed by the deriving
        module (the criteria cache their reduced graphs and masks here)."""
        return self._cache

    def index_of(self, node: str) -> int:
        """Index of ``node``; raises :class:`CIDError` if unknown."""
        return self._idx(node)

    def decision_index(self, decision: str) -> int:
        """Index of ``decision``; raises :class:`CIDError` if it is not a decision."""
        return self._didx(decision)

    def names_of(self, mask: int) -> tuple[str, ...]:
        """The node names whose bits are set in ``mask``, in index order."""
        return self._names_of(mask)

    # -- read-only views ----------------------------------------------------------------

    def _names_of(self, mask: int) -> tuple[str, ...]:
        return tuple(self._nodes[i] for i in _bits.bits(mask))

    def _idx(self, node: str) -> int:
        try:
            return self._index[node]
        except (KeyError, TypeError):
            raise CIDError(f"unknown node {node!r}: not in this CID") from None

    def _didx(self, decision: str) -> int:
        d = self._idx(decision)
        if not self._dmask >> d & 1:
            raise CIDError(
                f"{decision!r} is not a decision of this CID; decisions: {list(self.decisions)}"
            )
        return d

    @property
    def nodes(self) -> tuple[str, ...]:
        """All nodes, in the CID's order."""
        return self._nodes

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """All edges ``(parent, child)``, ordered by parent then child."""
        if "edges" not in self._cache:
            names = self._nodes
            self._cache["edges"] = tuple(
                (names[i], names[j]) for i in range(len(names)) for j in _bits.bits(self._ch[i])
            )
        return self._cache["edges"]

    @property
    def decisions(self) -> tuple[str, ...]:
        """Decision nodes, in the CID's order."""
        return self._names_of(self._dmask)

    @property
    def utilities(self) -> tuple[str, ...]:
        """Utility nodes, in the CID's order."""
        return self._names_of(self._umask)

    @property
    def chance(self) -> tuple[str, ...]:
        """Chance nodes (neither decision nor utility), in the CID's order."""
        return self._names_of(((1 << len(self._nodes)) - 1) & ~(self._dmask | self._umask))

    @property
    def topological_order(self) -> tuple[str, ...]:
        """The nodes in a topological order (ties broken by the CID's order)."""
        return tuple(self._nodes[i] for i in self._order)

    @property
    def graph(self) -> nx.DiGraph:
        """The graph as a frozen :class:`networkx.DiGraph` (nodes carry a ``role`` attribute)."""
        if "graph" not in self._cache:
            g = nx.DiGraph()
            for i, v in enumerate(self._nodes):
                role = (
                    "decision"
                    if self._dmask >> i & 1
                    else "utility"
                    if self._umask >> i & 1
                    else "chance"
                )
                g.add_node(v, role=role)
            g.add_edges_from(self.edges)
            self._cache["graph"] = nx.freeze(g)
        return self._cache["graph"]

    @property
    def adjacency(self) -> np.ndarray:
        """A fresh boolean matrix, shape (n_nodes, n_nodes); ``A[i, j]`` means ``i -> j``."""
        n = len(self._nodes)
        a = np.zeros((n, n), dtype=bool)
        for i in range(n):
            a[i, _bits.bits(self._ch[i])] = True
        return a

    def role(self, node: str) -> str:
        """``"decision"``, ``"utility"`` or ``"chance"``."""
        i = self._idx(node)
        return (
            "decision" if self._dmask >> i & 1 else "utility" if self._umask >> i & 1 else "chance"
        )

    def parents(self, node: str) -> tuple[str, ...]:
        """Parents of ``node``, in the CID's order (for a decision: its observations)."""
        return self._names_of(self._par[self._idx(node)])

    def children(self, node: str) -> tuple[str, ...]:
        """Children of ``node``, in the CID's order."""
        return self._names_of(self._ch[self._idx(node)])

    def descendants(self, node: str) -> frozenset[str]:
        """Proper descendants of ``node``."""
        i = self._idx(node)
        return frozenset(self._names_of(_bits.closure(self._ch, 1 << i) & ~(1 << i)))

    def ancestors(self, node: str) -> frozenset[str]:
        """Proper ancestors of ``node``."""
        i = self._idx(node)
        return frozenset(self._names_of(_bits.closure(self._par, 1 << i) & ~(1 << i)))
