"""Exact posterior by enumerating every DAG (up to 6 nodes).

Each DAG's log score is the sum of its nodes' entries in the cached local-score
table (log marginal likelihood + log prior), so scoring all 29,281 DAGs on 5
nodes is one table lookup per node, vectorized. The result carries the exact
normalized log-weights of every DAG allowed by the background knowledge, and
one draw of the parameters from their conjugate posterior per DAG.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from causalpost.data import Dataset
from causalpost.diagnostics import Diagnostics
from causalpost.errors import GraphTooLargeError
from causalpost.graphs import enumerate_parent_masks, masks_to_adjacency
from causalpost.posterior import Posterior
from causalpost.samplers._base import Sampler, documented
from causalpost.samplers._common import make_posterior, prepare_problem
from causalpost.scores import ScoreTable

__all__ = ["ExactSampler", "MAX_EXACT_NODES", "exact_log_weights"]

MAX_EXACT_NODES = 6


@documented
@dataclass(kw_only=True, eq=False, repr=False)
class ExactSampler(Sampler):
    """Enumerate all DAGs and weigh each by its exact posterior probability.

    The ``seed`` drives only the parameter draws.

    Attributes
    ----------
    posterior_ : Posterior
        Every allowed DAG with its exact normalized log-weight.

    Raises
    ------
    GraphTooLargeError
        From ``fit``, with more than 6 nodes (use an MCMC sampler).

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=100); y = x + 0.5 * rng.normal(size=100)
    >>> post = ExactSampler(seed=0).fit(from_numpy(np.c_[x, y], ["X", "Y"])).posterior_
    >>> post.n_draws, bool(post.exact)
    (3, True)
    """

    name = "exact"

    def _fit(self, data: Dataset, begin: float) -> Posterior:
        """Enumerate and weigh every DAG over the columns of ``data``."""
        problem = prepare_problem(data, self.score, self.score_options, self.prior,
                                  self.knowledge, self.max_parents)
        if problem.data.n_nodes > MAX_EXACT_NODES:
            raise GraphTooLargeError(
                f"exact enumeration handles at most {MAX_EXACT_NODES} nodes, the data has "
                f"{problem.data.n_nodes}; use the default sampler 'auto' (MCMC run until it "
                "converges; CLI: leave out --sampler), or 'order', 'partition' or 'mcmc'"
            )
        masks, log_weights = exact_log_weights(problem.table())
        rng = np.random.default_rng(self.seed)
        return make_posterior(
            problem, masks_to_adjacency(masks), log_weights, rng, sampler=self.name,
            exact=True, parameters=self.parameters,
            diagnostics=Diagnostics(n_dags=int(masks.shape[0]), converged=True,
                                    rhat_log_score=1.0, max_chain_disagreement=0.0,
                                    ess_log_score=float("inf"),
                                    seconds=time.monotonic() - begin),
        )


def exact_log_weights(table: ScoreTable) -> tuple[np.ndarray, np.ndarray]:
    """Parent masks of every allowed DAG and their normalized log posterior weights.

    Returns
    -------
    masks : numpy.ndarray, shape (n_dags, n_nodes)
    log_weights : numpy.ndarray, shape (n_dags,)
    """
    masks = enumerate_parent_masks(table.n_nodes)
    total = np.zeros(masks.shape[0])
    for node in range(table.n_nodes):
        total += table.dense(node)[masks[:, node]]
    keep = np.isfinite(total)
    total = total[keep]
    return masks[keep], total - logsumexp(total)
