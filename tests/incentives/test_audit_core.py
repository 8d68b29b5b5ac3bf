"""The audit against brute force: probabilities, intervals, conservative flag, witnesses."""

from __future__ import annotations

import json
from collections import defaultdict

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalpost as cp
from causalpost import Posterior
from incentives import (
    CID,
    admits_ici,
    admits_ri,
    admits_voc,
    admits_voi,
    incentive_nodes,
)
from incentives.audit import audit, compare, jeffreys_interval
from incentives.design import Design, DesignError

NAMES = ["A", "B", "C", "E"]
SPEC = {
    "decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
    "utilities": {"U": {"parents": ["C"]}},
    "protected": ["B", "C"],
    "kinds": ["voi", "ri", "voc", "ici"],
}
CHECKS = {
    "voi": lambda cid, x: x != "D" and x not in cid.descendants("D") and admits_voi(cid, "D", x),
    "ri": lambda cid, x: admits_ri(cid, "D", x),
    "voc": lambda cid, x: admits_voc(cid, x),
    "ici": lambda cid, x: admits_ici(cid, "D", x),
}


@pytest.fixture(scope="module")
def exact_posterior() -> Posterior:
    rng = np.random.default_rng(3)
    a = rng.normal(size=150)
    b = 0.8 * a + 0.6 * rng.normal(size=150)
    c = 0.7 * b + 0.7 * rng.normal(size=150)
    e = 0.5 * a + 0.9 * rng.normal(size=150)
    frame = pd.DataFrame({"A": a, "B": b, "C": c, "E": e})
    return cp.fit(cp.from_pandas(frame), seed=0, quiet=True)


def brute_force(post: Posterior, spec: dict) -> tuple[dict, float]:
    """Renormalised probability of each incentive, and the excluded mass, by the audit's rule.

    The CID is composed here by hand from the edge lists, not by ``Design.compose``;
    a composed cycle (through the decision: the world graphs are DAGs and the
    utility is not a data column) excludes the graph, and the probabilities are
    conditional on the rest.
    """
    ((d, dspec),) = spec["decisions"].items()
    ((u, par),) = ((k, v["parents"]) for k, v in spec["utilities"].items())
    totals: dict = defaultdict(float)
    excluded = 0.0
    for s, w in enumerate(post.weights):
        edges = [(post.nodes[i], post.nodes[j]) for i, j in np.argwhere(post.adjacency[s])]
        edges += [(o, d) for o in dspec["observes"]] + [(d, a) for a in dspec["affects"]]
        edges += [(p, u) for p in par]
        graph = nx.DiGraph(edges)
        graph.add_nodes_from([*post.nodes, d, u])
        if not nx.is_directed_acyclic_graph(graph):
            excluded += w
            continue
        cid = CID(edges, [d], [u], nodes=[*post.nodes, d, u])
        for kind, check in CHECKS.items():
            for x in cid.nodes:
                if check(cid, x):
                    totals[kind, x] += w
    return {k: v / (1 - excluded) for k, v in totals.items()}, excluded


def excluded_mass(post: Posterior) -> float:
    """Mass of the draws whose composition with SPEC has a cycle (B an ancestor of A)."""
    total = 0.0
    for s, w in enumerate(post.weights):
        graph = nx.DiGraph([(post.nodes[i], post.nodes[j])
                            for i, j in np.argwhere(post.adjacency[s])])
        graph.add_edges_from([("A", "D"), ("D", "B")])
        total += w * (not nx.is_directed_acyclic_graph(graph))
    return total


def test_default_tail_bounds_the_unevaluated_mass(exact_posterior: Posterior) -> None:
    report = audit(exact_posterior, Design.from_json(SPEC), tail=1e-3, n_quantitative=0)
    expected, _ = brute_force(exact_posterior, SPEC)
    assert report.n_evaluated < report.n_unique_graphs
    for r in report.table.itertuples():
        truth = expected.get((r.kind, r.node), 0.0)
        assert r.probability - 1e-12 <= truth <= r.hi + 1e-12


def test_single_graph_gives_the_single_cid_answers() -> None:
    world = np.zeros((4, 4), dtype=np.uint8)
    for a, b in [("A", "B"), ("B", "C"), ("E", "C"), ("E", "A")]:
        world[NAMES.index(a), NAMES.index(b)] = 1
    post = Posterior(NAMES, world[None], exact=True)
    design = Design.from_json(SPEC)
    report = audit(post, design, n_quantitative=0)
    cid = design.compose(world, NAMES)
    for kind in CHECKS:
        found = incentive_nodes(cid, kind, "D")
        rows = report.table.query("kind == @kind")
        assert set(rows.loc[rows["probability"] == 1.0, "node"]) == set(found)
        assert set(rows["probability"]) <= {0.0, 1.0}
    witness = report.to_json()["incentives"]
    edges = next(r["witness"]["edges"] for r in witness if r["kind"] == "ici" and r["node"] == "B")
    assert {tuple(e) for e in edges} == set(cid.edges)


def _three_graph_posterior(p_admit: float, p_other: float) -> Posterior:
    """G0 (0.9): C isolated from B; G1, G2: B -> C (admits ICI on B), with given weights."""
    g = np.zeros((3, 4, 4), dtype=np.uint8)
    g[1, 1, 2] = 1  # B -> C
    g[2, 1, 2] = 1
    g[2, 3, 2] = 1  # E -> C also
    weights = np.log([0.9, p_admit, p_other])
    return Posterior(NAMES, g, weights, exact=True)


def test_conservative_flag_rises_inside_the_credible_set_below_threshold() -> None:
    design = Design.from_json({**SPEC, "kinds": ["ici"], "protected": ["B"]})
    inside = _three_graph_posterior(0.06, 0.04)  # top 2 cover 0.96 >= 0.95
    report = audit(inside, design, threshold=0.15, alpha=0.05, n_quantitative=0)
    row = report.table.query("kind == 'ici' and node == 'B'").iloc[0]
    assert row.probability == pytest.approx(0.10) and row.hi < 0.15
    assert row.conservative and report.verdict == "fail"
    assert row.witness_probability == pytest.approx(0.06)


def test_conservative_flag_stays_down_outside_the_credible_set() -> None:
    design = Design.from_json({**SPEC, "kinds": ["ici"], "protected": ["B"]})
    g = np.zeros((2, 4, 4), dtype=np.uint8)
    g[1, 1, 2] = 1
    post = Posterior(NAMES, g, np.log([0.97, 0.03]), exact=True)
    report = audit(post, design, threshold=0.05, alpha=0.05, n_quantitative=0)
    row = report.table.query("kind == 'ici' and node == 'B'").iloc[0]
    assert row.probability == pytest.approx(0.03) and not row.conservative
    assert report.verdict == "pass"
    assert audit(post, design, threshold=0.02, n_quantitative=0).verdict == "fail"


def test_sampled_posterior_interval_uses_the_effective_sample_size() -> None:
    g = np.zeros((100, 4, 4), dtype=np.uint8)
    g[:30, 1, 2] = 1  # 30 % of draws admit ICI on B
    design = Design.from_json({**SPEC, "kinds": ["ici"], "protected": ["B"]})
    report = audit(Posterior(NAMES, g), design, n_quantitative=0)
    row = report.table.query("kind == 'ici' and node == 'B'").iloc[0]
    lo, hi = jeffreys_interval(np.array([0.3]), 100)
    assert (row.lo, row.hi) == pytest.approx((lo[0], hi[0]))
    assert row.lo < 0.3 < row.hi and report.n_unique_graphs == 2
    small = Posterior(NAMES, g, diagnostics={"ess": 10.0})
    row10 = (
        audit(small, design, n_quantitative=0).table.query("kind == 'ici' and node == 'B'").iloc[0]
    )
    assert row10.hi - row10.lo > row.hi - row.lo


def test_no_sufficient_recall_is_undetermined_not_dropped() -> None:
    spec = {
        "decisions": {
            "D1": {"observes": [], "affects": ["B"]},
            "D2": {"observes": [], "affects": ["C"]},
        },
        "utilities": {"U": {"parents": ["B", "C"]}},
        "protected": ["A"],
        "kinds": ["voc", "ici"],
    }
    post = Posterior(NAMES, np.zeros((1, 4, 4), dtype=np.uint8), exact=True)
    report = audit(post, Design.from_json(spec), n_quantitative=0)
    assert report.no_recall_fraction == 1.0 and report.invalid_fraction == 1.0
    voc = report.table.query("kind == 'voc'")
    assert (voc["hi"] == 1.0).all() and voc["conservative"].all()
    ici = report.table.query("kind == 'ici' and decision == 'D1'").set_index("node")
    assert ici.loc["B", "probability"] == 1.0 and ici.loc["A", "hi"] == 0.0
    assert report.verdict == "fail"


@st.composite
def posteriors(draw) -> Posterior:
    n = draw(st.integers(1, 6))
    graphs = []
    for _ in range(n):
        order = draw(st.permutations(range(4)))
        bits = draw(st.lists(st.booleans(), min_size=6, max_size=6))
        g = np.zeros((4, 4), dtype=np.uint8)
        pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
        for (i, j), bit in zip(pairs, bits):
            g[order[i], order[j]] = bit
        graphs.append(g)
    logw = draw(st.lists(st.floats(-5, 0), min_size=n, max_size=n))
    return Posterior(NAMES, np.array(graphs), np.array(logw), exact=draw(st.booleans()))


@settings(max_examples=40, deadline=None)
@given(posteriors(), st.permutations(range(4)))
def test_audit_invariants(post: Posterior, perm: list[int]) -> None:
    design = Design.from_json(SPEC)
    expected, excluded = (
        brute_force(post, SPEC) if excluded_mass(post) < 1 - 1e-9 else ({}, 1.0)
    )
    if excluded > 1 - 1e-9:  # nothing left to renormalise over: refused, never a pass
        with pytest.raises(DesignError, match="contradicts the design"):
            audit(post, design, tail=0.0, n_quantitative=0)
        return
    report = audit(post, design, tail=0.0, n_quantitative=0)
    t = report.table
    for r in t.itertuples():
        assert r.probability == pytest.approx(expected.get((r.kind, r.node), 0.0), abs=1e-9)
    assert report.excluded_fraction == pytest.approx(excluded, abs=1e-9)
    assert ((t["probability"] >= 0) & (t["probability"] <= 1 + 1e-12)).all()
    assert ((t["lo"] <= t["probability"]) & (t["probability"] <= t["hi"] + 1e-15)).all()
    if post.exact:
        np.testing.assert_allclose(t["hi"], t["lo"], atol=1e-15)
    assert (t["conservative"] | (t["probability"] < 1)).all()  # p == 1 implies the flag
    names = [post.nodes[i] for i in perm]
    moved = Posterior(
        names, post.adjacency[:, perm][:, :, perm], post.log_weights, exact=post.exact
    )
    other = audit(moved, design, tail=0.0, n_quantitative=0).table
    key = ["decision", "kind", "node"]
    a, b = t.set_index(key).sort_index(), other.set_index(key).sort_index()
    np.testing.assert_allclose(a["probability"], b["probability"], atol=1e-12)
    assert (a["conservative"] == b["conservative"]).all()
    assert report.verdict == audit(moved, design, tail=0.0, n_quantitative=0).verdict


def test_json_has_exactly_the_issue_format(exact_posterior: Posterior) -> None:
    report = audit(exact_posterior, Design.from_json(SPEC), n_quantitative=0)
    out = json.loads(json.dumps(report.to_json()))
    assert list(out) == [
        "verdict",
        "threshold",
        "n_draws",
        "n_unique_graphs",
        "invalid_fraction",
        "incentives",
        "reasons",
        "excluded_fraction",
        "unevaluable_fraction",
        "no_recall_fraction",
        "evaluable_fraction",
        "min_evaluable",
        "converged",
        "provenance",
    ]
    row = out["incentives"][0]
    assert list(row) == [
        "decision",
        "kind",
        "node",
        "probability",
        "interval",
        "conservative",
        "protected",
        "witness",
        "paths",
        "hinge_edges",
    ]
    assert len(out["incentives"]) == 4 * 6
    with_witness = [r for r in out["incentives"] if r["witness"]]
    assert with_witness and all(set(r["witness"]) == {"edges", "probability"} for r in with_witness)


def test_markdown_html_and_compare(exact_posterior: Posterior, tmp_path) -> None:
    design = Design.from_json({**SPEC, "name": "first"})
    report = audit(exact_posterior, design, n_quantitative=5)
    text = report.to_markdown()
    assert "Verdict: " in text and "## Protected nodes" in text
    assert report.quantitative is not None and set(report.quantitative["measure"]) <= {"voi", "voc"}
    page = report.to_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text() == page and "data:image/png;base64," in page
    second = Design.from_json(
        {**SPEC, "name": "second", "decisions": {"D": {"observes": ["A"], "affects": ["E"]}}}
    )
    side = compare(exact_posterior, [design, second])
    assert set(side.columns.get_level_values(0)) == {"first", "second"}
    first = audit(exact_posterior, design, n_quantitative=0).table.set_index(["node", "kind"])
    assert side.loc[("B", "ici"), ("first", "probability")] == pytest.approx(
        first.loc[("B", "ici"), "probability"]
    )


def test_quantitative_risk_follows_the_graphical_criterion() -> None:
    """VoC of a node with no path to the utility is 0; of a node on the utility's path, > 0."""
    names = ["A", "B", "C"]
    g = np.zeros((1, 3, 3), dtype=np.uint8)
    g[0, 1, 2] = 1  # B -> C; A isolated
    weights = np.zeros((1, 3, 3))
    weights[0, 1, 2] = 0.8
    params = {"weights": weights, "intercept": np.zeros((1, 3)), "noise_var": np.ones((1, 3))}
    post = Posterior(names, g, params=params, exact=True)
    spec = {
        "decisions": {"D": {"observes": [], "affects": ["B"]}},
        "utilities": {"U": {"parents": ["C"]}},
        "protected": ["A", "B", "C"],
    }
    report = audit(post, Design.from_json(spec), n_quantitative=3)
    q = report.quantitative.set_index(["measure", "node"])
    assert q.loc[("voc", "A"), "mean"] == pytest.approx(0.0, abs=1e-9)
    assert q.loc[("voi", "A"), "mean"] == pytest.approx(0.0, abs=1e-9)
    # U = -C^2, C = 0.8 B + e_C, B = D + e_B (unit noise): the best D = 0 leaves
    # E[U] = -(0.64 + 1); choosing C itself gives U = 0, so VoC(C) = 1.64
    assert q.loc[("voc", "C"), "mean"] == pytest.approx(1.64, rel=1e-6)
    assert q.loc[("voc", "A"), "n"] == 3 and "voi" not in q.loc[(slice(None), "B"), :].index


def test_graphs_tied_with_the_last_of_the_credible_set_are_in_it() -> None:
    design = Design.from_json({**SPEC, "kinds": ["ici"], "protected": ["B"]})
    g = np.zeros((3, 4, 4), dtype=np.uint8)
    g[1, 3, 2] = 1  # E -> C: no incentive on B
    g[2, 1, 2] = 1  # B -> C: ICI on B, tied in probability with the graph before it
    for order in ([0, 1, 2], [0, 2, 1]):
        post = Posterior(NAMES, g[order], np.log([0.9, 0.05, 0.05]), exact=True)
        report = audit(post, design, threshold=0.1, alpha=0.05, n_quantitative=0)
        assert report.credible_set_size == 3
        assert report.table.query("kind == 'ici' and node == 'B'").iloc[0].conservative
