"""Figures of a posterior over DAGs: edge-probability heatmap, posterior graph, top graphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure

from causalpost.errors import CausalpostError
from causalpost.plot.drawing import (
    ARROW,
    Layout,
    describe,
    draw_edge,
    draw_nodes,
    figure_axes,
    node_layout,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from causalpost.posterior import Posterior

__all__ = ["plot_edge_probs", "plot_posterior_graph", "plot_top_graphs"]


def _edge_cmap() -> ListedColormap:
    """Probability -> colour and opacity: faint light blue at 0, opaque dark blue at 1."""
    rgba = colormaps["Blues"](np.linspace(0.35, 1.0, 256))
    rgba[:, 3] = np.linspace(0.3, 1.0, 256)
    return ListedColormap(rgba, name="causalpost_edges")


def plot_edge_probs(
    posterior: Posterior, ax: Axes | None = None, *, cmap: str = "Blues", fmt: str = ".2f",
) -> Figure:
    """Heatmap of the posterior edge probabilities P(from -> to), values in the cells.

    Rows are the source (parent) nodes, columns the targets (children); the
    diagonal (self-loops, impossible in a DAG) is grey and empty. Values
    below 0.1 are written in grey so the probable edges stand out.

    Parameters
    ----------
    posterior : Posterior
    ax : matplotlib.axes.Axes, optional
        Draw here instead of a new figure.
    cmap : str
        A matplotlib colormap name.
    fmt : str
        Format of the cell values.

    Returns
    -------
    matplotlib.figure.Figure

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
    side = min(max(4.0, 0.55 * d + 2.2), 14.0)
    fig, ax = figure_axes(ax, (side + 1.0, side))
    diagonal = np.eye(d, dtype=bool)
    image = ax.imshow(np.where(diagonal, np.nan, probs), vmin=0.0, vmax=1.0,
                      cmap=colormaps[cmap].with_extremes(bad="0.9"))
    fontsize = float(np.clip(48.0 / d + 4.0, 6.0, 11.0))
    for i, j in zip(*np.nonzero(~diagonal)):
        p = probs[i, j]
        colour = "white" if p > 0.6 else ("black" if p >= 0.1 else "0.45")
        ax.text(j, i, format(p, fmt), ha="center", va="center", fontsize=fontsize, color=colour)
    ax.set_xticks(range(d), posterior.nodes, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(d), posterior.nodes)
    ax.set_xlabel("to (target / child)")
    ax.set_ylabel("from (source / parent)")
    ax.tick_params(length=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label=f"P(from {ARROW} to)")
    ax.set_title(f"Posterior edge probabilities\n{describe(posterior)}")
    return fig


def plot_posterior_graph(
    posterior: Posterior, cutoff: float = 0.1, layout: Layout = None, ax: Axes | None = None,
) -> Figure:
    """The posterior as one graph: each edge's width, colour and opacity grow with P(edge).

    Both directions of a pair are drawn as two arcs when both pass the cut-off.

    Parameters
    ----------
    posterior : Posterior
    cutoff : float
        Edges with probability below this (or zero) are not drawn.
    layout : str or mapping, optional
        See :func:`node_layout`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    CausalpostError
        If ``cutoff`` is outside [0, 1].
    """
    if not 0.0 <= cutoff <= 1.0:
        raise CausalpostError(f"cutoff must be in [0, 1], got {cutoff}")
    probs = posterior.edge_prob_matrix
    pos = node_layout(posterior.nodes, probs, layout)
    side = min(max(5.0, 0.45 * posterior.n_nodes + 3.0), 12.0)
    fig, ax = figure_axes(ax, (side + 1.0, side + 0.4))
    styles = draw_nodes(ax, pos, fontsize=10.0)
    names, cmap, norm = posterior.nodes, _edge_cmap(), Normalize(0.0, 1.0)
    shown = (probs >= cutoff) & (probs > 0)
    for i, j in sorted(zip(*np.nonzero(shown)), key=lambda ij: probs[ij]):  # strongest on top
        p = float(probs[i, j])
        draw_edge(ax, pos, styles, names[i], names[j], rad=0.18 if shown[j, i] else 0.0,
                  color=cmap(norm(p)), linewidth=0.6 + 3.4 * p, mutation_scale=9 + 9 * p)
    ax.set_anchor("E")  # hug the colour bar; bbox="tight" crops the slack on the left
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.7,
                 label="P(edge): colour, opacity and width")
    hidden = int(np.sum((probs > 0) & ~shown))
    ax.set_title(f"Posterior graph: {int(shown.sum())} edges with P \u2265 {cutoff:g}, "
                 f"{hidden} weaker not drawn\n{describe(posterior)}")
    return fig


def plot_top_graphs(
    posterior: Posterior, k: int = 6, layout: Layout = None, ncols: int | None = None,
) -> Figure:
    """The ``k`` most probable distinct graphs as small multiples, each titled with P(G).

    Parameters
    ----------
    posterior : Posterior
    k : int
        Number of graphs (fewer if the posterior has fewer distinct graphs).
    layout : str or mapping, optional
        See :func:`node_layout`; the same positions are used in every panel.
    ncols : int, optional
        Panels per row (default up to 3).

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
