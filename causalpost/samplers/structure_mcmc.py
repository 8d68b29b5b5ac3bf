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

from dataclasses import dataclass
from typing import Any

import numpy as np

from causalpost.samplers._base import documented, in_range, param
from causalpost.samplers._common import Problem
from causalpost.samplers._mcmc_base import MCMCBase
from causalpost.samplers._numba_structure import StructureChain, kernel_arrays
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.scores import ScoreTable

__all__ = ["StructureMCMC"]


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class StructureMCMC(MCMCBase):
    """Structure MCMC: a Markov chain over DAGs moving one edge at a time.

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

    rev_prob: float = param(
        1 / 15, "Probability of a new-edge-reversal move at each iteration (1/15 as in "
        "Grzegorczyk & Husmeier).", kind="float", check=in_range(0, 1, "[)"))

    def _default_thin(self, n_nodes: int) -> int:
        return 10 * max(n_nodes, 1)

    def _payload(self, problem: Problem, table: ScoreTable, plus: Any = None,
                 starts: Any = None) -> StructureKernel:
        greedy = self._start_kernel(problem, table) is not None
        return StructureKernel(table, problem.required, float(self.rev_prob), greedy)

    def _make_chains(self, kernel: StructureKernel, seeds: list[np.random.SeedSequence]
                     ) -> list[StructureChain]:
        arrays = kernel_arrays(kernel)
        return [StructureChain(kernel, seed, arrays) for seed in seeds]
