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

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from tqdm.auto import tqdm

from causalpost.errors import CausalpostError

__all__ = ["TaskError", "TaskLostError", "add_arguments", "check_n_jobs", "connect",
           "run_tasks"]


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
    names: Sequence[str] | None = None,
) -> list[Any]:
    """``[fn(task, shared) for task in tasks]``, in parallel, results in task order.

    Parameters
    ----------
    fn : callable
        A top-level function ``fn(task, shared)`` (picklable for processes / Dask).
    tasks : sequence
    shared : object, optional
        One large input every task reads; scattered once on a Dask cluster (pass a
        ``distributed.Future`` from ``client.scatter`` to scatter it once for many calls).
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
    names : sequence of str, optional
        What errors call each task (default ``"task i"``).

    Returns
    -------
    list

    Raises
    ------
    CausalpostError
        On bad options, a missing Dask install or an unreachable scheduler.
    TaskError
        A task raised (the message names it).
    TaskLostError
        A task's worker died more often than the cluster retries it, or the cluster
        failed (the message names the task when the cluster says which).

    Examples
    --------
    >>> run_tasks(pow, [1, 2, 3], shared=2, n_jobs=1)
    [1, 4, 9]
    """
    n_jobs = check_n_jobs(n_jobs)
    labels = [f"task {i}" for i in range(len(tasks))] if names is None else list(names)
    if len(labels) != len(tasks):
        raise CausalpostError(f"{len(labels)} names for {len(tasks)} tasks")
    if prefer not in ("processes", "threads"):
        raise CausalpostError(f"prefer must be 'processes' or 'threads'; got {prefer!r}")
    bar = tqdm(total=len(tasks), desc=desc, disable=quiet, leave=False)
    try:
        if scheduler is None and n_jobs == 1:
            out = []
            for i, task in enumerate(tasks):
                out.append(_call(fn, task, shared, labels[i]))
                bar.update()
            return out
        import joblib

        with ExitStack() as stack:
            if scheduler is not None:
                client = _client(scheduler, stack)
                if shared is not None and not _is_future(shared):  # once to every worker
                    shared = client.scatter(shared, broadcast=True)
                stack.enter_context(joblib.parallel_backend("dask", client=client))
                parallel = joblib.Parallel(return_as="generator")
            else:
                parallel = joblib.Parallel(n_jobs=n_jobs, prefer=prefer, return_as="generator")
            out = []
            try:
                for result in parallel(joblib.delayed(_Named(i))(fn, task, shared, labels[i])
                                       for i, task in enumerate(tasks)):
                    out.append(result)
                    bar.update()
            except CausalpostError:
                raise
            except Exception as exc:  # a worker or the cluster failed, not the task's code
                raise _lost(exc, labels, len(out), desc) from exc
        if len(out) != len(tasks):  # never a silently smaller result
            raise TaskLostError(f"{len(tasks) - len(out)} of {len(tasks)} {desc} were lost")
        return out
    finally:
        bar.close()


class TaskError(CausalpostError):
    """A task raised; the message names it."""


class TaskLostError(CausalpostError):
    """A task was lost with its worker (or the cluster failed); the message names it."""


class _Named:
    """:func:`_call` under the name ``task-i``: joblib's Dask backend puts the first
    function's name of a batch in the task key (``batch_of_task-3_1_calls-<uuid>``), so a
    task lost with its worker can be named."""

    def __init__(self, index: int) -> None:
        self.__name__ = f"task-{index}"

    def __call__(self, fn: Callable[..., Any], task: Any, shared: Any, label: str) -> Any:
        return _call(fn, task, shared, label)


def _call(fn: Callable[..., Any], task: Any, shared: Any, label: str) -> Any:
    try:
        return fn(task, shared)
    except CausalpostError:
        raise
    except Exception as exc:  # a worker's own failure: say which task was lost
        raise TaskError(f"{label} failed: {type(exc).__name__}: {exc}") from exc


def _lost(exc: Exception, labels: list[str], n_done: int, desc: str) -> TaskLostError:
    """The error for a failure outside the tasks' code, naming the lost task when known."""
    key = getattr(exc, "task", None) or getattr(exc, "key", None) or str(exc)
    found = re.search(r"batch_of_task-(\d+)_(\d+)_calls", str(key))
    if found:
        first, n = int(found.group(1)), int(found.group(2))
        which = labels[first] if n == 1 else f"{labels[first]} (and the {n - 1} after it)"
        if type(exc).__name__ == "KilledWorker":
            why = (f"the worker running it died, {exc.allowed_failures + 1} time(s) on "
                   "different workers")
        else:
            why = f"{type(exc).__name__} (a worker holding its input may have died)"
        return TaskLostError(f"{which} was lost: {why}; no partial result is kept")
    return TaskLostError(f"{desc} stopped after {n_done} of {len(labels)} tasks: "
                         f"{type(exc).__name__}: {exc}".rstrip(": "))


def _is_future(value: Any) -> bool:
    try:
        from distributed import Future
    except ImportError:
        return False
    return isinstance(value, Future)


@contextmanager
def connect(scheduler: Any) -> Iterator[Any]:
    """A ``dask.distributed.Client`` for ``scheduler`` (an address, opened and closed here,
    or a client, used as is), for several :func:`run_tasks` calls on one connection.

    Raises
    ------
    CausalpostError
        Without dask.distributed, for a bad address, or an unreachable scheduler.
    """
    with ExitStack() as stack:
        yield _client(scheduler, stack)


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
        return stack.enter_context(Client(scheduler, timeout="5s", set_as_default=False))
    except OSError as exc:
        raise CausalpostError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
