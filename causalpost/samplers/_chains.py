"""Running several Markov chains, in worker processes when there are more than one.

Each chain gets its own seed, spawned from the sampler's seed with
:meth:`numpy.random.SeedSequence.spawn`, so a chain's draws depend only on
the seed and its index: the results are identical whatever the number of
workers. A chain function is a top-level (spawn-safe) callable
``fn(payload, seed_sequence, plan, progress) -> ChainResult``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from causalpost.errors import CausalpostError

__all__ = ["ChainPlan", "ChainResult", "chain_seeds", "make_plan", "run_chains"]


@dataclass(frozen=True)
class ChainPlan:
    """Iterations of one chain: ``burn_in`` discarded, then one draw every ``thin``."""

    n_keep: int
    burn_in: int
    thin: int

    @property
    def n_iter(self) -> int:
        """Total iterations."""
        return self.burn_in + self.thin * self.n_keep

    def keep(self, t: int) -> bool:
        """Whether iteration ``t`` (0-based) is recorded as a draw."""
        return t >= self.burn_in and (t - self.burn_in + 1) % self.thin == 0

    def trace(self, t: int) -> bool:
        """Whether the log score of iteration ``t`` goes to the trace (every ``thin``)."""
        return (t + 1) % self.thin == 0


@dataclass
class ChainResult:
    """What a chain returns."""

    draws: np.ndarray  # (n_keep, d, d) uint8
    trace: np.ndarray  # (n_iter // thin,) log score every thin iterations
    proposed: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def make_plan(n_draws: int, n_chains: int, burn_in: int | None, thin: int | None,
              default_thin: int) -> ChainPlan:
    """Validate the chain options; per-chain draws are ``ceil(n_draws / n_chains)``.

    The default burn-in is as long as the sampling phase.
    """
    if n_draws < 1:
        raise CausalpostError(f"n_draws must be >= 1, got {n_draws}")
    if n_chains < 1:
        raise CausalpostError(f"n_chains must be >= 1, got {n_chains}")
    thin = default_thin if thin is None else thin
    if thin < 1:
        raise CausalpostError(f"thin must be >= 1, got {thin}")
    n_keep = -(-n_draws // n_chains)
    burn_in = thin * n_keep if burn_in is None else burn_in
    if burn_in < 0:
        raise CausalpostError(f"burn_in must be >= 0, got {burn_in}")
    return ChainPlan(n_keep, burn_in, thin)


def chain_seeds(seed, n_chains: int) -> tuple[list[np.random.SeedSequence], np.random.Generator]:
    """One seed sequence per chain and a generator for everything else (parameter draws)."""
    if isinstance(seed, np.random.Generator):
        root = np.random.SeedSequence(int(seed.integers(2**63)))
    else:
        root = np.random.SeedSequence(seed)
    children = root.spawn(n_chains + 1)
    return children[:n_chains], np.random.default_rng(children[n_chains])


def run_chains(
    fn: Callable,
    payload,
    seeds: list[np.random.SeedSequence],
    plan: ChainPlan,
    *,
    n_workers: int | None = None,
    quiet: bool = False,
    label: str = "MCMC",
) -> list[ChainResult]:
    """Run one chain per seed, in ``n_workers`` spawned processes when more than one."""
    n_chains = len(seeds)
    if n_workers is None:
        n_workers = min(n_chains, os.cpu_count() or 1)
    if n_workers < 1:
        raise CausalpostError(f"n_workers must be >= 1, got {n_workers}")
    n_workers = min(n_workers, n_chains)
    if n_workers == 1:
        results = []
        with tqdm(total=n_chains * plan.n_iter, desc=label, disable=quiet, unit="it",
                  mininterval=0.5) as bar:
            for seed in seeds:
                results.append(fn(payload, seed, plan, bar.update))
        return results
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
        futures = [pool.submit(fn, payload, seed, plan, None) for seed in seeds]
        with tqdm(total=n_chains, desc=f"{label} ({n_workers} workers)", disable=quiet,
                  unit="chain") as bar:
            results = []
            for future in futures:
                results.append(future.result())
                bar.update(1)
    return results


def progress_every(progress: Callable | None, t: int, total: int, step: int = 2000) -> None:
    """Report iterations to the bar every ``step`` iterations, and the rest at the end."""
    if progress is None:
        return
    if (t + 1) % step == 0:
        progress(step)
    elif t + 1 == total:
        progress(total % step)
