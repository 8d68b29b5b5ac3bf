"""Instrumental control incentives (ICI): would the agent influence a node to get utility?

``X`` admits an instrumental control incentive for decision ``D`` iff ``X``
lies on a directed path ``D -> ... -> X -> ... -> U`` to some utility ``U`` in
the original graph. Paths may have length 0, so ``D`` itself and every
utility that descends from ``D`` qualify. Sufficient recall is not needed.

References
----------
Everitt et al. (2021). Agent Incentives: A Causal Perspective, the ICI criterion.
arXiv:2102.01685.
"""

from __future__ import annotations

from incentives import _bits
from incentives.cid import CID

__all__ = ["admits_ici"]


def ici_mask(cid: CID, d: int) -> int:
    """Mask of the nodes admitting an instrumental control incentive for decision index ``d``."""
    below = _bits.closure(cid.child_masks, 1 << d)
    reached = below & cid.utility_mask
    if not reached:
        return 0
    return below & _bits.closure(cid.parent_masks, reached)


def admits_ici(cid: CID, decision: str, node: str) -> bool:
    """Whether ``node`` admits an instrumental control incentive for ``decision``.

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
        ``True`` iff ``node`` lies on a directed path from ``decision`` to a
        utility (``decision`` itself included when such a path exists).

    Raises
    ------
    CIDError
        If ``decision`` is not a decision or ``node`` is not a node of ``cid``.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective, the ICI criterion.
    arXiv:2102.01685.

    Examples
    --------
    Content recommendation (Everitt et al. 2021, Fig. 1b): the recommender
    has an incentive to control the user's opinions ``I``.

    >>> cid = CID([("O", "I"), ("O", "M"), ("M", "P"), ("P", "I"), ("I", "C"), ("P", "C")],
    ...           decisions=["P"], utilities=["C"])
    >>> [x for x in cid.nodes if admits_ici(cid, "P", x)]
    ['I', 'P', 'C']
    """
    d = cid.decision_index(decision)
    x = cid.index_of(node)
    return bool(ici_mask(cid, d) >> x & 1)
