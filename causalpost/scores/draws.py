"""Typed parameter draws: one conjugate posterior draw of a graph's parameters per graph.

Each score's conjugate posterior has its own family of draws, defined here beside the
scores: BGe's Normal-Wishart gives :class:`LinearGaussianDraws` (regression weights,
intercepts and noise variances), BDeu's Dirichlet gives :class:`DiscreteDraws` (one
conditional probability table per node). Every array has a leading ``n_draws`` axis.

:attr:`causalpost.Posterior.params` keeps the arrays by name, as the ``.npz`` file stores
them (``weights``, ``intercept``, ``noise_var``; ``cpt_<j>``); :func:`parameter_draws` is
the one place that reads the family from those names, so code that needs parameters asks
:attr:`causalpost.Posterior.parameters` for a typed family instead of testing key names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

__all__ = ["DiscreteDraws", "LinearGaussianDraws", "ParameterDraws", "parameter_draws"]


@dataclass(frozen=True, eq=False)
class LinearGaussianDraws:
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

    def to_params(self) -> dict[str, np.ndarray]:
        """The arrays by name, as :attr:`causalpost.Posterior.params` holds them."""
        return {"weights": self.weights, "intercept": self.intercept,
                "noise_var": self.noise_var}


@dataclass(frozen=True, eq=False)
class DiscreteDraws:
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
