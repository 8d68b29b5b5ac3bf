"""Requisite observations and the reduced (requisite) graph of a CID.

An observation ``W`` of decision ``D`` (a parent of ``D``) is *non-requisite*
when ``W`` is d-separated from ``U^D`` (the utilities that descend from ``D``)
given ``Fa_D \\ {W}``, where ``Fa_D`` is ``D`` with its parents: an optimal
policy never needs to look at it. The *reduced graph* ``G*`` removes the
non-requisite information links of every decision, repeatedly, until none
remain (Lauritzen & Nilsson's minimal reduction). Value of information,
response incentives and value of control are read off ``G*``.

References
----------
Lauritzen & Nilsson (2001). Representing and Solving Decision Problems with
Limited Information. Management Science 47(9).
Everitt et al. (2021). Agent Incentives: A Causal Perspective (requisite
observations, d-reduction). arXiv:2102.01685.
"""

from __future__ import annotations

from collections.abc import Sequence

from incentives import _bits
from incentives.cid import CID

__all__ = ["requisite_graph", "requisite_observations"]


def _requisite(par: Sequence[int], ch: Sequence[int], d: int, umask: int) -> int:
    """Mask of the requisite parents of decision ``d``.

    A parent ``W`` is requisite iff the Bayes ball from ``U^D`` given ``Fa_D``
    reaches ``W``: an active trail to ``W`` given ``Fa_D`` is one given
    ``Fa_D \\ {W}`` ending at ``W`` (Shachter 1998, "Bayes-Ball").
    """
    ud = _bits.closure(ch, 1 << d) & umask
    if not ud:
        return 0
    up, down = _bits.reach(par, ch, ud, 0, par[d] | 1 << d)
    return (up | down) & par[d]


def reduce_masks(
    par: list[int],
    ch: list[int],
    dorder: Sequence[int],
    umask: int,
    watch: tuple[int, int] | None = None,
) -> bool:
    """Remove non-requisite links from ``par``/``ch`` in place until none remain.

    Decisions are visited in ``dorder``; a decision is re-checked only after
    another decision lost a link (its own check is stable under removing its
    own non-requisite links). With ``watch=(d, x)``, stop and return ``False``
    as soon as the link ``x -> d`` is removed; otherwise return ``True``.
    """
    dmask = 0
    for d in dorder:
        dmask |= 1 << d
    pending = dmask
    while pending:
        for d in dorder:
            if not pending >> d & 1:
                continue
            pending &= ~(1 << d)
            pa = par[d]
            if not pa:
                continue
            drop = pa & ~_requisite(par, ch, d, umask)
            if drop:
                if watch is not None and watch[0] == d and drop >> watch[1] & 1:
                    return False
                par[d] = pa & ~drop
                for w in _bits.bits(drop):
                    ch[w] &= ~(1 << d)
                pending |= dmask & ~(1 << d)
    return True


def decision_order(cid: CID) -> list[int]:
    """Decisions in reverse topological order."""
    return [i for i in reversed(cid.order_indices) if cid.decision_mask >> i & 1]


def reduced_masks(cid: CID) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Parent and child masks of the reduced graph (cached on the CID)."""
    cache = cid.memo
    if "reduced" not in cache:
        par, ch = list(cid.parent_masks), list(cid.child_masks)
        reduce_masks(par, ch, decision_order(cid), cid.utility_mask)
        cache["reduced"] = (tuple(par), tuple(ch))
    return cache["reduced"]


def requisite_graph(cid: CID) -> CID:
    """The reduced graph ``G*``: ``cid`` without its non-requisite information links.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.

    Returns
    -------
    CID
        Same nodes and roles, with every non-requisite link ``W -> D`` removed,
        repeatedly until none remain. Defined with or without sufficient recall.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective (requisite
    observations, d-reduction). arXiv:2102.01685.
    Lauritzen & Nilsson (2001). Representing and Solving Decision Problems with
    Limited Information. Management Science 47(9).

    Examples
    --------
    Grade prediction (Everitt et al. 2021, Fig. 1a): gender ``Ge`` is not
    requisite for the predicted grade ``P``.

    >>> cid = CID([("R", "HS"), ("HS", "E"), ("HS", "P"), ("E", "Gr"), ("Gr", "Ac"),
    ...            ("Ge", "P"), ("P", "Ac")], decisions=["P"], utilities=["Ac"])
    >>> set(cid.edges) - set(requisite_graph(cid).edges)
    {('Ge', 'P')}
    """
    par, ch = reduced_masks(cid)
    names = cid.nodes
    edges = [(names[i], names[j]) for i in range(len(names)) for j in _bits.bits(ch[i])]
    return CID(edges, cid.decisions, cid.utilities, nodes=names)


def requisite_observations(cid: CID, decision: str) -> frozenset[str]:
    """The observations of ``decision`` kept in the reduced graph.

    Parameters
    ----------
    cid : CID
    decision : str

    Returns
    -------
    frozenset of str
        Parents of ``decision`` in :func:`requisite_graph`.

    Raises
    ------
    CIDError
        If ``decision`` is not a decision of ``cid``.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.

    Examples
    --------
    >>> cid = CID([("S", "D"), ("N", "D"), ("S", "U"), ("D", "U")], ["D"], ["U"])
    >>> sorted(requisite_observations(cid, "D"))
    ['S']
    """
    d = cid.decision_index(decision)
    par, _ = reduced_masks(cid)
    return frozenset(cid.names_of(par[d]))
