"""Subset sums of a score table: what scores orders and partitions, and samples a DAG
given one.

For node ``j`` let ``s_j(pi)`` be the table's local score (log marginal
likelihood + log prior) of parent set ``pi``. Its *subset sums*
``F_j[U] = log sum_{pi subset U} exp s_j(pi)``, for every subset ``U`` of the
node's candidate parents, are computed once by a log-space zeta transform
(Koivisto & Sood 2004). Then

- an order's score is ``sum_j F_j[pred_j]`` (Friedman & Koller 2003);
- a partition's score is ``sum_j log(exp F_j[U_j] - exp F_j[U_j \\ L_j])``,
  with ``U_j`` the nodes of earlier parts and ``L_j`` the part just above
  (each node needs one parent there; Kuipers & Moffa 2017),

so scoring a proposal is a handful of look-ups. Given an order or partition,
each node's parent set is drawn exactly from the table entries compatible with
it, in proportion to ``exp s_j(pi)``. The compiled kernels that do all this
(:mod:`causalpost.samplers._numba_partition`) read the sums from a
:class:`~causalpost.samplers._numba_common.FlatTable`, the one compiled form of a
:class:`~causalpost.scores.ScoreTable`.

References
----------
Friedman, N. & Koller, D. (2003). Being Bayesian about network structure.
Machine Learning 50, 95-125. https://doi.org/10.1023/A:1020249912095

Koivisto, M. & Sood, K. (2004). Exact Bayesian structure discovery in
Bayesian networks. JMLR 5, 549-573.

Kuipers, J. & Moffa, G. (2017). Partition MCMC for inference on acyclic
digraphs. JASA 112(517), 282-299. https://doi.org/10.1080/01621459.2015.1133426
"""

from __future__ import annotations

import numpy as np

from causalpost.errors import GraphTooLargeError
from causalpost.scores import ScoreTable

__all__ = ["MAX_ORDER_CANDIDATES", "node_subset_sums", "subset_sums"]

MAX_ORDER_CANDIDATES = 24


def subset_sums(table: ScoreTable) -> tuple[np.ndarray, np.ndarray]:
    """Every node's ``F_j`` concatenated (``-inf`` clamped to ``-1e300`` so that
    differences stay defined) and each node's offset into them.

    Raises
    ------
    GraphTooLargeError
        When a node has more than :data:`MAX_ORDER_CANDIDATES` candidate parents.
    """
    sizes = [c.size for c in table.candidates]
    if max(sizes, default=0) > MAX_ORDER_CANDIDATES:
        raise GraphTooLargeError(
            f"a node has {max(sizes)} candidate parents; order and partition MCMC allow "
            f"at most {MAX_ORDER_CANDIDATES} (use search_space='hybrid', 'pc' or 'best')")
    sums = [node_subset_sums(m, s, c) for m, s, c in zip(table.masks, table.scores, sizes)]
    offsets = np.cumsum([0] + [x.size for x in sums[:-1]]).astype(np.int64)
    return np.maximum(np.concatenate(sums), -1e300), offsets


def node_subset_sums(masks: np.ndarray, scores: np.ndarray, n_cand: int) -> np.ndarray:
    """``F[U] = logsumexp of scores over masks subset of U``, for every U (zeta transform);
    each mask (over ``n_cand`` candidates) appears once."""
    f = np.full(1 << n_cand, -np.inf)
    f[masks] = scores
    for k in range(n_cand):
        view = f.reshape(-1, 2, 1 << k)
        np.logaddexp(view[:, 1, :], view[:, 0, :], out=view[:, 1, :])
    return f
