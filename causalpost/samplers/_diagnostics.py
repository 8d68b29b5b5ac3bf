"""Convergence diagnostics of several chains: split-R-hat, effective sample size,
acceptance rates, and a warning when chains disagree on edge marginals.

R-hat is the split version of Gelman et al. (BDA3, ch. 11); the effective
sample size pools the chains' autocorrelations and truncates their sum with
Geyer's initial monotone sequence, as Stan does. Both are computed for every
edge indicator and for the log-score trace.

References
----------
Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., section 11.4-11.5.

Vehtari, A. et al. (2021). Rank-normalization, folding, and localization: an
improved R-hat for assessing convergence of MCMC. Bayesian Analysis 16(2).
https://doi.org/10.1214/20-BA1221
"""

from __future__ import annotations

import warnings

import numpy as np

from causalpost.errors import ChainDisagreementWarning

__all__ = ["ChainDisagreementWarning", "chain_diagnostics", "ess", "split_rhat"]


def _split(x: np.ndarray) -> np.ndarray:
    """(..., n_chains, n) -> (..., 2 n_chains, n // 2)."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., half:2 * half]], axis=-2)


def split_rhat(x: np.ndarray) -> np.ndarray:
    """Split-R-hat of series ``x`` of shape (..., n_chains, n_draws); 1 for constant series."""
    x = _split(np.asarray(x, dtype=np.float64))
    n = x.shape[-1]
    if n < 2:
        return np.full(x.shape[:-2], np.nan)
    within = x.var(axis=-1, ddof=1).mean(axis=-1)
    between = n * x.mean(axis=-1).var(axis=-1, ddof=1)
    var_plus = (n - 1) / n * within + between / n
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat = np.sqrt(var_plus / within)
    return np.where(within > 0, rhat, np.where(between > 0, np.inf, 1.0))


def ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of series ``x`` of shape (..., n_chains, n_draws).

    Constant series get the total number of draws.
    """
    x = _split(np.asarray(x, dtype=np.float64))
    m, n = x.shape[-2], x.shape[-1]
    total = m * n
    if n < 4:
        return np.full(x.shape[:-2], float(total))
    centred = x - x.mean(axis=-1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=-1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), axis=-1)[..., :n] / n
    within = (acov[..., 0] * n / (n - 1)).mean(axis=-1)
    between = n * x.mean(axis=-1).var(axis=-1, ddof=1) if m > 1 else 0.0
    var_plus = (n - 1) / n * within + between / n
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (within[..., None] - acov.mean(axis=-2)) / var_plus[..., None]
    rho[..., 0] = 1.0
    n_pairs = n // 2
    pairs = rho[..., : 2 * n_pairs].reshape(*rho.shape[:-1], n_pairs, 2).sum(axis=-1)
    positive = np.cumprod(pairs > 0, axis=-1).astype(bool)  # initial positive sequence
    monotone = np.minimum.accumulate(np.where(positive, pairs, 0.0), axis=-1)
    tau = -1.0 + 2.0 * np.where(positive, monotone, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = total / np.maximum(tau, 1.0 / np.log10(max(total, 10)))
    return np.where(var_plus > 0, np.minimum(out, total * np.log10(max(total, 10))), total)


def chain_diagnostics(
    draws: list[np.ndarray],
    scores: list[np.ndarray],
    traces: list[np.ndarray],
    proposed: list[dict[str, int]],
    accepted: list[dict[str, int]],
    tolerance: float,
) -> dict:
    """Diagnostics of ``n_chains`` chains, warning if their edge marginals disagree.

    Parameters
    ----------
    draws : list of numpy.ndarray, each (n_keep, n_nodes, n_nodes)
    scores : list of numpy.ndarray, each (n_keep,)
        Log score of each recorded state.
    traces : list of numpy.ndarray, each (n_trace,)
        Log score every ``thin`` iterations, burn-in included.
    proposed, accepted : list of dict
        Per chain, counts per move type.
    tolerance : float
        Largest allowed difference between two chains' marginals of one edge.
    """
    stack = np.stack(draws).astype(np.float64)  # (c, n, d, d)
    edges = np.moveaxis(stack, (0, 1), (-2, -1))  # (d, d, c, n)
    score_arr = np.stack(scores)
    chain_probs = stack.mean(axis=1)
    spread = chain_probs.max(axis=0) - chain_probs.min(axis=0)
    gap = float(spread.max())
    edge_ess, edge_rhat = ess(edges), split_rhat(edges)
    pooled = chain_probs.mean(axis=0)
    moving = (pooled > 0.01) & (pooled < 0.99)
    edge_summary = float(np.median(edge_ess[moving])) if moving.any() else float(stack.shape[1]
                                                                                 * len(draws))
    score_ess = float(ess(score_arr))
    diag = {
        "n_chains": len(draws),
        "acceptance": _rates(proposed, accepted),
        "acceptance_by_chain": [_rates([p], [a]) for p, a in zip(proposed, accepted)],
        "log_score_trace": np.stack(traces),
        "rhat_log_score": float(split_rhat(score_arr)),
        "ess_log_score": score_ess,
        "rhat_edges": edge_rhat,
        "ess_edges": edge_ess,
        "max_rhat_edges": float(np.nanmax(edge_rhat)),
        "chain_edge_probs": chain_probs,
        "ess": float(min(score_ess, edge_summary, stack.shape[0] * stack.shape[1])),
    }
    if len(draws) > 1:
        diag["max_chain_disagreement"] = gap
        n_over = int((spread > tolerance).sum())
        diag["n_edges_disagreeing"] = n_over
        if gap > tolerance:
            i, j = np.unravel_index(np.argmax(spread), spread.shape)
            warnings.warn(
                f"chains disagree by more than {tolerance} on {n_over} edge marginal(s), "
                f"most on edge {i} -> {j} ({gap:.3f}); run longer chains (more n_draws / thin "
                "/ burn_in; order and partition MCMC anneal a burn-in of >= 500,000 "
                "iterations)", ChainDisagreementWarning, stacklevel=3)
    return diag


def _rates(proposed: list[dict[str, int]], accepted: list[dict[str, int]]) -> dict[str, float]:
    names = sorted({k for p in proposed for k in p})
    out = {}
    for name in names:
        n_prop = sum(p.get(name, 0) for p in proposed)
        n_acc = sum(a.get(name, 0) for a in accepted)
        out[name] = n_acc / n_prop if n_prop else 0.0
    return out
