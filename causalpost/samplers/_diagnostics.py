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

__all__ = ["SUMMARY_KEYS", "ChainDisagreementWarning", "convergence_summary",
           "convergence_warning", "draw_diagnostics", "ess", "rates", "split_rhat",
           "window_check"]


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
    constant = _constant(x)
    within = x.var(axis=-1, ddof=1).mean(axis=-1)
    between = n * x.mean(axis=-1).var(axis=-1, ddof=1)
    var_plus = (n - 1) / n * within + between / n
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat = np.sqrt(var_plus / within)
    rhat = np.where(within > 0, rhat, np.where(between > 0, np.inf, 1.0))
    return np.where(constant, 1.0, rhat)


def _constant(x: np.ndarray) -> np.ndarray:
    """Whether each series (..., n_chains, n) is constant (rounding in its mean aside)."""
    flat = x.reshape(*x.shape[:-2], -1)
    return flat.max(axis=-1) == flat.min(axis=-1)


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
    out = np.where(var_plus > 0, np.minimum(out, total * np.log10(max(total, 10))), total)
    return np.where(_constant(x), float(total), out)


def window_check(chains: list, window: tuple[int, int], targets) -> dict:
    """Convergence of ``chains`` over the records in ``window``: split-R-hat and ESS of the
    log score, each chain's edge marginals and their largest disagreement, and whether
    the :class:`~causalpost.samplers._chains.Targets` are met."""
    idx = [c.window(*window) for c in chains]
    n = min(i.size for i in idx)
    scores = np.stack([c.rec_score[i[-n:]] if n else np.zeros(0) for c, i in zip(chains, idx)])
    probs = np.stack([c.edge_marginals(i[-n:]) for c, i in zip(chains, idx)])
    spread = probs.max(axis=0) - probs.min(axis=0)
    rhat = float(split_rhat(scores)) if n >= 4 else float("inf")
    ess_value = float(ess(scores)) if n >= 4 else 0.0
    gap = float(spread.max()) if spread.size else 0.0
    converged = (rhat <= targets.rhat and ess_value >= targets.ess
                 and gap <= targets.disagreement)
    return {"converged": bool(converged), "rhat_log_score": rhat, "ess_log_score": ess_value,
            "max_chain_disagreement": gap, "n_edges_disagreeing": int(
                (spread > targets.disagreement).sum()), "chain_edge_probs": probs,
            "n_window": int(n)}


def draw_diagnostics(draws: list[np.ndarray]) -> dict:
    """Per-edge split-R-hat and ESS of the draws of each chain, (n_keep, d, d) each, and
    a summary ESS: the median over edges whose marginal is in (0.01, 0.99)."""
    stack = np.stack(draws).astype(np.float64)  # (c, n, d, d)
    edges = np.moveaxis(stack, (0, 1), (-2, -1))  # (d, d, c, n)
    edge_ess, edge_rhat = ess(edges), split_rhat(edges)
    pooled = stack.mean(axis=(0, 1))
    moving = (pooled > 0.01) & (pooled < 0.99)
    total = float(stack.shape[0] * stack.shape[1])
    summary = float(np.median(edge_ess[moving])) if moving.any() else total
    return {"rhat_edges": edge_rhat, "ess_edges": edge_ess,
            "max_rhat_edges": float(np.nanmax(edge_rhat)) if edge_rhat.size else 1.0,
            "ess_edges_median": summary}


def convergence_warning(diag: dict, names, targets, seconds: float, n_top: int = 3,
                        sampler: str = "mcmc") -> None:
    """Warn (:class:`ChainDisagreementWarning`) that the chains did not converge, naming the
    edges they disagree on most by node name, and what to do next."""
    misses = []
    if not diag["rhat_log_score"] <= targets.rhat:
        misses.append(f"R-hat of the log score {diag['rhat_log_score']:.3g} "
                      f"(target <= {targets.rhat:g})")
    if not diag["ess_log_score"] >= targets.ess:
        misses.append(f"its ESS {diag['ess_log_score']:.0f} (target >= {targets.ess:g})")
    probs = diag["chain_edge_probs"]
    spread = probs.max(axis=0) - probs.min(axis=0) if probs.shape[0] > 1 else probs[0] * 0
    if diag["max_chain_disagreement"] > targets.disagreement:
        worst = np.argsort(-spread, axis=None, kind="stable")[:n_top]
        shown = []
        for flat in worst:
            i, j = np.unravel_index(flat, spread.shape)
            if spread[i, j] <= targets.disagreement:
                break
            values = " / ".join(f"{p:.2f}" for p in probs[:, i, j])
            shown.append(f"{names[i]} -> {names[j]}: chains {values}")
        misses.append(f"chains disagree by more than {targets.disagreement:g} on "
                      f"{diag['n_edges_disagreeing']} edge marginal(s) ({'; '.join(shown)})")
    if not misses:
        misses.append("the budget ran out before the first sampling round ended")
    more = max(2 * targets.max_seconds, 60.0)
    warnings.warn(
        f"MCMC did not converge in {seconds:.0f} s (max_seconds={targets.max_seconds:g}): "
        f"{', '.join(misses)}. Its edge probabilities mix chain disagreement with posterior "
        f"uncertainty. Next: give it more time, max_seconds={more:g} (causalpost fit ... "
        f"--max-seconds {more:g}); or another sampler, "
        f"{' / '.join(repr(o) for o in ('order', 'mcmc') if o != sampler)} (--sampler)",
        ChainDisagreementWarning, stacklevel=4)


SUMMARY_KEYS = ("converged", "rhat_log_score", "max_chain_disagreement", "ess_log_score",
                "seconds")


def convergence_summary(diagnostics: dict, n_draws: int) -> dict:
    """``converged``, ``rhat_log_score``, ``max_chain_disagreement``, ``ess_log_score`` and
    ``seconds`` of any posterior's diagnostics.

    MCMC samplers record them; a sampler without chains whose draws are independent
    (exact enumeration, bootstrap, a trained GFlowNet) has nothing to converge:
    ``converged`` true, R-hat 1, no disagreement and, unless it recorded one, an ESS of
    its number of draws (exact: infinite).

    Examples
    --------
    >>> convergence_summary({"ess": 50.0, "train_seconds": 2.0}, 100)["ess_log_score"]
    50.0
    """
    out = {"converged": True, "rhat_log_score": 1.0, "max_chain_disagreement": 0.0,
           "ess_log_score": float(diagnostics.get("ess", n_draws)),
           "seconds": float(diagnostics.get("train_seconds", 0.0))}
    for key in SUMMARY_KEYS:
        if key in diagnostics:
            value = diagnostics[key]
            out[key] = bool(value) if key == "converged" else float(value)
    return out


def rates(proposed: list[dict[str, int]], accepted: list[dict[str, int]]) -> dict[str, float]:
    """Acceptance rate per move type, pooled over chains."""
    names = sorted({k for p in proposed for k in p})
    out = {}
    for name in names:
        n_prop = sum(p.get(name, 0) for p in proposed)
        n_acc = sum(a.get(name, 0) for a in accepted)
        out[name] = n_acc / n_prop if n_prop else 0.0
    return out
