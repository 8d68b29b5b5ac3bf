"""Chains trapped far below another are restarted from the best chain's state.

``stuck_chains`` is checked on its definition; ``run_rounds`` with toy chains whose
Markov state is a fixed level (a chain never leaves its level by itself) shows the
mechanism end to end: the trapped chain takes the best chain's state, keeps its own
random stream, and the window holds no record from before the restart.
"""

from __future__ import annotations

import numpy as np

from causalpost.samplers._chains import (
    Chain,
    Targets,
    chain_seeds,
    make_plan,
    run_rounds,
    stuck_chains,
)


def test_stuck_chains_follow_their_definition():
    rng = np.random.default_rng(0)
    high, low = -100 + rng.normal(size=200), -300 + rng.normal(size=200)
    assert stuck_chains([high, low]) == [(1, 0, stuck_chains([high, low])[0][2])]
    assert abs(stuck_chains([high, low])[0][2] - (high.mean() - low.mean())) < 1e-9
    assert stuck_chains([high, high + 0.5]) == []  # overlapping: two views of one mode
    assert stuck_chains([high, high - 30]) == []  # below the gap of 50 nats
    assert [c for c, _, _ in stuck_chains([low, high, low - 5, high + 1])] == [0, 2]
    assert stuck_chains([high]) == [] and stuck_chains([high, np.zeros(0)]) == []


class LevelToy(Chain):
    """A chain whose whole Markov state is ``level``: it records level + noise."""

    state_shape = ()

    def __init__(self, seed, level):
        super().__init__(seed)
        self.start_level = level

    def start(self):
        self.level = float(self.start_level)

    def _advance(self, n_iter, beta, states, scores):
        n = states.shape[0]
        scores[:n] = self.level + 0.1 * self.rng.standard_normal(n)
        states[:n] = 0
        return n


def _agree(chains, window):
    means = [c.rec_score[c.window(*window)].mean() for c in chains]
    return {"converged": max(means) - min(means) < 1.0, "rhat_log_score": 1.0,
            "max_chain_disagreement": 0.0, "ess_log_score": 1000.0}


def test_a_trapped_chain_restarts_from_the_best_chain_and_its_old_records_are_dropped():
    seeds, _ = chain_seeds(0, 3)
    chains = [LevelToy(s, level) for s, level in zip(seeds, (-100.0, -400.0, -100.2))]
    plan = make_plan(300, 3, burn_in=100, thin=1, default_thin=1)
    targets = Targets(rhat=1.05, disagreement=0.1, ess=10, max_seconds=60).check()
    result = run_rounds(chains, plan, targets, _agree, quiet=True)
    assert result.n_rounds == 2 and _agree(chains, result.window)["converged"]
    assert result.history[0]["restarted"][0]["chain"] == 1
    assert result.history[0]["restarted"][0]["from"] == 0  # the highest mean
    assert chains[1].level == chains[0].level == -100.0
    first_round_end = result.history[0]["n_iter"]
    assert result.window[0] >= first_round_end  # nothing from before the restart
    for chain in chains:
        kept = chain.rec_score[chain.window(*result.window)]
        assert kept.size and kept.min() > -101  # no trapped records in the window
    # its own random stream: the restarted chain's noise differs from its source's
    a, b = (c.rec_score[c.window(*result.window)] for c in chains[:2])
    assert not np.allclose(a, b)


def test_chains_in_one_mode_are_not_restarted():
    seeds, _ = chain_seeds(1, 2)
    chains = [LevelToy(s, level) for s, level in zip(seeds, (-100.0, -100.05))]
    plan = make_plan(200, 2, burn_in=50, thin=1, default_thin=1)
    targets = Targets(rhat=1.05, disagreement=0.1, ess=10, max_seconds=60).check()
    result = run_rounds(chains, plan, targets, _agree, quiet=True)
    assert all("restarted" not in h for h in result.history)
