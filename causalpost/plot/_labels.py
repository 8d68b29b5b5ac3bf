"""Labels of large graphs: names shortened to fit (full names in a footnote), and nodes
drawn as their names in boxes, whose font fits the spacing of the nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from causalpost.plot.drawing import (
    MIN_FONT,
    NodeStyle,
    _extent,
    _unit_width,
    fit_limits,
    points_per_unit,
    text_colour,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["box_fontsize", "draw_box_nodes", "label_footnote", "short_labels"]

MAX_LABEL = 14  # longer names are shortened (full names in a footnote)


def short_labels(names: Sequence[str], max_chars: int = MAX_LABEL) -> dict[str, str]:
    """Each name, or names longer than ``max_chars`` cut to fit with a trailing "…"
    (kept distinct by a number when two cuts coincide).

    Examples
    --------
    >>> short_labels(["HR", "INSUFFANESTHESIA_LEVEL"], max_chars=8)
    {'HR': 'HR', 'INSUFFANESTHESIA_LEVEL': 'INSUFFA…'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set(n for n in names if len(n) <= max_chars)
    for name in names:
        if len(name) <= max_chars:
            out[name] = name
            continue
        short, k = name[: max_chars - 1] + "\u2026", 1
        while short in taken:
            k += 1
            short = f"{name[: max_chars - 1 - len(str(k))]}{k}\u2026"
        taken.add(short)
        out[name] = short
    return out


def label_footnote(fig: Figure, labels: Mapping[str, str]) -> None:
    """Under the figure, the full name of every shortened label (nothing if none was)."""
    cut = [f"{short} = {full}" for full, short in labels.items() if short != full]
    if cut:
        import textwrap

        text = textwrap.fill("full names: " + "; ".join(cut), 160)
        fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=7, color="0.25")


def draw_box_nodes(
    ax: Axes, pos: Mapping[str, np.ndarray], *, fontsize: float,
    labels: Mapping[str, str] | None = None, facecolors: Mapping[str, Any] | None = None,
) -> dict[str, NodeStyle]:
    """Nodes as their labels in rounded boxes (for large graphs: a circle that holds a
    12-letter name is too big for 37 nodes); arrows end on the boxes' outlines."""
    labels, facecolors = labels or {}, facecolors or {}
    pad = 0.3 * fontsize
    styles = {}
    for name, xy in pos.items():
        text = labels.get(name, name)
        half_w, half_h = _extent(text, fontsize)
        face = facecolors.get(name, "white")
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=fontsize,
                color=text_colour(face), zorder=4,
                bbox={"boxstyle": f"round,pad={pad / fontsize:.2f}", "facecolor": face,
                      "edgecolor": "0.3", "linewidth": 0.8})
        styles[name] = NodeStyle("box", half_w + pad, half_h + pad)
    fit_limits(ax, np.array(list(pos.values())), max(st.size for st in styles.values()))
    return styles


def box_fontsize(ax: Axes, pos: Mapping[str, np.ndarray], labels: Sequence[str]) -> float:
    """The largest font (6-9 pt) at which a typical long label (the 90th percentile of
    widths) spans at most the distance from most nodes (90%) to their nearest neighbour."""
    xy = np.array(list(pos.values()))
    if len(xy) < 2:
        return 9.0
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    room = float(np.quantile(gaps.min(axis=1), 0.1)) * points_per_unit(ax, xy)
    wide = float(np.quantile([_unit_width(text) for text in labels], 0.9))
    return float(np.clip(room / max(wide, 1e-9), MIN_FONT, 9.0))
