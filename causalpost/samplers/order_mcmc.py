"""Order MCMC (Friedman & Koller 2003): a chain over node orders.

An order's weight is the sum of the posterior weights of the DAGs consistent
with it, a product over nodes of sums over parent sets drawn from the node's
predecessors (look-ups in the subset sums of
:mod:`causalpost.samplers._dag_from_order`). The chain moves by swapping two
nodes' positions (a symmetric proposal); each recorded order yields one DAG
drawn exactly from the table.

The target is *not* the DAG posterior under the table's graph prior: a DAG
compatible with many orders (few edges, many linear extensions) gets more
weight. It is the posterior under the *order-modular* prior of Koivisto &
Sood (2004), which is what their dynamic programming computes exactly; use
:class:`~causalpost.samplers.partition_mcmc.PartitionMCMC` for the DAG
posterior itself.

References
----------
Friedman, N. & Koller, D. (2003). Being Bayesian about network structure.
Machine Learning 50, 95-125. https://doi.org/10.1023/A:1020249912095

Koivisto, M. & Sood, K. (2004). Exact Bayesian structure discovery in
Bayesian networks. JMLR 5, 549-573.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalpost.knowledge import BackgroundKnowledge
from causalpost.samplers._mcmc_base import MCMCBase
from causalpost.samplers._numba_common import flat_table
from causalpost.samplers._numba_partition import LevelChain
from causalpost.samplers._numba_structure import kernel_arrays
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.samplers.partition_mcmc import dag_levels
from causalpost.scores import GraphPrior

__all__ = ["OrderMCMC"]


@dataclass
class OrderPayload:
    """What an order chain needs: the compiled table and a starting rank per node."""

    tab: tuple  # FlatTable arrays, with subset sums
    n_nodes: int
    start: np.ndarray
    climber: StructureKernel | None = None
    anneal: float = 1.0


class OrderMCMC(MCMCBase):
    """Order MCMC: samples DAGs through node orders (order-modular prior).

    Parameters
    ----------
    score, score_options, prior, knowledge, max_parents
        As for :class:`~causalpost.samplers.exact.ExactSampler`.
    n_draws, n_chains, n_workers, burn_in, seed, quiet, parameters
        As for :class:`~causalpost.samplers.structure_mcmc.StructureMCMC`.
    disagreement_tol, rhat_target, ess_target, max_seconds
        Convergence targets and budget, as for
        :class:`~causalpost.samplers.structure_mcmc.StructureMCMC`; the chains'
        edge marginals compared are Rao-Blackwellised (exact given each state).
    thin : int, optional
        Iterations per recorded draw (default ``max(2 d, d**2 // 2)``: a move costs
        more and mixes less as d grows; at d = 100 that is 5,000, and the default
        1,000 draws then take about 40 s on two cores).
    start : {"greedy", "empty"}
        Each chain starts from the graph of required edges, hill-climbed to a
        local maximum of the score with its own seed (``"greedy"``), or as is.
    search_space : {"auto", "full", "pc", "best", "pcor", "hybrid"}
        Candidate parents, at most 24 per node; ``"auto"`` as for
        :class:`~causalpost.samplers.structure_mcmc.StructureMCMC`.
    max_candidates : int, optional
    expansions : "auto" or int
        Rounds of iterative search-space expansion (Kuipers, Suter & Moffa 2022) on
        a restricted space: after a first-round pilot run, each node gains as
        candidates the outside parents whose posterior share at the boundary
        (:mod:`causalpost.samplers._boundary`) is at least ``boundary_tol`` (3 a round), and
        the chains rerun, until the boundary mass is at most ``boundary_tol`` or
        nothing changes. ``"auto"``: up to 4 rounds; 0: none.
    boundary_tol : float
        Largest posterior mass a node may keep just outside the search space (0.01);
        the final value is ``diagnostics["boundary_mass"]``.
    anneal : float or None
        Annealed burn-in, as for :class:`~causalpost.samplers.partition_mcmc.PartitionMCMC`.
    Attributes
    ----------
    posterior_ : Posterior

    Raises
    ------
    GraphTooLargeError
        When a node has more than 24 candidate parents.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = x + 0.5 * rng.normal(size=200)
    >>> post = OrderMCMC(n_draws=100, n_chains=1, seed=0, quiet=True).fit(
    ...     from_numpy(np.c_[x, y], ["X", "Y"])).posterior_
    >>> post.n_draws
    100
    """

    name = "order"
    label = "order MCMC"

    def __init__(
        self,
        *,
        score: str | None = None,
        score_options: dict | None = None,
        prior: GraphPrior | str | None = None,
        knowledge: BackgroundKnowledge | None = None,
        max_parents: int | None = None,
        n_draws: int = 1000,
        n_chains: int = 2,
        n_workers: int | None = None,
        burn_in: int | None = None,
        thin: int | None = None,
        start: str = "greedy",
        search_space: str = "auto",
        max_candidates: int | None = None,
        expansions: int | str = "auto",
        boundary_tol: float = 0.01,
        anneal: float | str | None = "auto",
        disagreement_tol: float = 0.1,
        rhat_target: float = 1.05,
        ess_target: float = 400,
        max_seconds: float = 600,
        seed: int | np.random.Generator | None = None,
        quiet: bool = False,
        parameters: bool = True,
    ) -> None:
        super().__init__(
            score=score, score_options=score_options, prior=prior, knowledge=knowledge,
            max_parents=max_parents, n_draws=n_draws, n_chains=n_chains, n_workers=n_workers,
            burn_in=burn_in, thin=thin, start=start, search_space=search_space,
            max_candidates=max_candidates, expansions=expansions, boundary_tol=boundary_tol,
            anneal=anneal,
            disagreement_tol=disagreement_tol, rhat_target=rhat_target,
            ess_target=ess_target, max_seconds=max_seconds, seed=seed, quiet=quiet,
            parameters=parameters)

    def _default_thin(self, n_nodes: int) -> int:
        return max(2 * n_nodes, n_nodes**2 // 2, 1)

    def _payload(self, problem, table) -> OrderPayload:
        return OrderPayload(flat_table(table, True).arrays(), table.n_nodes,
                            _rank_of(problem.required),
                            self._start_kernel(problem, table), self._anneal_power(problem))

    def _make_chains(self, payload, seeds) -> list[LevelChain]:
        if payload.climber is not None:
            kernel_arrays(payload.climber)  # built once, before the threads start
        return [LevelChain(payload, seed, partition=False) for seed in seeds]


def _rank_of(adjacency: np.ndarray) -> np.ndarray:
    """Position of each node in a topological order of a DAG."""
    levels = dag_levels(adjacency)
    rank = np.empty(levels.size, dtype=np.int64)
    rank[np.lexsort((np.arange(levels.size), levels))] = np.arange(levels.size)
    return rank
