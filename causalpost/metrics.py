"""Accuracy of a posterior: against a true graph, an exact posterior, held-out data.

``expected_shd`` and ``edge_auroc`` follow the DiBS (Lorch et al., 2021) and
DAG-GFlowNet (Deleu et al., 2022) papers: the expected structural Hamming
distance over the posterior (a reversed edge is one error), and the area
under the ROC curve of the edge marginals as a classifier of the true
edges over all ordered pairs ``i != j``. ``held_out_log_likelihood`` is the
log posterior-predictive density of unseen rows, averaged over the rows
(DiBS' "negative interventional log-likelihood" without the intervention).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import logsumexp
from scipy.stats import rankdata

from causalpost.data import Dataset
from causalpost.errors import CausalpostError
from causalpost.graphs import shd
from causalpost.scores.draws import DiscreteDraws, LinearGaussianDraws

if TYPE_CHECKING:
    from causalpost.posterior import Posterior

__all__ = [
    "edge_auroc",
    "edge_marginal_errors",
    "expected_shd",
    "held_out_log_likelihood",
    "jensen_shannon",
]

_CHUNK = 2**22  # floats per block of (draws, rows, nodes) residuals


def expected_shd(adjacency: np.ndarray, weights: np.ndarray, truth: np.ndarray) -> float:
    """Posterior expectation of the SHD to ``truth``.

    Parameters
    ----------
    adjacency : numpy.ndarray, shape (n_draws, n_nodes, n_nodes)
    weights : numpy.ndarray, shape (n_draws,), summing to 1
    truth : numpy.ndarray, shape (n_nodes, n_nodes)
    """
    truth = _check_truth(truth, adjacency.shape[-1])
    return float(np.dot(weights, shd(adjacency, truth)))


def edge_auroc(edge_probs: np.ndarray, truth: np.ndarray) -> float:
    """ROC AUC of the edge marginals for the true edges (ties count half).

    Examples
    --------
    >>> import numpy as np
    >>> edge_auroc(np.array([[0, .9], [.2, 0]]), np.array([[0, 1], [0, 0]]))
    1.0
    """
    edge_probs = np.asarray(edge_probs, dtype=float)
    truth = _check_truth(truth, edge_probs.shape[-1])
    off = ~np.eye(truth.shape[0], dtype=bool)
    scores, labels = edge_probs[off], truth[off].astype(bool)
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        raise CausalpostError("edge AUROC needs a true graph with at least one edge and one "
                              "non-edge")
    ranks = rankdata(scores)  # Mann-Whitney U statistic
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def edge_marginal_errors(estimate: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Max and mean absolute difference of off-diagonal edge marginals."""
    estimate, reference = np.asarray(estimate, float), np.asarray(reference, float)
    off = ~np.eye(reference.shape[0], dtype=bool)
    diff = np.abs(estimate - reference)[off]
    return {"max_abs": float(diff.max()), "mean_abs": float(diff.mean())}


def jensen_shannon(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats) between two distributions on the same support.

    Parameters
    ----------
    log_p, log_q : numpy.ndarray, shape (n_states,)
        Normalized log-probabilities (``-inf`` allowed).
    """
    p, q = np.exp(log_p), np.exp(log_q)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * (np.log(p) - np.log(m)), 0.0).sum()
        kl_q = np.where(q > 0, q * (np.log(q) - np.log(m)), 0.0).sum()
    return float(0.5 * (kl_p + kl_q))


def held_out_log_likelihood(posterior: Posterior, test_data: Dataset) -> float:
    """Mean log posterior-predictive density of held-out rows (nats per row).

    For each test row ``x`` this is ``log sum_s w_s p(x | G_s, theta_s)``, the
    log of the weighted mean over the draws of the row's density under draw
    ``s``'s graph and parameters (computed as a log-sum-exp), averaged over the
    rows. Linear-Gaussian draws give each node
    ``Normal(intercept_j + x_pa . w_pa,j, noise_var_j)``; discrete draws give
    ``P(x_j | x_pa)`` from their tables (``log_density`` of
    :attr:`causalpost.Posterior.parameters`).

    Parameters
    ----------
    posterior : Posterior
        With one parameter draw per graph (samplers attach them by default).
    test_data : Dataset
        Rows not used for fitting, with the posterior's node names as columns
        (any order) and, for discrete nodes, level names from the training levels.

    Returns
    -------
    float
        Higher is better; comparable across posteriors on the same test rows.

    Raises
    ------
    CausalpostError
        When the posterior carries no parameters, or the test columns do not
        match its nodes (names, kinds or discrete levels).

    References
    ----------
    Lorch, L., Rothfuss, J., Schoelkopf, B. & Krause, A. (2021). DiBS:
    Differentiable Bayesian structure learning. NeurIPS.
    https://arxiv.org/abs/2105.11839

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost.data import from_numpy
    >>> from causalpost.posterior import Posterior
    >>> from causalpost.scores.draws import LinearGaussianDraws
    >>> params = LinearGaussianDraws(np.zeros((1, 1, 1)), np.zeros((1, 1)),
    ...                              np.ones((1, 1))).to_params()
    >>> post = Posterior(["X"], np.zeros((1, 1, 1)), params=params)
    >>> test = from_numpy(np.array([[-1.0], [0.0], [1.0]]), ["X"])
    >>> round(held_out_log_likelihood(post, test), 4)  # mean of log N(x; 0, 1)
    -1.2523
    """
    if not isinstance(test_data, Dataset):
        raise CausalpostError(f"test_data must be a causalpost Dataset, got "
                              f"{type(test_data).__name__}")
    columns = _matching_columns(posterior.nodes, test_data)
    parameters = posterior.parameters
    if isinstance(parameters, LinearGaussianDraws):
        discrete = [test_data.names[c] for c in columns if test_data.kinds[c] != "continuous"]
        if discrete:
            raise CausalpostError(f"test column {discrete[0]!r} is discrete but the posterior "
                                  "is linear-Gaussian")
        rows = np.asarray(test_data.values, dtype=float)[:, columns]
    elif isinstance(parameters, DiscreteDraws):
        rows = _test_codes(posterior, test_data, columns)
    else:
        raise CausalpostError("the posterior carries no parameters; fit it with "
                              "parameters=True to compute a held-out log-likelihood")
    total = np.full(rows.shape[0], -np.inf)  # running log sum_s w_s p(row | draw s)
    step = max(1, _CHUNK // max(rows.size, 1))
    for start in range(0, posterior.n_draws, step):
        block = slice(start, start + step)
        density = parameters.take(block).log_density(posterior.adjacency[block], rows)
        log_p = posterior.log_weights[block, None] + density
        total = np.logaddexp(total, logsumexp(log_p, axis=0))
    return float(total.mean())


def _matching_columns(nodes: tuple[str, ...], test_data: Dataset) -> np.ndarray:
    """Column index in ``test_data`` of each posterior node."""
    missing = [n for n in nodes if n not in test_data.names]
    extra = [n for n in test_data.names if n not in nodes]
    if missing or extra:
        raise CausalpostError(f"the test data's columns do not match the posterior's nodes: "
                              f"missing {missing}, unexpected {extra}")
    return np.array([test_data.names.index(n) for n in nodes], dtype=np.int64)


def _test_codes(posterior: Posterior, test_data: Dataset, columns: np.ndarray) -> np.ndarray:
    """Test codes re-expressed in the training levels, shape (n_rows, n_nodes)."""
    levels = posterior.info.get("levels")
    if not levels or any(lv is None for lv in levels):
        raise CausalpostError("the posterior does not record the discrete levels of its nodes")
    codes = np.empty((test_data.n_obs, len(columns)), dtype=np.int64)
    for j, col in enumerate(columns):
        test_levels = test_data.levels[col]
        if test_levels is None:
            raise CausalpostError(f"test column {test_data.names[col]!r} is continuous but the "
                                  "posterior's node is discrete")
        unknown = sorted(set(test_levels) - set(levels[j]))
        if unknown:
            raise CausalpostError(f"test column {test_data.names[col]!r} has levels {unknown} "
                                  f"not seen in training ({list(levels[j])})")
        lookup = np.array([list(levels[j]).index(lv) for lv in test_levels], dtype=np.int64)
        codes[:, j] = lookup[test_data.values[:, col].astype(np.int64)]
    return codes


def _check_truth(truth: np.ndarray, n_nodes: int) -> np.ndarray:
    truth = np.asarray(truth)
    if truth.shape != (n_nodes, n_nodes):
        raise CausalpostError(f"the true graph has shape {truth.shape}, expected "
                              f"({n_nodes}, {n_nodes})")
    return truth.astype(np.uint8)
