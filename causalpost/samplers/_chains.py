"""Running Markov chains in rounds until they converge, within a time budget.

Chains run in threads around the compiled (numba, ``nogil``) kernels, so a
fit needs no ``if __name__ == "__main__":`` guard, chain state stays in the
process between rounds, and a signal stops every chain within one chunk of
iterations.

A run is: burn-in (``burn_in`` iterations, annealed when asked), a first
sampling round (``thin * n_keep`` iterations), then, while the convergence
targets (:class:`Targets`) are not met and time is left, *extension rounds*
that double the sampling phase. Each chain records its state and log score
every ``every`` iterations (at most :data:`MIN_RECORDS`-ish per chain; the
spacing doubles as the chain grows). Diagnostics and draws come from the
*window*: the records after burn-in (first round) or the latter half of the
chain (after an extension, the classic "discard the first half"), so every
draw is a state of a chain run at its target. ``n_keep`` draws per chain are
taken evenly spaced from the window.

Each chain gets its own seed, spawned from the sampler's seed with
:meth:`numpy.random.SeedSequence.spawn`, and chains advance in lockstep
chunks whatever the number of worker threads: the results depend only on the
seed, except where ``max_seconds`` cuts a run short.

On a Dask cluster (``scheduler=``) the chains run as tasks instead, with the
same draws (:mod:`causalpost.samplers._dask_chains`). One chain's state and
records are :class:`~causalpost.samplers._chain_state.Chain`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from causalpost.errors import CausalpostError
from causalpost.samplers._chain_state import Chain, copy_state, stuck_chains

# Chain is re-exported for the MCMC base, which imports it from here
__all__ = ["Chain", "ChainPlan", "RunResult", "Targets", "annealed_chunks", "chain_seeds",
           "make_plan", "run_rounds", "stuck_chains"]

MIN_RECORDS = 1000  # records per chain the window holds (at least)
CHUNK = 20_000  # iterations per kernel call: the latency of a signal or the budget
MAX_ESS_TARGET = 100_000  # the chains keep about 4 * ess_target records


@dataclass(frozen=True)
class ChainPlan:
    """Iterations of one chain's first round: ``burn_in``, then ``thin * n_keep``."""

    n_keep: int
    burn_in: int
    thin: int

    @property
    def n_iter(self) -> int:
        """Iterations of the first round (burn-in included)."""
        return self.burn_in + self.thin * self.n_keep


@dataclass(frozen=True)
class Targets:
    """When chains count as converged, and how long they may run.

    Attributes
    ----------
    rhat : float
        Largest split-R-hat of the log score (>= 1).
    disagreement : float
        Largest difference between two chains' marginals of one edge, in (0, 1].
    ess : float
        Smallest effective sample size of the log score (> 0).
    max_seconds : float
        Budget of the whole fit in seconds (> 0).
    """

    rhat: float = 1.05
    disagreement: float = 0.1
    ess: float = 400.0
    max_seconds: float = 600.0

    def check(self) -> Targets:
        """The targets, or a clear error for impossible ones."""
        for name, value in (("rhat_target", self.rhat), ("disagreement_tol", self.disagreement),
                            ("ess_target", self.ess), ("max_seconds", self.max_seconds)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CausalpostError(f"{name} must be a number, got {value!r}")
        if not self.max_seconds > 0 or not np.isfinite(self.max_seconds):
            raise CausalpostError(f"max_seconds must be a positive number, got {self.max_seconds}")
        if not 1.0 <= self.rhat < np.inf:
            raise CausalpostError(f"rhat_target must be >= 1 (split-R-hat is never below "
                                  f"about 1), got {self.rhat}")
        if not 0 < self.disagreement <= 1:
            raise CausalpostError(f"disagreement_tol must be in (0, 1], got {self.disagreement}")
        if not 0 < self.ess <= MAX_ESS_TARGET:
            raise CausalpostError(f"ess_target must be in (0, {MAX_ESS_TARGET:,}], got "
                                  f"{self.ess}")
        return self


def make_plan(n_draws: int, n_chains: int, burn_in: int | None, thin: int | None,
              default_thin: int) -> ChainPlan:
    """Validate the chain options; per-chain draws are ``ceil(n_draws / n_chains)``.

    The default burn-in is as long as the first sampling round.
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


@dataclass
class RunResult:
    """The chains after a run, and where their window lies."""

    chains: list[Chain]
    window: tuple[int, int]  # iterations [start, end) the draws come from
    n_rounds: int
    completed_first_round: bool
    seconds: float
    history: list[dict]


def annealed_chunks(n_iter: int, burn_in: int, power: float,
                    chunk: int) -> Iterator[tuple[int, int, float]]:
    """``(t0, t1, beta)`` spans of a chain: while cooling (the first 80% of burn-in) the
    inverse temperature ``beta`` rises geometrically from ``power`` to 1 over 100 spans;
    afterwards, and always when ``power == 1``, spans of ``chunk`` iterations at 1."""
    cool = int(0.8 * burn_in) if power < 1 else 0
    step = max(1, min(chunk, cool // 100)) if cool else chunk
    t0 = 0
    while t0 < n_iter:
        span = step if t0 < cool else chunk
        t1 = min(t0 + span, n_iter)
        yield t0, t1, (power ** (1 - t0 / cool) if t0 < cool else 1.0)
        t0 = t1


def _first_spans(plan: ChainPlan, anneal: float) -> list[tuple[int, float]]:
    return [(t1 - t0, beta) for t0, t1, beta in annealed_chunks(plan.n_iter, plan.burn_in,
                                                                anneal, CHUNK)]


def _spans(n_iter: int) -> list[tuple[int, float]]:
    return [(min(CHUNK, n_iter - t0), 1.0) for t0 in range(0, n_iter, CHUNK)]


def run_rounds(
    chains: list[Chain],
    plan: ChainPlan,
    targets: Targets,
    check: Callable[[list[Chain], tuple[int, int]], dict],
    *,
    anneal: float = 1.0,
    deadline: float | None = None,
    extend: bool = True,
    n_workers: int | None = None,
    scheduler: Any = None,
    quiet: bool = False,
    label: str = "MCMC",
) -> RunResult:
    """Run the chains in rounds until ``check`` says they converged or time is up.

    Parameters
    ----------
    chains : list of Chain
    plan : ChainPlan
        The first round.
    targets : Targets
    check : callable
        ``check(chains, window) -> dict`` with at least ``"converged"`` (bool),
        ``"rhat_log_score"``, ``"max_chain_disagreement"``, ``"ess_log_score"``.
    anneal : float
        Starting power of annealed burn-in (1: none).
    deadline : float, optional
        ``time.monotonic()`` value at which the chains stop; default from
        ``targets.max_seconds``.
    extend : bool
        Run extension rounds (False: the first round only).
    n_workers : int, optional
        Threads (default ``min(n_chains, cpu_count)``); results do not depend on it.
    scheduler : str or dask.distributed.Client, optional
        Run the chains as tasks on this Dask cluster instead of in threads (same draws).
    quiet : bool
    label : str

    Raises
    ------
    CausalpostError
        For a bad ``n_workers`` or ``scheduler``; ``TaskLostError`` naming the chain whose
        worker died more often than the cluster retries a task.
    """
    import os

    begin = time.monotonic()
    deadline = begin + targets.max_seconds if deadline is None else deadline
    n_chains = len(chains)
    n_workers = min(n_chains, os.cpu_count() or 1) if n_workers is None else n_workers
    if n_workers < 1:
        raise CausalpostError(f"n_workers must be >= 1, got {n_workers}")
    n_workers = min(n_workers, n_chains)
    cap = 2 * max(MIN_RECORDS, 2 * plan.n_keep, int(np.ceil(2 * targets.ess / n_chains)))
    every = max(1, min(plan.thin, -(-plan.n_iter // cap)))
    for chain in chains:
        chain.every = every
    history: list[dict] = []
    stack = ExitStack()
    if scheduler is None:
        runner: Any = _Runner(chains, n_workers, deadline)
    else:
        from causalpost.samplers._dask_chains import DaskRunner

        runner = DaskRunner(chains, scheduler, deadline, label, stack)
    if not quiet and scheduler is None and needs_compiling(chains[0].kernels):
        print(f"{label}: compiling (first run only; numba caches the kernels on disk)",
              file=sys.stderr, flush=True)
    with stack, tqdm(total=n_chains * plan.n_iter, desc=label, disable=quiet, unit="it",
                     mininterval=0.5, dynamic_ncols=True) as bar:
        runner.bar = bar
        unstarted = set(vars(chains[0]))  # what start() adds is the Markov state
        runner.run(_start, [])
        runner.run(None, _first_spans(plan, anneal), at_least=1)  # some records, always
        window = (plan.burn_in, min(c.t for c in chains))
        first_done = window[1] >= plan.n_iter
        n_rounds = 1
        floor = 0  # records before a restart are not the chains' draws
        while True:
            if not first_done:  # cut inside the first round: not converged
                end = window[1]
                window = (plan.burn_in if end > plan.burn_in else end // 2, end)
            diag = check(chains, window)
            diag["converged"] = bool(diag["converged"] and first_done)
            history.append({k: diag[k] for k in ("rhat_log_score", "max_chain_disagreement",
                                                 "ess_log_score")} | {"n_iter": window[1]})
            bar.set_postfix_str(_postfix(diag), refresh=True)
            if diag["converged"] or not extend or not first_done or runner.out_of_time():
                break
            total = window[1]
            stuck = stuck_chains([c.rec_score[c.window(*window)] for c in chains])
            for lost, kept, _ in stuck:  # a chain trapped far below another: restarted
                copy_state(chains[kept], chains[lost], unstarted)
                floor = total
            if stuck:
                history[-1]["restarted"] = [{"chain": lost, "from": kept, "gap": round(gap, 1)}
                                            for lost, kept, gap in stuck]
            n_more = total - plan.burn_in
            new_start = max(plan.burn_in, (total + n_more) // 2, floor)
            for chain in chains:
                chain.compact(new_start, n_more, cap)
            bar.total += n_chains * n_more
            runner.run(None, _spans(n_more))
            end = min(c.t for c in chains)
            n_rounds += 1
            window = (max(plan.burn_in, end // 2, floor), end)
            if end < total + n_more:  # the budget ran out inside the round
                diag = check(chains, window)
                diag["converged"] = False
                history.append({k: diag[k] for k in ("rhat_log_score", "max_chain_disagreement",
                                                     "ess_log_score")} | {"n_iter": end})
                bar.set_postfix_str(_postfix(diag), refresh=True)
                break
    return RunResult(chains, window, n_rounds, first_done, time.monotonic() - begin, history)


def _start(chain: Chain) -> None:
    chain.start()


def needs_compiling(kernels) -> bool:
    """Whether a numba kernel is neither compiled in this process nor in its disk cache
    (an index for the current source; a stale one counts as missing)."""
    for kernel in kernels:
        if getattr(kernel, "signatures", None):
            continue
        try:
            if not kernel._cache._cache_file._load_index():
                return True
        except Exception:  # numba internals moved: say nothing rather than something wrong
            return False
    return False


def _postfix(diag: dict) -> str:
    gap = diag.get("max_chain_disagreement", 0.0)
    return (f"R-hat {diag['rhat_log_score']:.3f}, gap {gap:.2f}, "
            f"ESS {diag['ess_log_score']:.0f}")


class _Runner:
    """Chains advanced in lockstep spans by ``n_workers`` threads (each owns some chains)."""

    def __init__(self, chains: list[Chain], n_workers: int, deadline: float) -> None:
        self.chains = chains
        self.n_workers = n_workers
        self.deadline = deadline
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.bar: Any = None  # the progress bar, set by run_rounds

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def _work(self, owned: list[Chain], action, spans: list[tuple[int, float]],
              at_least: int) -> None:
        if action is not None:
            for chain in owned:
                if self.stop.is_set():
                    return
                action(chain)
            return
        for k, (n_iter, beta) in enumerate(spans):
            if self.stop.is_set() or (k >= at_least and self.out_of_time()):
                return
            for chain in owned:
                chain.run(n_iter, beta)
            with self.lock:
                self.bar.update(n_iter * len(owned))

    def run(self, action, spans: list[tuple[int, float]], at_least: int = 0) -> None:
        """Apply ``action`` to every chain, or advance every chain through ``spans`` (the
        first ``at_least`` of them whatever the time)."""
        groups = [self.chains[k::self.n_workers] for k in range(self.n_workers)]
        if self.n_workers == 1:
            try:
                self._work(groups[0], action, spans, at_least)
            except BaseException:
                self.stop.set()
                raise
            return
        pool = ThreadPoolExecutor(max_workers=self.n_workers, thread_name_prefix="chain")
        futures = [pool.submit(self._work, g, action, spans, at_least) for g in groups]
        try:
            pending: Collection[Future[None]] = futures
            while pending:  # short waits: the main thread stays responsive to signals
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                if any(f.exception() is not None for f in done):
                    break
        except BaseException:
            self.stop.set()
            raise
        finally:
            if any(f.done() and f.exception() is not None for f in futures):
                self.stop.set()
            pool.shutdown(wait=True)
        for future in futures:
            future.result()


def evenly(n_have: int, n_want: int) -> np.ndarray:
    """``n_want`` indices evenly spaced over ``range(n_have)`` (repeats when too few)."""
    if n_have == 0:
        raise CausalpostError("the chains recorded no state before the time budget ran out; "
                              "raise max_seconds")
    return np.round(np.linspace(0, n_have - 1, n_want)).astype(np.int64)
