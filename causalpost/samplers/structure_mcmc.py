"""Structure MCMC (MC3) over DAGs with the new-edge-reversal move.

A Metropolis-Hastings chain whose state is one DAG, moved by adding,
deleting or reversing one edge, and now and then by Grzegorczyk & Husmeier's
new-edge reversal, which resamples the parents of both end points of an
edge (see :mod:`causalpost.samplers._structure_kernel`). Its stationary
distribution is the DAG posterior under the score table's graph prior.

The chain loop runs compiled with numba
(:mod:`causalpost.samplers._numba_structure`) at any number of nodes, in
threads (:mod:`causalpost.samplers._chains`), in rounds until the chains
converge or ``max_seconds`` is spent.

References
----------
Madigan, D. & York, J. (1995). Bayesian graphical models for discrete data.
Int. Stat. Rev. 63(2), 215-232. https://doi.org/10.2307/1403615

Giudici, P. & Castelo, R. (2003). Improving Markov chain Monte Carlo model
search for data mining. Machine Learning 50, 127-158.
https://doi.org/10.1023/A:1020202028934

Grzegorczyk, M. & Husmeier, D. (2008). Improving the structure MCMC sampler
for Bayesian networks by introducing a new edge reversal move. Machine
Learning 71, 265-305. https://doi.org/10.1007/s10994-008-5057-7
"""

from __future__ import annotations

import numpy as np

from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.samplers._mcmc_base import MCMCBase
from causalpost.samplers._numba_structure import StructureChain, kernel_arrays
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.scores import GraphPrior

__all__ = ["StructureMCMC"]


class StructureMCMC(MCMCBase):
    """Structure MCMC: a Markov chain over DAGs moving one edge at a time.

    Parameters
    ----------
    score, score_options, prior, knowledge, max_parents
        As for :class:`~causalpost.samplers.exact.ExactSampler`.
    n_draws : int
        Total draws over all chains (each chain gives ``ceil(n_draws / n_chains)``).
    n_chains : int
        Independent chains, run in parallel threads.
    n_workers : int, optional
        Threads (default ``min(n_chains, cpu_count)``); results do not depend on it.
        The compiled kernels release the GIL, and nothing is spawned: no
        ``if __name__ == "__main__":`` guard is needed.
    burn_in : int, optional
        Iterations discarded per chain (default: as many as the first sampling round).
    thin : int, optional
        Iterations per draw in the first sampling round (default ``10 * n_nodes``);
        extension rounds double the sampling phase, and the draws are then spread
        evenly over its latter half.
    rev_prob : float
        Probability of a new-edge-reversal move at each iteration (1/15 as in
        Grzegorczyk & Husmeier).
    start : {"greedy", "empty"}
        Each chain starts from the graph of required edges, hill-climbed to a
        local maximum of the score with its own seed (``"greedy"``), or as is.
    search_space : {"auto", "full", "pc", "best", "pcor", "hybrid"}
        Candidate parents (see :mod:`causalpost.samplers._search_space`);
        ``"auto"`` is ``"full"`` while a node has at most 70,000 parent sets and
        62 candidate parents, else ``"hybrid"`` (PC skeleton plus the strongest partial
        correlations).
    max_candidates : int, optional
        Cap on candidate parents per node for ``"pc"`` / ``"best"`` / ``"pcor"`` / ``"hybrid"``.
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
    disagreement_tol : float
        Convergence target: the largest difference between two chains' marginals of
        one edge (default 0.1).
    rhat_target : float
        Convergence target: split-R-hat of the log score at most this (>= 1; 1.05).
    ess_target : float
        Convergence target: effective sample size of the log score at least this (400).
    max_seconds : float
        Budget of the fit: chains are extended in rounds until the three targets are
        met or this many seconds have passed (default 600); then a
        :class:`~causalpost.errors.ChainDisagreementWarning` names the edges the
        chains disagree on and ``diagnostics["converged"]`` is False. A run cut by the
        budget is not reproducible from its seed alone.
    seed : int or numpy.random.Generator, optional
    quiet : bool
    parameters : bool
        Attach one conjugate parameter draw per graph.

    Attributes
    ----------
    posterior_ : Posterior
        Equal-weight draws; ``posterior_.diagnostics`` holds ``converged``,
        ``rhat_log_score``, ``ess_log_score``, ``max_chain_disagreement``, ``seconds``,
        ``draw_chain`` (the chain of each draw), acceptance rates and
        ``log_score_trace`` (n_chains, n_records).

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = x + 0.5 * rng.normal(size=200)
    >>> post = StructureMCMC(n_draws=200, n_chains=1, seed=0, quiet=True).fit(
    ...     from_numpy(np.c_[x, y], ["X", "Y"])).posterior_
    >>> post.n_draws, bool(post.edge_prob_matrix.sum() > 0.9)
    (200, True)
    """

    name = "mcmc"
    label = "structure MCMC"

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
        rev_prob: float = 1 / 15,
        start: str = "greedy",
        search_space: str = "auto",
        max_candidates: int | None = None,
        expansions: int | str = "auto",
        boundary_tol: float = 0.01,
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
            burn_in=burn_in, thin=thin, rev_prob=rev_prob, start=start, search_space=search_space,
            max_candidates=max_candidates, expansions=expansions, boundary_tol=boundary_tol,
            disagreement_tol=disagreement_tol,
            rhat_target=rhat_target,
            ess_target=ess_target, max_seconds=max_seconds, seed=seed,
            quiet=quiet, parameters=parameters)

    def _default_thin(self, n_nodes: int) -> int:
        return 10 * max(n_nodes, 1)

    def _payload(self, problem, table) -> StructureKernel:
        if not 0 <= self.rev_prob < 1:
            raise CausalpostError(f"rev_prob must be in [0, 1), got {self.rev_prob}")
        greedy = self._start_kernel(problem, table) is not None
        return StructureKernel(table, problem.required, float(self.rev_prob), greedy)

    def _make_chains(self, kernel: StructureKernel, seeds) -> list[StructureChain]:
        arrays = kernel_arrays(kernel)
        return [StructureChain(kernel, seed, arrays) for seed in seeds]
