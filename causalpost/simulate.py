"""Simulate data from one sampled world model, observationally or under a hard intervention.

A posterior draw is a DAG with the parameters of its conditional
distributions (linear-Gaussian: ``weights``, ``intercept``, ``noise_var``;
discrete: ``cpt_<j>``). :func:`simulate_draw` samples rows from it in
topological order; ``do`` replaces the mechanism of the intervened nodes by
given values (a perfect intervention), which is how an experiment is
simulated under a plausible world (:mod:`incentives.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from causalpost.errors import CausalpostError
from causalpost.graphs import topological_order
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
    >>> params = {"weights": np.array([[[0, 2.0], [0, 0]]]), "intercept": np.zeros((1, 2)),
    ...           "noise_var": np.full((1, 2), 1e-20)}
    >>> post = Posterior(["X", "Y"], adj, params=params)
    >>> rows = simulate_draw(post, 0, 3, do={0: np.array([1.0, 2.0, 3.0])})
    >>> rows[:, 1].round(6).tolist()
    [2.0, 4.0, 6.0]
    """
    rng = np.random.default_rng(seed)
    do = dict(do or {})
    graph = posterior.adjacency[i].astype(bool)
    d = posterior.n_nodes
    for node, values in do.items():
        if np.shape(values) != (n_rows,):
            raise CausalpostError(f"do values for node {node} must have {n_rows} entries")
    out = np.zeros((n_rows, d))
    params = posterior.params
    gaussian = all(k in params for k in ("weights", "intercept", "noise_var"))
    if not gaussian and not any(k.startswith("cpt_") for k in params):
        raise CausalpostError("the posterior carries no parameter draws to simulate from; "
                              "fit it with parameters (the default)")
    levels = posterior.info.get("levels") or [None] * d
    for j in topological_order(graph):
        if j in do:
            out[:, j] = do[j]
            continue
        parents = np.flatnonzero(graph[:, j])
        if gaussian:
            mean = params["intercept"][i, j] + out[:, parents] @ params["weights"][i, parents, j]
            out[:, j] = mean + np.sqrt(params["noise_var"][i, j]) * rng.standard_normal(n_rows)
            continue
        config = np.zeros(n_rows, dtype=np.int64)
        for p in parents:  # mixed radix, ascending parents, the last varying fastest
            config = config * len(levels[p]) + out[:, p].astype(np.int64)
        table = params[f"cpt_{j}"][i]
        cumulative = np.cumsum(table[config], axis=1)
        u = rng.random(n_rows)[:, None] * cumulative[:, -1:]
        out[:, j] = np.minimum((u > cumulative).sum(axis=1), table.shape[1] - 1)
    return out
