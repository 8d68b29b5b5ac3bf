"""The causal influence diagram (CID): a DAG whose nodes are chance, decision or utility nodes.

Decisions are chosen by the agent as a function of their parents (the
decision's *observations*); utilities are real-valued, have no children, and
their sum is what the agent maximises; every other node is a chance node.
A :class:`CID` is immutable: every method that changes the diagram returns a
new one.

This module builds and holds the diagram (parsing and validation in
:mod:`incentives._build`); its read-only views -- the bit masks the criteria
read, node names, the networkx graph -- are inherited from
:class:`incentives._cid_views.CIDViews`.

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. AAAI. arXiv:2102.01685.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, cast

import numpy as np

from incentives import _build
from incentives._cid_views import CIDViews
from incentives.errors import CIDError

__all__ = ["CID"]


class CID(CIDViews):
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
        # a pair as a tuple, whatever the caller's sequence; the constructor checks its length
        added = [cast("tuple[str, str]", tuple(e)) for e in add]
        edges = [e for e in self.edges if e not in gone] + added
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
