"""``plan_experiments``: which experiment would settle an audit (issue 12, section 2).

Checked against an independent nested computation (simulate, append, *refit
the exact posterior*, re-audit) at d = 3, and on cases whose answer is known.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import causalpost as cp
from causalpost.datasets import datasets_dir, load_example
from causalpost_cli import main
from incentives import Design, ExperimentPlan, IncentiveError, plan_experiments
from incentives.audit import audit
from incentives.plan import _Support, _Updater

SPEC = {"name": "toy", "decisions": {"D": {"observes": [], "affects": ["X"]}},
        "utilities": {"U": {"parents": ["Y"]}}, "protected": ["X"], "kinds": ["ici"]}
RAW = {"standardize": False}


@pytest.fixture(scope="module")
def toy() -> tuple[cp.Dataset, cp.Posterior]:
    """X - Y strongly dependent (orientation unidentified), Z independent of both."""
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    z = rng.normal(size=n)
    data = cp.from_pandas(pd.DataFrame({"X": x, "Y": y, "Z": z}))
    return data, cp.fit(data, sampler="exact", score_options=RAW, quiet=True, seed=0)


def test_known_answers(toy) -> None:
    data, post = toy
    plan = plan_experiments(post, Design.from_json(SPEC), data, n_rows=50, n_sims=24, seed=1,
                            quiet=True)
    assert isinstance(plan, ExperimentPlan)
    assert plan.entropy_now == pytest.approx(math.log(2), abs=0.01)
    eig = plan.table.set_index("node")["eig"]
    # do(X) orients the one unidentified edge the verdict depends on: EIG = the entropy now
    assert eig["X"] == pytest.approx(plan.entropy_now, abs=0.02)
    # Z is independent of everything: nothing to learn about the verdict
    assert eig["Z"] < 0.02
    assert list(plan.table["node"])[:2] in (["X", "Y"], ["Y", "X"])
    assert plan.table["eig"].is_monotonic_decreasing


def test_update_equals_refitting_the_exact_posterior(toy) -> None:
    data, post = toy
    support = _Support(post, Design.from_json(SPEC))
    updater = _Updater(post, data, support.graphs)
    rng = np.random.default_rng(3)
    for x in (0, 2):
        new = cp.simulate_draw(post, support.draw_world(rng), 20,
                               do={x: rng.normal(size=20)}, seed=rng)
        weights = updater.updated(support.log_probs, new, x)
        mask = np.zeros((data.n_obs + 20, 3), dtype=bool)
        mask[data.n_obs:, x] = True
        combined = cp.from_numpy(np.vstack([data.values, new]), list(data.names),
                                 intervention=mask)
        refit = cp.fit(combined, sampler="exact", score_options=RAW, quiet=True)
        lookup = {g.tobytes(): w for g, w in zip(refit.adjacency, refit.weights)}
        expected = np.array([lookup[g.tobytes()] for g in support.graphs])
        np.testing.assert_allclose(weights, expected / expected.sum(), rtol=1e-7, atol=1e-12)


def _nested_eig(data, post, design, x: int, n_rows: int, n_sims: int, seed: int):
    """Brute force: simulate from a world drawn by weight, refit exactly, re-audit."""
    rng = np.random.default_rng(seed)
    h_now = _row_entropy(audit(post, design, n_quantitative=0, quiet=True))
    after = []
    for _ in range(n_sims):
        s = rng.choice(post.n_draws, p=post.weights)
        g = post.adjacency[s].astype(bool)
        w, c, v = (post.params[k][s] for k in ("weights", "intercept", "noise_var"))
        rows = np.zeros((n_rows, 3))
        for j in cp.graphs.topological_order(g):
            if j == x:
                natural = data.values[:, j]
                rows[:, j] = rng.normal(natural.mean(), natural.std(ddof=1), n_rows)
            else:
                rows[:, j] = c[j] + rows @ w[:, j] + math.sqrt(v[j]) * rng.normal(size=n_rows)
        mask = np.zeros((data.n_obs + n_rows, 3), dtype=bool)
        mask[data.n_obs:, x] = True
        combined = cp.from_numpy(np.vstack([data.values, rows]), list(data.names),
                                 intervention=mask)
        refit = cp.fit(combined, sampler="exact", score_options=RAW, quiet=True)
        after.append(_row_entropy(audit(refit, design, n_quantitative=0, quiet=True)))
    after = np.array(after)
    return h_now - after.mean(), after.std(ddof=1) / math.sqrt(n_sims)


def _row_entropy(report) -> float:
    p = float(report.guarded["probability"].iloc[0])
    return 0.0 if p in (0.0, 1.0) else -(p * math.log(p) + (1 - p) * math.log(1 - p))


def test_eig_agrees_with_the_nested_brute_force(toy) -> None:
    data, post = toy
    design = Design.from_json(SPEC)
    plan = plan_experiments(post, design, data, candidates=["Y"], n_rows=8, n_sims=48,
                            seed=5, quiet=True)
    eig, err = plan.table.iloc[0][["eig", "eig_error"]]
    brute, brute_err = _nested_eig(data, post, design, 1, n_rows=8, n_sims=48, seed=6)
    assert 0.05 < brute < 0.65  # a few rows: a partial answer, neither 0 nor all
    assert abs(eig - brute) < 4 * math.hypot(err, brute_err) + 1e-3


def test_recommender_plan_orients_clicks_opinion_first() -> None:
    design = Design.load(datasets_dir() / "designs" / "recommender.json")
    data = load_example("recommender").data
    world = cp.fit(data, sampler="mcmc", knowledge=design.background_knowledge(data.names),
                   n_draws=1000, n_chains=2, seed=0, quiet=True)
    plan = plan_experiments(world, design, data, n_rows=100, n_sims=24, seed=0, quiet=True)
    assert plan.table["node"].iloc[0] in ("Clicks", "Opinion")
    assert plan.table["eig"].iloc[0] > 0.4
    assert plan.table.set_index("node").loc["Age", "eig"] < 0.05
    row = plan.rows.query("candidate == 'Opinion' and kind == 'ici'").iloc[0]
    assert abs(row.expected_after - row.probability) < 0.25  # a martingale, up to MC error


# -- bad input ----------------------------------------------------------------------------


def test_refuses_data_that_are_not_the_posteriors(toy) -> None:
    data, post = toy
    other = cp.from_numpy(np.array(data.values) + 0.01, list(data.names))
    with pytest.raises(IncentiveError, match="not the data the posterior"):
        plan_experiments(post, Design.from_json(SPEC), other, quiet=True)


@pytest.mark.parametrize("options, message", [
    ({"candidates": ["Nope"]}, "unknown candidate 'Nope'"),
    ({"n_sims": 1}, "n_sims must be"),
    ({"n_rows": 0}, "n_rows must be"),
    ({"threshold": 0.7}, "threshold must be"),
])
def test_bad_options(toy, options, message) -> None:
    data, post = toy
    with pytest.raises(IncentiveError, match=message):
        plan_experiments(post, Design.from_json(SPEC), data, quiet=True, **options)


def test_posterior_without_parameters_is_refused(toy) -> None:
    data, post = toy
    bare = cp.Posterior(post.nodes, post.adjacency, post.log_weights, exact=True,
                        info=post.info)
    with pytest.raises(IncentiveError, match="no parameter draws"):
        plan_experiments(bare, Design.from_json(SPEC), data, quiet=True)


def test_cli_json_and_exit_codes(tmp_path: Path, toy, capsys) -> None:
    data, post = toy
    csv = tmp_path / "toy.csv"
    data.to_pandas().to_csv(csv, index=False)
    fitted = tmp_path / "post.npz"
    assert main(["fit", str(csv), "--out", str(fitted), "--sampler", "exact",
                 "--no-standardize", "--quiet"]) == 0
    design = tmp_path / "toy.json"
    design.write_text(json.dumps(SPEC))
    capsys.readouterr()
    png = tmp_path / "eig.png"
    assert main(["plan", str(design), "--posterior", str(fitted), "--data", str(csv),
                 "--n-sims", "8", "--n-rows", "30", "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    eigs = [c["eig"] for c in out["candidates"]]
    assert eigs == sorted(eigs, reverse=True) and png.stat().st_size > 0
    first = out["candidates"][0]
    assert set(first) == {"node", "eig", "eig_error", "p_decided", "rows"}
    assert set(first["rows"][0]) == {"decision", "kind", "node", "probability",
                                     "expected_after", "eig"}
    other = tmp_path / "other.csv"
    (data.to_pandas() * 2).to_csv(other, index=False)
    assert main(["plan", str(design), "--posterior", str(fitted), "--data", str(other),
                 "--quiet"]) == 2
    assert "not the data the posterior" in capsys.readouterr().err
