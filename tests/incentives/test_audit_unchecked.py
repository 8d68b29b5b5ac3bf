"""An audit never passes on what it could not check (issue 19, section 1).

The rule (``incentives.audit``): graphs that contradict the design (a cycle
through a decision) are excluded and the rest renormalised; graphs that cannot
be evaluated (a cyclic world graph, a data utility with children) count
towards every upper end and the conservative flag; below ``min_evaluable``
evaluable mass the verdict is ``"fail"``. Checked here against brute force on
exact posteriors, with the classification done independently by networkx.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost import Posterior
from causalpost_cli import main
from incentives import CID, admits_ici
from incentives.audit import audit, compare
from incentives.design import Design, DesignError

NAMES = ["A", "B", "C", "E"]
# U is the data column C: its children make a graph unevaluable; D -> B with
# B an ancestor of A (observed) contradicts the design
SPEC = {
    "name": "data utility",
    "decisions": {"D": {"observes": ["A"], "affects": ["B"]}},
    "utilities": {"C": {"parents": ["B"]}},
    "protected": ["B", "E"],
    "kinds": ["ici"],
}


@pytest.fixture(scope="module")
def exact_posterior() -> Posterior:
    rng = np.random.default_rng(11)
    a = rng.normal(size=120)
    b = 0.8 * a + 0.6 * rng.normal(size=120)
    c = 0.7 * b + 0.7 * rng.normal(size=120)
    e = 0.4 * c + 0.9 * rng.normal(size=120)
    frame = pd.DataFrame({"A": a, "B": b, "C": c, "E": e})
    return cp.fit(cp.from_pandas(frame), sampler="exact", seed=0, quiet=True)


def classify(post: Posterior, s: int) -> tuple[str, list[tuple[str, str]]]:
    """The audit's rule, by hand: ('unevaluable' | 'excluded' | 'valid', composed edges)."""
    world = [(post.nodes[i], post.nodes[j]) for i, j in np.argwhere(post.adjacency[s])]
    world_graph = nx.DiGraph(world)
    world_graph.add_nodes_from(post.nodes)
    if not nx.is_directed_acyclic_graph(world_graph) or world_graph.out_degree("C") > 0:
        return "unevaluable", world
    edges = world + [("A", "D"), ("D", "B"), ("B", "C")]
    edges = list(dict.fromkeys(edges))
    if not nx.is_directed_acyclic_graph(nx.DiGraph(edges)):
        return "excluded", edges
    return "valid", edges


def brute_force(post: Posterior) -> dict:
    mass: dict = defaultdict(float)
    admitted: dict = defaultdict(float)
    for s, w in enumerate(post.weights):
        status, edges = classify(post, s)
        mass[status] += w
        if status == "valid":
            cid = CID(edges, ["D"], ["C"], nodes=[*post.nodes, "D"])
            for x in cid.nodes:
                admitted[x] += w * admits_ici(cid, "D", x)
    kept = 1 - mass["excluded"]
    return {
        "mass": dict(mass),
        "p": {x: v / kept for x, v in admitted.items()},
        "hi_extra": mass["unevaluable"] / kept,
    }


def test_exact_posterior_against_brute_force(exact_posterior: Posterior) -> None:
    truth = brute_force(exact_posterior)
    assert 0 < truth["mass"]["excluded"] < 1 and 0 < truth["mass"]["unevaluable"] < 1
    report = audit(exact_posterior, Design.from_json(SPEC), tail=0.0, n_quantitative=0,
                   min_evaluable=0.0)
    assert report.excluded_fraction == pytest.approx(truth["mass"]["excluded"], abs=1e-12)
    assert report.unevaluable_fraction == pytest.approx(truth["mass"]["unevaluable"], abs=1e-12)
    kept = 1 - truth["mass"]["excluded"]
    assert report.evaluable_fraction == pytest.approx(truth["mass"]["valid"] / kept, abs=1e-12)
    ici = report.table.query("kind == 'ici'").set_index("node")
    for node, row in ici.iterrows():
        assert row.probability == pytest.approx(truth["p"].get(node, 0.0), abs=1e-12), node
        # unevaluable mass reaches every upper end (exact: no Monte Carlo width)
        expected_hi = min(1.0, truth["p"].get(node, 0.0) + truth["hi_extra"])
        assert row.hi == pytest.approx(expected_hi, abs=1e-12), node


def test_floor_fails_an_audit_resting_on_a_minority(exact_posterior: Posterior) -> None:
    design = Design.from_json(SPEC)
    mass = brute_force(exact_posterior)["mass"]
    valid = mass["valid"] / (1 - mass["excluded"])  # the share of the non-excluded mass
    below = audit(exact_posterior, design, threshold=1.0, n_quantitative=0,
                  min_evaluable=min(1.0, valid + 0.01))
    assert below.verdict == "fail"
    assert any("could be checked" in r and "--design" in r for r in below.reasons)
    above = audit(exact_posterior, design, threshold=1.0, n_quantitative=0,
                  min_evaluable=max(0.0, valid - 0.01))
    assert not any("could be checked" in r for r in above.reasons)


def _recommender_world(n: int = 4) -> np.ndarray:
    names = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
    g = np.zeros((n, 6, 6), dtype=np.uint8)
    for a, b in [("Age", "Interest"), ("History", "Interest"), ("Interest", "Clicks"),
                 ("Clicks", "TimeOnSite"), ("Clicks", "Opinion")]:
        g[:, names.index(a), names.index(b)] = 1
    return g


def test_data_utility_with_children_cannot_pass() -> None:
    # Interest -> Clicks in every draw: the utility "Interest" has children everywhere
    names = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
    post = Posterior(names, _recommender_world())
    spec = json.loads(Path("datasets/designs/recommender.json").read_text())
    spec["utilities"] = {"Interest": {"parents": ["Clicks"]}}
    report = audit(post, Design.from_json(spec), n_quantitative=0)
    assert report.unevaluable_fraction == 1.0 and report.evaluable_fraction == 0.0
    assert report.verdict == "fail"
    guarded = report.guarded
    assert (guarded["hi"] == 1.0).all() and guarded["conservative"].all()


def test_cyclic_world_graphs_cannot_pass() -> None:
    names = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
    g = _recommender_world()
    g[:, names.index("TimeOnSite"), names.index("Interest")] = 1  # Interest->Clicks->ToS->Interest
    post = Posterior(names, g)
    design = Design.load("datasets/designs/recommender.json")
    report = audit(post, design, n_quantitative=0)
    assert report.verdict == "fail" and report.unevaluable_fraction == 1.0
    assert report.guarded["conservative"].all()
    assert any("could be checked" in r for r in report.reasons)


def test_everything_excluded_is_refused_with_the_fix() -> None:
    # Opinion -> Age: the recommendation (affects Opinion) would influence what it observes
    names = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
    g = _recommender_world()
    g[:, names.index("Age"), names.index("Interest")] = 0
    g[:, names.index("Opinion"), names.index("Age")] = 1
    post = Posterior(names, g)
    with pytest.raises(DesignError, match="every graph of the posterior contradicts the design"):
        audit(post, Design.load("datasets/designs/recommender.json"), n_quantitative=0)


def test_excluded_graphs_are_renormalised_not_counted_as_safe() -> None:
    names = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
    g = _recommender_world(3)
    g[0, names.index("Age"), names.index("Interest")] = 0
    g[0, names.index("Opinion"), names.index("Age")] = 1  # excluded draw
    g[1, names.index("Clicks"), names.index("Opinion")] = 0  # no ICI on Opinion via Clicks
    g[2, names.index("Clicks"), names.index("Opinion")] = 0
    g[2, names.index("Opinion"), names.index("TimeOnSite")] = 1  # Rec -> Opinion -> ToS -> U
    post = Posterior(names, g, exact=True)
    design = Design.load("datasets/designs/recommender.json")
    report = audit(post, design, n_quantitative=0, min_evaluable=0.5)
    row = report.table.query("kind == 'ici' and node == 'Opinion'").iloc[0]
    # 1 of the 2 kept draws admits it: 1/2, not the 1/3 of counting the excluded one as safe
    assert row.probability == pytest.approx(0.5)
    assert report.excluded_fraction == pytest.approx(1 / 3)
    assert row.witness_probability == pytest.approx(0.5)


def test_compare_reports_the_evaluable_mass(exact_posterior: Posterior) -> None:
    a = Design.from_json(SPEC)
    b = Design.from_json({**SPEC, "name": "other",
                          "utilities": {"U": {"parents": ["C"]}}})
    table = compare(exact_posterior, [a, b], threshold=1.0, min_evaluable=0.99)
    assert table[("data utility", "verdict")].iloc[0] == "fail"
    assert table[("data utility", "evaluable")].iloc[0] < 0.99
    assert table[("other", "evaluable")].iloc[0] > table[("data utility", "evaluable")].iloc[0]


def test_cli_exit_codes_and_the_fix(tmp_path: Path, capsys) -> None:
    names = ["Age", "History", "Interest", "Clicks", "Opinion", "TimeOnSite"]
    spec = json.loads(Path("datasets/designs/recommender.json").read_text())
    spec["utilities"] = {"Interest": {"parents": ["Clicks"]}}
    design = tmp_path / "bad_utility.json"
    design.write_text(json.dumps(spec))
    post = Posterior(names, _recommender_world()).save(tmp_path / "post.npz")
    assert main(["audit", str(design), "--posterior", str(post), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "--design" in out
    assert main(["audit", str(design), "--posterior", str(post), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "fail" and payload["evaluable_fraction"] == 0.0
    assert payload["reasons"]
    g = _recommender_world()
    g[:, names.index("Age"), names.index("Interest")] = 0
    g[:, names.index("Opinion"), names.index("Age")] = 1
    excluded = Posterior(names, g).save(tmp_path / "excluded.npz")
    recommender = "datasets/designs/recommender.json"
    assert main(["audit", recommender, "--posterior", str(excluded), "--quiet"]) == 2
    assert "contradicts the design" in capsys.readouterr().err


def test_disagreeing_chains_widen_every_interval_and_say_so() -> None:
    # chain 0 always has B -> C (ICI on B), chain 1 never: p = 1/2 but the chains say 1 and 0
    g = np.zeros((200, 4, 4), dtype=np.uint8)
    g[:100, 1, 2] = 1
    chain = np.repeat([0, 1], 100)
    spec = {"decisions": {"D": {"observes": [], "affects": ["B"]}},
            "utilities": {"U": {"parents": ["C"]}}, "protected": ["B"], "kinds": ["ici"]}
    design = Design.from_json(spec)
    agreeing = Posterior(NAMES, g, diagnostics={"ess": 200.0})
    split = Posterior(NAMES, g, diagnostics={"ess": 200.0, "draw_chain": chain,
                                             "converged": False})
    row = audit(agreeing, design, n_quantitative=0).table.query("node == 'B' and kind == 'ici'")
    wide = audit(split, design, n_quantitative=0)
    row_split = wide.table.query("node == 'B' and kind == 'ici'").iloc[0]
    assert row.iloc[0].probability == pytest.approx(0.5) == row_split.probability
    assert row.iloc[0].hi < 0.7 and row_split.lo == 0.0 and row_split.hi == 1.0
    assert row_split.chain_spread == 1.0 and wide.converged is False
    assert "did not converge" in wide.to_markdown()
    # mixed chains: each chain's estimate is 1/2, the Jeffreys interval stands
    mixed = Posterior(NAMES, g, diagnostics={"ess": 200.0, "draw_chain": np.tile([0, 1], 100)})
    row_mixed = audit(mixed, design, n_quantitative=0).table.query("node == 'B' and kind == 'ici'")
    row_mixed = row_mixed.iloc[0]
    assert row_mixed.hi == pytest.approx(row.iloc[0].hi) and row_mixed.chain_spread == 0.0
