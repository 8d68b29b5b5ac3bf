"""Sampler diagnostics: log-score traces per chain, approximate vs exact edge marginals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from causalpost.errors import CausalpostError
from causalpost.plot.drawing import ARROW, figure_axes

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from causalpost.posterior import Posterior

__all__ = ["plot_marginals_vs_exact", "plot_traces"]


def plot_traces(posterior: Posterior, ax: Axes | None = None) -> Figure:
    """Log-score trace of each MCMC chain, from ``diagnostics["log_score_trace"]``.

    Parameters
    ----------
    posterior : Posterior
        Its diagnostics hold ``log_score_trace``, shape (n_chains, n_iter)
        (or (n_iter,) for one chain).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If the posterior has no trace (exact posteriors, samplers without chains).
    """
    trace = posterior.diagnostics.get("log_score_trace")
    if trace is None:
        source = ("an exact posterior" if posterior.exact
                  else f"sampler {posterior.info.get('sampler')!r}")
        raise CausalpostError(f"no log-score trace to plot: {source} records no "
                              "diagnostics['log_score_trace'] (MCMC samplers do)")
    trace = np.atleast_2d(np.asarray(trace, dtype=np.float64))
    if trace.ndim != 2 or trace.shape[1] == 0:
        raise CausalpostError(f"log_score_trace must be (n_chains, n_iter), got {trace.shape}")
    n_chains, n_records = trace.shape
    diag = posterior.diagnostics
    every, start = int(diag.get("trace_every") or 1), int(diag.get("trace_start") or 0)
    iterations = start + every * np.arange(n_records)  # each record's chain iteration
    fig, ax = figure_axes(ax, (8.0, 4.0))
    kept_from = diag.get("window_start") or diag.get("burn_in")
    if kept_from:  # what the draws leave out: burn-in and any earlier rounds' start
        ax.axvspan(iterations[0], kept_from, color="0.9", zorder=0,
                   label=f"discarded (iterations < {int(kept_from):,})")
    palette = colormaps["tab10"] if n_chains <= 10 else colormaps["viridis"].resampled(n_chains)
    for c, chain in enumerate(trace):
        ax.plot(iterations, chain, linewidth=0.8, alpha=0.85, color=palette(c),
                label=f"chain {c + 1}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("log score\n(log marginal likelihood + log prior)")
    if n_chains <= 10:
        ax.legend(loc="lower right", fontsize=8, ncols=min(n_chains + bool(kept_from), 5))
    sampler = posterior.info.get("sampler") or "sampler"
    span = (f"{n_records:,} iterations" if every == 1 and start == 0 else
            f"{n_records:,} records, one per {every:,} iterations")
    ax.set_title(f"Log-score traces: {n_chains} chain{'s' if n_chains > 1 else ''} \u00d7 "
                 f"{span}\n{sampler}, {posterior.n_draws:,} draws kept")
    return fig


def _edge_probs(value: Any, what: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """A square edge-probability array (and names) from a Posterior, DataFrame or array."""
    names = None
    if hasattr(value, "edge_prob_matrix"):
        names, value = tuple(value.nodes), value.edge_prob_matrix
    elif hasattr(value, "columns"):
        names, value = tuple(str(c) for c in value.columns), value.to_numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise CausalpostError(f"{what} must be a square (n_nodes, n_nodes) array, "
                              f"got shape {array.shape}")
    return array, names


def plot_marginals_vs_exact(
    approx_probs: Posterior | pd.DataFrame | np.ndarray,
    exact_probs: Posterior | pd.DataFrame | np.ndarray,
    labels: tuple[str, str] = ("approx", "exact"),
    ax: Axes | None = None,
) -> Figure:
    """Scatter of approximate against exact edge marginals, with the diagonal.

    The title gives the largest and the mean absolute error over the
    directed edges; the edge with the largest error is named when known.

    Parameters
    ----------
    approx_probs, exact_probs : Posterior, DataFrame or array, shape (n_nodes, n_nodes)
        Edge probabilities; the diagonal (self-loops) is left out.
    labels : (str, str)
        Names of the approximation and of the reference, for the axes.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If the two are not square arrays of one shape over the same nodes.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_marginals_vs_exact(np.array([[0, .5], [.2, 0]]), np.array([[0, .4], [.2, 0]]))
    >>> fig.axes[0].get_title().splitlines()[1]
    'max |error| = 0.100, mean |error| = 0.050 over 2 directed edges'
    """
    approx, names = _edge_probs(approx_probs, "approx_probs")
    exact, exact_names = _edge_probs(exact_probs, "exact_probs")
    if approx.shape != exact.shape:
        raise CausalpostError(f"shapes differ: {approx.shape} vs {exact.shape}")
    if names and exact_names and names != exact_names:
        raise CausalpostError(f"node names differ: {list(names)} vs {list(exact_names)}")
    names = names or exact_names
    off = ~np.eye(len(approx), dtype=bool)
    x, y = exact[off], approx[off]
    error = np.abs(y - x)
    fig, ax = figure_axes(ax, (5.0, 5.2))
    ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=1, label="y = x")
    ax.scatter(x, y, s=22, alpha=0.75, color="tab:blue", edgecolors="none",
               label="directed edge")
    worst = int(np.argmax(error))
    if names and error[worst] > 0.02:
        i, j = np.argwhere(off)[worst]
        ax.annotate(f"{names[i]}{ARROW}{names[j]}", (x[worst], y[worst]), fontsize=8,
                    xytext=(6, -12 if y[worst] > x[worst] else 6), textcoords="offset points",
                    ha="left" if x[worst] < 0.8 else "right")
    ax.set(xlim=(-0.03, 1.03), ylim=(-0.03, 1.03), aspect="equal",
           xlabel=f"P(edge), {labels[1]}", ylabel=f"P(edge), {labels[0]}")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"Edge marginals: {labels[0]} vs {labels[1]}\n"
                 f"max |error| = {error.max():.3f}, mean |error| = {error.mean():.3f} "
                 f"over {x.size} directed edges", fontsize=10)
    return fig
