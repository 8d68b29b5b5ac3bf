"""Bugs that mypy found once a module left the ``ignore_errors`` list of pyproject.toml."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import causalpost as cp
from causalpost.guard import guard


@pytest.fixture(scope="module")
def chain_report():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = 0.8 * x + 0.6 * rng.normal(size=300)
    post = cp.fit(cp.from_numpy(np.c_[x, y], ["X", "Y"]), sampler="exact", seed=0)
    return guard(post, {"X": [0.0, 1.0, 2.0]}, "Y>1", threshold=0.3)


def test_guard_plots_into_a_subfigure_return_the_root_figure(chain_report):
    # _guard_plot returned ax.figure, a SubFigure (no savefig), for an axes of a SubFigure
    root = Figure()
    left, right = root.subfigures(1, 2)
    assert type(chain_report.plot(ax=left.add_subplot())) is Figure
    assert chain_report.plot(ax=left.add_subplot()) is root
    assert chain_report.plot_grid(ax=right.add_subplot()) is root


def test_guard_plots_into_a_figure_return_it(chain_report):
    fig = Figure()
    assert chain_report.plot(ax=fig.add_subplot()) is fig
    assert type(chain_report.plot_grid()) is Figure
