"""The CID type: construction, validation errors, JSON, immutability."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest

from incentives import CID, CIDError, IncentiveError

EDGES = [("S", "D"), ("S", "U"), ("D", "U")]


def test_basic_views() -> None:
    cid = CID(EDGES, ["D"], ["U"], nodes=["S", "D", "U", "Z"])
    assert cid.nodes == ("S", "D", "U", "Z")
    assert cid.decisions == ("D",)
    assert cid.utilities == ("U",)
    assert cid.chance == ("S", "Z")
    assert cid.parents("U") == ("S", "D")
    assert cid.children("S") == ("D", "U")
    assert cid.descendants("S") == {"D", "U"}
    assert cid.ancestors("U") == {"S", "D"}
    assert cid.role("Z") == "chance" and cid.role("D") == "decision"
    assert set(cid.edges) == set(EDGES)
    assert cid.topological_order.index("S") < cid.topological_order.index("D")
    assert "Z" in cid and "Q" not in cid and len(cid) == 4


def test_graph_is_frozen_networkx() -> None:
    cid = CID(EDGES, ["D"], ["U"])
    g = cid.graph
    assert set(g.edges) == set(EDGES)
    assert g.nodes["D"]["role"] == "decision"
    with pytest.raises(Exception, match="[Ff]rozen"):
        g.add_edge("U", "S")


def test_immutable() -> None:
    cid = CID(EDGES, ["D"], ["U"])
    with pytest.raises(AttributeError):
        cid._par = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cid.foo = 1  # type: ignore[attr-defined]
    a = cid.adjacency
    a[:] = True
    assert len(cid.edges) == 3


def test_arguments_not_mutated() -> None:
    edges = [["S", "D"], ["S", "U"], ["D", "U"]]
    decisions, utilities, nodes = ["D"], ["U"], ["S", "D", "U"]
    snapshot = copy.deepcopy((edges, decisions, utilities, nodes))
    CID(edges, decisions, utilities, nodes=nodes)
    assert (edges, decisions, utilities, nodes) == snapshot
    adj = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    before = adj.copy()
    CID.from_adjacency(adj, nodes, decisions, utilities)
    np.testing.assert_array_equal(adj, before)


def test_any_string_names() -> None:
    # names that collide with roles or internal suffixes are ordinary names
    cid = CID([("U", "D"), ("D", "xmec"), ("xmec", "")], ["D"], [""])
    assert cid.chance == ("U", "xmec")
    assert cid.parents("") == ("xmec",)


def test_equality_hash_copy_pickle() -> None:
    a = CID(EDGES, ["D"], ["U"])
    b = CID(list(reversed(EDGES)), ["D"], ["U"], nodes=["U", "D", "S"])
    assert a == b and hash(a) == hash(b)
    assert a != CID(EDGES[1:], ["D"], ["U"], nodes=["S", "D", "U"])
    assert copy.copy(a) is a and copy.deepcopy(a) is a
    assert pickle.loads(pickle.dumps(a)) == a


def test_json_round_trip(tmp_path) -> None:
    cid = CID(EDGES, ["D"], ["U"], nodes=["S", "D", "U", "iso"])
    data = cid.to_json()
    assert json.loads(json.dumps(data)) == data
    assert CID.from_json(data) == cid
    path = tmp_path / "cid.json"
    path.write_text(json.dumps(data))
    assert CID.from_json(path) == cid
    assert CID.from_json(str(path)) == cid
    assert "iso" in CID.from_json(path)


def test_from_adjacency_matches_edges() -> None:
    adj = np.zeros((4, 4), dtype=int)
    adj[0, 1] = adj[0, 3] = adj[1, 3] = adj[2, 0] = 1
    cid = CID.from_adjacency(adj, ["S", "D", "X", "U"], ["D"], ["U"])
    assert cid == CID([("S", "D"), ("S", "U"), ("D", "U"), ("X", "S")], ["D"], ["U"])
    np.testing.assert_array_equal(cid.adjacency, adj.astype(bool))


def test_from_adjacency_large() -> None:
    n = 70  # beyond the int64 fast path
    adj = np.triu(np.ones((n, n), dtype=bool), 1)
    names = [f"v{i}" for i in range(n)]
    adj[n - 1, :] = False
    cid = CID.from_adjacency(adj, names, ["v0"], [f"v{n - 1}"])
    assert len(cid.edges) == n * (n - 1) // 2
    assert cid.parents("v69") == tuple(names[:-1])


def test_with_edges_relabel_roles() -> None:
    cid = CID([("S", "U"), ("D", "U")], ["D"], ["U"])
    assert cid.with_edges(add=[("S", "D")]).parents("D") == ("S",)
    assert cid.with_edges(remove=[("S", "U")]).parents("U") == ("D",)
    assert cid.parents("D") == ()  # original untouched
    renamed = cid.relabel({"S": "T"})
    assert renamed.parents("U") == ("T", "D")
    assert cid.with_roles(["S"], ["U"]).decisions == ("S",)
    with pytest.raises(CIDError, match="merge"):
        cid.relabel({"S": "D"})
    with pytest.raises(CIDError, match="cannot remove edge 'U' -> 'S'"):
        cid.with_edges(remove=[("U", "S")])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(
                edges=[("A", "B"), ("B", "C"), ("C", "A"), ("C", "U")],
                decisions=["A"],
                utilities=["U"],
            ),
            r"cycle: (A -> B -> C -> A|B -> C -> A -> B|C -> A -> B -> C)$",
        ),
        (dict(edges=[("A", "A"), ("A", "U")], decisions=["A"], utilities=["U"]), "cycle: A -> A"),
        (
            dict(edges=[("D", "U")], decisions=["X"], utilities=["U"]),
            "unknown node 'X' in decisions",
        ),
        (
            dict(edges=[("D", "U")], decisions=["D"], utilities=["V"]),
            "unknown node 'V' in utilities",
        ),
        (
            dict(
                edges=[("D", "U"), ("Q", "U")], decisions=["D"], utilities=["U"], nodes=["D", "U"]
            ),
            "unknown node 'Q' in edge 'Q' -> 'U'",
        ),
        (
            dict(edges=[("D", "U")], decisions=["D"], utilities=["D", "U"]),
            "'D' is both a decision and a utility",
        ),
        (
            dict(edges=[("D", "U"), ("U", "X")], decisions=["D"], utilities=["U"]),
            "utility 'U' has children \\('X'\\)",
        ),
        (dict(edges=[("D", "U")], decisions=[], utilities=["U"]), "decisions is empty"),
        (dict(edges=[("D", "U")], decisions=["D"], utilities=[]), "utilities is empty"),
        (
            dict(edges=[("D", 3)], decisions=["D"], utilities=["U"]),
            "must be strings; got 3 \\(int\\)",
        ),
        (dict(edges=[("D", "U")], decisions=[None], utilities=["U"]), "must be strings; got None"),
        (dict(edges=[("D", "U")], decisions="D", utilities=["U"]), "decisions must be a list"),
        (dict(edges=[("D", "U", "V")], decisions=["D"], utilities=["U"]), "pair"),
        (dict(edges=[("D", "U"), ("D", "U")], decisions=["D"], utilities=["U"]), "listed twice"),
        (
            dict(edges=[("D", "U")], decisions=["D", "D"], utilities=["U"]),
            "'D' is listed twice in decisions",
        ),
    ],
)
def test_validation_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(CIDError, match=message) as info:
        CID(**kwargs)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, (IncentiveError, ValueError))


def test_from_adjacency_errors() -> None:
    with pytest.raises(CIDError, match="shape"):
        CID.from_adjacency(np.zeros((2, 3)), ["a", "b"], ["a"], ["b"])
    adj = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0]])
    with pytest.raises(CIDError, match="cycle: (a -> b -> a|b -> a -> b)$"):
        CID.from_adjacency(adj, ["a", "b", "c"], ["a"], ["c"])
    with pytest.raises(CIDError, match="listed twice in names"):
        CID.from_adjacency(np.zeros((2, 2)), ["a", "a"], ["a"], ["a"])


def test_from_json_errors(tmp_path) -> None:
    with pytest.raises(CIDError, match="missing the key 'utilities'"):
        CID.from_json({"edges": [], "decisions": ["D"]})
    with pytest.raises(CIDError, match="unknown key 'decision'"):
        CID.from_json({"edges": [], "decision": ["D"], "decisions": [], "utilities": []})
    listing = tmp_path / "list.json"
    listing.write_text("[1]")
    with pytest.raises(CIDError, match="JSON object"):
        CID.from_json(listing)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CIDError, match="not valid JSON"):
        CID.from_json(bad)
    with pytest.raises(CIDError, match="cannot read CID file"):
        CID.from_json(tmp_path / "missing.json")


def test_query_errors() -> None:
    from incentives import admits_voi

    cid = CID(EDGES, ["D"], ["U"])
    with pytest.raises(CIDError, match="unknown node 'Q'"):
        admits_voi(cid, "D", "Q")
    with pytest.raises(CIDError, match="'S' is not a decision"):
        admits_voi(cid, "S", "S")
