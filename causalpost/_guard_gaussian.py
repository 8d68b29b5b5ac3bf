"""P(harm | do(action), given) in a linear-Gaussian SEM, in closed form, batched over draws.

A draw ``X = W^T X + c + e``, ``e ~ N(0, diag(v))``. The action ``do(A = a)``
removes the edges into ``A`` and fixes it: the mutilated coefficients
``B' = (I - W'^T)^{-1}`` give the harm node ``H`` as
``m_H(a) + sum_{k not in A} B'_{Hk} e_k``, linear in ``a``. The context is

* ``observed="after"``: the given nodes in the mutilated model, so
  ``P(H | do(a), Z = z)`` by Gaussian conditioning of ``(H, Z)`` after the action;
* ``observed="before"``: the given nodes in the world as it was before the
  action (the factual ``Z = B[Z] (c + e)`` with the unmutilated ``B``), sharing
  the noise ``e`` with ``H``: the counterfactual ``P(H_{do(a)} | Z = z)`` of
  the twin network. For a node that is not a descendant of the action both
  give the same number.

Everything is batched over draws with ``numpy.linalg.solve`` (one ``d x d``
system per draw), in chunks to bound memory.

References
----------
Pearl, J. (2009). Causality, 2nd ed., sections 3.2 (interventions) and 7.1
(counterfactuals in linear models). Cambridge University Press.
doi:10.1017/CBO9780511803161
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from causalpost._guard_parse import Harm
from causalpost.scores.draws import LinearGaussianDraws

__all__ = ["gaussian_probabilities"]

_CHUNK = 4096


def gaussian_probabilities(
    parameters: LinearGaussianDraws,
    action_nodes: tuple[int, ...],
    action_values: np.ndarray,
    harm: Harm,
    given: dict[int, float],
    observed: str,
) -> np.ndarray:
    """The harm probability of every draw and action row, shape (n_draws, n_rows)."""
    out = np.empty((parameters.n_draws, action_values.shape[0]))
    for start in range(0, parameters.n_draws, _CHUNK):
        part = slice(start, start + _CHUNK)
        chunk = parameters.take(part)
        out[part] = _chunk(chunk.weights, chunk.intercept, chunk.noise_var, action_nodes,
                           action_values, harm, given, observed)
    return out


def _rows(weights: np.ndarray, targets: list[int]) -> np.ndarray:
    """Rows ``targets`` of ``(I - W^T)^{-1}`` per draw, shape (n, len(targets), d)."""
    n, d, _ = weights.shape
    system = np.eye(d) - weights
    rhs = np.broadcast_to(np.eye(d)[:, targets], (n, d, len(targets)))
    return np.linalg.solve(system, rhs).transpose(0, 2, 1)


def _chunk(weights, intercept, noise_var, action_nodes, action_values, harm, given, observed):
    acts = list(action_nodes)
    cut = weights.copy()
    cut[:, :, acts] = 0.0
    base = intercept.copy()
    base[:, acts] = 0.0
    cut_var = noise_var.copy()
    cut_var[:, acts] = 0.0
    z_nodes = list(given)
    after = observed == "after"
    targets = [harm.node, *z_nodes] if after else [harm.node]
    coef = _rows(cut, targets)  # (n, t, d)
    # means (n, t, n_rows): fixed part plus the action's linear effect
    mean = (np.einsum("ntd,nd->nt", coef, base)[:, :, None]
            + np.einsum("nta,ra->ntr", coef[:, :, acts], action_values))
    if after:
        cov = np.einsum("nid,nd,njd->nij", coef, cut_var, coef)
    else:
        mean, cov = _before(weights, intercept, noise_var, cut_var, coef, z_nodes, mean)
    mu, var = _condition(mean, cov, np.array([given[z] for z in z_nodes], dtype=np.float64))
    return _interval_probability(mu, np.sqrt(np.maximum(var, 1e-300))[:, None], harm)


def _before(weights, intercept, noise_var, cut_var, coef_h, z_nodes, mean_h):
    """Joint mean and covariance of the harm after the action and the given nodes before."""
    var_h = np.einsum("ntd,nd,ntd->nt", coef_h, cut_var, coef_h)
    if not z_nodes:
        return mean_h, var_h[:, :, None]
    coef_z = _rows(weights, z_nodes)  # factual, unmutilated
    mean_z = np.einsum("nzd,nd->nz", coef_z, intercept)
    cross = np.einsum("nd,nd,nzd->nz", coef_h[:, 0], cut_var, coef_z)  # e_A does not reach H
    cov_zz = np.einsum("nid,nd,njd->nij", coef_z, noise_var, coef_z)
    n, n_z = mean_z.shape
    mean = np.concatenate([mean_h, np.broadcast_to(mean_z[:, :, None],
                                                   (n, n_z, mean_h.shape[2]))], axis=1)
    cov = np.empty((n, 1 + n_z, 1 + n_z))
    cov[:, 0, 0] = var_h[:, 0]
    cov[:, 0, 1:] = cross
    cov[:, 1:, 0] = cross
    cov[:, 1:, 1:] = cov_zz
    return mean, cov


def _condition(mean: np.ndarray, cov: np.ndarray, z: np.ndarray):
    """Mean (n, n_rows) and variance (n,) of component 0 given components 1.. equal ``z``."""
    if z.size == 0:
        return mean[:, 0, :], cov[:, 0, 0]
    s_zz, s_hz = cov[:, 1:, 1:], cov[:, 0, 1:]
    gain = np.linalg.solve(s_zz, s_hz[:, :, None])[:, :, 0]  # (n, n_z)
    resid = z[None, :, None] - mean[:, 1:, :]  # (n, n_z, n_rows)
    mu = mean[:, 0, :] + np.einsum("nz,nzr->nr", gain, resid)
    var = cov[:, 0, 0] - np.einsum("nz,nz->n", gain, s_hz)
    return mu, var


def _interval_probability(mu: np.ndarray, sd: np.ndarray, harm: Harm) -> np.ndarray:
    """P(lo < N(mu, sd^2) < hi), with each tail computed on its own side for accuracy."""
    if np.isinf(harm.hi):
        return ndtr((mu - harm.lo) / sd)
    if np.isinf(harm.lo):
        return ndtr((harm.hi - mu) / sd)
    return np.clip(ndtr((harm.hi - mu) / sd) - ndtr((harm.lo - mu) / sd), 0.0, 1.0)
