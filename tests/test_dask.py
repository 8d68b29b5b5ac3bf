"""Past one machine (issue 17): the same tasks on a Dask cluster give the same results.

A LocalCluster of 2 worker processes on the loopback interface stands in for a
real cluster; ``scheduler=`` takes its address exactly as it would a remote one.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import causalpost as cp
from causalpost.errors import CausalpostError
from causalpost.parallel import run_tasks
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
    with pytest.raises(CausalpostError, match="task 3 failed"):
        run_tasks(_square, list(range(6)), shared=1, n_jobs=2)
    assert run_tasks(_square, [0, 1, 2], shared=1, scheduler=cluster) == [1, 2, 5]


def test_bad_scheduler_and_n_jobs() -> None:
    with pytest.raises(CausalpostError, match="cannot reach the Dask scheduler"):
        run_tasks(_square, [0], shared=0, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(CausalpostError, match="n_jobs must be"):
        run_tasks(_square, [0], shared=0, n_jobs=0)
