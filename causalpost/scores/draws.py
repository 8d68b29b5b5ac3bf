"""Typed parameter draws: one conjugate posterior draw of a graph's parameters per graph.

Each score's conjugate posterior has its own family of draws, defined here beside the
scores: BGe's Normal-Wishart gives :class:`LinearGaussianDraws` (regression weights,
intercepts and noise variances), BDeu's Dirichlet gives :class:`DiscreteDraws` (one
conditional probability table per node). Every array has a leading ``n_draws`` axis.

:attr:`causalpost.Posterior.params` keeps the arrays by name, as the ``.npz`` file stores
them (``weights``, ``intercept``, ``noise_var``; ``cpt_<j>``); :func:`parameter_draws` is
the one place that reads the family from those names, so code that needs parameters asks
:attr:`causalpost.Posterior.parameters` for a typed family instead of testing key names.

Both families answer the same questions of their draws: :meth:`~LinearGaussianDraws.take`
(a subset of the draws), ``log_density`` (of data rows under each draw), ``sample_node`` and
``simulate`` (rows from one draw, optionally under a perfect intervention) and ``to_pgmpy``
(one draw as a pgmpy network, built by :mod:`causalpost._pgmpy`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from causalpost.errors import CausalpostError
from causalpost.graphs import group_by_parents, topological_order

__all__ = ["DiscreteDraws", "LinearGaussianDraws", "ParameterDraws", "parameter_draws"]

Index = int | slice | np.ndarray
SampleNode = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


def _simulate(sample_node: SampleNode, adjacency: np.ndarray, n_rows: int,
              do: Mapping[int, np.ndarray] | None) -> np.ndarray:
    """Rows of one draw, node by node in topological order, intervened nodes forced."""
    do = do or {}
    graph = np.asarray(adjacency).astype(bool)
    out = np.zeros((n_rows, graph.shape[0]))
    for j in topological_order(graph):
        out[:, j] = do[j] if j in do else sample_node(j, np.flatnonzero(graph[:, j]), out)
    return out


class _Simulates:
    """``simulate`` from a family's ``sample_node``: one implementation for both."""

    def sample_node(self, draw: int, node: int, parents: np.ndarray, rows: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def simulate(self, draw: int, adjacency: np.ndarray, n_rows: int, *,
                 do: Mapping[int, np.ndarray] | None = None,
                 rng: np.random.Generator) -> np.ndarray:
        """Rows sampled from one draw, parents before children.

        Parameters
        ----------
        draw : int
        adjacency : numpy.ndarray, shape (n_nodes, n_nodes)
            The draw's graph.
        n_rows : int
        do : mapping of node index to numpy.ndarray, optional
            Perfect interventions: node -> its ``n_rows`` forced values (codes for
            discrete draws).
        rng : numpy.random.Generator

        Returns
        -------
        numpy.ndarray, shape (n_rows, n_nodes)
            For discrete draws, integer codes as floats.
        """

        def sample(node: int, parents: np.ndarray, rows: np.ndarray) -> np.ndarray:
            return self.sample_node(draw, node, parents, rows, rng)

        return _simulate(sample, adjacency, n_rows, do)


@dataclass(frozen=True, eq=False)
class LinearGaussianDraws(_Simulates):
    """Linear-Gaussian parameters per draw: ``x_j = intercept_j + sum_i w_ij x_i + e_j``,
    ``e_j ~ N(0, noise_var_j)``.

    Attributes
    ----------
    weights : numpy.ndarray, shape (n_draws, n_nodes, n_nodes)
        ``weights[s, i, j]`` of the edge ``i -> j`` (0 where draw s has no edge).
    intercept : numpy.ndarray, shape (n_draws, n_nodes)
    noise_var : numpy.ndarray, shape (n_draws, n_nodes)

    Examples
    --------
    >>> import numpy as np
    >>> draws = LinearGaussianDraws(np.array([[[0, 2.0], [0, 0]]]), np.zeros((1, 2)),
    ...                             np.ones((1, 2)))
    >>> draws.n_draws, draws.weight(0, 0, 1), draws.family
    (1, 2.0, 'linear_gaussian')
    """

    family: ClassVar[str] = "linear_gaussian"
    KEYS: ClassVar[tuple[str, ...]] = ("weights", "intercept", "noise_var")

    weights: np.ndarray
    intercept: np.ndarray
    noise_var: np.ndarray

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.weights.shape[0])

    def weight(self, draw: int, source: int, target: int) -> float:
        """The weight of ``source -> target`` in a draw (0 without the edge)."""
        return float(self.weights[draw, source, target])

    def regression(self, draw: int, node: int) -> tuple[np.ndarray, float, float]:
        """A node's regression in a draw: weights of every node, intercept, noise variance."""
        return (self.weights[draw, :, node], float(self.intercept[draw, node]),
                float(self.noise_var[draw, node]))

    def take(self, draws: slice | np.ndarray) -> LinearGaussianDraws:
        """The draws selected by a slice or an index array."""
        return LinearGaussianDraws(self.weights[draws], self.intercept[draws],
                                   self.noise_var[draws])

    def log_density(self, adjacency: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``log p(row | draw)`` of every row under every draw, shape (n_draws, n_rows).

        Each node is ``Normal(intercept_j + x . w_j, noise_var_j)``; ``adjacency`` (the
        draws' graphs, (n_draws, n_nodes, n_nodes)) is not needed, the weights being 0 off
        the edges, and is taken so both families are called alike.
        """
        mean = np.einsum("ni,sij->snj", values, self.weights) + self.intercept[:, None, :]
        var = self.noise_var[:, None, :]
        log_pdf = -0.5 * (np.log(2 * np.pi * var) + (values[None] - mean) ** 2 / var)
        return np.asarray(log_pdf.sum(axis=-1))

    def sample_node(self, draw: int, node: int, parents: np.ndarray, rows: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
        """``intercept + parents' values . weights + noise``, shape (n_rows,)."""
        mean = self.intercept[draw, node] + rows[:, parents] @ self.weights[draw, parents, node]
        noise = np.sqrt(self.noise_var[draw, node]) * rng.standard_normal(rows.shape[0])
        return np.asarray(mean + noise)


    def to_pgmpy(self, draw: int, adjacency: np.ndarray, nodes: Sequence[str],
                 levels: Sequence[Sequence[str] | None] | None = None) -> Any:
        """One draw as a pgmpy ``LinearGaussianBayesianNetwork`` (``levels`` unused)."""
        from causalpost._pgmpy import linear_gaussian_network

        cpds = []
        for j in range(len(nodes)):
            parents = np.flatnonzero(adjacency[:, j])
            beta = [float(self.intercept[draw, j])]
            beta += [float(self.weights[draw, p, j]) for p in parents]
            cpds.append((parents.tolist(), beta, float(np.sqrt(self.noise_var[draw, j]))))
        return linear_gaussian_network(nodes, adjacency, cpds)

    def to_params(self) -> dict[str, np.ndarray]:
        """The arrays by name, as :attr:`causalpost.Posterior.params` holds them."""
        return {"weights": self.weights, "intercept": self.intercept,
                "noise_var": self.noise_var}


@dataclass(frozen=True, eq=False)
class DiscreteDraws(_Simulates):
    """Conditional probability tables per draw, one per node.

    Attributes
    ----------
    cpts : tuple of numpy.ndarray
        Node j's is ``(n_draws, max_configs_j, arity_j)``: row k is the distribution of
        node j given its parents' k-th configuration (in the order of
        :meth:`causalpost.scores.bdeu.BoundBDeu.sample_parameters`); rows past the
        draw's number of configurations are padding.

    Examples
    --------
    >>> import numpy as np
    >>> draws = DiscreteDraws((np.full((1, 1, 2), 0.5),))
    >>> draws.arity(0), draws.cpt(0).shape, draws.family
    (2, (1, 1, 2), 'discrete')
    """

    family: ClassVar[str] = "discrete"

    cpts: tuple[np.ndarray, ...]

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.cpts[0].shape[0]) if self.cpts else 0

    def cpt(self, node: int) -> np.ndarray:
        """Node ``node``'s tables, shape (n_draws, max_configs, arity)."""
        return self.cpts[node]

    def arity(self, node: int) -> int:
        """Number of levels of a node."""
        return int(self.cpts[node].shape[-1])

    def take(self, draws: slice | np.ndarray) -> DiscreteDraws:
        """The draws selected by a slice or an index array."""
        return DiscreteDraws(tuple(cpt[draws] for cpt in self.cpts))

    def configs(self, parents: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Each row's parent configuration: its row in a node's table, shape (n_rows,).

        Mixed radix over ``parents`` ascending, the last varying fastest, read from the
        columns of ``codes`` (n_rows, n_nodes).
        """
        config = np.zeros(codes.shape[0], dtype=np.int64)
        for p in parents:
            config = config * self.arity(int(p)) + codes[:, p].astype(np.int64)
        return config

    def table(self, node: int, parents: np.ndarray, draws: Index) -> np.ndarray:
        """A node's table in the selected draws over its parents' levels.

        Shape ``(*draws_shape, arity_p1, ..., arity_pk, arity_node)``, parents ascending;
        ``parents`` are the node's parents in those draws (the padding rows dropped).
        """
        cards = [self.arity(int(p)) for p in parents]
        n_configs = int(np.prod(cards)) if cards else 1
        cpt = self.cpts[node][draws, :n_configs, :]
        return np.asarray(cpt.reshape(*cpt.shape[:-2], *cards, self.arity(node)))

    def log_density(self, adjacency: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """``log p(row | draw)`` of every row of codes under every draw, (n_draws, n_rows).

        ``adjacency`` holds the draws' graphs, shape (n_draws, n_nodes, n_nodes).
        """
        out = np.zeros((adjacency.shape[0], codes.shape[0]))
        for node in range(codes.shape[1]):
            cpt = self.cpts[node]
            for parents, draws in group_by_parents(adjacency, node):
                config = self.configs(parents, codes)
                with np.errstate(divide="ignore"):
                    out[draws] += np.log(cpt[draws][:, config, codes[:, node]])
        return out

    def sample_node(self, draw: int, node: int, parents: np.ndarray, rows: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
        """Codes of ``node`` drawn from its table row for each row's parents, (n_rows,)."""
        table = self.cpts[node][draw]
        cumulative = np.cumsum(table[self.configs(parents, rows)], axis=1)
        u = np.asarray(rng.random(rows.shape[0]))[:, None] * cumulative[:, -1:]
        return np.asarray(np.minimum((u > cumulative).sum(axis=1), table.shape[1] - 1))


    def to_pgmpy(self, draw: int, adjacency: np.ndarray, nodes: Sequence[str],
                 levels: Sequence[Sequence[str] | None] | None = None) -> Any:
        """One draw as a pgmpy ``DiscreteBayesianNetwork`` with ``TabularCPD`` s.

        Raises
        ------
        CausalpostError
            Without the nodes' level names (``levels``).
        """
        from causalpost._pgmpy import discrete_network

        if not levels:
            raise CausalpostError("the posterior does not record the discrete levels of its "
                                  "nodes")
        tables = []
        for j in range(len(nodes)):
            parents = np.flatnonzero(adjacency[:, j])
            tables.append(self.table(j, parents, draw).reshape(-1, self.arity(j)))
        return discrete_network(nodes, adjacency, levels, tables)

    def to_params(self) -> dict[str, np.ndarray]:
        """The arrays by name, as :attr:`causalpost.Posterior.params` holds them."""
        return {f"cpt_{j}": cpt for j, cpt in enumerate(self.cpts)}


ParameterDraws = LinearGaussianDraws | DiscreteDraws


def parameter_draws(params: Mapping[str, np.ndarray],
                    n_nodes: int) -> LinearGaussianDraws | DiscreteDraws | None:
    """The typed family of named parameter arrays, or None when they hold no full family.

    Examples
    --------
    >>> import numpy as np
    >>> parameter_draws({"cpt_0": np.full((1, 1, 2), 0.5)}, 1).family
    'discrete'
    >>> parameter_draws({}, 2) is None
    True
    """
    if all(key in params for key in LinearGaussianDraws.KEYS):
        return LinearGaussianDraws(params["weights"], params["intercept"], params["noise_var"])
    cpts = [params.get(f"cpt_{j}") for j in range(n_nodes)]
    if n_nodes and all(cpt is not None for cpt in cpts):
        return DiscreteDraws(tuple(cpt for cpt in cpts if cpt is not None))
    return None
