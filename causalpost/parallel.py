"""Independent tasks on local workers or a Dask cluster, through joblib.

The work causalpost parallelises is embarrassingly parallel (audit chunks of
distinct graphs, simulated experiments per candidate, bootstrap resamples). The
ecosystem's convention is ``n_jobs`` through joblib, with a distributed engine
as a swap-in backend, so that is all this module does -- no home-made
scheduler:

* ``n_jobs`` workers on this machine (joblib's ``loky`` processes, or
  threads for work that releases the GIL);
* ``scheduler="tcp://HOST:8786"`` (or a ``dask.distributed.Client``): the same
  tasks on a Dask cluster through joblib's ``dask`` backend (the optional
  extra ``pip install -e ".[dask]"``). Large shared inputs are passed once as
  ``shared`` and scattered to the workers, not shipped with every task.

Results come back in task order, so a seeded computation gives the same
answer whatever the number of workers; the progress bar counts finished
tasks across all workers; a task that fails (a worker that dies) is reported
with its index -- never a silently shorter result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from tqdm.auto import tqdm

from causalpost.errors import CausalpostError

__all__ = ["add_arguments", "check_n_jobs", "run_tasks"]


def add_arguments(parser: Any) -> None:
    """Add ``--n-jobs`` and ``--scheduler`` to an ``argparse`` (sub)parser."""
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="local workers (-1: every core); the result does not depend on it")
    parser.add_argument("--scheduler", metavar="tcp://HOST:8786",
                        help="run on a Dask cluster (pip install -e '.[dask]')")


def check_n_jobs(n_jobs: int | None) -> int:
    """Validate ``n_jobs``: a positive integer, or -1 for every core; None means 1."""
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, int) or isinstance(n_jobs, bool) or (n_jobs < 1 and n_jobs != -1):
        raise CausalpostError(f"n_jobs must be a positive integer or -1 (every core); got "
                              f"{n_jobs!r}")
    return n_jobs


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[Any],
    *,
    shared: Any = None,
    n_jobs: int | None = 1,
    scheduler: Any = None,
    prefer: str = "processes",
    desc: str = "tasks",
    quiet: bool = True,
) -> list[Any]:
    """``[fn(task, shared) for task in tasks]``, in parallel, results in task order.

    Parameters
    ----------
    fn : callable
        A top-level function ``fn(task, shared)`` (picklable for processes / Dask).
    tasks : sequence
    shared : object, optional
        One large input every task reads; scattered once on a Dask cluster.
    n_jobs : int, optional
        Local workers (-1: every core). 1 runs in this process.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://HOST:8786"``) or client: run there.
    prefer : {"processes", "threads"}
        Local workers' kind.
    desc : str
        Progress-bar label.
    quiet : bool
        No progress bar.

    Returns
    -------
    list

    Raises
    ------
    CausalpostError
        On bad options, a missing Dask install, or a task that failed (its index named).

    Examples
    --------
    >>> run_tasks(pow, [1, 2, 3], shared=2, n_jobs=1)
    [1, 4, 9]
    """
    n_jobs = check_n_jobs(n_jobs)
    if prefer not in ("processes", "threads"):
        raise CausalpostError(f"prefer must be 'processes' or 'threads'; got {prefer!r}")
    bar = tqdm(total=len(tasks), desc=desc, disable=quiet, leave=False)
    try:
        if scheduler is None and n_jobs == 1:
            out = []
            for i, task in enumerate(tasks):
                out.append(_call(fn, task, shared, i))
                bar.update()
            return out
        import joblib

        with ExitStack() as stack:
            if scheduler is not None:
                client = _client(scheduler, stack)
                if shared is not None:  # once to every worker, not with every task
                    shared = client.scatter(shared, broadcast=True)
                stack.enter_context(joblib.parallel_backend("dask"))
                parallel = joblib.Parallel(return_as="generator")
            else:
                parallel = joblib.Parallel(n_jobs=n_jobs, prefer=prefer, return_as="generator")
            out = []
            for result in parallel(joblib.delayed(_call)(fn, task, shared, i)
                                   for i, task in enumerate(tasks)):
                out.append(result)
                bar.update()
        if len(out) != len(tasks):  # never a silently smaller result
            raise CausalpostError(f"{len(tasks) - len(out)} of {len(tasks)} {desc} were lost")
        return out
    finally:
        bar.close()


class TaskError(CausalpostError):
    """A task raised; the message names its index."""


def _call(fn: Callable[..., Any], task: Any, shared: Any, index: int) -> Any:
    try:
        return fn(task, shared)
    except CausalpostError:
        raise
    except Exception as exc:  # a worker's own failure: say which task was lost
        raise TaskError(f"task {index} failed: {type(exc).__name__}: {exc}") from exc


def _client(scheduler: Any, stack: ExitStack) -> Any:
    try:
        from dask.distributed import Client
    except ImportError:
        raise CausalpostError("a Dask scheduler needs dask.distributed: "
                              "pip install -e \".[dask]\"") from None
    if isinstance(scheduler, Client):
        return scheduler
    if not isinstance(scheduler, str) or not scheduler:
        raise CausalpostError(f"scheduler must be an address like 'tcp://HOST:8786' or a "
                              f"dask.distributed.Client; got {scheduler!r}")
    try:
        return stack.enter_context(Client(scheduler, timeout="5s"))
    except OSError as exc:
        raise CausalpostError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
