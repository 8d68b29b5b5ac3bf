"""Run-until-converged within a budget, the ``auto`` sampler, and fits that stop cleanly.

A run that cannot converge is made by a budget far below the work its first
round needs (hundreds of thousands of iterations in 0.01 s), so the outcome does
not depend on the machine's speed; no test times anything.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import causalpost as cp
from causalpost.api import make_sampler, resolve_sampler
from causalpost.errors import CausalpostError, ChainDisagreementWarning
from causalpost.samplers.order_mcmc import OrderMCMC
from causalpost.samplers.partition_mcmc import PartitionMCMC
from causalpost.samplers.structure_mcmc import StructureMCMC
from causalpost_cli import main
from tests.conftest import chain_frame

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = {"converged", "rhat_log_score", "max_chain_disagreement", "ess_log_score", "seconds"}


@pytest.fixture(scope="module")
def data5() -> cp.Dataset:
    return cp.from_pandas(chain_frame(100, seed=1))


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "chain.csv"
    chain_frame(150, seed=4).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("sampler", [StructureMCMC, PartitionMCMC, OrderMCMC])
def test_converged_run_records_diagnostics_and_draw_chain(data5, sampler, tmp_path):
    post = sampler(n_draws=301, n_chains=3, seed=0, quiet=True, parameters=False).fit(
        data5).posterior_
    diag = post.diagnostics
    assert diag["converged"]
    assert diag["rhat_log_score"] <= 1.05 and diag["ess_log_score"] >= 400
    assert diag["max_chain_disagreement"] <= 0.1 and diag["seconds"] > 0
    chain = diag["draw_chain"]
    assert chain.shape == (301,) and chain.dtype.kind == "i"
    assert np.bincount(chain).tolist() == [101, 101, 99]  # ceil(301 / 3) per chain, in order
    # each chain's draws are that chain's: their mean is the chain's recorded marginal
    for c in range(3):
        own = post.adjacency[chain == c].mean(axis=0)
        assert np.abs(own - diag["chain_edge_probs"][c]).max() < 0.25
    loaded = cp.Posterior.load(post.save(tmp_path / "p.npz"))
    np.testing.assert_array_equal(loaded.diagnostics["draw_chain"], chain)
    assert loaded.diagnostics["converged"] is True


def test_chains_are_extended_until_the_targets_are_met(data5):
    """A first round far too short for ESS 400 is extended in rounds (not stopped)."""
    post = PartitionMCMC(n_draws=40, n_chains=2, thin=1, burn_in=100, seed=0, quiet=True,
                         parameters=False).fit(data5).posterior_
    diag = post.diagnostics
    assert diag["n_rounds"] > 1 and diag["converged"] and diag["ess_log_score"] >= 400
    assert diag["n_iter"] > 100 + 20  # longer than the first round
    assert post.n_draws == 40
    history = diag["rounds"]
    assert len(history) == diag["n_rounds"] and history[-1]["ess_log_score"] >= 400


def test_a_run_that_cannot_converge_in_its_budget_warns(data5):
    sampler = PartitionMCMC(n_draws=20_000, max_seconds=0.01, seed=0, quiet=True,
                            parameters=False)
    with pytest.warns(ChainDisagreementWarning, match=r"did not converge.*max_seconds=\d+"):
        post = sampler.fit(data5).posterior_
    assert post.diagnostics["converged"] is False
    assert post.n_draws == 20_000  # draws still come back, from the latter half of the run
    assert np.isin(post.diagnostics["draw_chain"], [0, 1]).all()


def test_a_larger_budget_does_not_change_a_converged_run(data5):
    """Stopping at convergence, not at the budget: the seed alone decides the draws."""
    short = OrderMCMC(n_draws=200, seed=4, quiet=True, parameters=False, max_seconds=300)
    long = OrderMCMC(n_draws=200, seed=4, quiet=True, parameters=False, max_seconds=3000)
    np.testing.assert_array_equal(short.fit(data5).posterior_.adjacency,
                                  long.fit(data5).posterior_.adjacency)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("max_seconds", 0, "max_seconds must be a positive"),
    ("max_seconds", -5, "max_seconds must be a positive"),
    ("rhat_target", 0.9, "rhat_target must be >= 1"),
    ("disagreement_tol", 0.0, "disagreement_tol must be in"),
    ("disagreement_tol", 1.5, "disagreement_tol must be in"),
    ("ess_target", 0, "ess_target must be in"),
    ("ess_target", 1e9, "ess_target must be in"),
])
def test_bad_targets_raise(data5, option, value, message):
    with pytest.raises(CausalpostError, match=message):
        StructureMCMC(**{option: value}, quiet=True).fit(data5)
    with pytest.raises(CausalpostError, match=message):  # also where auto picks exact
        cp.fit(data5, sampler="auto", **{option: value})


@pytest.mark.parametrize(("flag", "value"), [("--max-seconds", "0"), ("--max-seconds", "-1"),
                                             ("--rhat-target", "0.5"),
                                             ("--disagreement-tol", "0")])
def test_cli_bad_targets_exit_2_with_one_line(csv_path, tmp_path, capsys, flag, value):
    code = main(["fit", str(csv_path), "--out", str(tmp_path / "p.npz"), "--quiet", flag, value])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and flag[2:].replace("-", "_") in err
    assert not (tmp_path / "p.npz").exists()


def test_auto_sampler_is_exact_up_to_five_nodes_then_order_mcmc(data5):
    assert [resolve_sampler("auto", d) for d in (1, 5, 6, 37)] == ["exact"] * 2 + ["order"] * 2
    assert cp.fit(data5, seed=0, quiet=True).exact  # the default is auto
    six = cp.from_pandas(chain_frame(100, seed=1).assign(F=np.arange(100.0) % 7))
    post = cp.fit(six, seed=0, quiet=True, n_draws=100, parameters=False, max_seconds=120)
    assert post.info["sampler"] == "order" and "converged" in post.diagnostics
    with pytest.raises(CausalpostError, match="n_nodes"):
        make_sampler("auto")


def test_cli_strict_exits_3_and_show_json_says_not_converged(csv_path, tmp_path, capsys):
    out = tmp_path / "p.npz"
    argv = ["fit", str(csv_path), "--out", str(out), "--sampler", "partition", "--n-draws",
            "20000", "--max-seconds", "0.01", "--quiet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChainDisagreementWarning)
        assert main([*argv, "--strict"]) == 3
        err = capsys.readouterr().err
        assert main(argv) == 0  # without --strict: the warning only
    next_command = re.search(r"next: (causalpost fit .*)", err).group(1)
    # twice the budget, at least 60 s: the same advice as the sampler's warning
    assert "--max-seconds 60" in next_command and next_command.count("--max-seconds") == 1
    capsys.readouterr()
    assert main(["show", str(out), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown["diagnostics"]) == SUMMARY
    assert shown["diagnostics"]["converged"] is False


def test_show_json_diagnostics_of_an_exact_posterior(csv_path, tmp_path, capsys):
    out = tmp_path / "p.npz"
    assert main(["fit", str(csv_path), "--out", str(out), "--quiet", "--strict"]) == 0
    capsys.readouterr()
    assert main(["show", str(out), "--json"]) == 0
    diag = json.loads(capsys.readouterr().out)["diagnostics"]
    assert diag["converged"] is True and diag["max_chain_disagreement"] == 0.0
    # an infinite ESS (exact weights) is JSON null: "Infinity" is not JSON
    assert diag["rhat_log_score"] == 1.0 and diag["ess_log_score"] is None


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for child processes")
@pytest.mark.parametrize(("sig", "code", "line"), [(signal.SIGTERM, 143, "terminated"),
                                                    (signal.SIGINT, 130, "interrupted")])
def test_a_signal_stops_a_fit_and_leaves_nothing_behind(tmp_path, sig, code, line):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12))
    x[:, 1:] += 0.5 * x[:, :-1]
    path = tmp_path / "d.csv"
    _write_csv(path, x)
    out = tmp_path / "p.npz"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, "fit", str(path), "--out", str(out), "--sampler",
         "partition", "--n-chains", "2", "--n-draws", "200000", "--max-seconds", "3000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        seen = b""
        while b"partition MCMC" not in seen:  # the chains are running
            chunk = proc.stderr.read1(4096)
            assert chunk, f"fit ended early: {seen.decode(errors='replace')}"
            seen += chunk
        assert _children(proc.pid) == set()  # chains are threads: no worker processes
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code
    assert err.decode().strip().splitlines()[-1] == f"causalpost: {line}"
    assert not out.exists()


# the command line as the console script runs it; SIGINT raises KeyboardInterrupt even when
# the test runs in a background job (where the shell starts children ignoring SIGINT)
CHILD = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
         "from causalpost_cli import main; sys.exit(main())")


def _write_csv(path: Path, x: np.ndarray) -> None:
    header = ",".join(f"X{i}" for i in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="")


def test_readme_python_snippet_runs_as_a_script(tmp_path):
    """Pasted into a script with no ``__main__`` guard, the README's example runs (chains
    are threads, nothing re-imports the script)."""
    text = (ROOT / "README.md").read_text()
    snippet = re.search(r"## Learn a posterior\s+```python\n(.*?)```", text, re.S).group(1)
    snippet = snippet.replace("n_draws=2000", "n_draws=200")  # the same code, less work
    (tmp_path / "datasets").symlink_to(ROOT / "datasets")
    script = tmp_path / "snippet.py"
    script.write_text("import matplotlib\nmatplotlib.use('Agg')\n" + textwrap.dedent(snippet))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "BrokenProcessPool" not in result.stderr
    assert (tmp_path / "post.npz").exists()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_defaults_at_16_nodes_match_the_exact_dp(seed):
    """``cp.fit`` defaults (auto: order MCMC, run until converged) on 16 linear-Gaussian
    nodes, n = 1000: edge marginals within 0.05 of the exact order-modular DP."""
    from causalpost import dp
    from causalpost.samplers._common import prepare_problem
    from causalpost.synthetic import linear_gaussian

    bench = linear_gaussian(16, 1000, seed=seed, noise_sd=1.0)
    post = cp.fit(bench.data, seed=seed, quiet=True, parameters=False)
    assert post.info["sampler"] == "order" and post.diagnostics["converged"]
    assert post.diagnostics["search_space"] == "full"
    table = prepare_problem(bench.data, None, None, None, None, None).table()
    exact = dp.order_modular_edge_probs(table)
    assert np.abs(post.diagnostics["edge_probs_rb"] - exact).max() < 0.05
    assert np.abs(post.edge_prob_matrix - exact).max() < 0.05


def test_auto_search_space_skips_pc_on_very_wide_continuous_tables():
    from causalpost.samplers._common import prepare_problem
    from causalpost.samplers._mcmc_base import AUTO_PCOR_NODES
    from causalpost.samplers.order_mcmc import OrderMCMC

    rng = np.random.default_rng(0)
    wide = cp.from_numpy(rng.normal(size=(40, AUTO_PCOR_NODES + 1)))
    narrow = cp.from_numpy(rng.normal(size=(40, 30)))
    sampler = OrderMCMC(quiet=True)
    space = {d.n_nodes: sampler._space(prepare_problem(d, None, None, None, None, None))
             for d in (wide, narrow)}
    assert space == {AUTO_PCOR_NODES + 1: "pcor", 30: "hybrid"}
