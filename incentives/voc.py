"""Value of control (VoC): would the agent gain from setting a node's mechanism itself?

* **VoC** (not decision-specific): ``X`` is not a decision, and ``X`` is a
  utility or has a directed path to a utility in the reduced graph ``G*``
  (Everitt et al. 2021, VoC criterion; sound and complete for single-decision
  CIDs).
* **Direct VoC**: some such path avoids every decision; control of ``X`` pays
  off whatever the agent does (Everitt et al. 2019).
* **Indirect VoC** for decision ``D``: in ``G*`` there is a directed path
  ``X -> ... -> D -> ... -> U`` and a trail between ``X`` and that ``U``
  that leaves ``X`` against an edge (``X <- ...``) and is active given
  ``Fa_D \\ {X}`` (``Fa_D``: ``D`` and its parents in ``G*``): controlling ``X``
  pays off by making ``X`` a better signal for ``D`` (Everitt et al. 2019).

All three need sufficient recall.

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. arXiv:2102.01685.
Everitt, Ortega, Barnes & Legg (2019). Understanding Agent Incentives using
Causal Influence Diagrams. Part I: Single Action Settings. arXiv:1902.09980.
"""

from __future__ import annotations

from incentives import _bits
from incentives.cid import CID
from incentives.recall import require_recall
from incentives.requisite import reduced_masks

__all__ = ["admits_voc", "admits_direct_voc", "admits_indirect_voc"]


def voc_mask(cid: CID) -> int:
    red_par, _ = reduced_masks(cid)
    return _bits.closure(red_par, cid.utility_mask) & ~cid.decision_mask


def direct_voc_mask(cid: CID) -> int:
    red_par, _ = reduced_masks(cid)
    return _bits.closure_avoiding(red_par, cid.utility_mask, cid.decision_mask) & ~cid.decision_mask


def indirect_voc_mask(cid: CID, d: int) -> int:
    red_par, red_ch = reduced_masks(cid)
    reached = _bits.closure(red_ch, 1 << d) & cid.utility_mask
    if not reached:
        return 0
    result = 0
    fa = red_par[d] | 1 << d
    for x in _bits.bits(_bits.closure(red_par, 1 << d) & ~cid.decision_mask):
        # trails leaving x through a parent, never passing x again
        up, down = _bits.reach(red_par, red_ch, red_par[x], 0, fa & ~(1 << x), stop=1 << x)
        if (up | down) & reached:
            result |= 1 << x
    return result


def admits_voc(cid: CID, node: str) -> bool:
    """Whether ``node`` admits (positive) value of control.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    node : str
        Any node of ``cid``; decisions never admit VoC.

    Returns
    -------
    bool
        ``True`` iff ``node`` is not a decision and is a utility or has a
        directed path to a utility in :func:`~incentives.requisite_graph`.

    Raises
    ------
    CIDError
        If ``node`` is not a node of ``cid``.
    InsufficientRecallError
        If ``cid`` lacks sufficient recall.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective, the VoC
    criterion. arXiv:2102.01685.

    Examples
    --------
    Content recommendation (Everitt et al. 2021, Fig. 1b):

    >>> cid = CID([("O", "I"), ("O", "M"), ("M", "P"), ("P", "I"), ("I", "C"), ("P", "C")],
    ...           decisions=["P"], utilities=["C"])
    >>> [x for x in cid.nodes if admits_voc(cid, x)]
    ['O', 'I', 'M', 'C']
    """
    x = cid.index_of(node)
    require_recall(cid, "value of control")
    return bool(voc_mask(cid) >> x & 1)


def admits_direct_voc(cid: CID, node: str) -> bool:
    """Whether ``node`` admits direct value of control (a path to utility avoiding decisions).

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    node : str
        Any node of ``cid``.

    Returns
    -------
    bool
        ``True`` iff ``node`` is not a decision and is a utility or has a
        directed path to a utility through no decision in the reduced graph.

    Raises
    ------
    CIDError
        If ``node`` is not a node of ``cid``.
    InsufficientRecallError
        If ``cid`` lacks sufficient recall.

    References
    ----------
    Everitt, Ortega, Barnes & Legg (2019). Understanding Agent Incentives using
    Causal Influence Diagrams. Part I. arXiv:1902.09980.

    Examples
    --------
    The model ``M`` only matters to clicks through the recommendation ``P``:

    >>> cid = CID([("O", "I"), ("O", "M"), ("M", "P"), ("P", "I"), ("I", "C"), ("P", "C")],
    ...           decisions=["P"], utilities=["C"])
    >>> admits_direct_voc(cid, "O"), admits_direct_voc(cid, "M")
    (True, False)
    """
    x = cid.index_of(node)
    require_recall(cid, "direct value of control")
    return bool(direct_voc_mask(cid) >> x & 1)


def admits_indirect_voc(cid: CID, decision: str, node: str) -> bool:
    """Whether ``node`` admits indirect value of control through ``decision``.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    decision : str
        A decision of ``cid``.
    node : str
        Any node of ``cid``.

    Returns
    -------
    bool
        ``True`` iff, in the reduced graph, ``node`` is not a decision, has a
        directed path through ``decision`` to a utility ``U``, and has a trail
        ``node <- ... U`` active given ``decision`` and its parents (``node``
        excluded).

    Raises
    ------
    CIDError
        If ``decision`` is not a decision or ``node`` is not a node of ``cid``.
    InsufficientRecallError
        If ``cid`` lacks sufficient recall.

    References
    ----------
    Everitt, Ortega, Barnes & Legg (2019). Understanding Agent Incentives using
    Causal Influence Diagrams. Part I. arXiv:1902.09980.

    Examples
    --------
    A noisy sensor ``X`` of the state ``S``: making it more accurate helps the
    agent, but only through its decision.

    >>> cid = CID([("S", "X"), ("X", "D"), ("S", "U"), ("D", "U")], ["D"], ["U"])
    >>> admits_indirect_voc(cid, "D", "X"), admits_direct_voc(cid, "X")
    (True, False)
    """
    d = cid.decision_index(decision)
    x = cid.index_of(node)
    require_recall(cid, "indirect value of control")
    return bool(indirect_voc_mask(cid, d) >> x & 1)
