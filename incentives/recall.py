"""Sufficient recall: the relevance graph over decisions is acyclic.

Decision ``D2`` is *s-reachable* from ``D1`` when, after adding a new parent
``D2^`` to ``D2``, ``D2^`` is d-connected to ``U^{D1}`` (the utilities that
descend from ``D1``) given ``Fa_{D1}`` (``D1`` with its parents): the policy
chosen for ``D2`` can matter to how ``D1`` should be chosen. The relevance
graph has the edge ``D1 -> D2`` for each such pair; a CID has *sufficient
recall* when it is acyclic, and then backward induction along it finds an
optimal policy. Value of information, response incentives and value of
control are only characterised for such diagrams.

References
----------
Koller & Milch (2003). Multi-agent influence diagrams for representing and
solving games. Games and Economic Behavior 45(1).
Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from incentives import _bits
from incentives.cid import CID
from incentives.errors import InsufficientRecallError

__all__ = ["relevance_graph", "sufficient_recall"]


def _relevance(par: Sequence[int], ch: Sequence[int], dmask: int, umask: int) -> dict[int, int]:
    """For each decision ``d1``, the mask of decisions s-reachable from it."""
    out = {}
    for d1 in _bits.bits(dmask):
        ud = _bits.closure(ch, 1 << d1) & umask
        if not ud:
            out[d1] = 0
            continue
        z = par[d1] | 1 << d1
        up, down = _bits.reach(par, ch, ud, 0, z)
        anc_z = _bits.closure(par, z)
        # the ball moves on from D2 to the new parent D2^ iff it reached D2 from a
        # child with D2 unobserved, or from a parent with D2 an ancestor of Z.
        out[d1] = ((up & ~z) | (down & anc_z)) & dmask & ~(1 << d1)
    return out


def _recall_cycle(cid: CID) -> list[int] | None:
    """A cycle of the relevance graph, or ``None`` under sufficient recall (cached)."""
    cache = cid.memo
    if "recall_cycle" not in cache:
        rel = _relevance(cid.parent_masks, cid.child_masks, cid.decision_mask, cid.utility_mask)
        n = len(cid.nodes)
        par = [0] * n
        for d1, targets in rel.items():
            for d2 in _bits.bits(targets):
                par[d2] |= 1 << d1
        cycle = None
        if _bits.topological_order(par, n) is None:
            cycle = _bits.find_cycle(par, n)
        cache["recall_cycle"] = cycle
    return cache["recall_cycle"]


def require_recall(cid: CID, what: str) -> None:
    """Raise :class:`InsufficientRecallError` naming a relevance cycle, if there is one."""
    cycle = _recall_cycle(cid)
    if cycle is not None:
        names = " -> ".join(cid.nodes[i] for i in cycle)
        raise InsufficientRecallError(
            f"{what} needs sufficient recall, but the relevance graph has the cycle {names}"
        )


def solve_order(cid: CID) -> list[str] | None:
    """Decisions in an order for backward induction, or ``None`` without sufficient recall.

    A decision comes after every decision it relies on (the relevance graph
    reversed); ties are broken by reverse topological order of the CID.
    """
    if _recall_cycle(cid) is not None:
        return None
    rel = _relevance(cid.parent_masks, cid.child_masks, cid.decision_mask, cid.utility_mask)
    rank = {v: k for k, v in enumerate(reversed(cid.order_indices))}
    done: set[int] = set()
    order: list[str] = []
    todo = sorted(rel, key=rank.__getitem__)
    while todo:
        d = next(d for d in todo if set(_bits.bits(rel[d])) <= done)
        todo.remove(d)
        done.add(d)
        order.append(cid.nodes[d])
    return order


def relevance_graph(cid: CID) -> nx.DiGraph:
    """The relevance graph: ``D1 -> D2`` when ``D2`` is s-reachable from ``D1``.

    Parameters
    ----------
    cid : CID

    Returns
    -------
    networkx.DiGraph
        A new graph on the decisions of ``cid``.

    References
    ----------
    Koller & Milch (2003). Multi-agent influence diagrams for representing and
    solving games. Games and Economic Behavior 45(1).

    Examples
    --------
    Two decisions that each need the other's policy (neither observes the other):

    >>> cid = CID([("D1", "U"), ("D2", "U")], ["D1", "D2"], ["U"])
    >>> sorted(relevance_graph(cid).edges)
    [('D1', 'D2'), ('D2', 'D1')]
    """
    g = nx.DiGraph()
    g.add_nodes_from(cid.decisions)
    relevance = _relevance(cid.parent_masks, cid.child_masks, cid.decision_mask,
                           cid.utility_mask)
    for d1, targets in relevance.items():
        g.add_edges_from((cid.nodes[d1], cid.nodes[d2]) for d2 in _bits.bits(targets))
    return g


def sufficient_recall(cid: CID) -> bool:
    """Whether ``cid`` has sufficient recall (its relevance graph is acyclic).

    Parameters
    ----------
    cid : CID

    Returns
    -------
    bool

    References
    ----------
    Koller & Milch (2003). Multi-agent influence diagrams for representing and
    solving games. Games and Economic Behavior 45(1).

    Examples
    --------
    Remembering the first decision restores sufficient recall:

    >>> cid = CID([("D1", "U"), ("D2", "U")], ["D1", "D2"], ["U"])
    >>> sufficient_recall(cid), sufficient_recall(cid.with_edges(add=[("D1", "D2")]))
    (False, True)
    """
    return _recall_cycle(cid) is None
