"""The worked examples of Everitt et al. (2021, arXiv:2102.01685) with their published answers.

Published: grade predictor VoI {HS, E, Gr}, RI {R, HS}, Ge not VoI (Fig. 1a and
its discussion); content recommender ICI {I, P, C}, VoC {O, I, M, C} (Fig. 1b).
For the modified content recommender (rewarded on clicks predicted from the
model of the original opinions, edges as in the paper's figure) the paper's
point is that the control incentive on the influenced opinions ``I``
disappears. Where the paper does not list a set, the expected set below is
derived by hand from the definitions, and the derivation is in the comment.
"""

from __future__ import annotations

import pytest

from incentives import (
    CID,
    InsufficientRecallError,
    admits_direct_voc,
    admits_ici,
    admits_indirect_voc,
    admits_ri,
    admits_voc,
    admits_voi,
    all_incentives,
    incentive_nodes,
    requisite_graph,
    sufficient_recall,
)

GRADE = CID(
    [("R", "HS"), ("HS", "E"), ("HS", "P"), ("E", "Gr"), ("Gr", "Ac"), ("Ge", "P"), ("P", "Ac")],
    decisions=["P"],
    utilities=["Ac"],
)
RECOMMENDER = CID(
    [("O", "I"), ("O", "M"), ("M", "P"), ("P", "I"), ("I", "C"), ("P", "C")],
    decisions=["P"],
    utilities=["C"],
)
MODIFIED = CID(
    [("O", "I"), ("O", "M"), ("M", "P"), ("P", "I"), ("P", "C"), ("M", "C")],
    decisions=["P"],
    utilities=["C"],
)
# Introduced bias: race A and a confounder Z set a feature X the predictor D sees;
# the label Y depends on X and Z; utility U scores D against Y.
BIAS = CID(
    [("A", "X"), ("Z", "X"), ("Z", "Y"), ("X", "D"), ("X", "Y"), ("D", "U"), ("Y", "U")],
    decisions=["D"],
    utilities=["U"],
)


def _set(cid: CID, kind: str) -> set[str]:
    return set(incentive_nodes(cid, kind, cid.decisions[0]))


def test_grade_predictor_published() -> None:
    assert _set(GRADE, "voi") == {"HS", "E", "Gr"}
    assert _set(GRADE, "ri") == {"R", "HS"}
    assert not admits_voi(GRADE, "P", "Ge")
    assert not admits_ri(GRADE, "P", "Ge")
    # Ge -> P is the one non-requisite observation
    assert set(GRADE.edges) - set(requisite_graph(GRADE).edges) == {("Ge", "P")}


def test_grade_predictor_derived() -> None:
    # VoC: non-decision ancestors of Ac in G* (Ge -> P removed) and Ac itself.
    assert _set(GRADE, "voc") == {"R", "HS", "E", "Gr", "Ac"}
    # ICI: P -> Ac is the only decision-to-utility path.
    assert _set(GRADE, "ici") == {"P", "Ac"}


def test_content_recommender_published() -> None:
    assert _set(RECOMMENDER, "ici") == {"I", "P", "C"}
    assert _set(RECOMMENDER, "voc") == {"O", "I", "M", "C"}
    assert admits_ici(RECOMMENDER, "P", "I")


def test_content_recommender_derived() -> None:
    # M is observed and requisite (M <- O -> I -> C); O would be too (O -> I -> C).
    assert _set(RECOMMENDER, "voi") == {"O", "M"}
    assert _set(RECOMMENDER, "ri") == {"O", "M"}
    # O and I reach C without P; M only through P, and M <- O -> I -> C is a backdoor.
    assert _set(RECOMMENDER, "direct_voc") == {"O", "I", "C"}
    assert _set(RECOMMENDER, "indirect_voc") == {"M"}


def test_modified_content_recommender() -> None:
    # The paper's fix: no instrumental control incentive on user opinions I.
    assert not admits_ici(MODIFIED, "P", "I")
    assert _set(MODIFIED, "ici") == {"P", "C"}
    # Derived: I no longer reaches a utility, so it has no VoC either; O only
    # matters through M, which P observes, so O has no VoI.
    assert not admits_voc(MODIFIED, "I")
    assert _set(MODIFIED, "voc") == {"O", "M", "C"}
    assert _set(MODIFIED, "voi") == {"M"}
    assert _set(MODIFIED, "ri") == {"O", "M"}


def test_introduced_bias() -> None:
    # Derived: X is requisite (X -> Y -> U). Observing A as well opens the
    # collider X: A -> X <- Z -> Y -> U, so A has VoI, and A -> X -> D is a
    # response incentive on race although A does not affect the label
    # except through X.
    assert _set(BIAS, "voi") == {"A", "Z", "X", "Y"}
    assert _set(BIAS, "ri") == {"A", "Z", "X"}
    assert admits_ri(BIAS, "D", "A")
    assert _set(BIAS, "voc") == {"A", "Z", "X", "Y", "U"}
    assert _set(BIAS, "ici") == {"D", "U"}
    # X reaches U via D and has the backdoor X <- Z -> Y -> U: indirect VoC.
    assert admits_indirect_voc(BIAS, "D", "X") and not admits_indirect_voc(BIAS, "D", "A")
    assert admits_direct_voc(BIAS, "X")  # X -> Y -> U avoids D


def test_two_decisions_sufficient_and_insufficient_recall() -> None:
    # D1 -> D2 remembered: D2's optimal policy does not depend on D1's policy.
    ok = CID(
        [("S", "D1"), ("D1", "D2"), ("S", "D2"), ("D1", "U1"), ("D2", "U2"), ("S", "U2")],
        decisions=["D1", "D2"],
        utilities=["U1", "U2"],
    )
    assert sufficient_recall(ok)
    sets = all_incentives(ok)
    # D1 -> D2 is not requisite (D1 only matters to U1, which D2 cannot affect)
    assert sets["D2"]["ri"] == {"S"}
    assert sets["D1"]["ici"] == {"D1", "U1", "D2", "U2"}
    forgetful = CID([("D1", "U"), ("D2", "U")], decisions=["D1", "D2"], utilities=["U"])
    assert not sufficient_recall(forgetful)
    with pytest.raises(InsufficientRecallError, match="cycle D1 -> D2 -> D1"):
        admits_voi(forgetful, "D1", "D2")
    with pytest.raises(InsufficientRecallError):
        admits_voc(forgetful, "D1")
    with pytest.raises(InsufficientRecallError):
        all_incentives(forgetful)
    # ICI needs no sufficient recall
    assert admits_ici(forgetful, "D1", "U")
    refused = all_incentives(forgetful, on_insufficient_recall="none")
    assert refused["D1"] == {"voi": None, "ri": None, "voc": None, "ici": {"D1", "U"}}


def test_decision_without_utility_descendant() -> None:
    cid = CID([("S", "D"), ("S", "U")], decisions=["D"], utilities=["U"])
    assert _set(cid, "ici") == set()
    assert _set(cid, "voi") == set()
    assert _set(cid, "ri") == set()  # S -> D is not requisite
    assert _set(cid, "voc") == {"S", "U"}


def test_incentive_nodes_arguments() -> None:
    two = CID([("D1", "D2"), ("D1", "U"), ("D2", "U")], decisions=["D1", "D2"], utilities=["U"])
    with pytest.raises(ValueError, match="needs a decision"):
        incentive_nodes(two, "voi")
    with pytest.raises(ValueError, match="unknown incentive kind 'vio'"):
        incentive_nodes(two, "vio", "D1")
    assert incentive_nodes(two, "voc") == incentive_nodes(two, "voc", "D2")
