"""Synthetic data with a known causal graph: random DAGs and structural equation models.

Linear-Gaussian data on Erdos-Renyi or scale-free DAGs follows the DAG-GFlowNet
and DiBS papers (weights N(0, 1), noise sd 0.1 by default); nonlinear data
uses a small random MLP per node. Every generator takes a ``seed`` and returns
a :class:`BenchmarkData` (unpacks as ``data, truth = ...``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from causalpost.data import Dataset, from_numpy
from causalpost.errors import CausalpostError

__all__ = ["BenchmarkData", "linear_gaussian", "nonlinear_gaussian", "random_dag"]


@dataclass(frozen=True)
class BenchmarkData:
    """A data table with the causal graph that generated it.

    Parameters
    ----------
    data : Dataset
        The observations.
    truth : numpy.ndarray of bool, shape (n_nodes, n_nodes)
        True graph, ``truth[i, j]`` meaning ``data.names[i] -> data.names[j]``;
        acyclic except for the Sachs consensus graph.
    truth_name : str
        Which ground truth this is (e.g. the Sachs consensus or BIF graph).
    weights : numpy.ndarray, shape (n_nodes, n_nodes), optional
        Linear edge weights, ``weights[i, j]`` of ``i -> j``; ``None`` when the
        mechanisms are not linear or not known.
    """

    data: Dataset
    truth: np.ndarray
    truth_name: str
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.truth.setflags(write=False)
        if self.weights is not None:
            self.weights.setflags(write=False)

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``data, truth``."""
        return iter((self.data, self.truth))

    @property
    def names(self) -> tuple[str, ...]:
        """Node names, shared by the data columns and the truth's rows."""
        return self.data.names

    def truth_edges(self) -> list[tuple[str, str]]:
        """The true edges as ``(cause, effect)`` name pairs, row-major."""
        return [(self.names[i], self.names[j]) for i, j in np.argwhere(self.truth)]


def random_dag(
    n_nodes: int,
    graph: str = "er",
    *,
    edges_per_node: float = 2.0,
    n_edges: int | None = None,
    seed: int | np.random.Generator,
) -> np.ndarray:
    """A random DAG with its nodes in random order.

    Parameters
    ----------
    n_nodes : int
        At least 1.
    graph : {"er", "sf"}
        ``"er"``: Erdos-Renyi, each node pair joined independently with the
        probability giving ``edges_per_node * n_nodes`` edges in expectation
        (or exactly ``n_edges`` edges, uniformly placed). ``"sf"``: scale-free
        (Barabasi-Albert): each new node sends edges to ``edges_per_node``
        earlier nodes chosen with probability proportional to in-degree + 1,
        as in igraph's ``Barabasi`` used by NOTEARS and DiBS.
    edges_per_node : float
        Expected edges per node (an integer for ``"sf"``).
    n_edges : int, optional
        Exact edge count (``"er"`` only); overrides ``edges_per_node``.
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of bool, shape (n_nodes, n_nodes)

    Examples
    --------
    >>> adj = random_dag(5, n_edges=4, seed=0)
    >>> adj.shape, int(adj.sum())
    ((5, 5), 4)
    """
    _check_count("n_nodes", n_nodes, 1)
    _check_choice("graph", graph, ("er", "sf"))
    rng = np.random.default_rng(seed)
    if graph == "er":
        ordered = _er_ordered(n_nodes, edges_per_node, n_edges, rng)
    elif n_edges is not None:
        raise CausalpostError("n_edges is only supported for graph='er'; use edges_per_node")
    else:
        ordered = _sf_ordered(n_nodes, edges_per_node, rng)
    perm = rng.permutation(n_nodes)
    return ordered[np.ix_(perm, perm)]


def linear_gaussian(
    n_nodes: int,
    n_obs: int,
    *,
    graph: str = "er",
    edges_per_node: float = 2.0,
    n_edges: int | None = None,
    weight_scale: float = 1.0,
    min_weight: float = 0.0,
    noise_sd: float = 0.1,
    seed: int | np.random.Generator,
) -> BenchmarkData:
    """Linear-Gaussian data on a random DAG (the DAG-GFlowNet / DiBS protocol).

    ``x_j = sum_i w_ij x_i + e_j`` with ``e_j ~ N(0, noise_sd**2)`` and edge
    weights ``w ~ N(0, weight_scale**2)``, each pushed away from zero by
    ``min_weight`` (DiBS uses 0.5; DAG-GFlowNet 0). Graph arguments as in
    :func:`random_dag`. Nodes are named ``X0 .. X{n_nodes-1}``.

    Returns
    -------
    BenchmarkData
        With ``weights[i, j]`` the weight of ``i -> j``.

    References
    ----------
    Deleu et al. (2022). Bayesian structure learning with generative flow
    networks. UAI. https://arxiv.org/abs/2202.13903

    Examples
    --------
    >>> bench = linear_gaussian(5, 100, seed=0)
    >>> bench.data.values.shape, bool((bench.weights != 0).sum() == bench.truth.sum())
    ((100, 5), True)
    """
    _check_count("n_obs", n_obs, 2)
    _check_positive(noise_sd=noise_sd, weight_scale=weight_scale)
    rng = np.random.default_rng(seed)
    adj = random_dag(n_nodes, graph, edges_per_node=edges_per_node, n_edges=n_edges, seed=rng)
    raw = rng.normal(0.0, weight_scale, size=adj.shape)
    weights = np.where(adj, raw + np.sign(raw) * min_weight, 0.0)
    values = _linear_sem(adj, weights, np.full(n_nodes, noise_sd), n_obs, rng)
    name = f"random {graph.upper()} DAG ({int(adj.sum())} edges)"
    return BenchmarkData(_continuous(values, _names(n_nodes)), adj, name, weights)


def nonlinear_gaussian(
    n_nodes: int,
    n_obs: int,
    *,
    graph: str = "er",
    edges_per_node: float = 2.0,
    n_edges: int | None = None,
    n_hidden: int = 5,
    noise_sd: float = 0.1,
    seed: int | np.random.Generator,
) -> BenchmarkData:
    """Nonlinear Gaussian data: a small random MLP per node (the DiBS protocol).

    ``x_j = w2 . relu(W1 x_pa(j) + b1) + b2 + e_j`` with one hidden layer of
    ``n_hidden`` units, all weights and biases ``N(0, 1)``, and
    ``e_j ~ N(0, noise_sd**2)``; root nodes are pure noise. (DiBS's
    ``obs_noise=0.1`` is a variance, i.e. ``noise_sd=0.316``.)

    Returns
    -------
    BenchmarkData
        With ``weights=None``.

    References
    ----------
    Lorch et al. (2021). DiBS: Differentiable Bayesian structure learning.
    NeurIPS. https://arxiv.org/abs/2105.11839
    """
    _check_count("n_obs", n_obs, 2)
    _check_count("n_hidden", n_hidden, 1)
    _check_positive(noise_sd=noise_sd)
    rng = np.random.default_rng(seed)
    adj = random_dag(n_nodes, graph, edges_per_node=edges_per_node, n_edges=n_edges, seed=rng)
    values = rng.normal(0.0, noise_sd, size=(n_obs, n_nodes))
    for j in _topological_order(adj):
        parents = np.flatnonzero(adj[:, j])
        if parents.size:
            w1, b1 = rng.normal(size=(parents.size, n_hidden)), rng.normal(size=n_hidden)
            w2, b2 = rng.normal(size=n_hidden), rng.normal()
            values[:, j] += np.maximum(values[:, parents] @ w1 + b1, 0.0) @ w2 + b2
    name = f"random {graph.upper()} DAG ({int(adj.sum())} edges)"
    return BenchmarkData(_continuous(values, _names(n_nodes)), adj, name)


def _check_choice(arg: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise CausalpostError(f"unknown {arg} {value!r}; expected one of {list(choices)}")


def _check_count(arg: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise CausalpostError(f"{arg} must be an integer >= {minimum}, got {value!r}")


def _check_positive(**values: float) -> None:
    for arg, value in values.items():
        if not np.isfinite(value) or value <= 0:
            raise CausalpostError(f"{arg} must be a positive number, got {value!r}")


def _names(n_nodes: int) -> tuple[str, ...]:
    return tuple(f"X{j}" for j in range(n_nodes))


def _continuous(values: np.ndarray, names: Sequence[str]) -> Dataset:
    return from_numpy(values, list(names), kinds=dict.fromkeys(names, "continuous"))


def _topological_order(adj: np.ndarray) -> list[int]:
    return list(
        nx.topological_sort(nx.from_numpy_array(adj.astype(np.uint8), create_using=nx.DiGraph))
    )


def _linear_sem(
    adj: np.ndarray,
    weights: np.ndarray,
    noise_sd: np.ndarray,
    n_obs: int,
    rng: np.random.Generator,
    do: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Rows of a linear SEM; ``do`` replaces the mechanisms of some nodes by given values."""
    values = rng.normal(size=(n_obs, adj.shape[0])) * noise_sd
    do = do or {}
    for j in _topological_order(adj):
        if j in do:
            values[:, j] = do[j]
        else:
            values[:, j] += values @ weights[:, j]
    return values


def _er_ordered(
    n_nodes: int, edges_per_node: float, n_edges: int | None, rng: np.random.Generator
) -> np.ndarray:
    """Upper-triangular ER graph (edges from lower to higher index)."""
    rows, cols = np.triu_indices(n_nodes, k=1)
    adj = np.zeros((n_nodes, n_nodes), dtype=bool)
    if n_edges is not None:
        _check_count("n_edges", n_edges, 0)
        if n_edges > rows.size:
            raise CausalpostError(
                f"n_edges={n_edges} exceeds the {rows.size} possible on {n_nodes} nodes"
            )
        pick = rng.choice(rows.size, size=n_edges, replace=False)
    else:
        _check_edges_per_node(edges_per_node)
        prob = edges_per_node * n_nodes / max(rows.size, 1)
        if prob > 1:
            raise CausalpostError(
                f"edges_per_node={edges_per_node} on {n_nodes} nodes needs edge probability "
                f"{prob:.3g} > 1; lower edges_per_node or add nodes"
            )
        pick = np.flatnonzero(rng.random(rows.size) < prob)
    adj[rows[pick], cols[pick]] = True
    return adj


def _sf_ordered(n_nodes: int, edges_per_node: float, rng: np.random.Generator) -> np.ndarray:
    """Barabasi-Albert DAG: node t sends edges to min(m, t) earlier nodes."""
    _check_edges_per_node(edges_per_node)
    if edges_per_node != int(edges_per_node) or edges_per_node < 1:
        raise CausalpostError(
            f"graph='sf' needs a whole edges_per_node >= 1, got {edges_per_node!r}"
        )
    m = int(edges_per_node)
    adj = np.zeros((n_nodes, n_nodes), dtype=bool)
    in_degree = np.zeros(n_nodes)
    for t in range(1, n_nodes):
        appeal = in_degree[:t] + 1.0
        targets = rng.choice(t, size=min(m, t), replace=False, p=appeal / appeal.sum())
        adj[t, targets] = True
        in_degree[targets] += 1
    return adj


def _check_edges_per_node(value: float) -> None:
    if not np.isfinite(value) or value < 0:
        raise CausalpostError(f"edges_per_node must be a number >= 0, got {value!r}")
