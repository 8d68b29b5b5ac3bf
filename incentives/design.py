"""An agent design: the decisions and utilities an agent adds to a world model of data columns.

A :class:`Design` names, for every decision, the nodes it ``observes`` and the
nodes it ``affects``; for every utility, its ``parents``; the ``protected``
nodes the designer wants the agent to have no incentive on; and the incentive
``kinds`` that matter (``voi``, ``ri``, ``voc``, ``ici``). The world model over
the data columns comes from a structure posterior; each sampled graph plus the
design is one causal influence diagram (:meth:`Design.compose`):

* a decision that is not a data column gets the edges ``observes -> D`` and
  ``D -> affects``;
* a decision that *is* a data column has in-edges exactly ``observes`` and its
  learned out-edges (plus ``D -> affects``);
* a utility that is not a data column gets the in-edges ``parents -> U``;
* a utility that is a data column keeps its learned parents (plus ``parents``)
  and must be a sink.

The JSON form is the one of ``datasets/designs/*.json``::

    {"name": "news recommender",
     "decisions": {"Rec": {"observes": ["Age"], "affects": ["Clicks", "Opinion"]}},
     "utilities": {"Engagement": {"parents": ["Clicks"]}},
     "protected": ["Opinion"], "kinds": ["ici", "ri"]}

with two optional descriptive keys, ``description`` and ``dataset``.

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. AAAI. arXiv:2102.01685.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from causalpost.errors import known_names
from causalpost.knowledge import BackgroundKnowledge
from incentives.cid import CID
from incentives.errors import IncentiveError
from incentives.sets import KINDS

__all__ = ["Design", "DesignError"]

_KEYS = frozenset(
    {"name", "decisions", "utilities", "protected", "kinds", "description", "dataset"}
)


class DesignError(IncentiveError):
    """An agent design is malformed or does not fit the data it is composed with."""


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise DesignError(f"{where} must be a list of node names; got {value!r}")
    out = tuple(value)
    for v in out:
        if not isinstance(v, str) or not v:
            raise DesignError(f"{where} must hold non-empty strings; got {v!r}")
    if len(set(out)) != len(out):
        dup = next(v for v in out if out.count(v) > 1)
        raise DesignError(f"node {dup!r} is listed twice in {where}")
    return out


def _entries(obj: Mapping[str, Any], key: str, fields: tuple[str, ...]) -> dict:
    value = obj.get(key)
    if not isinstance(value, Mapping) or not value:
        raise DesignError(f"design key {key!r} must be a non-empty object")
    out = {}
    for name, spec in value.items():
        if not isinstance(spec, Mapping):
            raise DesignError(f"{key}[{name!r}] must be an object with keys {list(fields)}")
        extra = sorted(set(spec) - set(fields))
        if extra:
            raise DesignError(
                f"unknown key {extra[0]!r} in {key}[{name!r}]; allowed: {list(fields)}"
            )
        out[str(name)] = tuple(_strings(spec.get(f, ()), f"{key}[{name!r}].{f}") for f in fields)
    return out


@dataclass(frozen=True)
class Design:
    """An agent design, completed into a CID by each world model of the data columns.

    Parameters
    ----------
    name : str
    decisions : tuple of (str, tuple of str, tuple of str)
        ``(decision, observes, affects)`` for every decision.
    utilities : tuple of (str, tuple of str)
        ``(utility, parents)`` for every utility.
    protected : tuple of str
        Nodes on which the agent should have none of the ``kinds`` of incentive.
    kinds : tuple of str
        Incentive kinds that fail the audit on a protected node (default all four).
    description, dataset : str
        Descriptive only.

    Raises
    ------
    DesignError
        On a name clash, an unknown kind, a decision that observes or affects a
        utility wrongly, or a cycle created by the design's own edges.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.

    Examples
    --------
    >>> design = Design.from_json({
    ...     "name": "toy", "decisions": {"D": {"observes": ["X"], "affects": ["Y"]}},
    ...     "utilities": {"U": {"parents": ["Y"]}}, "protected": ["Y"], "kinds": ["ici"]})
    >>> design.compose([[0, 1], [0, 0]], ["X", "Y"]).edges
    (('X', 'Y'), ('X', 'D'), ('Y', 'U'), ('D', 'Y'))
    """

    name: str
    decisions: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    utilities: tuple[tuple[str, tuple[str, ...]], ...]
    protected: tuple[str, ...] = ()
    kinds: tuple[str, ...] = KINDS
    description: str = ""
    dataset: str = ""

    def __post_init__(self) -> None:
        dec = [d for d, _, _ in self.decisions]
        util = [u for u, _ in self.utilities]
        if not dec or not util:
            raise DesignError("a design needs at least one decision and one utility")
        for role, names in (("decision", dec), ("utility", util)):
            if len(set(names)) != len(names):
                raise DesignError(f"{role} names must be distinct; got {names}")
        clash = sorted(set(dec) & set(util))
        if clash:
            raise DesignError(f"{clash[0]!r} is both a decision and a utility")
        if not self.kinds:
            raise DesignError(f"kinds is empty; list some of {list(KINDS)}")
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise DesignError(f"unknown incentive kind {bad[0]!r}; expected some of {list(KINDS)}")
        for a, b in self._design_edges():
            if a in util:
                raise DesignError(
                    f"the utility {a!r} cannot be a parent of {b!r}: utilities have no children"
                )
        graph = nx.DiGraph(self._design_edges())
        if not nx.is_directed_acyclic_graph(graph):
            cycle = [a for a, _ in nx.find_cycle(graph)]
            raise DesignError(
                "the design alone creates the cycle " + " -> ".join([*cycle, cycle[0]])
            )

    # -- input / output ---------------------------------------------------------------

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Design:
        """A design from its JSON object (see the module docstring).

        Raises
        ------
        DesignError
            On a missing or unknown key, a malformed entry, or an invalid design.
        """
        if not isinstance(obj, Mapping):
            raise DesignError(f"a design must be a JSON object; got {type(obj).__name__}")
        extra = sorted(map(str, set(obj) - _KEYS))
        if extra:
            raise DesignError(f"unknown key {extra[0]!r} in the design; allowed: {sorted(_KEYS)}")
        decisions = _entries(obj, "decisions", ("observes", "affects"))
        utilities = _entries(obj, "utilities", ("parents",))
        texts = {}
        for key in ("name", "description", "dataset"):
            value = obj.get(key, "")
            if not isinstance(value, str):
                raise DesignError(f"design key {key!r} must be a string; got {value!r}")
            texts[key] = value
        return cls(
            name=texts["name"] or "design",
            decisions=tuple((d, o, a) for d, (o, a) in decisions.items()),
            utilities=tuple((u, p) for u, (p,) in utilities.items()),
            protected=_strings(obj.get("protected", ()), "protected"),
            kinds=_strings(obj.get("kinds", KINDS), "kinds"),
            description=texts["description"],
            dataset=texts["dataset"],
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Design:
        """Read a design from a JSON file.

        Raises
        ------
        DesignError
            If the file is missing, not a regular file, too large, not UTF-8
            JSON (a byte order mark is allowed), or not a valid design.
        """
        from causalpost._io import read_json_file

        return cls.from_json(read_json_file(path, "design", DesignError))

    def to_json(self) -> dict[str, Any]:
        """The JSON object; :meth:`from_json` reads it back to an equal design."""
        out: dict[str, Any] = {
            "name": self.name,
            "decisions": {
                d: {"observes": list(o), "affects": list(a)} for d, o, a in self.decisions
            },
            "utilities": {u: {"parents": list(p)} for u, p in self.utilities},
            "protected": list(self.protected),
            "kinds": list(self.kinds),
        }
        out.update(
            {k: v for k, v in (("description", self.description), ("dataset", self.dataset)) if v}
        )
        return out

    # -- names ------------------------------------------------------------------------

    @property
    def decision_names(self) -> tuple[str, ...]:
        """The decisions, in the design's order."""
        return tuple(d for d, _, _ in self.decisions)

    @property
    def utility_names(self) -> tuple[str, ...]:
        """The utilities, in the design's order."""
        return tuple(u for u, _ in self.utilities)

    @property
    def world_nodes(self) -> tuple[str, ...]:
        """Names the design uses that are neither its decisions nor its utilities."""
        roles = {*self.decision_names, *self.utility_names}
        seen = [v for _, o, a in self.decisions for v in (*o, *a)]
        seen += [v for _, p in self.utilities for v in p] + list(self.protected)
        return tuple(v for v in dict.fromkeys(seen) if v not in roles)

    def _design_edges(self) -> list[tuple[str, str]]:
        edges = [(o, d) for d, obs, _ in self.decisions for o in obs]
        edges += [(d, a) for d, _, aff in self.decisions for a in aff]
        edges += [(p, u) for u, par in self.utilities for p in par]
        return edges

    def check(self, names: Sequence[str]) -> None:
        """Check that the design fits a world model over the data columns ``names``.

        Raises
        ------
        DesignError
            On a node that is neither a data column nor a decision or utility
            of the design, or a protected node not in the composed graph.
        """
        known = {*names, *self.decision_names, *self.utility_names}
        uses = [(f"decisions[{d!r}].observes", v) for d, o, _ in self.decisions for v in o]
        uses += [(f"decisions[{d!r}].affects", v) for d, _, a in self.decisions for v in a]
        uses += [(f"utilities[{u!r}].parents", v) for u, p in self.utilities for v in p]
        for where, v in uses:
            if v not in known:
                raise DesignError(f"unknown node {v!r} in {where}; the data has "
                                  f"{known_names(v, names)}")
        for v in self.protected:
            if v not in known:
                raise DesignError(
                    f"protected node {v!r} is not in the graph; nodes: {sorted(known)}"
                )

    # -- structure-learning constraints -----------------------------------------------

    def bundled_data_names(self) -> tuple[str, ...]:
        """The columns of the bundled data set the design names (:attr:`dataset`).

        For the example designs in ``datasets/designs``: their data's names without
        loading the data, e.g. ``design.background_knowledge(design.bundled_data_names())``.

        Raises
        ------
        IncentiveError
            If the design names no data set or its file cannot be read.
        """
        from incentives._design_knowledge import bundled_header

        if not self.dataset:
            raise DesignError("the design names no bundled data set ('dataset'); pass the "
                              "data's column names instead")
        return bundled_header(self.dataset)

    def background_knowledge(self, data_names: Sequence[str]) -> BackgroundKnowledge:
        """The edge constraints the design implies exactly, and nothing stronger.

        * A utility that is a data column is a sink (every out-edge forbidden);
          its listed ``parents`` that are data columns are required.
        * A decision that is a data column has in-edges exactly ``observes``
          (required) and ``D -> affects`` required.
        * The premise that nothing a decision affects is an ancestor of what it
          observes is *not* turned into forbidden edges (any such rule forbids
          edges the world may have and distorts the posterior): the audit
          conditions on it exactly, excluding the graphs that violate it and
          renormalising (:mod:`incentives.audit`).

        Parameters
        ----------
        data_names : sequence of str
            The data columns: ``data.names`` (or :meth:`bundled_data_names` for
            the bundled data set the design names). Columns the design never
            names go unconstrained.

        Returns
        -------
        causalpost.BackgroundKnowledge
            Forbidden and required edges (no tiers, so it merges with a user's tiers).

        Raises
        ------
        DesignError
            As :meth:`check`.

        Examples
        --------
        >>> design = Design.from_json({"decisions": {"D": {"observes": ["X"], "affects": ["Y"]}},
        ...                            "utilities": {"Y": {"parents": ["X"]}}})
        >>> sorted(design.background_knowledge(["X", "Y", "Z"]).forbidden)
        [('Y', 'X'), ('Y', 'Z')]
        >>> sorted(design.background_knowledge(["X", "Y", "Z"]).required)
        [('X', 'Y')]
        """
        from incentives._design_knowledge import design_knowledge

        return design_knowledge(self, data_names)

    # -- composition ------------------------------------------------------------------

    def layout(self, names: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        """Node names of the composed CIDs and the design's own edges.

        Parameters
        ----------
        names : sequence of str
            Data columns, in the world graphs' order.

        Returns
        -------
        nodes : tuple of str
            ``names``, then the decisions and utilities that are not data columns.
        added : numpy.ndarray of bool, shape (n_nodes, n_nodes)
            Edges the design adds.
        cut : numpy.ndarray of bool, shape (n_nodes,)
            Nodes whose learned in-edges are replaced (decisions that are data columns).
        """
        self.check(names)
        names = tuple(names)
        nodes = names + tuple(
            v for v in (*self.decision_names, *self.utility_names) if v not in names
        )
        index = {v: i for i, v in enumerate(nodes)}
        added = np.zeros((len(nodes), len(nodes)), dtype=bool)
        for a, b in self._design_edges():
            added[index[a], index[b]] = True
        cut = np.array(
            [v in self.decision_names for v in names] + [False] * (len(nodes) - len(names)),
            dtype=bool,
        )
        return nodes, added, cut

    def compose(self, adjacency: np.ndarray | Sequence[Sequence[int]], names: Sequence[str]) -> CID:
        """The CID of a world graph over the data columns ``names`` completed by the design.

        Parameters
        ----------
        adjacency : array-like, shape (n_names, n_names)
            ``adjacency[i, j] != 0`` means ``names[i] -> names[j]``; not modified.
        names : sequence of str

        Returns
        -------
        CID

        Raises
        ------
        DesignError
            If the design does not fit ``names`` or ``adjacency`` has the wrong shape.
        CIDError
            If the composed diagram is not a valid CID (a cycle, a utility with children).
        """
        world = np.asarray(adjacency) != 0
        if world.shape != (len(names), len(names)):
            raise DesignError(
                f"adjacency must have shape ({len(names)}, {len(names)}); got {world.shape}"
            )
        nodes, added, cut = self.layout(names)
        full = np.zeros(added.shape, dtype=bool)
        full[: len(names), : len(names)] = world
        full[:, cut] = False
        full |= added
        return CID.from_adjacency(full, nodes, self.decision_names, self.utility_names)
