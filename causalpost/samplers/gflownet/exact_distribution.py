"""The exact distribution over DAGs of a trained policy, by dynamic programming.

For small graphs (up to 6 nodes) the probability that the policy
terminates in each DAG is computed exactly, without sampling noise, as in
the evaluation of the DAG-GFlowNet paper: the probability of reaching a DAG
is the sum, over its one-edge-smaller predecessors, of the probability of
reaching the predecessor times the forward probability of adding the
missing edge; the probability of terminating there multiplies by the stop
probability. DAGs are processed in order of their number of edges.

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI, section 5.1. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import logsumexp

from causalpost.graphs import masks_to_adjacency, transitive_closure
from causalpost.samplers.gflownet.env import DAGEnv, DAGStates
from causalpost.samplers.gflownet.policy import NodePolicy

__all__ = ["policy_log_probs"]


def policy_log_probs(
    policy: NodePolicy, env: DAGEnv, masks: np.ndarray, chunk: int = 8192
) -> np.ndarray:
    """Exact log-probability that the policy terminates in each given DAG.

    Parameters
    ----------
    policy : NodePolicy
    env : DAGEnv
    masks : numpy.ndarray, shape (n_dags, n_nodes)
        Parent masks of every DAG the policy can reach (e.g. the first output of
        :func:`causalpost.samplers.exact.exact_log_weights`), start graph included.
    chunk : int
        Graphs per forward pass.

    Returns
    -------
    numpy.ndarray, shape (n_dags,)
        Log-probabilities in the order of ``masks``; they sum to one (in
        probability) when ``masks`` lists every reachable DAG.
    """
    adj = masks_to_adjacency(masks).astype(bool)
    n_dags, d = adj.shape[0], adj.shape[-1]
    closure = transitive_closure(adj).astype(bool) | np.eye(d, dtype=bool)
    log_pf = np.empty((n_dags, d * d + 1))
    with torch.no_grad():
        for lo in range(0, n_dags, chunk):
            states = DAGStates(torch.as_tensor(adj[lo:lo + chunk], device=env.device),
                               torch.as_tensor(closure[lo:lo + chunk], device=env.device))
            out = policy(states.adj, states.closure, env.valid_actions(states))
            log_pf[lo:lo + chunk] = out.double().cpu().numpy()
    flat = adj.reshape(n_dags, d * d)
    bits = np.left_shift(np.int64(1), np.arange(d * d, dtype=np.int64))
    codes = flat.astype(np.int64) @ bits
    order = np.argsort(codes)
    sorted_codes = codes[order]
    start = env.start.cpu().numpy().reshape(-1)
    n_edges = flat.sum(1)
    log_reach = np.full(n_dags, -np.inf)
    log_reach[n_edges == start.sum()] = 0.0  # the start graph is the only such state
    for level in range(int(start.sum()) + 1, int(n_edges.max(initial=0)) + 1):
        rows = np.flatnonzero(n_edges == level)
        terms = np.full((rows.size, d * d), -np.inf)
        for e in np.flatnonzero(~start):
            has = flat[rows, e]
            pred_codes = codes[rows[has]] - bits[e]
            pred = order[np.searchsorted(sorted_codes, pred_codes)]
            terms[has, e] = log_reach[pred] + log_pf[pred, e]
        log_reach[rows] = logsumexp(terms, axis=1)
    return log_reach + log_pf[:, -1]
