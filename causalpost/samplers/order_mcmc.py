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

On a restricted search space the final run samples the *plus-one* space of
Kuipers, Suter & Moffa (2022) (:mod:`causalpost.samplers._plus_one`): a parent
set may also hold one node from outside the candidates, so no allowed edge is
excluded by the space (``plus_one``).

References
----------
Friedman, N. & Koller, D. (2003). Being Bayesian about network structure.
Machine Learning 50, 95-125. https://doi.org/10.1023/A:1020249912095

Koivisto, M. & Sood, K. (2004). Exact Bayesian structure discovery in
Bayesian networks. JMLR 5, 549-573.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from causalpost.samplers._base import boolean, documented, param
from causalpost.samplers._level_mcmc import LevelMCMC
from causalpost.samplers._plus_one import (
    PLUS_ONE_MAX_ENTRIES,
    PLUS_ONE_MAX_SETS,
    PlusOne,
    build_plus_one,
)

__all__ = ["OrderMCMC"]


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class OrderMCMC(LevelMCMC):
    """Order MCMC: samples DAGs through node orders (order-modular prior).

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = x + 0.5 * rng.normal(size=200)
    >>> post = OrderMCMC(n_draws=100, n_chains=1, seed=0, quiet=True).fit(
    ...     from_numpy(np.c_[x, y], ["X", "Y"])).posterior_
    >>> post.n_draws, post.info["sampler"]
    (100, 'order')
    """

    name = "order"
    label = "order MCMC"

    plus_one: bool = param(
        True, "On a restricted search space, sample the final run in the plus-one space: "
        "each parent set may hold one node from outside the candidates (Kuipers, Suter & "
        "Moffa 2022), so every edge the background knowledge allows can be sampled; nodes "
        "are taken (those whose pilot left mass outside their candidates first, then "
        f"cheapest first) within {PLUS_ONE_MAX_ENTRIES:,} table entries and "
        f"{PLUS_ONE_MAX_SETS:,} scored parent sets (``diagnostics[\"plus_one_nodes\"]``). "
        "False: the candidate space only.", kind="bool", check=boolean)

    def _plus_one(self, problem: Any, table: Any, first: Any = None) -> PlusOne | None:
        if not self.plus_one or not self._restricted(problem):
            return None
        return build_plus_one(problem, table, first=first)
