"""Independent tasks on local workers (joblib) or a Dask cluster.

The work causalpost parallelises is embarrassingly parallel (MCMC chains, audit
chunks of distinct graphs, simulated experiments per candidate, bootstrap
resamples). The ecosystem's convention is ``n_jobs`` through joblib, with a
distributed engine as a swap-in, so that is all this module does -- no
home-made scheduler:

* ``n_jobs`` workers on this machine (joblib's ``loky`` processes, or
  threads for work that releases the GIL);
* ``scheduler="tcp://HOST:8786"`` (or a ``dask.distributed.Client``): the same
  tasks on a Dask cluster, as futures of that client (the optional extra
  ``pip install -e ".[dask]"``). Not through joblib's ``dask`` backend: with
  joblib 1.6 / distributed 2026.8 it handed the tasks submitted after a worker
  had died the shared input's *future* instead of its value, and its task
  keys do not say which task a lost worker took with it. A large input all
  tasks read is passed once as ``shared`` and sent to the cluster once
  (:func:`share`), not with every task.

Results come back in task order, so a seeded computation gives the same
answer whatever the number of workers; the progress bar counts finished
tasks across all workers. A task that raises is reported by name (``"task
i"``, or the caller's ``names``, e.g. ``"chain 3"``), and so is one whose
worker died more often than the cluster reruns a task (Dask reschedules the
tasks of a lost worker on the others, ``distributed.scheduler.allowed-failures``
times, 3 by default) -- never a silently shorter result. On Ctrl-C or a
failure the tasks not yet finished are cancelled (a running task finishes its
own, short, work on its worker).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from tqdm.auto import tqdm

from causalpost.errors import CausalpostError

__all__ = ["TaskError", "TaskLostError", "add_arguments", "check_n_jobs", "connect",
           "run_tasks", "share"]


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
        One large input every task reads; sent once to a Dask cluster (pass the future
        :func:`share` returns to send it once for many calls).
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
        if scheduler is not None:
            with ExitStack() as stack:
                client = _client(scheduler, stack)
                if shared is not None and not _is_future(shared):  # once, not per task
                    shared = share(client, shared)
                return _on_cluster(client, fn, tasks, shared, labels, bar)
        if n_jobs == 1:
            out = []
            for i, task in enumerate(tasks):
                out.append(_call(fn, task, shared, labels[i]))
                bar.update()
            return out
        import joblib

        out = []
        parallel = joblib.Parallel(n_jobs=n_jobs, prefer=prefer, return_as="generator")
        try:
            for result in parallel(joblib.delayed(_call)(fn, task, shared, labels[i])
                                   for i, task in enumerate(tasks)):
                out.append(result)
                bar.update()
        except CausalpostError:
            raise
        except Exception as exc:  # a worker process died (joblib cannot say which task)
            raise TaskLostError(f"{desc} stopped after {len(out)} of {len(tasks)} tasks: a "
                                f"local worker failed ({type(exc).__name__}: {exc})") from exc
        if len(out) != len(tasks):  # never a silently smaller result
            raise TaskLostError(f"{len(tasks) - len(out)} of {len(tasks)} {desc} were lost")
        return out
    finally:
        bar.close()


class TaskError(CausalpostError):
    """A task raised; the message names it."""


class TaskLostError(CausalpostError):
    """A task was lost with its worker (or the cluster failed); the message names it."""


def _call(fn: Callable[..., Any], task: Any, shared: Any, label: str) -> Any:
    try:
        return fn(task, shared)
    except CausalpostError:
        raise
    except Exception as exc:  # a worker's own failure: say which task was lost
        raise TaskError(f"{label} failed: {type(exc).__name__}: {exc}") from exc


def _on_cluster(client: Any, fn: Callable[..., Any], tasks: Sequence[Any], shared: Any,
                labels: list[str], bar: Any) -> list[Any]:
    """The tasks as Dask futures, one key each, results in task order; on any failure or
    Ctrl-C the futures left are cancelled."""
    from distributed import as_completed

    token = uuid.uuid4().hex
    futures = [client.submit(_call, fn, task, shared, labels[i], pure=False,
                             key=f"causalpost-{i}-{token}") for i, task in enumerate(tasks)]
    index = {future.key: i for i, future in enumerate(futures)}
    out: list[Any] = [None] * len(tasks)
    try:
        for future in as_completed(futures, loop=client.loop):
            i = index[future.key]
            try:
                out[i] = future.result()
            except CausalpostError:
                raise
            except Exception as exc:  # not the task's code: its worker or the cluster
                raise _lost(exc, labels[i]) from exc
            bar.update()
    except BaseException:
        client.cancel(futures)
        raise
    return out


def _lost(exc: Exception, label: str) -> TaskLostError:
    """The error for a task lost outside its own code (a worker died, the cluster failed)."""
    if type(exc).__name__ == "KilledWorker":
        failures = exc.allowed_failures  # type: ignore[attr-defined]  # dask's KilledWorker
        why = (f"the worker running it died, {failures + 1} time(s) on "
               "different workers")
    else:
        why = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return TaskLostError(f"{label} was lost: {why}; no partial result is kept")


def share(client: Any, value: Any) -> Any:
    """``value`` on a Dask cluster, sent once, as a future the tasks of :func:`run_tasks`
    take as ``shared``.

    Not ``client.scatter``: scattered data has no recipe, and once Dask's memory manager
    has dropped the extra copies, a worker that dies takes the last one with it and every
    task that needs it is cancelled. A task that returns ``value`` is rerun instead.
    """
    return client.submit(_identity, value, pure=False)


def _identity(value: Any) -> Any:
    return value


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
