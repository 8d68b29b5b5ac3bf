"""Value of information (VoI): would the agent pay to observe a node before deciding?

``X`` (not ``D`` nor a descendant of ``D``; other decisions and utilities
included) admits value of information for decision ``D`` iff ``X`` is a
requisite observation of ``D`` in the reduced graph of ``G`` with the edge
``X -> D`` added. The criterion is sound and, for single-decision CIDs,
complete; it needs sufficient recall.

References
----------
Everitt et al. (2021). Agent Incentives: A Causal Perspective, the VoI criterion.
arXiv:2102.01685.
Fagiuoli & Zaffalon (1998); Lauritzen & Nilsson (2001) for soundness.
"""

from __future__ import annotations

from incentives import _bits
from incentives.cid import CID
from incentives.recall import require_recall
from incentives.requisite import decision_order, reduce_masks, reduced_masks

__all__ = ["admits_voi"]


def voi_mask(cid: CID, d: int) -> int:
    """Mask of the nodes admitting VoI for decision index ``d`` (cached)."""
    key = ("voi", d)
    cache = cid.memo
    if key in cache:
        return cache[key]
    par_g, ch_g = cid.parent_masks, cid.child_masks
    red_par, _ = reduced_masks(cid)
    n = len(cid.nodes)
    dorder = decision_order(cid)
    below = _bits.closure(ch_g, 1 << d)
    candidates = ((1 << n) - 1) & ~below
    # Filter: in G + (X -> D), X is requisite at D before any removal iff the ball
    # from U^D given Fa_D reaches X in G (the new edge only adds trails blocked at
    # D's other parents, and colliders it activates lie above X). A link that is
    # non-requisite at some stage is absent from the reduced graph (removals
    # commute), so unreached candidates have no VoI.
    reached = 0
    if below & cid.utility_mask:
        up, down = _bits.reach(par_g, ch_g, below & cid.utility_mask, 0, par_g[d] | 1 << d)
        reached = up | down
    result = 0
    for x in _bits.bits(candidates):
        if par_g[d] >> x & 1:  # already observed: G + (X -> D) is G itself
            keep = bool(red_par[d] >> x & 1)
        elif not reached >> x & 1:
            keep = False
        else:
            par, ch = list(par_g), list(ch_g)
            par[d] |= 1 << x
            ch[x] |= 1 << d
            keep = reduce_masks(par, ch, dorder, cid.utility_mask, watch=(d, x))
        if keep:
            result |= 1 << x
    cache[key] = result
    return result


def admits_voi(cid: CID, decision: str, node: str) -> bool:
    """Whether ``node`` admits value of information for ``decision``.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    decision : str
        A decision of ``cid``.
    node : str
        Any node; ``decision`` and its descendants never admit VoI.

    Returns
    -------
    bool
        ``True`` iff ``node`` is a requisite observation of ``decision`` in the
        reduced graph of ``cid`` with ``node -> decision`` added.

    Raises
    ------
    CIDError
        If ``decision`` is not a decision or ``node`` is not a node of ``cid``.
    InsufficientRecallError
        If ``cid`` lacks sufficient recall.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective, the VoI criterion.
    arXiv:2102.01685.

    Examples
    --------
    Grade prediction (Everitt et al. 2021, Fig. 1a):

    >>> cid = CID([("R", "HS"), ("HS", "E"), ("HS", "P"), ("E", "Gr"), ("Gr", "Ac"),
    ...            ("Ge", "P"), ("P", "Ac")], decisions=["P"], utilities=["Ac"])
    >>> [x for x in cid.nodes if admits_voi(cid, "P", x)]
    ['HS', 'E', 'Gr']
    """
    d = cid.decision_index(decision)
    x = cid.index_of(node)
    require_recall(cid, "value of information")
    return bool(voi_mask(cid, d) >> x & 1)
