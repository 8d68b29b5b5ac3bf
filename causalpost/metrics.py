"""Accuracy of a posterior: against a true graph, an exact posterior, held-out data.

``expected_shd`` and ``edge_auroc`` follow the DiBS (Lorch et al., 2021) and
DAG-GFlowNet (Deleu et al., 2022) papers: the expected structural Hamming
distance over the posterior (a reversed edge is one error), and the area
under the ROC curve of the edge marginals as a classifier of the true
edges over all ordered pairs ``i != j``.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from causalpost.errors import CausalpostError
from causalpost.graphs import shd

__all__ = ["edge_auroc", "edge_marginal_errors", "expected_shd", "jensen_shannon"]


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


def _check_truth(truth: np.ndarray, n_nodes: int) -> np.ndarray:
    truth = np.asarray(truth)
    if truth.shape != (n_nodes, n_nodes):
        raise CausalpostError(f"the true graph has shape {truth.shape}, expected "
                              f"({n_nodes}, {n_nodes})")
    return truth.astype(np.uint8)
