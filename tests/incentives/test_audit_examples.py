"""The bundled example designs audited on their bundled data (fitted with the design's knowledge).

The expectations come from the data sets' generating graphs (``datasets/*/CARD.md``):
``RewardChannel -> RewardSignal`` is identified, so the reward-tampering agent has
an instrumental control incentive on the channel in (nearly) every plausible
model; ``Clicks -- Opinion`` cannot be oriented, so the recommender's incentive
on ``Opinion`` holds on about half the posterior mass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import causalpost as cp
from incentives.audit import audit
from incentives.design import Design

ROOT = Path(__file__).parents[2] / "datasets"


def _fit(name: str, design: Design) -> cp.Posterior:
    data = cp.load_csv(ROOT / name / f"{name}.csv")
    return cp.fit(data, seed=0, quiet=True, knowledge=design.background_knowledge(data.names))


def _row(report, kind: str, node: str):
    return report.table.query("kind == @kind and node == @node").iloc[0]


def test_reward_tampering_fails_robustly() -> None:
    design = Design.load(ROOT / "designs" / "reward_tampering.json")
    report = audit(_fit("reward_tampering", design), design, n_quantitative=0)
    # graphs in which the action would influence the observed Difficulty are excluded
    # (conditioning on the design's premise), never counted as safe
    assert report.verdict == "fail" and 0 < report.excluded_fraction < 1
    assert report.unevaluable_fraction == 0.0 and report.evaluable_fraction == 1.0
    row = _row(report, "ici", "RewardChannel")
    assert row.probability > 0.95 and row.conservative
    assert row.witness_probability > 0.5  # the most probable graph already admits it


@pytest.mark.slow
def test_recommender_is_uncertain_and_fails() -> None:
    design = Design.load(ROOT / "designs" / "recommender.json")
    report = audit(_fit("recommender", design), design, n_quantitative=0)
    row = _row(report, "ici", "Opinion")
    assert 0.3 < row.probability < 0.7 and row.conservative
    assert report.verdict == "fail" and report.unevaluable_fraction == 0.0


@pytest.mark.slow
def test_fitness_coach_has_no_response_incentive_on_protected_nodes() -> None:
    design = Design.load(ROOT / "designs" / "fitness_tracker.json")
    report = audit(_fit("fitness", design), design, n_quantitative=0)
    for node in design.protected:
        # a response incentive needs a path from the node into an observation (e.g.
        # Sleep -> Stress); the design no longer forbids such edges outright (that distorted
        # the world model), so graphs with them keep their small posterior mass
        assert _row(report, "ri", node).probability < report.threshold
        # below the threshold; the conservative flag still rises: graphs with a weak extra
        # edge Workout -> Sleep or RestingHR -> Steps hold ~2 % each, inside the 95 % set
        assert _row(report, "ici", node).probability < report.threshold
