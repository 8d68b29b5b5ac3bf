"""Response incentives (RI): does an optimal policy have to respond to a node?

``X`` (other than ``D``) admits a response incentive for decision ``D`` iff
there is a directed path ``X -> ... -> D`` in the reduced graph ``G*``
(earlier decisions can qualify). The criterion is sound and complete for
single-decision CIDs and needs sufficient recall.

References
----------
Everitt et al. (2021). Agent Incentives: A Causal Perspective, the RI criterion.
arXiv:2102.01685.
"""

from __future__ import annotations

from incentives import _bits
from incentives.cid import CID
from incentives.recall import require_recall
from incentives.requisite import reduced_masks

__all__ = ["admits_ri"]


def ri_mask(cid: CID, d: int) -> int:
    """Mask of the nodes admitting a response incentive for decision index ``d``."""
    red_par, _ = reduced_masks(cid)
    return _bits.closure(red_par, 1 << d) & ~(1 << d)


def admits_ri(cid: CID, decision: str, node: str) -> bool:
    """Whether ``node`` admits a response incentive for ``decision``.

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
        ``True`` iff ``node != decision`` and there is a directed path from
        ``node`` to ``decision`` in :func:`~incentives.requisite_graph`.

    Raises
    ------
    CIDError
        If ``decision`` is not a decision or ``node`` is not a node of ``cid``.
    InsufficientRecallError
        If ``cid`` lacks sufficient recall.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective, the RI criterion.
    arXiv:2102.01685.

    Examples
    --------
    Grade prediction (Everitt et al. 2021, Fig. 1a): race ``R`` admits a
    response incentive, gender ``Ge`` does not.

    >>> cid = CID([("R", "HS"), ("HS", "E"), ("HS", "P"), ("E", "Gr"), ("Gr", "Ac"),
    ...            ("Ge", "P"), ("P", "Ac")], decisions=["P"], utilities=["Ac"])
    >>> admits_ri(cid, "P", "R"), admits_ri(cid, "P", "Ge")
    (True, False)
    """
    d = cid.decision_index(decision)
    x = cid.index_of(node)
    require_recall(cid, "a response incentive")
    return bool(ri_mask(cid, d) >> x & 1)
