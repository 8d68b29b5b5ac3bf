"""Figures of an incentive audit: risk bars with intervals, and the CID coloured by risk.

They take plain inputs (a table, edge lists, a dict of risks) so that they do
not depend on the audit's report type, and draw with the machinery of the
posterior figures (:mod:`causalpost.plot.drawing`); kinds are named by
:data:`incentives.sets.KIND_LABELS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from causalpost.errors import CausalpostError
from causalpost.plot.drawing import (
    Layout,
    choose_rad,
    draw_edge,
    draw_nodes,
    figure_axes,
    fit_limits,
    node_layout,
)
from incentives.sets import KIND_LABELS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_cid", "plot_risk"]

RISK_COLUMNS = ("node", "kind", "decision", "probability", "lo", "hi", "protected")


def plot_risk(
    table: pd.DataFrame, threshold: float, ax: Axes | None = None, *, title: str | None = None,
) -> Figure:
    """Posterior probability of each incentive as a bar with its interval.

    Rows that decide the verdict (the protected ones, or every row when none
    is protected) are red when they fail -- the upper end of the interval above
    ``threshold``, or the conservative flag raised (column ``conservative``,
    when present) -- and green when they pass; the other rows are grey, so an
    unprotected row never looks more alarming than a failing protected one.
    Protected rows are hatched; every estimate carries a dot, so a bar of
    length 0 stays visible. The estimate and interval are written on the right.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (decision, kind, node), columns ``node``, ``kind``
        (``"voi"``, ``"ri"``, ``"voc"``, ``"ici"``, ...), ``decision``,
        ``probability``, ``lo`` and ``hi`` (interval for the sampler's error)
        and ``protected`` (bool).
    threshold : float
        The user's risk threshold, drawn as a dashed vertical line.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If a column is missing or the table is empty.
    """
    missing = [c for c in RISK_COLUMNS if c not in table.columns]
    if missing:
        raise CausalpostError(f"risk table lacks column(s) {missing}")
    if len(table) == 0:
        raise CausalpostError("risk table is empty: nothing to plot")
    rows = table.sort_values("probability", kind="stable").reset_index(drop=True)
    p = rows["probability"].to_numpy(dtype=np.float64)
    lo, hi = rows["lo"].to_numpy(dtype=np.float64), rows["hi"].to_numpy(dtype=np.float64)
    protected = rows["protected"].to_numpy(dtype=bool)
    decisions = rows["decision"].astype(str).unique()
    own_figure = ax is None
    fig, ax = figure_axes(ax, (8.0, 1.4 + 0.4 * len(rows)))
    fails = hi > threshold
    if "conservative" in rows.columns:
        fails |= rows["conservative"].to_numpy(dtype=bool)
    deciding = protected if protected.any() else np.ones_like(protected)
    colours = np.where(deciding, np.where(fails, "tab:red", "tab:green"), "0.7")
    y = np.arange(len(rows))
    ax.barh(y, p, color=colours, alpha=0.75, height=0.6,
            hatch=["//" if pr else "" for pr in protected], edgecolor="0.25", linewidth=0.5)
    ax.scatter(p, y, c=list(colours), edgecolors="0.2", s=22, zorder=3)  # visible at p = 0
    ax.errorbar(p, y, xerr=[np.clip(p - lo, 0, None), np.clip(hi - p, 0, None)], fmt="none",
                ecolor="black", elinewidth=1.0, capsize=3)
    values = ax.secondary_yaxis("right")
    values.set_yticks(y, [f"{p[k]:.2f} [{lo[k]:.2f}, {hi[k]:.2f}]" for k in range(len(rows))])
    values.tick_params(length=0, labelsize=8)
    values.set_ylabel("estimate [interval]", fontsize=8)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
    with_decision = len(decisions) > 1
    ax.set_yticks(y, [_risk_label(r, with_decision) for r in rows.itertuples()])
    ax.set_xlim(0, 1)
    ax.set_xlabel("posterior probability of the incentive (whisker: interval)")
    _risk_legend(ax, threshold, bool(protected.any()), bool((~deciding).any()), own_figure)
    which = "" if with_decision else f" of decision {decisions[0]}"
    counted = "protected " if protected.any() else ""
    ax.set_title(title or f"Incentive risk{which}: {int((fails & deciding).sum())} of "
                 f"{int(deciding.sum())} {counted}failing at the threshold {threshold:g}")
    return fig


def _risk_label(row: Any, with_decision: bool) -> str:
    kind = KIND_LABELS.get(str(row.kind).lower(), str(row.kind))
    return f"{kind} on {row.node}" + (f" ({row.decision})" if with_decision else "")


def _risk_legend(ax: Axes, threshold: float, any_protected: bool, any_other: bool,
                 own_figure: bool) -> None:
    handles = [Patch(color="tab:red", alpha=0.75, label="fails (upper end over, or flagged)"),
               Patch(color="tab:green", alpha=0.75, label="passes"),
               Line2D([], [], color="black", linestyle="--", label=f"threshold {threshold:g}")]
    if any_protected:
        handles.append(Patch(facecolor="white", edgecolor="0.25", hatch="//",
                             label="protected node"))
    if any_other:
        handles.append(Patch(color="0.7", alpha=0.75, label="not protected (no verdict)"))
    if own_figure:  # below the axes, out of the bars' way
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                         fontsize=8, frameon=False)
    else:
        ax.legend(handles=handles, loc="best", fontsize=8)


def plot_cid(
    edges: Iterable[tuple[str, str]],
    decisions: Iterable[str],
    utilities: Iterable[str],
    risk: Mapping[str, float],
    title: str = "Causal influence diagram coloured by incentive risk",
    ax: Axes | None = None,
    layout: Layout = None,
) -> Figure:
    """A causal influence diagram with each node coloured by its incentive risk.

    Decisions are squares, utilities diamonds, chance nodes circles; links
    into a decision (what it observes) are dashed. Nodes missing from
    ``risk`` are grey. An edge that would pass through another node is
    drawn as an arc.

    Parameters
    ----------
    edges : iterable of (str, str)
    decisions, utilities : iterable of str
    risk : mapping of str to float
        Risk in [0, 1] per node (e.g. its largest incentive probability).
    title : str
    ax : matplotlib.axes.Axes, optional
    layout : str or mapping, optional
        Default: layers from top to bottom in causal order; else see :func:`node_layout`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If the edges form a cycle or a layout misses a node.
    """
    edges = [(str(a), str(b)) for a, b in edges]
    decisions, utilities = [str(n) for n in decisions], [str(n) for n in utilities]
    nodes = list(dict.fromkeys([*decisions, *(n for e in edges for n in e), *utilities,
                                *map(str, risk)]))
    pos = _layered_layout(nodes, edges) if layout is None else node_layout(nodes, None, layout)
    clearance, arcs = 0.3 * _min_distance(pos), cast(list[np.ndarray], [])
    rads = [choose_rad(pos, a, b, clearance, arcs) for a, b in edges]
    extent = np.concatenate([np.array(list(pos.values())), *arcs])
    span_x, span_y = np.ptp(extent, axis=0)
    fig, ax = figure_axes(ax, (float(np.clip(1.6 * span_x + 4.0, 5.5, 14.0)),
                               float(np.clip(1.3 * span_y + 2.6, 3.5, 12.0))))
    cmap, norm = colormaps["Reds"], Normalize(0.0, 1.0)
    shapes = {n: "s" for n in decisions} | {n: "D" for n in utilities}
    faces = {n: (cmap(norm(float(risk[n]))) if n in risk else "0.85") for n in nodes}
    styles = draw_nodes(ax, pos, fontsize=9.0, shapes=shapes, facecolors=faces,
                        max_radius=30.0)
    for (a, b), rad in zip(edges, rads):
        draw_edge(ax, pos, styles, a, b, rad=rad, color="0.2", mutation_scale=12,
                  linestyle="--" if b in decisions else "-")
    fit_limits(ax, extent, max(st.size for st in styles.values()))
    ax.set_anchor("E")  # hug the colour bar; bbox="tight" crops the slack on the left
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.7,
                 label="incentive risk (posterior probability)")
    _cid_legend(ax)
    ax.set_title(title)
    return fig


def _min_distance(pos: Mapping[str, np.ndarray]) -> float:
    xy = np.array(list(pos.values()))
    if len(xy) < 2:
        return 1.0
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return float(gaps[~np.eye(len(xy), dtype=bool)].min()) or 1.0


def _cid_legend(ax: Axes) -> None:
    marker: dict[str, Any] = {"linestyle": "none", "markeredgecolor": "0.2", "markersize": 9}
    handles = [Line2D([], [], marker="s", markerfacecolor="white", label="decision", **marker),
               Line2D([], [], marker="o", markerfacecolor="white", label="chance", **marker),
               Line2D([], [], marker="D", markerfacecolor="white", label="utility", **marker),
               Line2D([], [], color="0.2", linestyle="--", label="information link"),
               Line2D([], [], marker="o", markerfacecolor="0.85", label="risk not assessed",
                      **marker)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3,
              fontsize=8, frameon=False)


def _layered_layout(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Layers from top to bottom by longest path from a root; a layer is ordered by
    the mean position of its nodes' parents."""
    import networkx as nx

    graph = nx.DiGraph(edges)
    graph.add_nodes_from(nodes)
    if not nx.is_directed_acyclic_graph(graph):
        raise CausalpostError("the CID's edges form a cycle: it must be a DAG")
    layer: dict[str, int] = {}
    for n in nx.topological_sort(graph):
        layer[n] = max((layer[p] + 1 for p in graph.predecessors(n)), default=0)
    pos: dict[str, np.ndarray] = {}
    for depth in range(max(layer.values(), default=-1) + 1):
        members = [n for n in nodes if layer[n] == depth]
        members.sort(key=lambda n: np.mean([pos[p][0] for p in graph.predecessors(n)] or [0.0]))
        for k, n in enumerate(members):
            pos[n] = np.array([k - (len(members) - 1) / 2, -float(depth)])
    return {n: pos[n] for n in nodes}
