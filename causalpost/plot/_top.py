"""The most probable graphs as a table of differences from the consensus graph.

When every top graph is rare (P ~ 0.005 on 37 nodes) or large, small
multiples repeat the same 40 edges in panels too small to read; the table
lists the consensus (P > 0.5) graph once and, per top graph, its probability
and only the edges it adds (+) or removes (-) -- as ``causalpost show`` does.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from causalpost.edges import consensus_edges, graph_differences
from causalpost.plot.drawing import ARROW, describe

if TYPE_CHECKING:
    from causalpost.posterior import Posterior

__all__ = ["plot_graph_differences"]

_WIDTH = 96  # characters per line of an edge list


def _edges(edges, sign: str = "") -> str:
    return ", ".join(f"{sign}{a}{ARROW}{b}" for a, b in edges)


def plot_graph_differences(posterior: Posterior, k: int = 6) -> Figure:
    """A table: the consensus graph, then each top graph's probability and differences.

    Parameters
    ----------
    posterior : Posterior
    k : int
        Number of top graphs (fewer if the posterior has fewer distinct graphs).

    Returns
    -------
    matplotlib.figure.Figure
        One axes, no frame; each row's text is one ``Text`` artist.
    """
    consensus = consensus_edges(posterior)
    rows = [("consensus", "P > 0.5", textwrap.wrap(
        f"{len(consensus)} edges: {_edges(consensus) or '(empty)'}", _WIDTH))]
    for diff in graph_differences(posterior, k):
        added = textwrap.wrap(_edges(diff.added, "+"), _WIDTH)
        removed = textwrap.wrap(_edges(diff.removed, "\u2212"), _WIDTH)
        rows.append((f"#{diff.rank}", f"{diff.probability:.4f}",
                     added + removed or ["(the consensus graph itself)"]))
    n_lines = sum(len(r[2]) for r in rows) + len(rows)
    fig = Figure(figsize=(12.0, 1.3 + 0.15 * n_lines), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(n_lines + 0.5, -1.2)
    header: dict[str, Any] = {"fontsize": 9, "fontweight": "bold", "va": "center"}
    ax.text(0.0, -0.6, "graph", **header)
    ax.text(0.09, -0.6, "P(graph)", **header)
    ax.text(0.19, -0.6, "edges added (+) to / removed (\u2212) from the consensus", **header)
    ax.axhline(-0.1, color="0.3", linewidth=0.8)
    y = 0.5
    for rank, prob, lines in rows:
        ax.text(0.0, y, rank, fontsize=9, va="top")
        ax.text(0.09, y, prob, fontsize=9, va="top", family="monospace")
        ax.text(0.19, y, "\n".join(lines), fontsize=8.5, va="top", linespacing=1.25,
                color="0.1" if rank != "consensus" else "0.35")
        y += len(lines) + 1
        ax.axhline(y - 0.5, color="0.85", linewidth=0.6)
    top = graph_differences(posterior, k)
    covered = sum(d.probability for d in top)
    n_unique = len(posterior.unique_graphs()[1])
    ax.set_title(f"Top {len(top)} of {n_unique:,} distinct graphs (together P = {covered:.3f}) "
                 f"as differences from the consensus graph\n{describe(posterior)}",
                 loc="left")
    return fig
