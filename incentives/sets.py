"""Incentive sets: every node admitting a kind of incentive, computed in one pass.

:func:`incentive_nodes` answers one kind for one decision;
:func:`all_incentives` answers every decision and kind of a CID at once,
sharing the reduced graph between the criteria (the audit calls it on
thousands of sampled diagrams).

Kinds: ``"voi"`` value of information, ``"ri"`` response incentive,
``"voc"`` value of control, ``"ici"`` instrumental control incentive,
``"direct_voc"`` and ``"indirect_voc"``. ``voc`` and ``direct_voc`` do not
depend on the decision.

References
----------
Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.
Everitt et al. (2019). Understanding Agent Incentives using Causal Influence
Diagrams. Part I: Single Action Settings. arXiv:1902.09980.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from incentives.cid import CID
from incentives.errors import CIDError, InsufficientRecallError
from incentives.ici import ici_mask
from incentives.recall import require_recall
from incentives.ri import ri_mask
from incentives.voc import direct_voc_mask, indirect_voc_mask, voc_mask
from incentives.voi import voi_mask

__all__ = ["KINDS", "INCENTIVE_KINDS", "KIND_LABELS", "incentive_nodes", "all_incentives"]

KINDS: tuple[str, ...] = ("voi", "ri", "voc", "ici")
"""The four incentive kinds reported for every decision."""

INCENTIVE_KINDS: tuple[str, ...] = (*KINDS, "direct_voc", "indirect_voc")
"""Every kind :func:`incentive_nodes` accepts."""

KIND_LABELS: dict[str, str] = {
    "voi": "value of information",
    "ri": "response incentive",
    "voc": "value of control",
    "ici": "instrumental control incentive",
    "direct_voc": "direct value of control",
    "indirect_voc": "indirect value of control",
}
"""Each kind's name in words, the one copy every message, report and plot uses."""

_MASKS: dict[str, Callable[[CID, int], int]] = {
    "voi": voi_mask,
    "ri": ri_mask,
    "voc": lambda cid, d: voc_mask(cid),
    "ici": ici_mask,
    "direct_voc": lambda cid, d: direct_voc_mask(cid),
    "indirect_voc": indirect_voc_mask,
}


def _check_kind(kind: str) -> None:
    if kind not in _MASKS:
        raise CIDError(f"unknown incentive kind {kind!r}; expected one of {list(INCENTIVE_KINDS)}")


def incentive_nodes(cid: CID, kind: str, decision: str | None = None) -> frozenset[str]:
    """All nodes admitting incentive ``kind`` for ``decision``.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    kind : {"voi", "ri", "voc", "ici", "direct_voc", "indirect_voc"}
    decision : str, optional
        Needed for the decision-specific kinds unless ``cid`` has a single
        decision; accepted (and checked) but unused for ``voc`` and ``direct_voc``.

    Returns
    -------
    frozenset of str

    Raises
    ------
    CIDError
        On an unknown kind, a missing or unknown decision.
    InsufficientRecallError
        For every kind but ``"ici"`` when ``cid`` lacks sufficient recall.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.

    Examples
    --------
    >>> cid = CID([("O", "I"), ("O", "M"), ("M", "P"), ("P", "I"), ("I", "C"), ("P", "C")],
    ...           decisions=["P"], utilities=["C"])
    >>> sorted(incentive_nodes(cid, "ici"))
    ['C', 'I', 'P']
    """
    _check_kind(kind)
    if decision is None:
        if kind in ("voc", "direct_voc"):
            d = -1
        elif len(cid.decisions) == 1:
            d = cid.decision_index(cid.decisions[0])
        else:
            raise CIDError(f"{kind!r} needs a decision: this CID has {list(cid.decisions)}")
    else:
        d = cid.decision_index(decision)
    if kind != "ici":
        require_recall(cid, KIND_LABELS[kind])
    return frozenset(cid.names_of(_MASKS[kind](cid, d)))


def all_incentives(
    cid: CID,
    kinds: Iterable[str] = KINDS,
    on_insufficient_recall: Literal["raise", "none"] = "raise",
) -> dict[str, dict[str, frozenset[str] | None]]:
    """Every incentive set of every decision, sharing the reduced graph.

    Parameters
    ----------
    cid : CID
        The diagram; it is not modified.
    kinds : iterable of str, default ("voi", "ri", "voc", "ici")
        Kinds to compute, as in :func:`incentive_nodes`.
    on_insufficient_recall : {"raise", "none"}
        Without sufficient recall, raise, or report ``None`` for every kind
        that needs it (``"ici"`` is still computed).

    Returns
    -------
    dict
        ``{decision: {kind: frozenset of nodes or None}}``, decisions in the
        CID's order.

    Raises
    ------
    CIDError
        On an unknown kind.
    InsufficientRecallError
        Without sufficient recall, when ``on_insufficient_recall="raise"`` and
        a requested kind needs it.

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.

    Examples
    --------
    >>> cid = CID([("R", "HS"), ("HS", "E"), ("HS", "P"), ("E", "Gr"), ("Gr", "Ac"),
    ...            ("Ge", "P"), ("P", "Ac")], decisions=["P"], utilities=["Ac"])
    >>> sets = all_incentives(cid)["P"]
    >>> sorted(sets["voi"]), sorted(sets["ri"])
    (['E', 'Gr', 'HS'], ['HS', 'R'])
    """
    kinds = tuple(kinds)
    for kind in kinds:
        _check_kind(kind)
    if on_insufficient_recall not in ("raise", "none"):
        raise CIDError(
            f"on_insufficient_recall must be 'raise' or 'none'; got {on_insufficient_recall!r}"
        )
    recall = True
    if any(kind != "ici" for kind in kinds):
        try:
            require_recall(cid, "the requested incentives")
        except InsufficientRecallError:
            if on_insufficient_recall == "raise":
                raise
            recall = False
    out: dict[str, dict[str, frozenset[str] | None]] = {}
    for name in cid.decisions:
        d = cid.index_of(name)
        out[name] = {
            kind: frozenset(cid.names_of(_MASKS[kind](cid, d)))
            if recall or kind == "ici"
            else None
            for kind in kinds
        }
    return out
