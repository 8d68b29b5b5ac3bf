"""Figures of a posterior over DAGs and of sampler diagnostics.

(The figures of an incentive audit live in :mod:`incentives.plot`, built on
the same drawing machinery, :mod:`causalpost.plot.drawing`.)

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` built
directly (no pyplot: no global state, no GUI backend needed); pass ``ax`` to
draw into an axes of your own instead. :func:`save_figure` writes PNG, SVG or
PDF by the file's extension.

Graph figures share one deterministic placement, :func:`node_layout`, so the
posterior graph and its top graphs line up; arrows end on the outline of the
node markers, never under them.

Examples
--------
>>> import numpy as np
>>> from causalpost import Posterior
>>> from causalpost.plot import plot_posterior_graph
>>> adj = np.array([[[0, 1], [0, 0]], [[0, 1], [0, 0]], [[0, 0], [1, 0]]])
>>> fig = plot_posterior_graph(Posterior(["A", "B"], adj), cutoff=0.5)
>>> [p.get_label() for p in fig.axes[0].patches]
['A → B']
"""

from __future__ import annotations

from causalpost.plot._diagnostics import plot_marginals_vs_exact, plot_traces
from causalpost.plot._posterior import plot_edge_probs, plot_posterior_graph, plot_top_graphs
from causalpost.plot.drawing import node_layout, save_figure

__all__ = [
    "node_layout",
    "plot_edge_probs",
    "plot_marginals_vs_exact",
    "plot_posterior_graph",
    "plot_top_graphs",
    "plot_traces",
    "save_figure",
]
