"""BGe: the Bayesian Gaussian equivalent score and its Normal-Wishart parameters.

Linear-Gaussian data, a Normal-Wishart prior on the mean and precision of
all nodes jointly, in the corrected form of Kuipers, Moffa & Heckerman
(2014): prior mean 0, ``alpha_mu`` pseudo-observations for the mean,
``alpha_w`` degrees of freedom, and ``T = t I`` with
``t = alpha_mu (alpha_w - d - 1) / (alpha_mu + 1)``. With
``R = T + S_N + N alpha_mu / (N + alpha_mu) xbar xbar^T`` the local score of
node j with l parents Pa is

    log p(D_j | D_Pa) = 1/2 log(alpha_mu / (N + alpha_mu))
        + lgamma((N + alpha_w - d + l + 1) / 2) - lgamma((alpha_w - d + l + 1) / 2)
        - N/2 log(pi) + (alpha_w - d + 2 l + 1) / 2 log(t)
        - (N + alpha_w - d + l + 1) / 2 log|R_{Pa+j}| + (N + alpha_w - d + l) / 2 log|R_Pa|.

The matching posterior of one node's regression (same prior, so the
parameters are consistent with the score): the family covariance is
inverse-Wishart(R_{Pa+j}, N + alpha_w - d + l + 1), hence the noise
variance is inverse-gamma((N + alpha_w - d + 1) / 2, R_{j|Pa} / 2), the
weights given it are Normal(R_Pa^-1 R_{Pa,j}, sigma^2 R_Pa^-1) and the
intercept Normal(mu_N,j - b . mu_N,Pa, sigma^2 / (N + alpha_mu)).

References
----------
Geiger, D. & Heckerman, D. (2002). Parameter priors for directed acyclic
graphical models. Annals of Statistics 30(5). doi:10.1214/aos/1035844981
Kuipers, J., Moffa, G. & Heckerman, D. (2014). Addendum on the scoring of
Gaussian directed acyclic graphical models. Annals of Statistics 42(4).
doi:10.1214/14-AOS1217
Cooper, G. F. & Yoo, C. (1999). Causal discovery from a mixture of
experimental and observational data. UAI. (Node j's score from the rows that
did not intervene on j.)

Interventional data (:attr:`Dataset.intervention`): node j's local score and
regression posterior use only the ``N_j`` rows that did not intervene on j,
with ``N = N_j`` and ``R`` computed from those rows in the formulas above;
standardization takes each column's location and scale from the rows that did
not intervene on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln

from causalpost.data import Dataset
from causalpost.errors import CausalpostError
from causalpost.graphs import group_by_parents
from causalpost.scores.draws import LinearGaussianDraws

__all__ = ["BGe", "BoundBGe"]


@dataclass(frozen=True)
class BGe:
    """Hyperparameters of the BGe score; :meth:`bind` attaches data.

    Parameters
    ----------
    alpha_mu : float
        Pseudo-observations for the mean (> 0).
    alpha_w : float, optional
        Wishart degrees of freedom (> d - 1); default ``d + alpha_mu + 1``.
    standardize : bool
        Centre and scale each column to unit variance first (the prior
        assumes unit scale). Parameters are reported in the data's units.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 1)); y = 2 * x + 0.1 * rng.normal(size=(200, 1))
    >>> bound = BGe().bind(from_numpy(np.hstack([x, y]), ["X", "Y"]))
    >>> bound.local_score(1, (0,)) > bound.local_score(1, ())
    True
    """

    alpha_mu: float = 1.0
    alpha_w: float | None = None
    standardize: bool = True
    name: str = field(default="bge", init=False)

    def bind(
        self, data: Dataset, transform: tuple[np.ndarray, np.ndarray] | None = None
    ) -> BoundBGe:
        """Compute the sufficient statistics of ``data`` (all columns continuous).

        ``transform`` = (location, scale) fixes the standardization (e.g. that of
        an earlier table, so that scores of the old and an extended table compare).
        """
        data.require_kind("continuous", "the BGe score")
        data.check_interventions()
        return BoundBGe(self, data, transform)

    def to_json(self) -> dict:
        """A JSON-ready dict of the hyperparameters."""
        return {"name": "bge", "alpha_mu": self.alpha_mu, "alpha_w": self.alpha_w,
                "standardize": self.standardize}


class BoundBGe:
    """The BGe score bound to a continuous data table, with a local-score cache."""

    name = "bge"

    def __init__(
        self,
        spec: BGe,
        data: Dataset,
        transform: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        values = np.asarray(data.values, dtype=np.float64)
        n_obs, n_nodes = values.shape
        self.n_nodes = n_nodes
        # interventional data: a column's location and scale come from the rows that
        # did not intervene on it (its natural distribution); one affine map per column
        kept = np.column_stack([data.kept_rows(j) for j in range(n_nodes)])
        self.location = np.zeros(n_nodes)
        self.scale = np.ones(n_nodes)
        if transform is not None:
            self.location = np.array(transform[0], dtype=np.float64)
            self.scale = np.array(transform[1], dtype=np.float64)
        elif spec.standardize:
            for j in range(n_nodes):
                column = values[kept[:, j], j]
                self.location[j], self.scale[j] = column.mean(), column.std(ddof=1)
        x = (values - self.location) / self.scale
        alpha_mu = float(spec.alpha_mu)
        alpha_w = float(spec.alpha_w) if spec.alpha_w is not None else n_nodes + alpha_mu + 1
        if alpha_mu <= 0:
            raise CausalpostError(f"alpha_mu must be > 0, got {alpha_mu}")
        if alpha_w <= n_nodes + 1:
            raise CausalpostError(f"alpha_w must be > n_nodes + 1 = {n_nodes + 1}, got {alpha_w}")
        self.alpha_mu, self.alpha_w = alpha_mu, alpha_w
        self.t = alpha_mu * (alpha_w - n_nodes - 1) / (alpha_mu + 1)
        # node j's score uses only the rows that did not intervene on j (Cooper & Yoo
        # 1999): one set of sufficient statistics per distinct row set
        stats: dict[bytes, tuple[int, np.ndarray, np.ndarray]] = {}
        self._node_stats = []
        for j in range(n_nodes):
            key = np.packbits(kept[:, j]).tobytes()
            if key not in stats:
                stats[key] = self._statistics(x[kept[:, j]])
            self._node_stats.append(stats[key])
        self.n_obs = n_obs
        self._cache: dict[tuple[int, tuple[int, ...]], float] = {}

    def _statistics(self, x: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """Rows used, posterior scatter matrix R and posterior mean of standardized rows."""
        n, d = x.shape
        mean = x.mean(axis=0)
        centred = x - mean
        r_matrix = (
            self.t * np.eye(d)
            + centred.T @ centred
            + (n * self.alpha_mu / (n + self.alpha_mu)) * np.outer(mean, mean)
        )
        return n, r_matrix, n * mean / (n + self.alpha_mu)

    def _constant(self, n_parents: np.ndarray, n: int) -> np.ndarray:
        d, aw = self.n_nodes, self.alpha_w
        l = np.asarray(n_parents, dtype=np.float64)
        return (
            0.5 * np.log(self.alpha_mu / (n + self.alpha_mu))
            + gammaln((n + aw - d + l + 1) / 2)
            - gammaln((aw - d + l + 1) / 2)
            - 0.5 * n * np.log(np.pi)
            + 0.5 * (aw - d + 2 * l + 1) * np.log(self.t)
        )

    def local_scores(self, node: int, parent_sets: list[tuple[int, ...]]) -> np.ndarray:
        """Local scores of ``node`` for many parent sets, batched by set size."""
        out = np.empty(len(parent_sets))
        by_size: dict[int, list[int]] = {}
        for i, parents in enumerate(parent_sets):
            by_size.setdefault(len(parents), []).append(i)
        for size, rows in by_size.items():
            pa = np.array([parent_sets[i] for i in rows], dtype=np.int64).reshape(len(rows), size)
            out[rows] = self.local_scores_array(node, pa)
        for parents, value in zip(parent_sets, out.tolist()):
            self._cache[(node, tuple(sorted(parents)))] = value
        return out

    def local_scores_array(self, node: int, parents: np.ndarray) -> np.ndarray:
        """Local scores of ``node`` for parent sets of one size, one set per row of the
        int array ``parents`` (shape ``(n_sets, size)``); not cached (the score table
        is the cache)."""
        parents = np.asarray(parents, dtype=np.int64)
        n_sets, size = parents.shape
        family = np.concatenate([parents, np.full((n_sets, 1), node)], axis=1)
        n, r_matrix, _ = self._node_stats[node]
        logdet_family = _batched_logdet(r_matrix, family)
        logdet_parents = _batched_logdet(r_matrix, parents)
        d, aw = self.n_nodes, self.alpha_w
        return (
            self._constant(np.full(n_sets, size), n)
            - 0.5 * (n + aw - d + size + 1) * logdet_family
            + 0.5 * (n + aw - d + size) * logdet_parents
        )

    def local_score(self, node: int, parents: tuple[int, ...]) -> float:
        """Cached local score of ``node`` given ``parents``."""
        key = (node, tuple(sorted(parents)))
        if key not in self._cache:
            self.local_scores(node, [key[1]])
        return self._cache[key]

    def sample_parameters(
        self, adjacency: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """One posterior draw of the linear-Gaussian parameters per graph.

        Parameters
        ----------
        adjacency : numpy.ndarray, shape (n_draws, n_nodes, n_nodes)
        rng : numpy.random.Generator

        Returns
        -------
        dict
            ``weights`` (n_draws, n_nodes, n_nodes) with ``weights[s, i, j]`` the
            coefficient of parent i in node j's regression, ``intercept`` and
            ``noise_var`` (n_draws, n_nodes); all in the data's original units.
        """
        adjacency = np.asarray(adjacency, dtype=bool)
        n_draws, d = adjacency.shape[0], self.n_nodes
        weights = np.zeros((n_draws, d, d))
        intercept = np.zeros((n_draws, d))
        noise_var = np.zeros((n_draws, d))
        for node in range(d):
            for parents, draws in group_by_parents(adjacency, node):
                b, c, s2 = self._draw_regression(node, parents, draws.size, rng)
                weights[draws[:, None], parents[None, :], node] = b
                intercept[draws, node] = c
                noise_var[draws, node] = s2
        return self._to_data_units(weights, intercept, noise_var)

    def _draw_regression(self, node: int, parents: np.ndarray, n_draws: int, rng):
        n, r, mu = self._node_stats[node]
        shape = (n + self.alpha_w - self.n_nodes + 1) / 2
        r_pp = r[np.ix_(parents, parents)]
        mean_b = np.linalg.solve(r_pp, r[parents, node]) if parents.size else np.zeros(0)
        conditional = r[node, node] - r[node, parents] @ mean_b
        noise_var = (conditional / 2) / rng.gamma(shape, 1.0, size=n_draws)
        sd = np.sqrt(noise_var)
        if parents.size:
            chol = np.linalg.cholesky(np.linalg.inv(r_pp))
            b = mean_b + sd[:, None] * (rng.standard_normal((n_draws, parents.size)) @ chol.T)
        else:
            b = np.zeros((n_draws, 0))
        centre = mu[node] - b @ mu[parents]
        c = centre + sd / np.sqrt(n + self.alpha_mu) * rng.standard_normal(n_draws)
        return b, c, noise_var

    def _to_data_units(self, weights, intercept, noise_var) -> dict[str, np.ndarray]:
        # x = location + scale * z: z_j = c + sum_i b_ij z_i + e becomes
        # x_j = m_j + s_j c - sum_i b'_ij m_i + sum_i b'_ij x_i + s_j e, b'_ij = b_ij s_j / s_i
        scale, loc = self.scale, self.location
        w = weights * scale[None, None, :] / scale[None, :, None]
        c = loc[None, :] + scale[None, :] * intercept - np.einsum("sij,i->sj", w, loc)
        return LinearGaussianDraws(w, c, noise_var * scale[None, :] ** 2).to_params()


def _batched_logdet(matrix: np.ndarray, index: np.ndarray) -> np.ndarray:
    """log-determinants of the principal submatrices ``matrix[idx][:, idx]`` per row."""
    if index.shape[1] == 0:
        return np.zeros(index.shape[0])
    sub = matrix[index[:, :, None], index[:, None, :]]
    sign, logdet = np.linalg.slogdet(sub)
    if np.any(sign <= 0):
        raise CausalpostError("the BGe scatter matrix is not positive definite")
    return logdet
