"""Markov chains as tasks on a Dask cluster, with the draws of the threads.

:func:`causalpost.samplers._chains.run_rounds` with ``scheduler=`` runs its chains
here, through :func:`causalpost.parallel.run_tasks`. The unstarted chain with its
payload (the score table's arrays) but without records is sent once to the cluster as
a *template* (:func:`causalpost.parallel.share`). Each task takes one chain's state
(:meth:`~causalpost.samplers._chain_state.Chain.snapshot`: its generator's bit-generator
state, iteration count, move counts and Markov state), advances it through the
round's spans for about :data:`SLICE_SECONDS`, and returns the new state and the new
records, which the driver appends. A chain's trajectory depends only on its
generator and the sequence of spans, not on where or in how many pieces it runs, so
the draws are those of the threads, byte for byte. Convergence is checked between
rounds on the driver. Short tasks keep Ctrl-C prompt; a task whose worker dies is
rerun by Dask from the same state, or the fit fails naming the chain.
"""

from __future__ import annotations

import copy
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from causalpost.samplers._chain_state import Chain

__all__ = ["SLICE_SECONDS", "DaskRunner"]

SLICE_SECONDS = 5.0  # a task's work (then one more span at most)


class DaskRunner:
    """Chains advanced as tasks on a Dask cluster (see the module docstring): the same
    ``run`` as the threads' runner, one task per chain and slice of a call's spans."""

    def __init__(self, chains: list[Chain], scheduler: Any, deadline: float, label: str,
                 stack: ExitStack) -> None:
        from causalpost.parallel import connect, share

        self.chains = chains
        self.deadline = deadline
        self.label = label
        self.bar: Any = None  # the progress bar, set by run_rounds
        self.shared_names = set(vars(chains[0]))  # an unstarted chain's: not its state
        self.client = stack.enter_context(connect(scheduler))
        self.template = share(self.client, _Template(chains[0].template(), self.shared_names))

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def run(self, action, spans: list[tuple[int, float]], at_least: int = 0) -> None:
        """Start every chain (``action`` not None) or advance every chain through
        ``spans``, the first ``at_least`` of them whatever the time."""
        from causalpost.parallel import run_tasks

        pos = [0] * len(self.chains)
        start = action is not None
        while True:
            todo = [i for i, p in enumerate(pos) if start or p < len(spans)]
            if not todo or (not start and self.out_of_time()
                            and all(pos[i] >= at_least for i in todo)):
                return
            seconds = self.deadline - time.monotonic()
            tasks = [(self.chains[i].snapshot(self.shared_names), spans[pos[i]:],
                      max(0, at_least - pos[i]), seconds, SLICE_SECONDS, start) for i in todo]
            results = run_tasks(_advance_task, tasks, shared=self.template,
                                scheduler=self.client, desc=f"{self.label} chains",
                                names=[f"chain {i}" for i in todo])
            for i, (state, records, n_done) in zip(todo, results):
                self.chains[i].restore(state)
                self.chains[i].append(records)
                self.bar.update(sum(n for n, _ in spans[pos[i]:pos[i] + n_done]))
                pos[i] += n_done
            if start and not spans:
                return
            start = False


@dataclass(frozen=True)
class _Template:
    """What every chain task shares."""

    chain: Chain
    shared_names: set[str]


def _advance_task(task: tuple, shared: _Template):
    """On a worker: a chain restored from its state, (started and) advanced through the
    spans for about ``slice_seconds`` (at least one span) or until ``seconds`` (the budget
    left) pass -- the first ``at_least`` spans whatever the time; returns its new state, its
    new records and the number of spans run."""
    state, spans, at_least, seconds, slice_seconds, start = task
    shared_names = shared.shared_names
    chain = copy.copy(shared.chain)
    chain.restore(state)
    begin = time.monotonic()
    if start:
        chain.start()
    n_done = 0
    for n_iter, beta in spans:
        elapsed = time.monotonic() - begin
        if n_done >= at_least and (elapsed >= seconds or (n_done and elapsed >= slice_seconds)):
            break
        chain.run(n_iter, beta)
        n_done += 1
    return chain.snapshot(shared_names), (chain.rec_t, chain.rec_score, chain.rec_state), n_done
