"""Simulate data from one sampled world model, observationally or under a hard intervention.

A posterior draw is a DAG with the parameters of its conditional
distributions (:attr:`causalpost.Posterior.parameters`: linear-Gaussian or
discrete). :func:`simulate_draw` samples rows from it in topological order;
``do`` replaces the mechanism of the intervened nodes by given values (a
perfect intervention), which is how an experiment is simulated under a
plausible world (:mod:`incentives.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from causalpost.errors import CausalpostError
from causalpost.posterior import Posterior

__all__ = ["simulate_draw"]


def simulate_draw(
    posterior: Posterior,
    i: int,
    n_rows: int,
    *,
    do: Mapping[int, np.ndarray] | None = None,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Rows sampled from draw ``i`` of ``posterior`` (graph and parameters).

    Parameters
    ----------
    posterior : Posterior
        With linear-Gaussian or discrete parameter draws.
    i : int
        The draw.
    n_rows : int
    do : mapping of node index to numpy.ndarray, optional
        Perfect interventions: node -> its ``n_rows`` forced values (codes for
        discrete nodes).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_nodes)
        Float values; discrete nodes hold integer codes.

    Raises
    ------
    CausalpostError
        If the posterior has no parameter draws, or ``do`` values have the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> adj = np.array([[[0, 1], [0, 0]]])
    >>> from causalpost.scores.draws import LinearGaussianDraws
    >>> params = LinearGaussianDraws(np.array([[[0, 2.0], [0, 0]]]), np.zeros((1, 2)),
    ...                              np.full((1, 2), 1e-20)).to_params()
    >>> post = Posterior(["X", "Y"], adj, params=params)
    >>> rows = simulate_draw(post, 0, 3, do={0: np.array([1.0, 2.0, 3.0])})
    >>> rows[:, 1].round(6).tolist()
    [2.0, 4.0, 6.0]
    """
    rng = np.random.default_rng(seed)
    for node, values in (do or {}).items():
        if np.shape(values) != (n_rows,):
            raise CausalpostError(f"do values for node {node} must have {n_rows} entries")
    parameters = posterior.parameters
    if parameters is None:
        raise CausalpostError("the posterior carries no parameter draws to simulate from; "
                              "fit it with parameters (the default)")
    return parameters.simulate(i, posterior.adjacency[i], n_rows, do=do, rng=rng)
