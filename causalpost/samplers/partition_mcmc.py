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

from causalpost.errors import CausalpostError
from causalpost.graphs import dag_levels
from causalpost.samplers._base import documented, param
from causalpost.samplers._level_mcmc import LevelMCMC

__all__ = ["PartitionMCMC", "dag_levels"]  # dag_levels: now in causalpost.graphs


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class PartitionMCMC(LevelMCMC):
    """Partition MCMC: samples the DAG posterior through ordered node partitions.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = x + 0.5 * rng.normal(size=200)
    >>> sampler = PartitionMCMC(n_draws=100, n_chains=1, seed=0, quiet=True)
    >>> diagnostics = sampler.fit(from_numpy(np.c_[x, y], ["X", "Y"])).diagnostics_
    >>> diagnostics["edge_probs_rb"].shape  # Rao-Blackwellised edge marginals
    (2, 2)
    """

    name = "partition"
    label = "partition MCMC"
    partition = True

    swap_prob: float = param(
        0.2, "Probability of a swap move (half of them between adjacent parts); split / join "
        "takes what ``swap_prob`` and ``node_prob`` leave.", kind="float")
    node_prob: float = param(0.6, "Probability of a single-node move.", kind="float")

    def _check_params(self) -> None:
        super()._check_params()
        probs = (self.swap_prob, self.node_prob)
        if min(probs) < 0 or sum(probs) > 1:
            raise CausalpostError(f"swap_prob and node_prob must be >= 0 with sum <= 1, got "
                                  f"{probs}")

    def _moves(self) -> tuple[float, float]:
        return float(self.swap_prob), float(self.node_prob)
