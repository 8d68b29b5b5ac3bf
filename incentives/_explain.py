"""Why an audit row holds: the causal paths in its witness graph and the edges it hinges on.

* **Paths**: in the witness diagram (the most probable graph admitting the
  incentive), the directed paths that create it -- ICI on X: ``D -> ... -> X
  -> ... -> U``; VoC on X: ``X -> ... -> U``; RI on X: ``X -> ... -> D ->
  ... -> U`` in the requisite graph (only requisite information links); VoI
  on X: a shortest trail between X and a utility, then ``D -> ... -> U``.
  Shortest paths (networkx), at most :data:`MAX_PATHS` per row.
* **Hinge edges**: for each data edge whose posterior probability is neither
  near 0 nor near 1, the row's probability given the edge present and given it
  absent, ``P(row | e) = P(row, e) / P(e)``; ranked by how far apart the two
  are -- the edges whose presence decides the row.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from incentives.cid import CID
from incentives.requisite import requisite_graph

__all__ = ["hinge_edges", "incentive_paths"]

MAX_PATHS = 3
MAX_HINGES = 5
UNCERTAIN = (0.01, 0.99)  # edges outside this range are settled, not hinges
_BLOCK = 65_536


def _shortest(graph: nx.DiGraph, a: str, b: str) -> list[str] | None:
    try:
        return nx.shortest_path(graph, a, b)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


def _to_utilities(graph: nx.DiGraph, start: str, utilities: Sequence[str]) -> list[list[str]]:
    found = [p for u in utilities if (p := _shortest(graph, start, u)) is not None]
    return sorted(found, key=len)


def incentive_paths(cid: CID, decision: str, kind: str, node: str) -> list[list[str]]:
    """The paths in ``cid`` that create incentive ``kind`` on ``node`` for ``decision``.

    Returns
    -------
    list of list of str
        Node sequences, shortest first (at most :data:`MAX_PATHS`); empty when
        the diagram does not admit the incentive or no path explains it.
    """
    graph = cid.graph
    utilities = list(cid.utilities)
    if kind == "ici":
        head = _shortest(graph, decision, node)
        tails = _to_utilities(graph, node, utilities)
        paths = [head + tail[1:] for tail in tails] if head else []
    elif kind == "voc":
        paths = _to_utilities(graph, node, utilities)
    elif kind == "ri":
        reduced = requisite_graph(cid).graph
        head = _shortest(reduced, node, decision)
        tails = _to_utilities(reduced, decision, utilities)
        paths = [head + tail[1:] for tail in tails] if head else []
    else:  # voi: a trail from the node to a utility, and the decision's influence on it
        undirected = graph.to_undirected()
        trails = sorted((p for u in utilities if (p := _shortest(undirected, node, u))),
                        key=len)
        paths = trails[:1] + _to_utilities(graph, decision, utilities)[:1]
    return [list(p) for p in paths[:MAX_PATHS]]


def hinge_edges(
    graphs: np.ndarray,
    weights: np.ndarray,
    admits: np.ndarray,
    names: Sequence[str],
    rows: Sequence[int],
) -> dict[int, list[dict]]:
    """Per row index, the uncertain edges its probability hinges on, most decisive first.

    Parameters
    ----------
    graphs : numpy.ndarray, shape (n_graphs, d, d)
        The world graphs (data columns only).
    weights : numpy.ndarray, shape (n_graphs,)
        Their normalised probabilities.
    admits : numpy.ndarray of bool, shape (n_graphs, n_rows)
    names : sequence of str
        The data columns.
    rows : sequence of int
        The rows to explain.

    Returns
    -------
    dict
        ``row -> [{"edge": [a, b], "p_edge": ..., "p_if_present": ...,
        "p_if_absent": ...}, ...]`` (at most :data:`MAX_HINGES`).
    """
    n, d = graphs.shape[0], graphs.shape[1]
    rows = [int(r) for r in rows]
    # in blocks: an exact posterior can hold millions of graphs (no dense float copy)
    p_edge = np.zeros(d * d)
    joints = np.zeros((len(rows), d * d))
    for start in range(0, n, _BLOCK):
        flat = graphs[start : start + _BLOCK].reshape(-1, d * d).astype(np.float64)
        w = weights[start : start + _BLOCK]
        p_edge += w @ flat
        if rows:
            a = admits[start : start + _BLOCK][:, rows].astype(np.float64)
            joints += (w[:, None] * a).T @ flat
    uncertain = np.flatnonzero((p_edge > UNCERTAIN[0]) & (p_edge < UNCERTAIN[1]))
    out: dict[int, list[dict]] = {}
    for k_row, r in enumerate(rows):
        p_row = float(weights @ admits[:, r])
        if not uncertain.size or p_row <= 0.0:
            out[r] = []
            continue
        joint = joints[k_row, uncertain]
        present = joint / p_edge[uncertain]
        absent = (p_row - joint) / (1.0 - p_edge[uncertain])
        order = np.argsort(-np.abs(present - absent), kind="stable")[:MAX_HINGES]
        out[r] = [
            {
                "edge": [names[uncertain[k] // d], names[uncertain[k] % d]],
                "p_edge": float(p_edge[uncertain[k]]),
                "p_if_present": float(np.clip(present[k], 0.0, 1.0)),
                "p_if_absent": float(np.clip(absent[k], 0.0, 1.0)),
            }
            for k in order
            if abs(present[k] - absent[k]) > 1e-9
        ]
    return out
