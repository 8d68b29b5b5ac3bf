"""Drawing machinery shared by every graph figure: figures, node placement, markers, arrows.

Public so that the figures of :mod:`incentives.plot` (the CID coloured by
risk) draw nodes and arrows exactly as the posterior figures do.

Node markers are sized in points to fit their labels (long labels get a
smaller font or a second line), and every arrow is shortened at both ends by
the distance from the node centre to the marker's outline along the arrow's
own tangent, so arrow heads always end on the outline, never under a marker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.textpath import TextPath

from causalpost.errors import CausalpostError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from causalpost.posterior import Posterior

__all__ = [
    "ARROW", "FORMATS", "LARGE_GRAPH", "Layout", "NodeStyle", "choose_rad", "describe",
    "draw_edge", "draw_nodes", "figure_axes", "fit_limits", "node_layout", "save_figure",
]

Layout = str | Mapping[str, Sequence[float]] | None
ARROW = "\u2192"
FORMATS = (".png", ".svg", ".pdf")
MIN_FONT = 6.0
LARGE_GRAPH = 20  # above this many nodes: labels in boxes, Kamada-Kawai placement
# marker half-extent relative to a circle's radius, for a similar visual weight
_SHAPE_SCALE = {"o": 1.0, "s": 1.0, "D": 1.45}


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write a figure as PNG, SVG or PDF, chosen by the file extension.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or pathlib.Path
        Ends in ``.png``, ``.svg`` or ``.pdf``; missing folders are created.
    dpi : int
        Resolution of raster output (default 150); the bounding box is tight.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CausalpostError
        For any other extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise CausalpostError(
            f"cannot tell the image format of {str(path)!r}: use one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    from causalpost._io import atomic_path

    with atomic_path(path) as tmp:  # an interrupted save leaves no partial image
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=suffix[1:])
    return path


def figure_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new constrained-layout figure with one axes, or the given axes and its root figure."""
    if ax is not None:
        owner = ax.figure  # a SubFigure's own .figure is the root figure
        return cast(Figure, getattr(owner, "figure", None) or owner), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def describe(posterior: Posterior) -> str:
    """'exact posterior over 543 DAGs' or '2,000 draws (mcmc)'."""
    if posterior.exact:
        return f"exact posterior over {posterior.n_draws:,} DAGs"
    sampler = posterior.info.get("sampler")
    return f"{posterior.n_draws:,} draws" + (f" ({sampler})" if sampler else "")


def node_layout(
    nodes: Sequence[str], adjacency: np.ndarray | None = None, layout: Layout = None,
) -> dict[str, np.ndarray]:
    """Deterministic 2-D positions of the nodes, shared by all graph figures.

    Parameters
    ----------
    nodes : sequence of str
    adjacency : numpy.ndarray, shape (n_nodes, n_nodes), optional
        Edge weights guiding a ``"spring"`` layout (e.g. edge probabilities).
    layout : {"circular", "spring", "kamada_kawai"} or mapping, optional
        Default: circular (clockwise from the top, in node order) up to 12
        nodes, a spring layout with a fixed seed up to :data:`LARGE_GRAPH`,
        Kamada-Kawai above (it spreads 30+ nodes evenly enough for their
        labels). A mapping gives each node's ``(x, y)`` directly.

    Returns
    -------
    dict of str to numpy.ndarray, shape (2,)

    Raises
    ------
    CausalpostError
        For an unknown layout name or a mapping that misses a node.

    Examples
    --------
    >>> pos = node_layout(["A", "B", "C", "D"])
    >>> pos["A"].round(2).tolist(), pos["B"].round(2).tolist()
    ([0.0, 1.0], [1.0, 0.0])
    """
    nodes = [str(n) for n in nodes]
    if isinstance(layout, Mapping):
        missing = [n for n in nodes if n not in layout]
        if missing:
            raise CausalpostError(f"layout has no position for node(s) {missing}")
        return {n: np.asarray(layout[n], dtype=np.float64).reshape(2) for n in nodes}
    kind = layout or ("circular" if len(nodes) <= 12 else
                      "spring" if len(nodes) <= LARGE_GRAPH else "kamada_kawai")
    if kind == "circular":
        angles = np.pi / 2 - 2 * np.pi * np.arange(len(nodes)) / max(len(nodes), 1)
        return {n: np.array([np.cos(a), np.sin(a)]) for n, a in zip(nodes, angles)}
    if kind not in ("spring", "kamada_kawai"):
        raise CausalpostError(f"unknown layout {kind!r}: use 'circular', 'spring', "
                              "'kamada_kawai' or a mapping of node to (x, y)")
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    if adjacency is not None:
        weights = np.asarray(adjacency, dtype=np.float64)
        weights = weights + weights.T
        for i, j in zip(*np.nonzero(np.triu(weights, 1))):
            graph.add_edge(nodes[i], nodes[j], weight=float(weights[i, j]))
    if kind == "spring":
        pos = nx.spring_layout(graph, seed=0)
    else:
        pos = nx.kamada_kawai_layout(graph, dist=_layout_distances(graph, nodes))
    return {n: np.asarray(pos[n], dtype=np.float64) for n in nodes}


def _layout_distances(graph: Any, nodes: list[str]) -> dict[str, dict[str, float]]:
    """Hop counts over the pairs adjacent with probability >= 0.1 (weights are
    probabilities, not lengths); unconnected pairs one hop beyond the longest path,
    so that components sit side by side instead of a million units apart."""
    import networkx as nx

    strong = nx.Graph()
    strong.add_nodes_from(nodes)
    strong.add_edges_from((a, b) for a, b, w in graph.edges(data="weight", default=1.0)
                          if w >= 0.1)
    hops = dict(nx.shortest_path_length(strong))
    far = 1.0 + max((max(row.values()) for row in hops.values()), default=1)
    return {a: {b: float(hops[a].get(b, far)) for b in nodes} for a in nodes}


class NodeStyle(NamedTuple):
    """A drawn node: marker shape ("o", "s", "D", or "box": a label in a box) and
    half-extent in points (for a box: half width, with ``height`` its half height)."""

    shape: str
    size: float
    height: float = 0.0

    def boundary(self, direction: np.ndarray) -> float:
        """Distance in points from the centre to the outline along ``direction``."""
        c, s = np.abs(direction) / max(float(np.hypot(*direction)), 1e-12)
        if self.shape == "box":
            return min(self.size / max(c, 1e-12), self.height / max(s, 1e-12))
        if self.shape == "s":
            return self.size / max(c, s)
        if self.shape == "D":
            return self.size / (c + s)
        return self.size


@lru_cache(maxsize=4096)
def _unit_width(line: str) -> float:
    """Width of one line of text at font size 1, in points (outlines scale linearly)."""
    return TextPath((0, 0), line or " ", size=10.0).get_extents().width / 10.0


def _extent(text: str, fontsize: float) -> tuple[float, float]:
    """Half width and half height of a (multi-line) label in points."""
    lines = text.split("\n")
    width = fontsize * max(_unit_width(line) for line in lines)
    return width / 2, fontsize * (1.2 * len(lines) - 0.2) / 2


def _required(shape: str, text: str, fontsize: float) -> float:
    """Smallest marker half-extent (points) of ``shape`` that holds the label with padding."""
    half_w, half_h = _extent(text, fontsize)
    half_w, half_h = half_w + 0.3 * fontsize, half_h + 0.15 * fontsize
    if shape == "s":
        return max(half_w, half_h)
    if shape == "D":
        return half_w + half_h
    return float(np.hypot(half_w, half_h))


def _two_lines(label: str) -> str | None:
    """The label broken at the separator nearest its middle, or None."""
    cuts = [i for i, ch in enumerate(label[:-1]) if ch in " _-/." and i > 0]
    if not cuts:
        return None
    i = min(cuts, key=lambda k: abs(k + 1 - len(label) / 2))
    return label[:i] + "\n" + label[i + 1:] if label[i] == " " else \
        label[: i + 1] + "\n" + label[i + 1:]


def _candidates(label: str) -> list[str]:
    return [text for text in (label, _two_lines(label)) if text]


def fit_label(label: str, style: NodeStyle, fontsize: float) -> tuple[str, float]:
    """The label (maybe on two lines) and the largest font <= fontsize that fits the
    marker; at the smallest font, the variant that comes closest."""
    fitting = []
    for text in _candidates(label):
        size = fontsize
        while size > MIN_FONT and _required(style.shape, text, size) > style.size:
            size -= 0.5
        if _required(style.shape, text, size) <= style.size:
            fitting.append((size - (1.0 if "\n" in text else 0.0), text, size))
    if fitting:  # one line unless two lines allow a much larger font
        return max(fitting, key=lambda row: row[0])[1:]
    return min(_candidates(label), key=lambda t: _required(style.shape, t, MIN_FONT)), MIN_FONT


def _smallest_size(label: str, shape: str) -> float:
    """The marker half-extent needed to hold the label at the smallest font."""
    return min(_required(shape, text, MIN_FONT) for text in _candidates(label))


def draw_nodes(
    ax: Axes, pos: Mapping[str, np.ndarray], *, fontsize: float,
    shapes: Mapping[str, str] | None = None, facecolors: Mapping[str, Any] | None = None,
    max_radius: float | None = None,
) -> dict[str, NodeStyle]:
    """Markers of one common size (by shape), labels inside; returns each node's style."""
    shapes, facecolors = shapes or {}, facecolors or {}
    need = max(_required("o", n, fontsize) for n in pos)
    radius = float(np.clip(need, 1.1 * fontsize, max_radius or 2.6 * fontsize))
    # never so small that a label cannot fit even at the smallest font ...
    radius = max([radius] + [_smallest_size(n, shapes.get(n, "o")) / _SHAPE_SCALE[
        shapes.get(n, "o")] for n in pos])
    # ... nor so large that neighbouring markers touch
    radius = max(min(radius, 0.4 * _min_spacing(ax, pos)), 6.0)
    styles = {}
    for name, xy in pos.items():
        shape = shapes.get(name, "o")
        style = styles[name] = NodeStyle(shape, radius * _SHAPE_SCALE[shape])
        marker = style.size / np.sqrt(0.5) if shape == "D" else 2 * style.size
        face = facecolors.get(name, "white")
        ax.scatter([xy[0]], [xy[1]], s=marker**2, marker=shape, facecolors=[face],
                   edgecolors="0.2", linewidths=1.0, zorder=3)
        text, size = fit_label(name, style, fontsize)
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=size,
                color=text_colour(face), zorder=4, linespacing=1.0)
    fit_limits(ax, np.array(list(pos.values())), max(st.size for st in styles.values()))
    return styles


def points_per_unit(ax: Axes, xy: np.ndarray) -> float:
    """Points per data unit once constrained layout has sized the equal-aspect axes:
    its grid cell less room for a title, tick labels or a colour bar, and a margin."""
    fig = ax.figure
    if hasattr(fig, "get_size_inches"):
        width, height = fig.get_size_inches()
    else:  # a SubFigure: use the axes' current box
        width, height = ax.bbox.width / fig.dpi, ax.bbox.height / fig.dpi
    spec = ax.get_subplotspec()
    if spec is not None:
        rows, cols = spec.get_geometry()[:2]
        width *= (spec.colspan.stop - spec.colspan.start) / cols
        height *= (spec.rowspan.stop - spec.rowspan.start) / rows
    room = 72 * np.maximum(0.85 * np.array([width, height]) - 0.4, 0.5)
    span = np.maximum(np.ptp(xy, axis=0), 1e-9) * 1.4
    return float(np.min(room / span))


def _min_spacing(ax: Axes, pos: Mapping[str, np.ndarray]) -> float:
    """Smallest distance between two node centres in points, estimated before layout."""
    xy = np.array(list(pos.values()))
    if len(xy) < 2:
        return np.inf
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return float(gaps[~np.eye(len(xy), dtype=bool)].min()) * points_per_unit(ax, xy)


def text_colour(face: Any) -> str:
    """Black or white, whichever reads better on ``face``."""
    r, g, b = to_rgb(face)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def fit_limits(ax: Axes, xy: np.ndarray, radius: float = 20.0) -> None:
    """Equal-aspect limits around the points ``xy`` (n, 2) leaving room for markers of
    ``radius`` points, estimated from the axes' size before layout; axes hidden."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    margin = 1.15 * (radius + 4.0) / points_per_unit(ax, xy)
    ax.set_xlim(low[0] - margin, high[0] + margin)
    ax.set_ylim(low[1] - margin, high[1] + margin)
    ax.set_aspect("equal")
    ax.set_axis_off()


def draw_edge(
    ax: Axes, pos: Mapping[str, np.ndarray], styles: Mapping[str, NodeStyle], source: str,
    target: str, *, rad: float = 0.0, linewidth: float = 1.2, arrowstyle: str = "-|>",
    **style: Any,
) -> FancyArrowPatch:
    """An arrow from ``source`` to ``target`` ending on the markers' outlines.

    ``rad`` curves it (matplotlib's ``arc3``); the ends are shortened along
    the curve's own tangents. The arrow's label is ``"source → target"``.
    """
    start, end = pos[source], pos[target]
    chord = end - start
    control = (start + end) / 2 + rad * np.array([chord[1], -chord[0]])
    shrink_a = styles[source].boundary(control - start) + 1.0 + linewidth / 2
    shrink_b = styles[target].boundary(end - control) + 1.0 + linewidth / 2
    arrow = FancyArrowPatch(tuple(start), tuple(end), arrowstyle=arrowstyle, shrinkA=shrink_a,
                            shrinkB=shrink_b, connectionstyle=f"arc3,rad={rad}", zorder=2,
                            linewidth=linewidth, label=f"{source} {ARROW} {target}", **style)
    ax.add_patch(arrow)
    return arrow


def passes_near_node(
    pos: Mapping[str, np.ndarray], source: str, target: str, clearance: float,
) -> bool:
    """Whether the straight segment source -> target passes within ``clearance`` of a node."""
    start, end = pos[source], pos[target]
    chord = end - start
    length2 = float(chord @ chord) or 1e-12
    for name, xy in pos.items():
        if name in (source, target):
            continue
        t = float((xy - start) @ chord) / length2
        if 0.0 < t < 1.0 and float(np.hypot(*(start + t * chord - xy))) < clearance:
            return True
    return False


def _arc_points(start: np.ndarray, end: np.ndarray, rad: float, n: int = 25) -> np.ndarray:
    """Points of matplotlib's ``arc3`` curve (a quadratic Bezier), shape (n, 2)."""
    chord = end - start
    control = (start + end) / 2 + rad * np.array([chord[1], -chord[0]])
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * start + 2 * t * (1 - t) * control + t**2 * end


def choose_rad(
    pos: Mapping[str, np.ndarray], source: str, target: str, clearance: float,
    drawn: list[np.ndarray],
) -> float:
    """Bend of the edge: 0 if the straight line clears every other node, else the arc
    (either side, two bends) keeping farthest from other nodes and from the arcs in
    ``drawn``, to which the chosen arc's points are appended."""
    if not passes_near_node(pos, source, target, clearance):
        return 0.0
    others = np.array([xy for n, xy in pos.items() if n not in (source, target)])
    earlier = np.concatenate(drawn) if drawn else np.empty((0, 2))
    best, best_score, best_points = 0.0, -np.inf, None
    for rad in (0.3, -0.3, 0.5, -0.5):
        points = _arc_points(pos[source], pos[target], rad)[3:-3]
        node_gap = _min_gap(points, others)
        arc_gap = _min_gap(points, earlier)
        score = (min(node_gap, 1.5 * clearance) + 0.5 * min(arc_gap, 1.5 * clearance)
                 - 0.1 * abs(rad) * clearance)
        if score > best_score:
            best, best_score, best_points = rad, score, points
    if best_points is not None:
        drawn.append(best_points)
    return best


def _min_gap(points: np.ndarray, others: np.ndarray) -> float:
    if len(others) == 0:
        return np.inf
    return float(np.min(np.hypot(*(points[:, None, :] - others[None, :, :]).transpose(2, 0, 1))))
