"""A Dask worker that dies mid-fit (issue 17): the fit completes on the other worker with the
same draws, or fails naming the lost chain, and never leaves a partial posterior file.

The chain below kills its own worker process the first time any chain of the fit advances
(a marker file created atomically decides which task), so the death is deterministic, not
timed. Dask reschedules the task of a lost worker on another one up to
``allowed_failures`` times; the test sets that number on the in-process scheduler.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass

import pytest

from causalpost.errors import CausalpostError
from causalpost.samplers import SAMPLERS
from causalpost.samplers._numba_partition import LevelChain
from causalpost.samplers.partition_mcmc import PartitionMCMC
from causalpost_cli import main

distributed = pytest.importorskip("distributed")

OPTS = dict(n_chains=4, n_draws=40, seed=11, quiet=True)


class _DyingChain(LevelChain):
    """A partition chain whose first advance of the fit (the first task to create
    ``marker``) kills the worker process running it."""

    marker = ""

    def _advance(self, n_iter, beta, states, scores) -> int:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return super()._advance(n_iter, beta, states, scores)
        os._exit(13)  # the worker dies mid-task, as on a lost machine


@dataclass(kw_only=True, eq=False, repr=False)
class _DyingPartition(PartitionMCMC):
    """Partition MCMC whose chains are :class:`_DyingChain` (the marker in the environment
    variable ``DYING_MARKER``, read here, in the driver)."""

    def _make_chains(self, payload, seeds):
        chains = super()._make_chains(payload, seeds)
        for chain in chains:
            chain.__class__ = _DyingChain
            chain.marker = os.environ["DYING_MARKER"]
        return chains


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None,
                                         silence_logs=logging.CRITICAL)
    yield local
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local.close()


@pytest.fixture
def dying(tmp_path, monkeypatch):
    marker = tmp_path / "died"
    monkeypatch.setenv("DYING_MARKER", str(marker))
    return marker


@pytest.mark.filterwarnings("ignore")
def test_a_lost_worker_is_retried_and_the_draws_are_unchanged(cluster, chain_data, dying,
                                                              tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(cluster.scheduler, "allowed_failures", 3)
    remote = _DyingPartition(scheduler=cluster.scheduler_address, **OPTS).fit(chain_data)
    assert dying.exists()  # a worker did die
    local = PartitionMCMC(**OPTS).fit(chain_data)
    local.posterior_.save(tmp_path / "local.npz")
    remote.posterior_.save(tmp_path / "remote.npz")
    assert (tmp_path / "local.npz").read_bytes() == (tmp_path / "remote.npz").read_bytes()


@pytest.mark.filterwarnings("ignore")
def test_a_chain_lost_for_good_fails_naming_it_and_writes_nothing(cluster, chain_data, dying,
                                                                  tmp_path, monkeypatch,
                                                                  capsys) -> None:
    monkeypatch.setattr(cluster.scheduler, "allowed_failures", 0)  # no second try
    with pytest.raises(CausalpostError, match=r"chain [0-3] was lost: the worker running it "
                                              r"died, 1 time\(s\)"):
        _DyingPartition(scheduler=cluster.scheduler_address, **OPTS).fit(chain_data)

    csv = tmp_path / "data.csv"
    chain_data.to_pandas().to_csv(csv, index=False)
    out = tmp_path / "post.npz"
    previous = b"the previous posterior"
    out.write_bytes(previous)
    dying.unlink()
    monkeypatch.setitem(SAMPLERS, "partition", (__name__, "_DyingPartition"))
    code = main(["fit", str(csv), "--out", str(out), "--sampler", "partition", "--n-chains",
                 "4", "--n-draws", "40", "--quiet", "--scheduler", cluster.scheduler_address])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "was lost" in err[0], err
    assert out.read_bytes() == previous  # the previous file intact, no partial one beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "died", "post.npz"]
