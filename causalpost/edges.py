"""Summaries of a posterior's edges shared by ``show`` and the plots.

* :func:`direction_open`: pairs whose direction the data cannot determine --
  both ``i -> j`` and ``j -> i`` hold substantial posterior mass (at least
  :data:`DIRECTION_OPEN` each). In a DAG the two are exclusive, so their sum
  is the probability that the pair is adjacent at all.
* :func:`consensus_edges` and :func:`graph_differences`: the P > 0.5 graph,
  and each of the most probable graphs written as the edges it adds to and
  removes from it -- readable when every top graph is rare (P ~ 0.005) and
  listing whole graphs would repeat the same 40 edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from causalpost.posterior import Posterior

__all__ = ["DIRECTION_OPEN", "GraphDifference", "consensus_edges", "direction_open",
           "graph_differences", "prefer_differences"]

DIRECTION_OPEN = 0.2
"""Both directions at least this probable: the direction is open."""

RARE_GRAPH = 0.05
"""Top graphs below this probability are shown as differences from the consensus."""

Edge = tuple[str, str]


def direction_open(probs: np.ndarray, threshold: float = DIRECTION_OPEN) -> np.ndarray:
    """Which ordered pairs ``(i, j)`` have both directions at least ``threshold`` probable.

    Parameters
    ----------
    probs : numpy.ndarray, shape (n_nodes, n_nodes)
        Edge probabilities, ``probs[i, j] = P(i -> j)``.
    threshold : float

    Returns
    -------
    numpy.ndarray of bool, shape (n_nodes, n_nodes)
        Symmetric; ``True`` at ``(i, j)`` and ``(j, i)`` for an open pair.

    Examples
    --------
    >>> p = np.array([[0.0, 0.45, 0.9], [0.4, 0.0, 0.0], [0.1, 0.0, 0.0]])
    >>> np.argwhere(direction_open(p)).tolist()
    [[0, 1], [1, 0]]
    """
    probs = np.asarray(probs, dtype=np.float64)
    return (probs >= threshold) & (probs.T >= threshold)


def consensus_edges(posterior: Posterior, threshold: float = 0.5) -> list[Edge]:
    """The edges with posterior probability above ``threshold``, most probable first."""
    probs = posterior.edge_prob_matrix
    pairs = sorted(zip(*np.nonzero(probs > threshold)), key=lambda ij: (-probs[ij], ij))
    return [(posterior.nodes[i], posterior.nodes[j]) for i, j in pairs]


@dataclass(frozen=True)
class GraphDifference:
    """One top graph as its difference from the consensus graph."""

    rank: int
    probability: float
    added: tuple[Edge, ...]
    removed: tuple[Edge, ...]

    def text(self) -> str:
        """``+A->B, -C->D``, or ``(the consensus graph itself)``."""
        parts = [*(f"+{a}->{b}" for a, b in self.added),
                 *(f"-{a}->{b}" for a, b in self.removed)]
        return ", ".join(parts) or "(the consensus graph itself)"


def graph_differences(posterior: Posterior, k: int) -> list[GraphDifference]:
    """The ``k`` most probable graphs as edges added to / removed from the consensus.

    Parameters
    ----------
    posterior : Posterior
    k : int

    Returns
    -------
    list of GraphDifference
        Most probable first; edges sorted by name.

    Examples
    --------
    >>> from causalpost import Posterior
    >>> adj = np.zeros((4, 3, 3), dtype=np.uint8)
    >>> adj[:, 0, 1] = 1; adj[0, 1, 2] = 1; adj[1, 1, 2] = 1; adj[3, 0, 1] = 0
    >>> post = Posterior(["A", "B", "C"], adj)
    >>> consensus_edges(post)
    [('A', 'B')]
    >>> [(d.probability, d.text()) for d in graph_differences(post, 3)]
    [(0.5, '+B->C'), (0.25, '(the consensus graph itself)'), (0.25, '-A->B')]
    """
    names = posterior.nodes
    base = set(consensus_edges(posterior))
    out = []
    for rank, graph in enumerate(posterior.top_graphs(k), start=1):
        edges = {(names[i], names[j]) for i, j in zip(*np.nonzero(graph.adjacency))}
        out.append(GraphDifference(rank, graph.probability, tuple(sorted(edges - base)),
                                   tuple(sorted(base - edges))))
    return out


def prefer_differences(posterior: Posterior, probabilities: Sequence[float]) -> bool:
    """Whether top graphs read better as differences: each is rare, or the graphs are large
    (more than 12 consensus edges would be repeated in every listing)."""
    return (not probabilities or max(probabilities) < RARE_GRAPH
            or len(consensus_edges(posterior)) > 12)
