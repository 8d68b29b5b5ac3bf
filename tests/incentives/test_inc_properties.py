"""Property tests on random CIDs: every criterion equals its brute-force definition."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st
from inc_helpers import (
    brute_sets,
    cids,
    d_connected,
    reduce_brute,
    sufficient_recall_brute,
)

from incentives import (
    CID,
    INCENTIVE_KINDS,
    _bits,
    all_incentives,
    requisite_graph,
    sufficient_recall,
)

SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(cid=cids(max_nodes=7), data=st.data())
def test_bayes_ball_matches_networkx(cid: CID, data: st.DataObject) -> None:
    nodes = list(cid.nodes)
    x = data.draw(st.sampled_from(nodes))
    z = set(data.draw(st.lists(st.sampled_from(nodes), unique=True))) - {x}
    zmask = sum(1 << cid._index[v] for v in z)
    up, down = _bits.reach(cid._par, cid._ch, 1 << cid._index[x], 0, zmask)
    g = cid.graph
    for y in nodes:
        if y == x:
            continue
        reached = bool((up | down) >> cid._index[y] & 1)
        # a node of z counts as reached iff it is d-connected given z minus itself
        assert reached == (not nx.is_d_separator(g, {x}, {y}, z - {y}))
        assert reached == d_connected(nx.DiGraph(g), x, y, z - {y})


@SETTINGS
@given(cid=cids(max_nodes=7))
def test_requisite_graph_matches_one_at_a_time_removal(cid: CID) -> None:
    expected = reduce_brute(nx.DiGraph(cid.graph), list(cid.decisions), set(cid.utilities))
    assert set(requisite_graph(cid).edges) == set(expected.edges)


@SETTINGS
@given(cid=cids(max_nodes=7))
def test_sufficient_recall_matches_definition(cid: CID) -> None:
    assert sufficient_recall(cid) == sufficient_recall_brute(cid)


@settings(max_examples=120, deadline=None)
@given(cid=cids(max_nodes=6))
def test_criteria_match_brute_force(cid: CID) -> None:
    if not sufficient_recall(cid):
        got = all_incentives(cid, INCENTIVE_KINDS, on_insufficient_recall="none")
        assert all(s["voi"] is None and s["ici"] is not None for s in got.values())
        return
    got = all_incentives(cid, INCENTIVE_KINDS)
    expected = brute_sets(cid)
    for d in cid.decisions:
        for kind in INCENTIVE_KINDS:
            assert set(got[d][kind]) == expected[d][kind], (d, kind)


def _renamed(cid: CID, perm: list[int]) -> tuple[CID, dict[str, str]]:
    names = ["D", "U", "xmec", "", "Ü ñ", "a b", "0", "D2", "U2"][: len(cid.nodes)]
    mapping = {v: names[perm[i]] for i, v in enumerate(cid.nodes)}
    order = [cid.nodes[i] for i in reversed(range(len(cid.nodes)))]
    renamed = CID(
        [(mapping[a], mapping[b]) for a, b in cid.edges],
        [mapping[v] for v in cid.decisions],
        [mapping[v] for v in cid.utilities],
        nodes=[mapping[v] for v in order],
    )
    return renamed, mapping


@SETTINGS
@given(cid=cids(max_nodes=7), data=st.data())
def test_invariant_under_relabelling_and_node_order(cid: CID, data: st.DataObject) -> None:
    perm = data.draw(st.permutations(range(len(cid.nodes))))
    renamed, f = _renamed(cid, perm)
    mode = "none"
    a = all_incentives(cid, INCENTIVE_KINDS, on_insufficient_recall=mode)
    b = all_incentives(renamed, INCENTIVE_KINDS, on_insufficient_recall=mode)
    for d in cid.decisions:
        for kind in INCENTIVE_KINDS:
            sa, sb = a[d][kind], b[f[d]][kind]
            assert (sa is None) == (sb is None)
            if sa is not None:
                assert {f[v] for v in sa} == sb
    assert {(f[x], f[y]) for x, y in requisite_graph(cid).edges} == set(
        requisite_graph(renamed).edges
    )


@SETTINGS
@given(cid=cids(max_nodes=7), position=st.integers(0, 7))
def test_invariant_under_adding_an_isolated_node(cid: CID, position: int) -> None:
    nodes = list(cid.nodes)
    nodes.insert(min(position, len(nodes)), "isolated")
    bigger = CID(cid.edges, cid.decisions, cid.utilities, nodes=nodes)
    mode = "none"
    assert all_incentives(cid, INCENTIVE_KINDS, on_insufficient_recall=mode) == all_incentives(
        bigger, INCENTIVE_KINDS, on_insufficient_recall=mode
    )
    assert sufficient_recall(cid) == sufficient_recall(bigger)


@SETTINGS
@given(cid=cids(max_nodes=7))
def test_queries_do_not_change_the_cid(cid: CID) -> None:
    before = (cid.to_json(), cid.adjacency.copy(), hash(cid))
    first = all_incentives(cid, INCENTIVE_KINDS, on_insufficient_recall="none")
    requisite_graph(cid)
    again = all_incentives(cid, INCENTIVE_KINDS, on_insufficient_recall="none")
    assert first == again
    assert cid.to_json() == before[0]
    assert (cid.adjacency == before[1]).all() and hash(cid) == before[2]
    # a fresh, uncached copy agrees
    fresh = CID.from_json(cid.to_json())
    assert all_incentives(fresh, INCENTIVE_KINDS, on_insufficient_recall="none") == first
