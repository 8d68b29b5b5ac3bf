"""Partition MCMC (Kuipers & Moffa 2017): a chain over ordered node partitions.

Every DAG has one *labelled partition*: its source nodes form the first part;
removing them, the new sources form the second part, and so on. Each node of
a later part has a parent in the part just above it and none below. Summing
the DAG posterior over the DAGs of a partition is a product over nodes of
sums over their compatible parent sets (look-ups in the subset sums of
:mod:`causalpost.samplers._dag_from_order`), so a chain over partitions with
that weight, followed by one exact DAG draw per recorded partition, samples
the DAG posterior under the graph prior, without order MCMC's bias toward
graphs compatible with many orders.

Moves: *split / join* (split one part into two adjacent ones, the upper one a
nonempty proper subset, or join two adjacent parts; uniform over all such
neighbours, with Hastings ratio the ratio of neighbourhood sizes) and *swap*
(exchange two nodes of different parts, or of adjacent parts; symmetric) and
*node* moves (one node joins another part or opens a new one; symmetric).

The chain loop, the moves and the DAG draws run compiled with numba
(:mod:`causalpost.samplers._numba_partition`, their only implementation).

References
----------
Kuipers, J. & Moffa, G. (2017). Partition MCMC for inference on acyclic
digraphs. JASA 112(517), 282-299. https://doi.org/10.1080/01621459.2015.1133426
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.samplers._mcmc_base import MCMCBase
from causalpost.samplers._numba_common import flat_table
from causalpost.samplers._numba_partition import LevelChain
from causalpost.samplers._numba_structure import kernel_arrays
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.scores import GraphPrior

__all__ = ["PartitionMCMC", "dag_levels"]


@dataclass
class PartitionPayload:
    """What a partition chain needs: the compiled table, a start and the move mix."""

    tab: tuple  # FlatTable arrays, with subset sums
    n_nodes: int
    start: np.ndarray
    swap_prob: float
    node_prob: float
    climber: StructureKernel | None = None
    anneal: float = 1.0


class PartitionMCMC(MCMCBase):
    """Partition MCMC: samples the DAG posterior through ordered node partitions.

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
    swap_prob, node_prob : float
        Probabilities of a swap move (half of them between adjacent parts) and
        of a single-node move; split / join takes the rest.
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
    anneal : float, "auto" or None
        Simulated annealing during burn-in: the chain's target is raised to
        this power at the start and cooled geometrically to 1 over the first
        80% of the burn-in, so chains climb out of poor starting modes (at
        d = 50, n = 1000 the chains' mean log scores went from 1,000 nats
        apart to within 10). Draws are recorded only after burn-in, at power
        1, so the target is unchanged. ``"auto"``: 0.01 when the burn-in has at
        least 500,000 iterations, else off (a short burn-in cools too fast and
        can end below the greedy start). ``None`` or 1 turns it off.
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
    >>> post = PartitionMCMC(n_draws=100, n_chains=1, seed=0, quiet=True).fit(
    ...     from_numpy(np.c_[x, y], ["X", "Y"])).posterior_
    >>> post.n_draws
    100
    """

    name = "partition"
    label = "partition MCMC"

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
        swap_prob: float = 0.2,
        node_prob: float = 0.6,
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
            burn_in=burn_in, thin=thin, swap_prob=swap_prob, node_prob=node_prob,
            start=start, search_space=search_space,
            max_candidates=max_candidates, expansions=expansions, boundary_tol=boundary_tol,
            anneal=anneal,
            disagreement_tol=disagreement_tol, rhat_target=rhat_target,
            ess_target=ess_target, max_seconds=max_seconds, seed=seed, quiet=quiet,
            parameters=parameters)

    def _default_thin(self, n_nodes: int) -> int:
        return max(2 * n_nodes, n_nodes**2 // 2, 1)

    def _payload(self, problem, table) -> PartitionPayload:
        probs = (self.swap_prob, self.node_prob)
        if min(probs) < 0 or sum(probs) > 1:
            raise CausalpostError(f"swap_prob and node_prob must be >= 0 with sum <= 1, got "
                                  f"{probs}")
        return PartitionPayload(flat_table(table, True).arrays(), table.n_nodes,
                                dag_levels(problem.required),
                                float(self.swap_prob), float(self.node_prob),
                                self._start_kernel(problem, table), self._anneal_power(problem))

    def _make_chains(self, payload, seeds) -> list[LevelChain]:
        if payload.climber is not None:
            kernel_arrays(payload.climber)  # built once, before the threads start
        return [LevelChain(payload, seed, partition=True) for seed in seeds]


def dag_levels(adjacency: np.ndarray) -> np.ndarray:
    """Part index of each node in the labelled partition of a DAG (longest path from a source)."""
    adjacency = np.asarray(adjacency, dtype=bool)
    d = adjacency.shape[0]
    level = np.full(d, -1, dtype=np.int64)
    remaining = np.ones(d, dtype=bool)
    k = 0
    while remaining.any():
        sources = remaining & ~(adjacency & remaining[:, None]).any(axis=0)
        level[sources] = k
        remaining &= ~sources
        k += 1
    return level
