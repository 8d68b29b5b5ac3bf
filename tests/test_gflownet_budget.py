"""The GFlowNet's bounded default: time budget, plateau rule, progress bar, diagnostics.

No test times anything: a budget far below the work (0.05 s for 100,000 steps)
must stop on time whatever the machine's speed, and the plateau rule is checked
by the recorded stop reason and step count on a toy problem; d = 5 accuracy is
checked against exact enumeration.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import causalpost as cp
from causalpost.graphs import masks_to_adjacency
from causalpost.samplers._common import prepare_problem
from causalpost.samplers._diagnostics import SUMMARY_KEYS, convergence_summary
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.gflownet import GFlowNetSampler, policy_log_probs
from causalpost.samplers.gflownet.trainer import Plateau, budget_fraction
from causalpost.synthetic import linear_gaussian
from causalpost_cli import main
from tests.conftest import chain_frame

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
SMALL = {"n_draws": 10, "width": 16, "n_layers": 1, "n_heads": 2, "batch_size": 16,
         "n_envs": 4, "quiet": True, "parameters": False, "seed": 0}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data2():
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    return cp.from_numpy(np.c_[x, 0.8 * x + rng.normal(size=60)], ["X", "Y"])


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "chain.csv"
    chain_frame(150, seed=4).to_csv(path, index=False)
    return path


def test_the_default_is_bounded_in_time():
    default = GFlowNetSampler()
    assert default.max_seconds == 60.0 and default.patience is not None


@pytest.mark.parametrize("device", DEVICES)
def test_a_tiny_max_seconds_stops_training_and_is_recorded(data2, device):
    gfn = GFlowNetSampler(max_seconds=0.05, device=device, **SMALL).fit(data2)
    diag = gfn.posterior_.diagnostics
    assert diag["stop_reason"] == "max_seconds"
    assert 1 <= diag["n_steps"] < gfn.n_steps == 100_000
    assert diag["converged"] is False  # stopped by the budget, not the plateau rule
    assert diag["targets"] == {"loss": 0.1, "n_steps": 100_000, "max_seconds": 0.05}
    assert set(SUMMARY_KEYS) <= set(diag)
    summary = convergence_summary(diag, gfn.posterior_.n_draws)
    assert summary["converged"] is False and summary["ess_log_score"] == 10.0
    assert summary["seconds"] >= diag["train_seconds"] > 0


def test_the_plateau_rule_stops_early_on_a_toy_problem(data2):
    gfn = GFlowNetSampler(n_steps=100_000, max_seconds=None, patience=50, explore_steps=50,
                          **SMALL).fit(data2)
    diag = gfn.posterior_.diagnostics
    assert diag["stop_reason"] == "plateau"
    assert diag["n_lr_decays"] == gfn.n_decays == 3
    assert 50 + 4 * 50 <= diag["n_steps"] < 5000
    assert diag["final_loss"] <= 0.1 and diag["converged"] is True
    assert gfn.history_["lr"][0] == pytest.approx(1e-3)
    assert gfn.history_["final_lr"] == pytest.approx(1e-3 * 0.3**3)


def test_a_plateau_above_the_loss_target_is_not_converged(data2):
    frozen = GFlowNetSampler(n_steps=100_000, max_seconds=None, patience=20, explore_steps=0,
                             lr=1e-12, loss_target=1e-6, **SMALL).fit(data2)
    diag = frozen.posterior_.diagnostics
    assert diag["stop_reason"] == "plateau" and diag["n_steps"] < 1000
    assert diag["final_loss"] > 1e-6 and diag["converged"] is False


def test_the_steps_bound_binds_and_the_same_seed_gives_the_same_training(data2):
    runs = [GFlowNetSampler(n_steps=40, max_seconds=None, **SMALL).fit(data2) for _ in range(2)]
    assert [r.posterior_.diagnostics["stop_reason"] for r in runs] == ["n_steps"] * 2
    assert runs[0].history_["loss"] == runs[1].history_["loss"]


def test_tempering_cut_short_by_the_budget_is_recorded_and_not_converged(data2):
    gfn = GFlowNetSampler(n_steps=50, max_seconds=None, temper_steps=1000, patience=10,
                          **SMALL).fit(data2)
    diag = gfn.posterior_.diagnostics
    assert diag["reward_exponent"] == pytest.approx(0.1 + 0.9 * 50 / 1000)
    assert diag["stop_reason"] == "n_steps" and diag["converged"] is False  # no plateau check
    untempered = GFlowNetSampler(n_steps=50, max_seconds=None, **SMALL).fit(data2)
    assert untempered.posterior_.diagnostics["reward_exponent"] == 1.0


def test_plateau_windows():
    rule = Plateau(3)
    flags = [rule.update(x) for x in [4.0] * 3 + [2.0] * 3 + [1.99] * 3 + [0.5] * 3]
    assert flags == [False] * 8 + [True] + [False] * 3  # 1.99 is < 5% below 2.0
    tiny = Plateau(1)  # below the absolute tolerance, a relative gain is no progress
    assert [tiny.update(x) for x in (1e-3, 5e-4, 1e-4)] == [False, True, True]


def test_budget_fraction_is_whichever_binds():
    assert budget_fraction(10, 59.0, 1000, 60.0) == pytest.approx(59 / 60)
    assert budget_fraction(900, 1.0, 1000, 60.0) == pytest.approx(0.9)
    assert budget_fraction(900, 1.0, 1000, None) == pytest.approx(0.9)
    assert budget_fraction(2000, 100.0, 1000, 60.0) == 1.0


def test_progress_bar_counts_the_budget_and_quiet_silences_it(data2, capsys):
    options = {**SMALL, "quiet": False}
    GFlowNetSampler(n_steps=30, max_seconds=None, **options).fit(data2)
    err = capsys.readouterr().err
    assert "GFlowNet" in err and "100% of budget" in err
    GFlowNetSampler(n_steps=30, max_seconds=None, **SMALL).fit(data2)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("option", "value", "message"), [
    ("max_seconds", 0, "max_seconds must be a positive number"),
    ("max_seconds", -1.0, "max_seconds must be a positive number"),
    ("max_seconds", float("inf"), "max_seconds must be a positive number"),
    ("patience", 0, "patience must be a positive integer"),
    ("explore_steps", -1, "explore_steps must be a non-negative integer"),
    ("n_decays", 1.5, "n_decays must be a non-negative integer"),
    ("loss_target", 0.0, "loss_target must be a number in"),
    ("lr_decay", 1.5, "lr_decay must be a number in"),
    ("temper_start", 0.0, "temper_start must be a number in"),
    ("lr", float("nan"), "lr must be a number in"),
    ("schedule", "cosine", "schedule must be 'plateau' or 'budget'"),
])
def test_bad_options_are_one_line_errors(data2, option, value, message):
    with pytest.raises(cp.CausalpostError, match=message):
        GFlowNetSampler(**{**SMALL, option: value}).fit(data2)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_cli_bad_max_seconds_exits_2_with_one_line(csv_path, tmp_path, capsys, value):
    out = tmp_path / "p.npz"
    code = main(["fit", str(csv_path), "--out", str(out), "--sampler", "gfn", "--quiet",
                 "--max-seconds", value])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "max_seconds" in err
    assert not out.exists()


def test_cli_passes_max_seconds_and_show_json_reports_the_training(csv_path, tmp_path, capsys):
    out = tmp_path / "p.npz"
    argv = ["fit", str(csv_path), "--out", str(out), "--sampler", "gfn", "--n-draws", "20",
            "--max-seconds", "0.05", "--quiet"]
    assert main(argv) == 0
    assert "not converged; next:" in capsys.readouterr().err
    assert main([*argv, "--strict"]) == 3
    capsys.readouterr()
    assert main(["show", str(out), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["diagnostics"]
    assert set(shown) == set(SUMMARY_KEYS) and shown["converged"] is False
    saved = cp.Posterior.load(out).diagnostics
    assert saved["stop_reason"] == "max_seconds" and saved["n_steps"] < 100_000
    assert saved["targets"]["max_seconds"] == 0.05


@pytest.mark.slow
def test_d5_default_rules_stop_on_the_plateau_within_0_05_of_exact():
    """The default schedule and plateau rule at d = 5 (about 7,000 steps, a minute)."""
    bench = linear_gaussian(5, 100, n_edges=5, noise_sd=1.0, seed=2)
    table = prepare_problem(bench.data, "bge", None, None, None, None).table()
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    exact = np.einsum("n,nij->ij", np.exp(log_w), adj)
    gfn = GFlowNetSampler(n_steps=20_000, max_seconds=None, n_draws=4000, seed=0, quiet=True,
                          parameters=False).fit(bench.data)
    assert gfn.posterior_.diagnostics["stop_reason"] == "plateau"
    learned = np.einsum("n,nij->ij", np.exp(policy_log_probs(gfn.policy_, gfn.env_, masks)), adj)
    assert np.abs(learned - exact).max() < 0.05
    assert np.abs(gfn.posterior_.edge_prob_matrix - exact).max() < 0.05


def test_a_table_too_large_for_the_budget_is_refused_before_the_work():
    from causalpost.errors import GraphTooLargeError

    rng = np.random.default_rng(0)
    data = cp.from_numpy(rng.normal(size=(60, 20)), [f"X{i}" for i in range(20)])
    with pytest.raises(GraphTooLargeError, match="--max-parents"):
        cp.fit(data, sampler="gfn", quiet=True)
    # capped parents: a table of seconds, accepted (a tiny budget keeps the test short)
    post = cp.fit(data, sampler="gfn", max_parents=2, n_steps=4, n_draws=5, quiet=True)
    assert post.n_draws == 5
