"""One entry point for every sampler: :func:`fit`."""

from __future__ import annotations

import inspect
import os
from typing import Any

import numpy as np
import pandas as pd

from causalpost.data import Dataset
from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.posterior import Posterior
from causalpost.samplers import get_sampler
from causalpost.samplers._base import Sampler
from causalpost.samplers._common import as_dataset, prepare_problem
from causalpost.scores import GraphPrior, ScoreTable

__all__ = ["AUTO_EXACT_NODES", "AUTO_MCMC", "check_memory", "fit", "make_sampler", "score_table",
           "resolve_sampler"]

# sampler="auto": exact enumeration up to this many nodes (29,281 DAGs on 5: 0.06 s), else
# AUTO_MCMC, the MCMC sampler that mixed best in benchmarks/RESULTS_scale.md
AUTO_EXACT_NODES = 5
AUTO_MCMC = "order"


def resolve_sampler(sampler: str, n_nodes: int) -> str:
    """The sampler ``"auto"`` stands for on ``n_nodes`` nodes (other names unchanged).

    Examples
    --------
    >>> resolve_sampler("auto", 4), resolve_sampler("auto", 37), resolve_sampler("mcmc", 4)
    ('exact', 'order', 'mcmc')
    """
    if sampler != "auto":
        return sampler
    return "exact" if n_nodes <= AUTO_EXACT_NODES else AUTO_MCMC


def fit(
    data: Dataset | pd.DataFrame,
    *,
    sampler: str = "auto",
    score: str | None = None,
    score_options: dict[str, Any] | None = None,
    prior: GraphPrior | str | None = None,
    knowledge: BackgroundKnowledge | None = None,
    max_parents: int | None = None,
    n_draws: int | None = None,
    seed: int | np.random.Generator | None = None,
    quiet: bool = False,
    **sampler_options: Any,
) -> Posterior:
    """Learn a posterior over DAGs and their parameters from a data table.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
    sampler : str
        ``"auto"`` (default: ``"exact"`` enumeration up to 5 nodes, else ``"order"``
        MCMC, run until converged within ``max_seconds``; see :func:`resolve_sampler`),
        ``"exact"`` (<= 6 nodes) or another registered sampler (see
        ``causalpost.samplers.SAMPLERS``). With ``"auto"``, options the chosen
        sampler does not take (e.g. ``max_seconds`` for ``"exact"``) are ignored.
    score : {"bge", "bdeu"}, optional
        Default by data kind.
    score_options : dict, optional
        E.g. ``{"standardize": False}`` for BGe, ``{"ess": 10}`` for BDeu.
    prior : GraphPrior or {"uniform", "sparse", "erdos_renyi", "fair"}, optional
        Graph prior (:class:`~causalpost.scores.GraphPrior`); default ``"sparse"``
        (Erdos-Renyi, one expected edge per node; the uniform DAG prior up to 5 nodes).
    knowledge : BackgroundKnowledge, optional
        Forbidden / required edges and tiers, honoured by every sampler.
    max_parents : int, optional
    n_draws : int, optional
        Number of draws for Monte Carlo samplers (ignored by ``exact``).
    seed : int or numpy.random.Generator, optional
    quiet : bool
        Silence progress bars.
    **sampler_options
        Passed to the sampler's constructor, e.g. ``max_seconds``, ``n_chains``,
        ``rhat_target``, ``ess_target``, ``disagreement_tol`` for the MCMC samplers.

    Returns
    -------
    Posterior

    Examples
    --------
    >>> import numpy as np, causalpost as cp
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200); y = 2 * x + rng.normal(size=200)
    >>> post = cp.fit(cp.from_numpy(np.c_[x, y], ["X", "Y"]), seed=0)
    >>> bool(post.edge_probs.loc["X", "Y"] + post.edge_probs.loc["Y", "X"] > 0.99)
    True
    """
    data = as_dataset(data)  # the samplers' one conversion step, before any work
    if sampler != "exact":
        check_memory(n_draws, data)
    sampler_obj = make_sampler(
        sampler, n_nodes=data.n_nodes, score=score,
        score_options=score_options, prior=prior, knowledge=knowledge, max_parents=max_parents,
        n_draws=n_draws, seed=seed, quiet=quiet, **sampler_options)
    return sampler_obj.fit(data).posterior_


def score_table(
    data: Dataset | pd.DataFrame,
    *,
    score: str | None = None,
    score_options: dict[str, Any] | None = None,
    prior: GraphPrior | str | None = None,
    knowledge: BackgroundKnowledge | None = None,
    max_parents: int | None = None,
    candidates: list[np.ndarray] | None = None,
) -> ScoreTable:
    """The cached local-score table every sampler reads: each allowed parent set of each
    node with its log marginal likelihood plus log prior.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
    score : {"bge", "bdeu"}, optional
        Default by data kind.
    score_options, prior, knowledge, max_parents
        As :func:`fit`.
    candidates : list of numpy.ndarray, optional
        Per node, the candidate parents (global indices); default every node.

    Returns
    -------
    causalpost.scores.ScoreTable
        Input of the exact DP (:mod:`causalpost.dp`) and of every sampler.

    Raises
    ------
    CausalpostError, GraphTooLargeError
        On bad options, or a table over the size limit.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> from causalpost.dp import dag_modular_edge_probs
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = x + 0.5 * rng.normal(size=200)
    >>> table = score_table(from_numpy(np.c_[x, y], ["X", "Y"]))
    >>> [len(m) for m in table.masks]  # {} and the other node, per node
    [2, 2]
    >>> dag_modular_edge_probs(table).sum().round(6)
    np.float64(1.0)
    """
    problem = prepare_problem(data, score, score_options, prior, knowledge, max_parents)
    return problem.table(candidates)


def make_sampler(
    sampler: str = "auto",
    *,
    n_draws: int | None = None,
    n_nodes: int | None = None,
    **options: Any,
) -> Sampler:
    """An unfitted sampler by name, with its options checked (what :func:`fit` uses).

    Use it to keep the sampler object, e.g. to save a trained GFlowNet.

    Parameters
    ----------
    sampler : str
        A name registered in ``causalpost.samplers.SAMPLERS``, or ``"auto"``.
    n_draws : int, optional
        Passed on only to samplers that take it (``exact`` does not).
    n_nodes : int, optional
        Number of nodes of the data; needed for ``"auto"``.
    **options
        Constructor options (score, prior, knowledge, seed, quiet, ...).

    Raises
    ------
    CausalpostError
        For an unknown sampler, ``n_draws < 1``, an option the sampler does not take, or
        ``"auto"`` without ``n_nodes``.

    Examples
    --------
    >>> make_sampler("exact", seed=0)._posterior is None
    True
    >>> type(make_sampler("auto", n_nodes=12, max_seconds=60)).__name__
    'OrderMCMC'
    """
    auto = sampler == "auto"
    if auto:
        if n_nodes is None:
            raise CausalpostError("sampler='auto' needs the number of nodes (n_nodes)")
        sampler = resolve_sampler(sampler, n_nodes)
    cls = get_sampler(sampler)
    accepted = inspect.signature(cls).parameters
    if auto:
        _check_targets(options)  # checked even where the chosen sampler ignores them
        options = {k: v for k, v in options.items() if k in accepted}
    seed = options.get("seed")
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed < 0:
        raise CausalpostError(f"seed must be a non-negative integer, got {seed}")
    if n_draws is not None:
        if n_draws < 1:
            raise CausalpostError(f"n_draws must be >= 1, got {n_draws}")
        if "n_draws" in accepted:
            options["n_draws"] = n_draws
    unknown = sorted(k for k in options if k not in accepted)
    if unknown:
        raise CausalpostError(f"sampler {sampler!r} does not take option(s) {unknown}")
    return cls(**options)


def _check_targets(options: dict[str, Any]) -> None:
    from causalpost.samplers._chains import Targets

    names = {"rhat_target": "rhat", "disagreement_tol": "disagreement", "ess_target": "ess",
             "max_seconds": "max_seconds"}
    given = {names[k]: v for k, v in options.items() if k in names and v is not None}
    if given:
        Targets(**given).check()


def check_memory(n_draws: int | None, data: Dataset) -> None:
    """Refuse, before any work, a number of draws whose posterior cannot fit in memory.

    A draw keeps its ``(n_nodes, n_nodes)`` graph and about as many float64
    parameters; the check compares that with the machine's physical memory.

    Raises
    ------
    CausalpostError
        If ``n_draws`` draws would need more than the physical memory.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> check_memory(10**12, from_numpy(np.random.default_rng(0).normal(size=(20, 3))))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    causalpost.errors.CausalpostError: 1,000,000,000,000 draws of 3 nodes need about 137,000 GB ...
    """
    if n_draws is None:
        return
    d = data.n_nodes
    need = int(n_draws) * (9 * d * d + 16 * d + 8)
    try:
        have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: a 1 TB ceiling
        have = 2**40
    if need > have:
        raise CausalpostError(
            f"{int(n_draws):,} draws of {d} nodes need about {need / 1e9:,.0f} GB for the "
            f"posterior, more than this machine's {have / 1e9:,.0f} GB; ask for fewer draws")
