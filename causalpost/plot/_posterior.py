"""Figures of a posterior over DAGs: edge-probability heatmap, posterior graph, top graphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle

from causalpost._edge_estimate import outside_space
from causalpost.edges import DIRECTION_OPEN, direction_open, prefer_differences
from causalpost.errors import CausalpostError
from causalpost.plot._labels import box_fontsize, draw_box_nodes, label_footnote, short_labels
from causalpost.plot.drawing import (
    ARROW,
    LARGE_GRAPH,
    Layout,
    describe,
    draw_edge,
    draw_nodes,
    figure_axes,
    node_layout,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

    from causalpost.posterior import Posterior

__all__ = ["plot_edge_probs", "plot_posterior_graph", "plot_top_graphs"]

OPEN_COLOUR = "tab:orange"  # a pair whose direction the data leave open
TRUE_COLOUR = "tab:red"  # the true graph, when given
OUTSIDE_COLOUR = "tab:purple"  # an edge outside the search space (plus-one estimate)
OUTSIDE_SHOWN = 0.01  # ... marked when its estimate is at least this


def _edge_cmap() -> ListedColormap:
    """Probability -> colour and opacity: faint light blue at 0, opaque dark blue at 1."""
    rgba = colormaps["Blues"](np.linspace(0.35, 1.0, 256))
    rgba[:, 3] = np.linspace(0.3, 1.0, 256)
    return ListedColormap(rgba, name="causalpost_edges")


def _check_truth(truth: np.ndarray | None, n_nodes: int) -> np.ndarray | None:
    if truth is None:
        return None
    truth = np.asarray(truth)
    if truth.shape != (n_nodes, n_nodes):
        raise CausalpostError(f"truth must be an adjacency matrix of shape ({n_nodes}, "
                              f"{n_nodes}) over the posterior's nodes; got {truth.shape}")
    return truth.astype(bool) & ~np.eye(n_nodes, dtype=bool)


def _legend(fig: Figure, ax: Axes, handles: list[Artist], own_figure: bool) -> None:
    if not handles:
        return
    if own_figure:  # below the axes, out of the cells' way
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   fontsize=9, frameon=False)
    else:
        ax.legend(handles=handles, loc="best", fontsize=8)


def plot_edge_probs(
    posterior: Posterior, ax: Axes | None = None, *, cmap: str = "Blues", fmt: str = ".2f",
    truth: np.ndarray | None = None,
) -> Figure:
    """Heatmap of the posterior edge probabilities P(from -> to), values in the cells.

    Rows are the source (parent) nodes, columns the targets (children); the
    diagonal (self-loops, impossible in a DAG) is grey and empty. Values
    below 0.1 are written in grey so the probable edges stand out -- above
    :data:`~causalpost.plot.drawing.LARGE_GRAPH` nodes they are left out, and
    names longer than 14 characters are shortened (full names below the
    figure). A small orange triangle marks a pair whose direction the data
    leave open (both directions at least 0.2, :func:`causalpost.edges.direction_open`);
    with ``truth``, the true edges' cells are outlined in red.

    Parameters
    ----------
    posterior : Posterior
    ax : matplotlib.axes.Axes, optional
        Draw here instead of a new figure.
    cmap : str
        A matplotlib colormap name.
    fmt : str
        Format of the cell values.
    truth : numpy.ndarray, shape (n_nodes, n_nodes), optional
        A true adjacency matrix over the posterior's nodes (e.g. from
        :func:`causalpost.evaluate.read_truth`).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If ``truth`` does not have the posterior's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost import Posterior
    >>> post = Posterior(["A", "B"], np.array([[[0, 1], [0, 0]], [[0, 0], [0, 0]]]))
    >>> fig = plot_edge_probs(post)
    >>> sorted(t.get_text() for t in fig.axes[0].texts)
    ['0.00', '0.50']
    """
    probs = posterior.edge_prob_matrix
    d = posterior.n_nodes
    truth = _check_truth(truth, d)
    large = d > LARGE_GRAPH
    side = min(max(4.0, 0.55 * d + 2.2), 16.0 if large else 14.0)
    own_figure = ax is None
    fig, ax = figure_axes(ax, (side + 1.0, side))
    diagonal = np.eye(d, dtype=bool)
    image = ax.imshow(np.where(diagonal, np.nan, probs), vmin=0.0, vmax=1.0,
                      cmap=colormaps[cmap].with_extremes(bad="0.9"))
    fontsize = float(np.clip(48.0 / d + 4.0, 6.0, 11.0))
    for i, j in zip(*np.nonzero(~diagonal)):
        p = probs[i, j]
        if large and p < 0.1:
            continue
        colour = "white" if p > 0.6 else ("black" if p >= 0.1 else "0.45")
        ax.text(j, i, format(p, fmt), ha="center", va="center", fontsize=fontsize, color=colour)
    labels = short_labels(posterior.nodes)
    shown = [labels[n] for n in posterior.nodes]
    ticks = float(np.clip(0.55 * 72 * side / d, 6.0, 10.0))
    if large:
        ax.set_xticks(range(d), shown, rotation=90, fontsize=ticks)
    else:
        ax.set_xticks(range(d), shown, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(d), shown, fontsize=ticks if large else None)
    ax.set_xlabel("to (target / child)")
    ax.set_ylabel("from (source / parent)")
    ax.tick_params(length=0)
    handles = _edge_marks(ax, probs, truth)
    handles += _outside_marks(ax, probs, outside_space(posterior.diagnostics, d))
    fig.colorbar(image, ax=ax, shrink=0.8, label=f"P(from {ARROW} to)")
    note = "; values shown where P \u2265 0.1" if large else ""
    ax.set_title(f"Posterior edge probabilities\n{describe(posterior)}{note}")
    _legend(fig, ax, handles, own_figure)
    label_footnote(fig, labels)
    return fig


def _edge_marks(ax: Axes, probs: np.ndarray, truth: np.ndarray | None) -> list[Artist]:
    """Direction-open triangles and true-edge outlines on the heatmap; legend handles."""
    handles: list[Artist] = []
    open_pairs = direction_open(probs)
    for i, j in zip(*np.nonzero(open_pairs)):
        ax.add_patch(Polygon([(j + 0.5, i - 0.5), (j + 0.5, i - 0.05), (j + 0.05, i - 0.5)],
                             closed=True, facecolor=OPEN_COLOUR, edgecolor="none", zorder=3))
    if open_pairs.any():
        handles.append(Line2D([], [], marker=(3, 0, -45), linestyle="none", color=OPEN_COLOUR,
                              markersize=8, label=f"direction open ({int(open_pairs.sum()) // 2}"
                              f" pairs: both ways P \u2265 {DIRECTION_OPEN:g})"))
    if truth is not None:
        for i, j in zip(*np.nonzero(truth)):
            ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False,
                                   edgecolor=TRUE_COLOUR, linewidth=1.6, zorder=4))
        found = int((truth & (probs > 0.5)).sum())
        handles.append(Patch(fill=False, edgecolor=TRUE_COLOUR, linewidth=1.6,
                             label=f"true edge ({int(truth.sum())}; {found} with P > 0.5)"))
    return handles


def _outside_marks(ax: Axes, probs: np.ndarray, outside: np.ndarray | None) -> list[Artist]:
    """A corner square on each cell outside the search space whose plus-one estimate is
    at least :data:`OUTSIDE_SHOWN`; its legend handle."""
    if outside is None:
        return []
    marked = outside & (probs >= OUTSIDE_SHOWN)
    for i, j in zip(*np.nonzero(marked)):
        ax.add_patch(Rectangle((j - 0.5, i + 0.2), 0.3, 0.3, facecolor=OUTSIDE_COLOUR,
                               edgecolor="none", zorder=3))
    if not marked.any():
        return []
    return [Patch(facecolor=OUTSIDE_COLOUR, edgecolor="none",
                  label=f"outside the search space ({int(marked.sum())} with P \u2265 "
                  f"{OUTSIDE_SHOWN:g}: the plus-one estimate)")]


def plot_posterior_graph(
    posterior: Posterior, cutoff: float = 0.1, layout: Layout = None, ax: Axes | None = None,
    *, truth: np.ndarray | None = None,
) -> Figure:
    """The posterior as one graph: each edge's width, colour and opacity grow with P(edge).

    Both directions of a pair are drawn as two arcs when both pass the cut-off;
    a pair whose direction the data leave open (both directions at least 0.2,
    :func:`causalpost.edges.direction_open`) is drawn in orange. Above
    :data:`~causalpost.plot.drawing.LARGE_GRAPH` nodes the nodes are their
    names in boxes (shortened past 14 characters, full names below the figure).
    With ``truth``, a true edge that is not drawn is a red dashed arrow.

    Parameters
    ----------
    posterior : Posterior
    cutoff : float
        Edges with probability below this (or zero) are not drawn.
    layout : str or mapping, optional
        See :func:`node_layout`.
    ax : matplotlib.axes.Axes, optional
    truth : numpy.ndarray, shape (n_nodes, n_nodes), optional
        A true adjacency matrix over the posterior's nodes.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If ``cutoff`` is outside [0, 1] or ``truth`` does not have the posterior's shape.
    """
    if not 0.0 <= cutoff <= 1.0:
        raise CausalpostError(f"cutoff must be in [0, 1], got {cutoff}")
    probs = posterior.edge_prob_matrix
    d = posterior.n_nodes
    truth = _check_truth(truth, d)
    pos = node_layout(posterior.nodes, probs, layout)
    large = d > LARGE_GRAPH
    side = min(max(5.0, 0.45 * d + 3.0), 14.0 if large else 12.0)
    own_figure = ax is None
    fig, ax = figure_axes(ax, (side + 1.0, side + 0.4))
    labels = short_labels(posterior.nodes)
    if large:
        styles = draw_box_nodes(ax, pos, fontsize=box_fontsize(ax, pos, list(labels.values())),
                                labels=labels)
    else:
        styles = draw_nodes(ax, pos, fontsize=10.0)
    names, cmap, norm = posterior.nodes, _edge_cmap(), Normalize(0.0, 1.0)
    open_pairs = direction_open(probs)
    shown = (probs >= cutoff) & (probs > 0)
    for i, j in sorted(zip(*np.nonzero(shown)), key=lambda ij: probs[ij]):  # strongest on top
        p = float(probs[i, j])
        colour = to_rgba(OPEN_COLOUR, 0.3 + 0.7 * p) if open_pairs[i, j] else cmap(norm(p))
        draw_edge(ax, pos, styles, names[i], names[j], rad=0.18 if shown[j, i] else 0.0,
                  color=colour, linewidth=0.6 + 3.4 * p, mutation_scale=9 + 9 * p)
    handles: list[Artist] = []
    n_open = int((open_pairs & shown & shown.T).sum()) // 2
    if n_open:
        handles.append(Line2D([], [], color=OPEN_COLOUR, linewidth=2.5,
                              label=f"direction open: both ways P \u2265 {DIRECTION_OPEN:g} "
                              f"({n_open} pairs)"))
    if truth is not None:
        missed = truth & ~shown
        for i, j in zip(*np.nonzero(missed)):
            draw_edge(ax, pos, styles, names[i], names[j], rad=0.18 if shown[j, i] else 0.0,
                      color=TRUE_COLOUR, linewidth=1.1, linestyle=(0, (4, 2)), mutation_scale=10)
        handles.append(Line2D([], [], color=TRUE_COLOUR, linewidth=1.1, linestyle=(0, (4, 2)),
                              label=f"true edge not drawn ({int(missed.sum())} of "
                              f"{int(truth.sum())})"))
    title = f"{int(shown.sum())} edges with P \u2265 {cutoff:g}"
    ax.set_anchor("E")  # hug the colour bar; bbox="tight" crops the slack on the left
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.7,
                 label="P(edge): colour, opacity and width")
    hidden = int(np.sum((probs > 0) & ~shown))
    ax.set_title(f"Posterior graph: {title}, {hidden} weaker not drawn\n{describe(posterior)}")
    _legend(fig, ax, handles, own_figure)
    label_footnote(fig, labels if large else {})
    return fig


def plot_top_graphs(
    posterior: Posterior, k: int = 6, layout: Layout = None, ncols: int | None = None,
    *, as_differences: bool | None = None,
) -> Figure:
    """The ``k`` most probable distinct graphs as small multiples, each titled with P(G).

    When every one of them is rare (P < 0.05) or the consensus (P > 0.5) graph
    has more than 12 edges, a table instead: the consensus graph once, then
    each top graph's probability and the edges it adds or removes
    (:func:`causalpost.edges.prefer_differences`, as ``causalpost show`` decides).

    Parameters
    ----------
    posterior : Posterior
    k : int
        Number of graphs (fewer if the posterior has fewer distinct graphs).
    layout : str or mapping, optional
        See :func:`node_layout`; the same positions are used in every panel.
    ncols : int, optional
        Panels per row (default up to 3).
    as_differences : bool, optional
        Force the table (True) or the panels (False); default: decided as above.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If ``k < 1``.
    """
    if k < 1:
        raise CausalpostError(f"k must be >= 1, got {k}")
    top = posterior.top_graphs(k)
    if as_differences is None:
        as_differences = prefer_differences(posterior, [g.probability for g in top])
    if as_differences:
        from causalpost.plot._top import plot_graph_differences

        return plot_graph_differences(posterior, k)
    n_unique = len(posterior.unique_graphs()[1])
    ncols = max(1, min(ncols or 3, len(top)))
    nrows = -(-len(top) // ncols)
    panel = float(np.clip(2.4 + 0.15 * posterior.n_nodes, 3.0, 5.0))
    fig = Figure(figsize=(panel * ncols, panel * nrows + 0.6), layout="constrained")
    pos = node_layout(posterior.nodes, posterior.edge_prob_matrix, layout)
    names = posterior.nodes
    for rank, graph in enumerate(top, start=1):
        ax = fig.add_subplot(nrows, ncols, rank)
        styles = draw_nodes(ax, pos, fontsize=9.0, max_radius=14.0)
        for i, j in zip(*np.nonzero(graph.adjacency)):
            draw_edge(ax, pos, styles, names[i], names[j], color="0.15", linewidth=1.3,
                      mutation_scale=11)
        n_edges = int(graph.adjacency.sum())
        ax.set_title(f"#{rank}: P = {graph.probability:.3f}  ({n_edges} edges)", fontsize=10)
    covered = sum(g.probability for g in top)
    fig.suptitle(f"Top {len(top)} of {n_unique:,} distinct graphs, together P = {covered:.3f}"
                 f"\n{describe(posterior)}")
    return fig
