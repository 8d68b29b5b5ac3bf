"""The causal influence diagram (CID): a DAG whose nodes are chance, decision or utility nodes.

Decisions are chosen by the agent as a function of their parents (the
decision's *observations*); utilities are real-valued, have no children, and
their sum is what the agent maximises; every other node is a chance node.
A :class:`CID` is immutable: every method that changes the diagram returns a
new one.

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. AAAI. arXiv:2102.01685.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np

from incentives import _bits, _build
from incentives.errors import CIDError

__all__ = ["CID"]


class CID:
    """An immutable causal influence diagram.

    Parameters
    ----------
    edges : iterable of (str, str)
        Directed edges ``(parent, child)``.
    decisions : iterable of str
        Decision nodes (at least one).
    utilities : iterable of str
        Utility nodes (at least one); they may not have children.
    nodes : iterable of str, optional
        All nodes, in the order to keep (isolated nodes must be listed here).
        When omitted, the nodes are the edges' endpoints in order of appearance,
        and every decision and utility must be one of them.

    Raises
    ------
    CIDError
        On a cycle (named), a node not among ``nodes``, a node with two roles,
        a utility with children, no decisions or no utilities, a non-string
        node name, a malformed or repeated edge.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.

    Examples
    --------
    >>> cid = CID([("S", "D"), ("S", "U"), ("D", "U")], decisions=["D"], utilities=["U"])
    >>> cid.chance, cid.parents("U")
    (('S',), ('S', 'D'))
    >>> CID([("S", "D"), ("D", "S"), ("D", "U")], decisions=["D"], utilities=["U"])
    Traceback (most recent call last):
    ...
    incentives.errors.CIDError: the graph has a cycle: S -> D -> S
    """

    __slots__ = ("_nodes", "_index", "_par", "_ch", "_dmask", "_umask", "_order", "_cache")

    _nodes: tuple[str, ...]
    _index: dict[str, int]
    _par: tuple[int, ...]
    _ch: tuple[int, ...]
    _dmask: int
    _umask: int
    _order: tuple[int, ...]
    _cache: dict[str, Any]

    def __init__(
        self,
        edges: Iterable[tuple[str, str]],
        decisions: Iterable[str],
        utilities: Iterable[str],
        nodes: Iterable[str] | None = None,
    ) -> None:
        names, index, par, ch, source = _build.edge_masks(edges, nodes)
        dmask, umask = _build.role_masks(decisions, utilities, index, source)
        self._init(names, index, par, ch, dmask, umask)

    def _init(
        self,
        names: tuple[str, ...],
        index: dict[str, int],
        par: list[int],
        ch: list[int],
        dmask: int,
        umask: int,
    ) -> None:
        order = _build.check(names, par, ch, dmask, umask)
        for attr, value in (
            ("_nodes", names),
            ("_index", index),
            ("_par", tuple(par)),
            ("_ch", tuple(ch)),
            ("_dmask", dmask),
            ("_umask", umask),
            ("_order", tuple(order)),
            ("_cache", {}),
        ):
            object.__setattr__(self, attr, value)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_adjacency(
        cls,
        adj: np.ndarray,
        names: Iterable[str],
        decisions: Iterable[str],
        utilities: Iterable[str],
    ) -> CID:
        """A CID from an adjacency matrix: ``adj[i, j] != 0`` means ``names[i] -> names[j]``.

        Parameters
        ----------
        adj : numpy.ndarray, shape (n_nodes, n_nodes)
            Boolean or integer adjacency matrix; it is not modified.
        names : iterable of str
            Node names, in the matrix's order.
        decisions, utilities : iterable of str
            Node roles, as in :class:`CID`.

        Returns
        -------
        CID

        Raises
        ------
        CIDError
            As :class:`CID`, or when ``adj`` is not square or does not match ``names``.

        Examples
        --------
        >>> import numpy as np
        >>> adj = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]], dtype=bool)
        >>> CID.from_adjacency(adj, ["S", "D", "U"], ["D"], ["U"]).edges
        (('S', 'D'), ('S', 'U'), ('D', 'U'))
        """
        names_t = tuple(_build.names(names, "names"))
        par, ch = _build.adjacency_masks(adj, len(names_t))
        index = {v: i for i, v in enumerate(names_t)}
        dmask, umask = _build.role_masks(decisions, utilities, index, "names")
        cid = cls.__new__(cls)
        cid._init(names_t, index, par, ch, dmask, umask)
        return cid

    @classmethod
    def from_json(cls, source: Mapping[str, Any] | str | os.PathLike[str]) -> CID:
        """Read a CID from its JSON form, given as a mapping or a file path.

        The form is ``{"edges": [["A", "B"], ...], "decisions": [...],
        "utilities": [...]}`` with an optional ``"nodes"`` list.

        Parameters
        ----------
        source : mapping or path
            The parsed JSON object, or the path of a ``.json`` file.

        Returns
        -------
        CID

        Raises
        ------
        CIDError
            When the file cannot be read or parsed, a key is missing or unknown,
            or the diagram is invalid.

        Examples
        --------
        >>> CID.from_json({"edges": [["D", "U"]], "decisions": ["D"], "utilities": ["U"]})
        CID(nodes=('D', 'U'), edges=(('D', 'U'),), decisions=('D',), utilities=('U',))
        """
        data = _build.read_json(source)
        return cls(data["edges"], data["decisions"], data["utilities"], nodes=data.get("nodes"))

    def to_json(self) -> dict[str, list[Any]]:
        """The JSON form: a dict with ``nodes``, ``edges``, ``decisions``, ``utilities``.

        Returns
        -------
        dict
            Plain lists of strings, ready for :func:`json.dump`; :meth:`from_json`
            reads it back to an equal CID.

        Examples
        --------
        >>> CID([("D", "U")], ["D"], ["U"]).to_json()["edges"]
        [['D', 'U']]
        """
        return {
            "nodes": list(self._nodes),
            "edges": [list(e) for e in self.edges],
            "decisions": list(self.decisions),
            "utilities": list(self.utilities),
        }

    # -- derived diagrams ---------------------------------------------------------------

    def with_edges(
        self, add: Iterable[tuple[str, str]] = (), remove: Iterable[tuple[str, str]] = ()
    ) -> CID:
        """A new CID with edges added and removed (validated like the constructor).

        Examples
        --------
        >>> cid = CID([("S", "U"), ("D", "U")], ["D"], ["U"])
        >>> cid.with_edges(add=[("S", "D")]).parents("D")
        ('S',)
        """
        gone = {tuple(e) for e in remove}
        missing = gone - set(self.edges)
        if missing:
            a, b = sorted(missing)[0]
            raise CIDError(f"cannot remove edge {a!r} -> {b!r}: not in the CID")
        edges = [e for e in self.edges if e not in gone] + [tuple(e) for e in add]
        return CID(edges, self.decisions, self.utilities, nodes=self._nodes)

    def with_roles(self, decisions: Iterable[str], utilities: Iterable[str]) -> CID:
        """A new CID with the same graph and new decision and utility nodes."""
        return CID(self.edges, decisions, utilities, nodes=self._nodes)

    def relabel(self, mapping: Mapping[str, str]) -> CID:
        """A new CID with nodes renamed by ``mapping`` (unmapped nodes keep their name).

        Examples
        --------
        >>> CID([("D", "U")], ["D"], ["U"]).relabel({"D": "act"}).decisions
        ('act',)
        """
        f = {v: mapping.get(v, v) for v in self._nodes}
        if len(set(f.values())) != len(f):
            raise CIDError("relabelling must not merge nodes")
        return CID(
            [(f[a], f[b]) for a, b in self.edges],
            [f[v] for v in self.decisions],
            [f[v] for v in self.utilities],
            nodes=[f[v] for v in self._nodes],
        )

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

    # -- value semantics ----------------------------------------------------------------

    def _key(self) -> tuple[frozenset[Any], ...]:
        return (
            frozenset(self._nodes),
            frozenset(self.edges),
            frozenset(self.decisions),
            frozenset(self.utilities),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CID):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node: object) -> bool:
        return node in self._index

    def __repr__(self) -> str:
        return (
            f"CID(nodes={self._nodes!r}, edges={self.edges!r}, "
            f"decisions={self.decisions!r}, utilities={self.utilities!r})"
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CID is immutable; use with_edges / with_roles / relabel")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("CID is immutable")

    def __copy__(self) -> CID:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> CID:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (CID, (self.edges, self.decisions, self.utilities, self._nodes))
