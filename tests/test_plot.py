"""Figures (causalpost.plot): what is drawn matches the numbers, and stays readable."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.markers import MarkerStyle
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

import causalpost as cp
from causalpost import plot
from causalpost.errors import CausalpostError
from incentives.plot import plot_cid, plot_risk
from tests.conftest import chain_frame

LONG_NAMES = ("Raf", "Mek", "Plcg_gamma1", "PIP2", "PIP3", "p44/42", "Akt", "PKA",
              "PKC", "P38", "phospho-Jnk")


def random_posterior(names=LONG_NAMES, n_draws: int = 300, seed: int = 0, **kwargs):
    """Random DAG draws (random order, sparse upper triangle) around a base graph."""
    rng = np.random.default_rng(seed)
    d = len(names)
    base = np.triu(rng.random((d, d)) < 0.3, 1)
    draws = np.empty((n_draws, d, d), dtype=np.uint8)
    for s in range(n_draws):
        upper = base ^ np.triu(rng.random((d, d)) < 0.05, 1)
        order = rng.permutation(d) if rng.random() < 0.3 else np.arange(d)
        draws[s][np.ix_(order, order)] = upper
    return cp.Posterior(names, draws, info={"sampler": "mcmc"}, **kwargs)


@pytest.fixture(scope="module")
def exact5() -> cp.Posterior:
    return cp.fit(cp.from_pandas(chain_frame()), seed=0)


@pytest.fixture(scope="module")
def post11() -> cp.Posterior:
    return random_posterior()


def rendered(fig: Figure):
    """Draw the figure with Agg (layout applied) and return its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def overlaps(boxes: list[Bbox]) -> list[tuple[int, int]]:
    return [(i, j) for i, j in itertools.combinations(range(len(boxes)), 2)
            if boxes[i].overlaps(boxes[j])]


def arrows(ax) -> list[FancyArrowPatch]:
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def node_markers(ax) -> dict[str, tuple[np.ndarray, float, str]]:
    """Node name -> (centre in display pixels, inscribed radius in pixels, marker)."""
    scale = ax.figure.dpi / 72
    labels = [t for t in ax.texts]
    out = {}
    for coll, text in zip(ax.collections, labels):
        centre = ax.transData.transform(coll.get_offsets()[0])
        vertices = coll.get_paths()[0].vertices
        shapes = {m: MarkerStyle(m).get_path().transformed(MarkerStyle(m).get_transform())
                  .vertices for m in "osD"}
        marker = next(m for m, v in shapes.items()
                      if v.shape == vertices.shape and np.allclose(v, vertices))
        # every marker used (circle, square, diamond) has inscribed radius sqrt(s) / 2
        out[text.get_text().replace("\n", "")] = (centre, np.sqrt(coll.get_sizes()[0]) / 2
                                                  * scale, marker)
    return out


# ------------------------------------------------------------------ heatmap


def test_heatmap_cells_are_the_edge_probabilities(exact5) -> None:
    fig = plot.plot_edge_probs(exact5)
    ax = fig.axes[0]
    d = exact5.n_nodes
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): float(t.get_text())
             for t in ax.texts}
    assert len(ax.texts) == d * (d - 1)  # every off-diagonal cell, no diagonal
    for (i, j), value in cells.items():
        assert i != j
        assert value == pytest.approx(exact5.edge_prob_matrix[i, j], abs=0.005)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(exact5.nodes)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(exact5.nodes)
    assert "from" in ax.get_ylabel() and "to" in ax.get_xlabel()
    assert len(fig.axes) == 2  # the colour bar
    assert "exact" in ax.get_title() and "29,281" in ax.get_title()


def test_heatmap_labels_do_not_overlap_for_long_names(post11) -> None:
    fig = plot.plot_edge_probs(post11)
    renderer = rendered(fig)
    ax = fig.axes[0]
    for labels in (ax.get_yticklabels(), ax.texts):
        assert not overlaps([t.get_window_extent(renderer) for t in labels])
    # slanted column names: neighbours are apart by the tick spacing times sin(angle)
    spacing = np.diff(ax.transData.transform([(0, 0), (1, 0)])[:, 0])[0]
    for label in ax.get_xticklabels():
        height = label.get_fontsize() * fig.dpi / 72
        assert spacing * np.sin(np.radians(label.get_rotation())) > 1.2 * height
    assert "300 draws" in ax.get_title()


# ------------------------------------------------------------------ posterior graph


@pytest.mark.parametrize("cutoff", [0.0, 0.1, 0.5, 0.9])
def test_graph_draws_exactly_the_edges_above_cutoff(post11, cutoff: float) -> None:
    probs = post11.edge_prob_matrix
    fig = plot.plot_posterior_graph(post11, cutoff=cutoff)
    drawn = {a.get_label() for a in arrows(fig.axes[0])}
    names = post11.nodes
    expected = {f"{names[i]} \u2192 {names[j]}"
                for i, j in zip(*np.nonzero((probs >= cutoff) & (probs > 0)))}
    assert drawn == expected
    assert f"{len(expected)} edges" in fig.axes[0].get_title()


def test_graph_width_and_opacity_grow_with_probability(exact5) -> None:
    fig = plot.plot_posterior_graph(exact5, cutoff=0.0)
    index = {n: i for i, n in enumerate(exact5.nodes)}
    rows = []
    for arrow in arrows(fig.axes[0]):
        a, b = arrow.get_label().split(" \u2192 ")
        rows.append((exact5.edge_prob_matrix[index[a], index[b]], arrow.get_linewidth(),
                     arrow.get_edgecolor()[3]))
    p, width, alpha = np.array(sorted(rows)).T
    assert np.all(np.diff(width) >= 0) and np.all(np.diff(alpha) >= -1e-9)
    assert width[-1] > 2 * width[0] and alpha[-1] > alpha[0]
    assert len(fig.axes) == 2  # colour scale for the probability


@pytest.mark.parametrize("kind", ["graph", "top"])
def test_arrows_end_outside_their_nodes_and_labels_do_not_overlap(post11, kind) -> None:
    fig = (plot.plot_posterior_graph(post11) if kind == "graph"
           else plot.plot_top_graphs(post11, k=2, as_differences=False))
    renderer = rendered(fig)
    for ax in fig.axes[:1]:
        nodes = node_markers(ax)
        assert set(nodes) == set(post11.nodes)
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        assert not overlaps(boxes)
        for box, (_, radius, _) in zip(boxes, nodes.values()):
            assert box.width <= 2 * radius  # the label fits inside its marker
        for arrow in arrows(ax):
            path = arrow.get_transform().transform_path(arrow.get_path())
            for name in arrow.get_label().split(" \u2192 "):
                centre, radius, _ = nodes[name]
                gap = np.hypot(*(path.vertices - centre).T).min()
                assert gap >= radius, f"{arrow.get_label()} reaches under {name}"


def test_graph_rejects_a_bad_cutoff(exact5) -> None:
    with pytest.raises(CausalpostError, match="cutoff"):
        plot.plot_posterior_graph(exact5, cutoff=1.5)


# ------------------------------------------------------------------ top graphs


def test_top_graphs_titles_edges_and_shared_layout(exact5) -> None:
    fig = plot.plot_top_graphs(exact5, k=4)
    top = exact5.top_graphs(4)
    assert len(fig.axes) == 4
    positions = []
    for ax, graph in zip(fig.axes, top):
        assert f"P = {graph.probability:.3f}" in ax.get_title()
        assert len(arrows(ax)) == graph.adjacency.sum()
        assert {a.get_label() for a in arrows(ax)} == {
            f"{a} \u2192 {b}" for a, b in graph.edges(exact5.nodes)}
        positions.append([c.get_offsets()[0].tolist() for c in ax.collections])
    assert all(p == positions[0] for p in positions)
    assert "29,281" in fig._suptitle.get_text()


def test_top_graphs_with_fewer_distinct_graphs_than_k() -> None:
    post = cp.Posterior(["A", "B"], np.array([[[0, 1], [0, 0]]] * 3))
    fig = plot.plot_top_graphs(post, k=6)
    assert len(fig.axes) == 1 and "P = 1.000" in fig.axes[0].get_title()
    with pytest.raises(CausalpostError, match="k must be"):
        plot.plot_top_graphs(post, k=0)


# ------------------------------------------------------------------ diagnostics


def test_traces_one_line_per_chain() -> None:
    trace = np.cumsum(np.random.default_rng(0).normal(size=(3, 50)), axis=1)
    post = random_posterior(n_draws=20, diagnostics={"log_score_trace": trace})
    fig = plot.plot_traces(post)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    for line, chain in zip(lines, trace):
        np.testing.assert_array_equal(line.get_ydata(), chain)
    assert "3 chains" in fig.axes[0].get_title() and "50 iterations" in fig.axes[0].get_title()
    one = random_posterior(n_draws=5, diagnostics={"log_score_trace": trace[0]})
    assert len(plot.plot_traces(one).axes[0].get_lines()) == 1


def test_traces_are_drawn_against_chain_iterations_with_the_discarded_part_shaded() -> None:
    trace = np.zeros((2, 40))
    post = random_posterior(n_draws=20, diagnostics={
        "log_score_trace": trace, "trace_every": 10, "trace_start": 5, "window_start": 200})
    ax = plot.plot_traces(post).axes[0]
    for line in ax.get_lines():
        np.testing.assert_array_equal(line.get_xdata(), 5 + 10 * np.arange(40))
    (shade,) = ax.patches
    x = (shade.get_x(), shade.get_x() + shade.get_width()) if hasattr(shade, "get_width") \
        else np.asarray(shade.get_xy())[:, 0]  # a Rectangle (matplotlib >= 3.9) or Polygon
    assert min(x) == 5 and max(x) == 200  # first record to the first kept iteration
    assert "one per 10 iterations" in ax.get_title()


def test_traces_of_an_exact_posterior_is_a_clear_error(exact5) -> None:
    with pytest.raises(CausalpostError, match="no log-score trace.*exact"):
        plot.plot_traces(exact5)


def test_marginals_scatter_and_errors(exact5) -> None:
    exact = exact5.edge_probs
    approx = exact.copy()
    approx.iloc[0, 1] += 0.2
    approx.iloc[2, 3] -= 0.1
    fig = plot.plot_marginals_vs_exact(approx, exact5, labels=("mcmc", "exact"))
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == 20
    assert "max |error| = 0.200" in ax.get_title()
    assert f"mean |error| = {0.3 / 20:.3f}" in ax.get_title()
    assert "mcmc" in ax.get_ylabel() and "exact" in ax.get_xlabel()
    assert any(f"{exact5.nodes[0]}\u2192{exact5.nodes[1]}" == t.get_text() for t in ax.texts)
    with pytest.raises(CausalpostError, match="shapes differ"):
        plot.plot_marginals_vs_exact(np.zeros((3, 3)), np.zeros((4, 4)))
    with pytest.raises(CausalpostError, match="names differ"):
        plot.plot_marginals_vs_exact(approx.rename(columns={"A": "Z"}), exact)


# ------------------------------------------------------------------ audit figures


RISK = pd.DataFrame({
    "node": ["opinion", "clicks", "opinion", "mood"], "kind": ["ici", "voi", "voc", "ri"],
    "decision": ["recommend"] * 4, "probability": [0.42, 0.9, 0.03, 0.0],
    "lo": [0.35, 0.86, 0.01, 0.0], "hi": [0.49, 0.94, 0.06, 0.02],
    "protected": [True, False, True, False]})


def test_risk_bars_intervals_and_threshold() -> None:
    fig = plot_risk(RISK, threshold=0.05)
    ax = fig.axes[0]
    bars = ax.patches
    assert sorted(b.get_width() for b in bars) == sorted(RISK["probability"])
    red, grey = colormaps["tab10"](3)[:3], (0.7, 0.7, 0.7)
    protected = dict(zip(RISK["probability"], RISK["protected"]))
    upper = dict(zip(RISK["probability"], RISK["hi"]))
    for bar in bars:
        p = bar.get_width()
        # red = the row fails the verdict: its upper end (not only its estimate) is over
        assert np.allclose(bar.get_facecolor()[:3], red) == (upper[p] > 0.05 and protected[p])
        assert np.allclose(bar.get_facecolor()[:3], grey) == (not protected[p])
    assert len(ax.collections[0].get_offsets()) == len(RISK)  # a dot per row: p = 0 visible
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "value of information on clicks"  # largest on top
    assert any(line.get_xdata()[0] == 0.05 for line in ax.get_lines())  # threshold
    assert "2 of 2 protected failing" in ax.get_title()
    # with no protected row every row decides: red when its upper end is over
    unprotected = plot_risk(RISK.assign(protected=False), threshold=0.05)
    reds = [np.allclose(b.get_facecolor()[:3], red) for b in unprotected.axes[0].patches]
    assert reds == [upper[b.get_width()] > 0.05 for b in unprotected.axes[0].patches]
    # the conservative flag fails a row whose interval is under the threshold
    flagged = plot_risk(RISK.assign(conservative=[False, False, False, True],
                                         protected=True), threshold=0.05)
    zero = next(b for b in flagged.axes[0].patches if b.get_width() == 0.0)
    assert np.allclose(zero.get_facecolor()[:3], red)
    renderer = rendered(fig)
    assert not overlaps([t.get_window_extent(renderer) for t in ax.get_yticklabels()])
    with pytest.raises(CausalpostError, match="lacks column"):
        plot_risk(RISK.drop(columns="hi"), 0.05)


CID_EDGES = [("history", "recommend"), ("mood", "history"), ("recommend", "clicks"),
             ("mood", "clicks"), ("recommend", "user_opinion"), ("user_opinion", "clicks"),
             ("clicks", "engagement"), ("user_opinion", "engagement")]


def test_cid_shapes_colours_and_information_links() -> None:
    risk = {"user_opinion": 0.42, "clicks": 0.9, "mood": 0.0}
    fig = plot_cid(CID_EDGES, ["recommend"], ["engagement"], risk)
    ax = fig.axes[0]
    nodes = node_markers(ax)
    assert {n: m for n, (_, _, m) in nodes.items()} == {
        "recommend": "s", "engagement": "D", "history": "o", "mood": "o", "clicks": "o",
        "user_opinion": "o"}
    faces = {t.get_text().replace("\n", ""): c.get_facecolor()[0]
             for t, c in zip(ax.texts, ax.collections)}
    for node, value in risk.items():
        assert np.allclose(faces[node], colormaps["Reds"](value))
    styles = {a.get_label(): a.get_linestyle() for a in arrows(ax)}
    assert styles["history \u2192 recommend"] == "--"
    assert styles["recommend \u2192 clicks"] == "-"
    assert len(styles) == len(CID_EDGES)
    assert len(fig.axes) == 2  # colour bar
    renderer = rendered(fig)
    assert not overlaps([t.get_window_extent(renderer) for t in ax.texts])
    nodes = node_markers(ax)  # after layout
    for arrow in arrows(ax):
        path = arrow.get_transform().transform_path(arrow.get_path())
        for name, (centre, radius, _) in nodes.items():
            assert np.hypot(*(path.vertices - centre).T).min() >= radius - 1, \
                f"{arrow.get_label()} runs under {name}"


def test_cid_with_a_cycle_is_an_error() -> None:
    with pytest.raises(CausalpostError, match="cycle"):
        plot_cid([("A", "B"), ("B", "A")], [], [], {})


# ------------------------------------------------------------------ files and API


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"),
                                                (".pdf", b"%PDF")])
def test_save_figure_by_extension(tmp_path, exact5, suffix: str, magic: bytes) -> None:
    path = plot.save_figure(plot.plot_edge_probs(exact5), tmp_path / "sub" / f"edges{suffix}")
    assert path.read_bytes().startswith(magic)


def test_save_figure_rejects_unknown_extension(tmp_path, exact5) -> None:
    with pytest.raises(CausalpostError, match="format"):
        plot.save_figure(plot.plot_edge_probs(exact5), tmp_path / "edges.jpgx")


def test_posterior_methods_and_axes_argument(exact5) -> None:
    assert isinstance(exact5.plot_edges(), Figure)
    assert isinstance(exact5.plot_graph(cutoff=0.5), Figure)
    assert len(exact5.plot_top(2).axes) == 2
    fig = Figure()
    axes = fig.subplots(1, 2)
    assert plot.plot_edge_probs(exact5, ax=axes[0]) is fig
    assert plot.plot_posterior_graph(exact5, ax=axes[1]) is fig


def test_node_layout_is_deterministic() -> None:
    adjacency = np.ones((12, 12)) - np.eye(12)
    names = [f"n{i}" for i in range(13)]
    padded = np.pad(adjacency, ((0, 1), (0, 1)))
    first, second = plot.node_layout(names, padded), plot.node_layout(names, padded)
    assert all(np.array_equal(first[n], second[n]) for n in names)
    with pytest.raises(CausalpostError, match="no position"):
        plot.node_layout(["A", "B"], layout={"A": (0, 0)})
    with pytest.raises(CausalpostError, match="unknown layout"):
        plot.node_layout(["A"], layout="hexagonal")


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 6), st.integers(1, 30), st.integers(0, 2**16),
       st.floats(0.0, 1.0))
def test_graph_and_heatmap_agree_with_any_posterior(d, n_draws, seed, cutoff) -> None:
    post = random_posterior([f"X{i}" for i in range(d)], n_draws=n_draws, seed=seed)
    probs = post.edge_prob_matrix
    heat = plot.plot_edge_probs(post).axes[0]
    values = sorted(float(t.get_text()) for t in heat.texts)
    np.testing.assert_allclose(values, np.sort(probs[~np.eye(d, dtype=bool)]), atol=0.005)
    graph = plot.plot_posterior_graph(post, cutoff=cutoff).axes[0]
    assert len(arrows(graph)) == int(np.sum((probs >= cutoff) & (probs > 0)))
