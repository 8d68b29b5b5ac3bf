"""Bootstrap PC and GES: the frequentist baseline posterior.

Each draw resamples the rows with replacement, learns an equivalence class
with causal-learn's PC (Fisher-z / G-squared tests) or GES (BIC / BDeu
score), and extends it to one DAG whose undirected edges are oriented at
random but consistently (no new v-structure, no cycle; see
:func:`causalpost._causallearn.extend_pdag`). The draws, equally weighted,
form a :class:`~causalpost.posterior.Posterior` (Friedman, Goldszmidt &
Wyner's bootstrap "confidence" in features). Conjugate parameters are then
drawn for each DAG from their posterior given the *full* data, not the
resample.

Background knowledge is passed to PC; for both it is enforced on every DAG
(forbidden orientations reversed or dropped, required edges added), so every
draw is acyclic and honours it. ``max_parents`` is GES's ``maxP``; a node
that still has more parents keeps its best-scoring ones under the chosen
Bayesian score (required parents always kept).

References
----------
Friedman, N., Goldszmidt, M. & Wyner, A. (1999). Data analysis with Bayesian
networks: a bootstrap approach. UAI 1999.
https://doi.org/10.48550/arXiv.1301.6695

Spirtes, P., Glymour, C. & Scheines, R. (2000). Causation, Prediction, and
Search (2nd ed.). MIT Press. https://doi.org/10.7551/mitpress/1754.001.0001

Chickering, D. M. (2002). Optimal structure identification with greedy
search. JMLR 3, 507-554. https://doi.org/10.1162/153244303321897717
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from causalpost._causallearn import extend_pdag, run_ges, run_pc
from causalpost.data import Dataset
from causalpost.diagnostics import Diagnostics
from causalpost.errors import CausalpostError
from causalpost.parallel import run_tasks
from causalpost.posterior import Posterior
from causalpost.samplers._base import Sampler, documented, in_range, integer, param
from causalpost.samplers._common import Problem, make_posterior, prepare_problem

__all__ = ["BootstrapGES", "BootstrapPC"]

_MAX_TRIES = 10


def _check_test(name: str, value: Any) -> None:
    if value not in (None, "fisherz", "chisq", "gsq"):
        raise CausalpostError(f"unknown PC {name} {value!r}; use 'fisherz', 'chisq' or 'gsq'")


@dataclass(kw_only=True, eq=False, repr=False)
class _Bootstrap(Sampler):
    """Shared driver: resample, learn a PDAG, extend it, collect the draws.

    Subclasses define ``_task(problem)``: the learner and its options, passed
    to :func:`_draw` (a top-level function, so worker processes can run it).
    """

    name = "bootstrap"

    n_draws: int = param(100, "Number of bootstrap resamples (= draws).", kind="int",
                         check=integer(1))
    n_workers: int = param(
        1, "Worker processes for the resamples. Each resample draws from its own generator "
        "spawned from ``seed``, so the draws are the same for any number of workers.",
        kind="int", check=integer(1))
    scheduler: object = param(
        None, 'Run the resamples on a Dask cluster (``"tcp://HOST:8786"``) instead; the same '
        "draws as locally.", kind="str or dask.distributed.Client, optional")

    def _fit(self, data: Dataset, begin: float) -> Posterior:
        """Run the learner on ``n_draws`` bootstrap resamples of ``data``."""
        if data.kind == "mixed":
            raise CausalpostError(f"{self.name} needs all-continuous or all-discrete data")
        if getattr(data, "is_interventional", False):
            raise CausalpostError(
                f"{self.name} (causal-learn's PC / GES) cannot use interventional rows; use a "
                "Bayesian sampler (exact, mcmc, order, partition, gfn), or drop the "
                "intervention column and the intervened rows")
        problem = prepare_problem(data, self.score, self.score_options, self.prior,
                                  self.knowledge, self.max_parents)
        rng = np.random.default_rng(self.seed)
        shared = (self._task(problem), np.asarray(data.values), data.kind, problem.forbidden,
                  problem.required)
        streams = rng.spawn(self.n_draws)  # draw s depends only on the seed and s
        draws = np.zeros((self.n_draws, data.n_nodes, data.n_nodes), dtype=np.uint8)
        # joblib's loky workers (no __main__ guard needed) or a Dask cluster: same draws
        results = run_tasks(_draw_task, streams, shared=shared,
                            n_jobs=min(int(self.n_workers), self.n_draws),
                            scheduler=self.scheduler, desc=self.name, quiet=self.quiet)
        for s, dag in enumerate(results):
            draws[s] = _cap_parents(dag, problem)
        return make_posterior(problem, draws, None, rng, sampler=self.name,
                              parameters=self.parameters, diagnostics=self._diagnostics())

    def _task(self, problem: Problem) -> tuple[Any, ...]:
        raise NotImplementedError  # pragma: no cover

    def _diagnostics(self) -> Diagnostics:
        return Diagnostics(n_resamples=int(self.n_draws))


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class BootstrapPC(_Bootstrap):
    """PC on bootstrap resamples, one random consistent DAG per resample.

    The Bayesian ``score`` (default BGe / BDeu by data kind) gives the conjugate
    parameter posterior, given the full data, attached to each draw, and ranks
    parents when ``max_parents`` caps them; ``knowledge`` is given to PC and
    enforced on every draw.

    Attributes
    ----------
    posterior_ : Posterior

    Raises
    ------
    CausalpostError
        From ``fit``, for mixed or interventional data, or a learner that fails on ten
        resamples in a row.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300); y = x + 0.5 * rng.normal(size=300)
    >>> z = y + 0.5 * rng.normal(size=300)
    >>> data = from_numpy(np.c_[x, y, z], ["X", "Y", "Z"])
    >>> post = BootstrapPC(n_draws=10, seed=0, quiet=True).fit(data).posterior_
    >>> post.n_draws, round(float(post.edge_probs.loc["X", "Y"] + post.edge_probs.loc["Y", "X"]), 6)
    (10, 1.0)
    """

    name = "bootstrap-pc"

    alpha: float = param(0.05, "Significance level of PC's conditional-independence tests.",
                         kind="float", check=in_range(0, 1, "()"))
    test: str | None = param(
        None, "PC's test; default Fisher's z for continuous data, G-squared for discrete.",
        kind='{"fisherz", "chisq", "gsq"}, optional', check=_check_test)

    def _task(self, problem: Problem) -> tuple[Any, ...]:
        return ("pc", self.alpha, self.test)

    def _diagnostics(self) -> Diagnostics:
        return Diagnostics(n_resamples=int(self.n_draws), alpha=float(self.alpha))


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class BootstrapGES(_Bootstrap):
    """GES on bootstrap resamples, one random consistent DAG per resample.

    GES scores with BIC (continuous) or BDeu (discrete; its equivalent
    sample size is ``score_options["ess"]`` when given); ``knowledge`` is
    enforced on the draws only (causal-learn's GES takes none). The Bayesian
    ``score`` gives the parameter draws, as for :class:`BootstrapPC`.

    Attributes
    ----------
    posterior_ : Posterior

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300); y = x + 0.5 * rng.normal(size=300)
    >>> post = BootstrapGES(n_draws=5, seed=0, quiet=True).fit(
    ...     from_numpy(np.c_[x, y], ["X", "Y"])).posterior_
    >>> round(float(post.edge_probs.loc["X", "Y"] + post.edge_probs.loc["Y", "X"]), 6)
    1.0
    """

    name = "bootstrap-ges"

    def _task(self, problem: Problem) -> tuple[Any, ...]:
        ess = (self.score_options or {}).get("ess")
        cap = problem.max_parents if self.max_parents is not None else None
        return ("ges", cap, ess)


def _cap_parents(dag: np.ndarray, problem: Problem) -> np.ndarray:
    """Keep at most ``max_parents`` parents per node: the best-scoring subset."""
    cap = problem.max_parents
    for node in np.flatnonzero(dag.sum(axis=0) > cap):
        parents = np.flatnonzero(dag[:, node])
        must = [int(p) for p in parents if problem.required[p, node]]
        optional = [int(p) for p in parents if not problem.required[p, node]]
        options = [tuple(sorted(must + list(extra)))
                   for extra in combinations(optional, cap - len(must))]
        best = options[int(np.argmax(problem.bound.local_scores(int(node), options)))]
        dag[:, node] = 0
        dag[list(best), node] = 1
    return dag


def _draw(task: tuple[Any, ...], values: np.ndarray, kind: str, forbidden: np.ndarray,
          required: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One bootstrap draw: resample the rows, learn a PDAG, extend it to a DAG."""
    n_obs = values.shape[0]
    for _ in range(_MAX_TRIES):
        sample = values[rng.integers(0, n_obs, size=n_obs)]
        if np.any(np.ptp(sample, axis=0) == 0):
            continue  # a constant column: the tests and scores are undefined
        try:
            if task[0] == "pc":
                directed, undirected = run_pc(sample, kind, task[1], forbidden, required, task[2])
            else:
                directed, undirected = run_ges(sample, kind, task[1], task[2])
        except CausalpostError:
            raise
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
            continue  # e.g. a singular correlation matrix in this resample
        return extend_pdag(directed, undirected, rng, forbidden, required)
    raise CausalpostError(f"bootstrap-{task[0]} failed on {_MAX_TRIES} resamples in a row "
                          "(constant or collinear columns?)")


def _draw_task(stream: np.random.Generator, shared: tuple[Any, ...]) -> np.ndarray:
    """:func:`_draw` as a :func:`causalpost.parallel.run_tasks` task."""
    task, values, kind, forbidden, required = shared
    return _draw(task, values, kind, forbidden, required, stream)
