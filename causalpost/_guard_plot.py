"""Figures of a harm guard: q(G) against P(G | D), and a grid of actions.

Built on :class:`matplotlib.figure.Figure` directly (no pyplot state); pass
``ax`` to draw into an axes of your own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
from matplotlib.figure import Figure

from causalpost.errors import CausalpostError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from causalpost._guard_report import GuardReport

__all__ = ["plot_guard_graphs", "plot_guard_grid"]


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        owner = ax.figure  # an axes of a SubFigure: return its root figure, a Figure
        return cast(Figure, getattr(owner, "figure", None) or owner), ax
    fig = Figure(figsize=size)
    return fig, fig.add_subplot()


def plot_guard_graphs(report: GuardReport, row: int = 0, ax: Axes | None = None) -> Figure:
    """q(G) of every distinct graph against its posterior probability, for one action.

    Graphs of the credible set (the bound's) are filled, the others hollow; the
    witness of the bound and G* are marked, the threshold and the marginal drawn
    as horizontal lines.

    Parameters
    ----------
    report : GuardReport
    row : int
        Which action of a grid.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not 0 <= row < len(report.rows):
        raise CausalpostError(f"row {row} out of range: the report has {len(report.rows)}")
    fig, ax = _axes(ax, (6.0, 4.0))
    probs, q = report.graph_probabilities, report.q[:, row]
    k = report.credible_set_size
    ax.scatter(probs[:k], q[:k], s=28, color="tab:blue", label=f"credible set ({k} graphs)")
    if len(probs) > k:
        ax.scatter(probs[k:], q[k:], s=18, facecolors="none", edgecolors="grey",
                   label="other graphs")
    rec = report.rows.iloc[row]
    w, star = int(rec["witness"]), int(rec["plausible_graph"])
    ax.scatter([probs[w]], [q[w]], s=140, marker="*", color="tab:red", zorder=3,
               label=f"witness of the bound ({q[w]:.3f})")
    ax.scatter([probs[star]], [q[star]], s=90, marker="D", facecolors="none",
               edgecolors="black", zorder=3, label=f"G* = argmax P(G)q(G) ({q[star]:.3f})")
    ax.axhline(report.threshold, color="tab:red", linestyle="--", linewidth=1,
               label=f"threshold {report.threshold:g}")
    ax.axhline(float(rec["marginal"]), color="tab:green", linewidth=1,
               label=f"marginal {float(rec['marginal']):.3f}")
    if probs.min() > 0 and probs.max() / probs.min() > 100:
        ax.set_xscale("log")
    act = ", ".join(f"{n}={rec[n]}" for n in report.action_nodes)
    ax.set_xlabel("P(G | data)")
    ax.set_ylabel(f"q(G) = P({report.harm} | do({act}); G)")
    ax.set_ylim(-0.02, _top(q, report.threshold))
    ax.set_title(f"Harm under each causal model: {rec['verdict']}")
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_guard_grid(report: GuardReport, ax: Axes | None = None) -> Figure:
    """Marginal (with its interval) and bound against the value of the grid's action node.

    Parameters
    ----------
    report : GuardReport
        With more than one action row, varying in one numeric node.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = report.rows
    varying = [n for n in report.action_nodes if rows[n].nunique() > 1]
    if len(rows) < 2 or not varying:
        raise CausalpostError("a grid plot needs a grid of actions (one node taking several "
                              "values)")
    name = varying[0]
    fig, ax = _axes(ax, (6.0, 4.0))
    labels = rows[name].tolist()
    numeric = all(isinstance(v, (int, float, np.number)) for v in labels)
    x = np.asarray(labels, dtype=float) if numeric else np.arange(len(labels))
    ax.fill_between(x, rows["lo"], rows["hi"], color="tab:green", alpha=0.2,
                    label=f"{report.level:.0%} Monte Carlo interval")
    ax.plot(x, rows["marginal"], "o-", color="tab:green", label="marginal")
    ax.plot(x, rows["bound"], "s--", color="tab:red", label="bound (worst plausible)")
    ax.axhline(report.threshold, color="black", linestyle=":", linewidth=1,
               label=f"threshold {report.threshold:g}")
    allowed = (rows["verdict"] == "allow").to_numpy()
    for xi in x[allowed]:
        ax.axvspan(xi - 0.5 * _step(x), xi + 0.5 * _step(x), color="tab:blue", alpha=0.08,
                   linewidth=0)
    if not numeric:
        ax.set_xticks(x, labels)
    ax.set_xlabel(f"do({name} = ...)   (shaded: allowed)")
    ax.set_ylabel(f"P({report.harm})")
    ax.set_ylim(-0.02, _top(np.r_[rows["hi"], rows["bound"]], report.threshold))
    ax.set_title(f"Harm guard over a grid: {allowed.sum()} of {len(rows)} allowed")
    ax.legend(fontsize=7, loc="best")
    return fig


def _step(x: np.ndarray) -> float:
    return float(np.min(np.diff(np.sort(x)))) if len(x) > 1 and np.ptp(x) > 0 else 1.0


def _top(values: np.ndarray, threshold: float) -> float:
    """Upper y limit: room for the largest value and the threshold, at most 1."""
    return float(min(1.02, max(2 * threshold, 1.15 * float(np.max(values)), 0.02)))
