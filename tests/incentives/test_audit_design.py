"""Agent designs: loading, validation, composition with a world graph, background knowledge."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalpost.errors import GraphError
from incentives import CID, CIDError, IncentiveError
from incentives.design import Design, DesignError

DESIGNS = sorted((Path(__file__).parents[2] / "datasets" / "designs").glob("*.json"))

BASE = {
    "name": "toy",
    "decisions": {"D": {"observes": ["X"], "affects": ["Y"]}},
    "utilities": {"U": {"parents": ["Y"]}},
    "protected": ["Y"],
    "kinds": ["ici", "ri"],
}


def make(**changes) -> Design:
    return Design.from_json({**BASE, **changes})


@pytest.mark.parametrize("path", DESIGNS, ids=lambda p: p.stem)
def test_example_designs_load_and_round_trip(path: Path) -> None:
    design = Design.load(path)
    assert design.dataset and design.description
    assert Design.from_json(design.to_json()) == design
    design.background_knowledge(design.bundled_data_names())  # every name is a data column


def test_design_is_frozen() -> None:
    with pytest.raises(AttributeError):
        make().name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kinds": ["ici", "power"]}, "unknown incentive kind 'power'"),
        ({"protect": ["Y"]}, "unknown key 'protect'"),
        ({"kinds": []}, "kinds is empty"),
        ({"utilities": {"D": {"parents": ["Y"]}}}, "'D' is both a decision and a utility"),
        ({"decisions": {"D": {"observes": ["Y"], "affects": ["Y"]}}}, "cycle"),
        ({"decisions": {"D": {"observes": ["U"], "affects": ["Y"]}}}, "cannot be a parent"),
        (
            {"decisions": {"D": {"observes": ["X"], "affects": ["Y"], "sees": []}}},
            "unknown key 'sees'",
        ),
        ({"decisions": {}}, "non-empty"),
        ({"decisions": {"D": {"observes": "X", "affects": []}}}, "list of node names"),
        ({"decisions": {"D": {"observes": ["X", "X"], "affects": []}}}, "listed twice"),
        ({"name": 3}, "must be a string"),
    ],
)
def test_invalid_designs_raise_one_line_errors(changes: dict, message: str) -> None:
    with pytest.raises(DesignError, match=message) as info:
        make(**changes)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, IncentiveError)


def test_design_alone_cycle_is_named() -> None:
    spec = {"A": {"observes": ["X"], "affects": ["Y"]}, "B": {"observes": ["Y"], "affects": ["X"]}}
    with pytest.raises(DesignError, match="cycle .*->"):
        make(decisions=spec)


def test_unknown_and_protected_nodes_checked_against_the_data() -> None:
    with pytest.raises(DesignError, match="unknown node 'X'"):
        make().compose(np.zeros((2, 2)), ["Y", "Z"])
    with pytest.raises(DesignError, match="protected node 'Q' is not in the graph"):
        make(protected=["Q"]).check(["X", "Y"])
    with pytest.raises(DesignError, match="shape"):
        make().compose(np.zeros((3, 3)), ["X", "Y"])


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(DesignError, match="cannot read design"):
        Design.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DesignError, match="not valid JSON"):
        Design.load(bad)


def test_compose_adds_the_agent() -> None:
    cid = make().compose(np.array([[0, 1, 0], [0, 0, 0], [1, 0, 0]]), ["X", "Y", "Z"])
    assert set(cid.edges) == {("X", "Y"), ("Z", "X"), ("X", "D"), ("D", "Y"), ("Y", "U")}
    assert cid.decisions == ("D",) and cid.utilities == ("U",)


def test_data_decision_keeps_out_edges_and_gets_observes_as_in_edges() -> None:
    # world: Z -> D, D -> Y, X -> Y ; the design says D observes X only
    world = np.zeros((4, 4), dtype=int)
    names = ["X", "D", "Y", "Z"]
    for a, b in [("Z", "D"), ("D", "Y"), ("X", "Y")]:
        world[names.index(a), names.index(b)] = 1
    cid = make(decisions={"D": {"observes": ["X"], "affects": []}}).compose(world, names)
    assert set(cid.parents("D")) == {"X"} and set(cid.children("D")) == {"Y"}


def test_data_utility_with_children_is_an_invalid_diagram() -> None:
    design = make(utilities={"U": {"parents": []}})
    names = ["X", "Y", "U", "Z"]
    sink = np.zeros((4, 4), dtype=int)
    sink[1, 2] = 1  # Y -> U
    assert set(design.compose(sink, names).parents("U")) == {"Y"}
    sink[2, 3] = 1  # U -> Z
    with pytest.raises(CIDError, match="utilities must be sinks"):
        design.compose(sink, names)


def test_background_knowledge_over_the_design_names() -> None:
    design = make()
    assert design.background_knowledge(design.world_nodes) == design.background_knowledge(
        ["X", "Y"])
    forbidden, required = design.background_knowledge(["X", "Y", "Z"]).matrices(["X", "Y", "Z"])
    # no per-edge rule for "effects are not upstream of observations": the audit conditions
    assert not (forbidden & ~np.eye(3, dtype=bool)).any()
    assert not required.any()


def test_background_knowledge_for_data_decisions_and_utilities() -> None:
    design = make(
        decisions={"D": {"observes": ["X"], "affects": ["Y"]}}, utilities={"U": {"parents": ["Y"]}}
    )
    names = ["X", "Y", "D", "U"]
    bk = design.background_knowledge(names)
    assert {("X", "D"), ("D", "Y"), ("Y", "U")} <= bk.required
    assert ("Y", "D") in bk.forbidden and ("U", "X") in bk.forbidden
    bk.matrices(names)  # consistent: nothing both required and forbidden


def _random_design(draw, names: list[str]) -> Design:
    data_roles = draw(st.sampled_from(["none", "decision", "utility"]))
    n_dec = draw(st.integers(1, 2))
    decisions = {}
    for k in range(n_dec):
        name = names[0] if data_roles == "decision" and k == 0 else f"D{k}"
        pool = [v for v in names if v != name]
        obs = draw(st.lists(st.sampled_from(pool), unique=True, max_size=2))
        aff = draw(
            st.lists(st.sampled_from([v for v in pool if v not in obs]), unique=True, max_size=2)
        )
        decisions[name] = {"observes": obs, "affects": aff}
    util = names[-1] if data_roles == "utility" else "U"
    pool = [v for v in names if v != util]
    parents = draw(st.lists(st.sampled_from(pool), unique=True, max_size=2))
    for spec in decisions.values():  # nothing may observe the utility
        spec["observes"] = [v for v in spec["observes"] if v != util]
    return Design.from_json({"decisions": decisions, "utilities": {util: {"parents": parents}}})


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_knowledge_leaves_only_graphs_the_audit_can_evaluate_or_exclude(data) -> None:
    names = ["A", "B", "C", "E", "F"]
    try:
        design = _random_design(data.draw, names)
    except DesignError:  # the random design made a cycle by itself
        return
    forbidden, required = design.background_knowledge(names).matrices(names)
    order = data.draw(st.permutations(range(len(names))))
    bits = data.draw(st.lists(st.booleans(), min_size=10, max_size=10))
    world = np.zeros((5, 5), dtype=bool)
    for (i, j), bit in zip(itertools.combinations(range(5), 2), bits):
        world[order[i], order[j]] = bit
    world = (world & ~forbidden) | required
    if not nx.is_directed_acyclic_graph(nx.DiGraph(np.argwhere(world).tolist())):
        return  # required edges against this order: not a graph the sampler can draw
    try:
        cid = design.compose(world, names)
    except CIDError:
        # the only invalid diagrams left: a path from what a decision affects to what it
        # observes (never a utility with children: the knowledge makes utility columns sinks)
        graph = nx.DiGraph(np.argwhere(world).tolist())
        graph.add_nodes_from(range(len(names)))
        paths = [
            (a, o) for _, obs, aff in design.decisions for a in aff for o in obs
            if a in names and o in names
            and nx.has_path(graph, names.index(a), names.index(o))
        ]
        data_decision = any(d in names for d in design.decision_names)
        assert paths or data_decision
        return
    assert isinstance(cid, CID)


def test_merges_with_user_tiers() -> None:
    from causalpost import BackgroundKnowledge

    user = BackgroundKnowledge.from_strings(tiers="X;Y")
    merged = user.merge(make().background_knowledge(["X", "Y"]))
    assert merged.tiers == (("X",), ("Y",))
    with pytest.raises(GraphError):  # unknown names are caught by the learner
        make().background_knowledge(["X", "Y"]).merge(
            BackgroundKnowledge(frozenset({("Q", "X")}))
        ).matrices(["X", "Y"])


def test_the_old_per_edge_rule_no_longer_reverses_a_true_edge() -> None:
    # truth X -> A; the design observes A: the old rule forbade X -> A (X is not observed)
    # and so forced A -> X with probability 1
    import causalpost as cp

    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    a = 0.9 * x + 0.4 * rng.normal(size=400)
    b = 0.8 * a + 0.5 * rng.normal(size=400)
    data = cp.from_numpy(np.c_[x, a, b], ["X", "A", "B"])
    design = Design.from_json({"decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
                               "utilities": {"U": {"parents": ["B"]}}})
    post = cp.fit(data, sampler="exact", knowledge=design.background_knowledge(data.names),
                  quiet=True)
    free = cp.fit(data, sampler="exact", quiet=True)
    assert post.edge_probs.loc["A", "X"] < 0.99  # not forced
    np.testing.assert_allclose(post.edge_prob_matrix, free.edge_prob_matrix)


def test_describe_says_what_the_design_imposes() -> None:
    from incentives._design_knowledge import describe

    design = Design.from_json({"decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
                               "utilities": {"B": {"parents": ["A"]}}})
    text = describe(design, ["A", "B", "C"])
    assert "requires A -> B" in text and "B sinks" in text
    assert "excludes (at audit time) graphs with a directed path from {B} to {A}" in text


def test_bundled_data_names_come_from_the_bundled_data_set() -> None:
    design = Design.load(Path(__file__).parents[2] / "datasets/designs/reward_tampering.json")
    names = ("Difficulty", "TaskProgress", "Rating", "RewardChannel", "RewardSignal")
    assert design.bundled_data_names() == names
    assert design.background_knowledge(design.bundled_data_names()) == (
        design.background_knowledge(names))


def test_no_names_no_silent_default() -> None:
    with pytest.raises(TypeError):
        make().background_knowledge()  # type: ignore[call-arg]
    with pytest.raises(DesignError, match="names no bundled data set"):
        make().bundled_data_names()
    with pytest.raises(IncentiveError, match="cannot read the column names"):
        make(dataset="no_such_data").bundled_data_names()
