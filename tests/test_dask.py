"""Past one machine (issue 17): the same tasks on a Dask cluster give the same results.

A LocalCluster of 2 worker processes on the loopback interface stands in for a
real cluster; ``scheduler=`` takes its address exactly as it would a remote one.
(Workers that die: ``test_dask_workers.py``.)
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pytest

import causalpost as cp
import causalpost.parallel
from causalpost.errors import CausalpostError
from causalpost.parallel import run_tasks
from causalpost.samplers import _chains, _dask_chains
from causalpost_cli import main
from incentives import Design, audit, plan_experiments

distributed = pytest.importorskip("distributed")

SPEC = {"decisions": {"D": {"observes": [], "affects": ["X"]}},
        "utilities": {"U": {"parents": ["Y"]}}, "protected": ["X", "Z"], "kinds": ["ici"]}


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None)
        client = distributed.Client(local)
    yield local.scheduler_address
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.close()
        local.close()


@pytest.fixture(scope="module")
def data() -> cp.Dataset:
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = 0.8 * x + 0.6 * rng.normal(size=200)
    z = 0.5 * y + rng.normal(size=200)
    return cp.from_numpy(np.c_[x, y, z], ["X", "Y", "Z"])


@pytest.mark.filterwarnings("ignore")
def test_partition_chains_on_the_cluster_match_the_threads(cluster, chain_data, tmp_path,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(_chains, "CHUNK", 60)  # several spans a round ...
    monkeypatch.setattr(_dask_chains, "SLICE_SECONDS", 0.0)  # ... each span its own task
    calls = []
    real = causalpost.parallel.run_tasks

    def counted(fn, tasks, **kw):
        calls.append(len(tasks))
        return real(fn, tasks, **kw)

    monkeypatch.setattr(causalpost.parallel, "run_tasks", counted)
    opts = dict(sampler="partition", n_chains=4, n_draws=40, seed=7, quiet=True)
    local = cp.fit(chain_data, n_workers=2, **opts)
    assert calls == []  # threads by default
    remote = cp.fit(chain_data, scheduler=cluster, **opts)
    rounds = remote.diagnostics["n_rounds"]
    assert len(calls) > 1 + rounds and calls[0] == 4  # a start step, then steps of 4 chains
    local.save(tmp_path / "local.npz")
    remote.save(tmp_path / "remote.npz")
    assert (tmp_path / "local.npz").read_bytes() == (tmp_path / "remote.npz").read_bytes()
    assert remote.n_draws == 40 and remote.diagnostics["n_chains"] == 4
    np.testing.assert_array_equal(local.diagnostics["log_score_trace"],
                                  remote.diagnostics["log_score_trace"])


@pytest.mark.filterwarnings("ignore")
def test_structure_chains_on_the_cluster_match_the_threads(cluster, chain_data) -> None:
    opts = dict(sampler="mcmc", n_chains=3, n_draws=30, seed=2, quiet=True)
    local = cp.fit(chain_data, **opts)
    remote = cp.fit(chain_data, scheduler=cluster, **opts)
    np.testing.assert_array_equal(local.adjacency, remote.adjacency)
    assert local.diagnostics["acceptance_by_chain"] == remote.diagnostics["acceptance_by_chain"]


def test_bad_scheduler_for_chains(chain_data, tmp_path, capsys) -> None:
    with pytest.raises(CausalpostError, match="scheduler must be an address"):
        cp.fit(chain_data, sampler="partition", scheduler=8786, quiet=True)
    csv = tmp_path / "data.csv"
    chain_data.to_pandas().to_csv(csv, index=False)
    out = tmp_path / "post.npz"
    code = main(["fit", str(csv), "--out", str(out), "--sampler", "order", "--quiet",
                 "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists()
    assert len(err) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err[0]


def _square(task, shared):
    if task == 3:
        raise RuntimeError("worker lost its input")
    return task * task + shared


@pytest.mark.filterwarnings("ignore")
def test_bootstrap_audit_and_plan_match_the_local_run(cluster, data, tmp_path) -> None:
    local = cp.fit(data, sampler="bootstrap-pc", n_draws=8, seed=4, quiet=True)
    remote = cp.fit(data, sampler="bootstrap-pc", n_draws=8, seed=4, quiet=True,
                    scheduler=cluster)
    local.save(tmp_path / "local.npz")
    remote.save(tmp_path / "remote.npz")
    assert (tmp_path / "local.npz").read_bytes() == (tmp_path / "remote.npz").read_bytes()

    post = cp.fit(data, sampler="exact", quiet=True, seed=0)
    design = Design.from_json(SPEC)
    a = audit(post, design, n_quantitative=0, quiet=True)
    b = audit(post, design, n_quantitative=0, quiet=True, scheduler=cluster)
    assert json.dumps(a.to_json()["incentives"]) == json.dumps(b.to_json()["incentives"])

    p = plan_experiments(post, design, data, n_rows=20, n_sims=4, seed=2, quiet=True)
    q = plan_experiments(post, design, data, n_rows=20, n_sims=4, seed=2, quiet=True,
                         scheduler=cluster)
    assert p.to_json() == q.to_json()
    r = plan_experiments(post, design, data, n_rows=20, n_sims=4, seed=2, quiet=True, n_jobs=2)
    assert p.to_json() == r.to_json()


@pytest.mark.filterwarnings("ignore")
def test_a_failed_task_is_named_never_dropped(cluster) -> None:
    with pytest.raises(CausalpostError, match="task 3 failed: RuntimeError"):
        run_tasks(_square, list(range(6)), shared=1, scheduler=cluster)
    with pytest.raises(CausalpostError, match="chain 3 failed: RuntimeError"):
        run_tasks(_square, list(range(6)), shared=1, scheduler=cluster,
                  names=[f"chain {i}" for i in range(6)])
    with pytest.raises(CausalpostError, match="task 3 failed"):
        run_tasks(_square, list(range(6)), shared=1, n_jobs=2)
    assert run_tasks(_square, [0, 1, 2], shared=1, scheduler=cluster) == [1, 2, 5]


class _InterruptedBar:
    """A progress bar the user interrupts (Ctrl-C) when the first task finishes."""

    def update(self, n: int = 1) -> None:
        raise KeyboardInterrupt


@pytest.mark.filterwarnings("ignore")
def test_ctrl_c_cancels_the_tasks_left(cluster) -> None:
    from causalpost.parallel import _on_cluster

    with distributed.Client(cluster, set_as_default=False) as client:
        with pytest.raises(KeyboardInterrupt) as caught:  # its traceback holds the futures
            _on_cluster(client, _square, list(range(40, 80)), 1,
                        [f"task {i}" for i in range(40)], _InterruptedBar())

        def ours(dask_scheduler) -> list[str]:
            return [str(k) for k in dask_scheduler.tasks if str(k).startswith("causalpost-")]

        for _ in range(100):  # the scheduler forgets cancelled tasks soon (bounded wait)
            if not client.run_on_scheduler(ours):
                break
            time.sleep(0.1)
        assert client.run_on_scheduler(ours) == [] and caught.traceback


def test_bad_scheduler_and_n_jobs() -> None:
    with pytest.raises(CausalpostError, match="cannot reach the Dask scheduler"):
        run_tasks(_square, [0], shared=0, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(CausalpostError, match="n_jobs must be"):
        run_tasks(_square, [0], shared=0, n_jobs=0)
