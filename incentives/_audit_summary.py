"""What an audit says about itself: verdict reasons, convergence, the chains' spread, provenance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causalpost.posterior import Posterior
from incentives._audit_graphs import EXCLUDED

__all__ = ["converged", "per_chain_probabilities", "provenance", "verdict_reasons"]


def provenance(posterior: Posterior) -> dict:
    """What the posterior file records of its fit, for the report (JSON-ready)."""
    import datetime

    from causalpost import __version__
    from causalpost.transforms import describe_transforms

    info = posterior.info
    keys = ("converged", "rhat_log_score", "max_chain_disagreement", "ess_log_score",
            "seconds")
    diagnostics = {}
    for key in keys:
        value = posterior.diagnostics.get(key)
        if value is not None and np.ndim(value) == 0:
            value = np.asarray(value).item()
            diagnostics[key] = value if not isinstance(value, float) or np.isfinite(value) \
                else str(value)
    if posterior.exact:
        diagnostics.setdefault("converged", True)
    return {
        "data_file": info.get("data_file"),
        "data_sha256": info.get("data_sha256"),
        "n_obs": info.get("n_obs"),
        "nodes": list(posterior.nodes),
        "score": info.get("score"),
        "transforms": describe_transforms(info),
        "prior": info.get("prior"),
        "sampler": info.get("sampler"),
        "seed": info.get("seed"),
        "n_draws": posterior.n_draws,
        "diagnostics": diagnostics,
        "version": __version__,
        "audited_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def per_chain_probabilities(
    posterior: Posterior, admits: np.ndarray, status: np.ndarray
) -> np.ndarray | None:
    """Each chain's own estimate of every row's probability, (n_chains, n_rows), or None.

    Needs ``diagnostics["draw_chain"]`` (the chain of each draw) and at least two
    chains; every distinct graph must have been evaluated (Monte Carlo posteriors are).
    """
    chain = posterior.diagnostics.get("draw_chain")
    if posterior.exact or chain is None:
        return None
    chain = np.asarray(chain).astype(np.int64).ravel()
    labels = np.unique(chain)
    _, probs, inverse = posterior.unique_graphs()
    if len(labels) < 2 or chain.shape != (posterior.n_draws,) or len(admits) != len(probs):
        return None
    out = []
    for c in labels:
        mass = np.bincount(inverse[chain == c], weights=posterior.weights[chain == c],
                           minlength=len(probs))
        kept = mass.sum() - mass[status == EXCLUDED].sum()
        estimate = mass @ admits / kept if kept > 0 else np.zeros(admits.shape[1])
        out.append(np.clip(estimate, 0.0, 1.0))
    return np.array(out)


def converged(posterior: Posterior) -> bool | None:
    """The sampler's convergence verdict: True for exact, None when it did not say."""
    if posterior.exact:
        return True
    value = posterior.diagnostics.get("converged")
    return None if value is None else bool(np.asarray(value).item())


def verdict_reasons(
    table: pd.DataFrame,
    threshold: float,
    alpha: float,
    evaluable: float,
    min_evaluable: float,
    excluded: float,
    unevaluable: float,
) -> tuple[str, ...]:
    """One sentence per cause of a failing verdict; empty when the audit passes."""
    out = []
    if evaluable < min_evaluable or evaluable <= 0.0:
        parts, advice = [], []
        if unevaluable > 0:
            parts.append(f"{unevaluable:.3g} cannot be evaluated (a cyclic world graph or a "
                         "utility with children)")
            advice.append("fit the posterior with the design's constraints (causalpost fit "
                          "--design DESIGN.json makes utility columns sinks)")
        detail = "; ".join(parts) or "the rest was not evaluated"
        out.append(
            f"only {max(evaluable, 0.0):.3g} of the posterior mass the design does not exclude "
            f"could be checked, below the floor min_evaluable={min_evaluable:g} ({detail})"
            + (f"; {' and '.join(advice)}" if advice else "")
        )
    guarded = table[table["protected"]]
    for r in guarded.itertuples():
        what = f"P({r.kind} on {r.node} for {r.decision})"
        if r.hi > threshold:
            out.append(f"{what} = {r.probability:.3g}, upper end {r.hi:.3g} > threshold "
                       f"{threshold:g}")
        elif r.conservative:
            out.append(f"{what}: a graph among the most probable covering {1 - alpha:.0%} of "
                       "the mass admits it (conservative flag)")
    return tuple(out)
