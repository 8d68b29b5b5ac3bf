"""The GFlowNet's own error: its terminating probability and an importance-sampling ESS.

A trained policy draws DAG ``G`` with its *terminating probability* ``q(G)``,
the sum over every edge-adding trajectory from the start graph to ``G`` of the
trajectory's forward probability, times the probability of stopping in ``G``.
With the uniform backward policy of the training loss (remove one of the
``m`` removable edges of a state uniformly at random) every removal order
``tau`` of ``G``'s ``m`` removable edges has ``P_B(tau | G) = 1 / m!``, so

    q(G) = P_F(stop | G) * E_{tau ~ P_B(. | G)} [P_F(tau) / P_B(tau | G)]
         = P_F(stop | G) * m! * mean over orders of P_F(tau).

:func:`log_terminating_probs` estimates it with ``n_orders`` uniformly random
orders per distinct graph (log-mean-exp of the trajectory log-probabilities,
all graphs of a batch walked forward together through the policy); a graph
with ``m! <= n_orders`` gets all its orders, and its estimate is exact. The
estimate of ``q`` is unbiased and consistent as ``n_orders`` grows; its
logarithm is biased low (Jensen), which adds spread to the weights below and
so tends to lower the ESS, not raise it. For a policy that satisfies detailed
balance exactly, ``P_F(tau) / P_B(tau | G)`` is the same for every order, and
one order gives the exact value.

The draws' self-normalised importance weights against the unnormalised
posterior are ``w_s ~ R(G_s) / q(G_s)`` (``R`` the table score: log marginal
likelihood + log prior), and :func:`importance_ess` is their Kish effective
sample size ``(sum w)^2 / sum w^2``: ``n_draws`` for a policy that samples the
posterior, near 1 when one draw dominates. It is roughly ``n_draws / (1 +
chi^2(posterior || policy))``, so it measures the policy's approximation error
where the policy puts mass; it cannot see posterior mass the policy never
draws.

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI, appendix on the estimation of the terminating probability.
https://arxiv.org/abs/2202.13903

Kish, L. (1965). *Survey Sampling*. Wiley (the effective sample size of
weighted draws).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from scipy.special import logsumexp

from causalpost.samplers.gflownet.env import DAGEnv
from causalpost.samplers.gflownet.policy import NodePolicy
from causalpost.scores import ScoreTable

__all__ = ["importance_diagnostics", "importance_ess", "log_terminating_probs"]

_CHUNK = 4096  # trajectories walked through the policy at once


def log_terminating_probs(
    policy: NodePolicy,
    env: DAGEnv,
    adjacency: np.ndarray,
    n_orders: int = 16,
    *,
    generator: torch.Generator | None = None,
    all_orders: bool = True,
    chunk: int = _CHUNK,
) -> np.ndarray:
    """Estimate ``log q(G)``, the log-probability that the policy terminates in each DAG.

    Parameters
    ----------
    policy : NodePolicy
    env : DAGEnv
        The environment the policy was trained in (its start graph and masks).
    adjacency : numpy.ndarray, shape (n_graphs, n_nodes, n_nodes)
        DAGs the policy can reach (supersets of the start graph).
    n_orders : int
        Random edge-removal orders per distinct graph (at least 1).
    generator : torch.Generator, optional
        On ``env.device``; the source of the random orders (fresh entropy if None).
    all_orders : bool
        A graph with ``m! <= n_orders`` orders of its ``m`` removable edges gets all of
        them (its estimate is exact); False draws ``n_orders`` random orders for every
        graph (for tests of the random estimate).
    chunk : int
        Trajectories per batched walk.

    Returns
    -------
    numpy.ndarray, shape (n_graphs,)
        The estimates, in the order of ``adjacency`` (equal graphs get equal values).

    Examples
    --------
    >>> import numpy as np, torch
    >>> env = DAGEnv(~np.eye(2, dtype=bool), np.zeros((2, 2), bool), 1)
    >>> net = NodePolicy(2, width=8, n_layers=1, n_heads=2,
    ...                  generator=torch.Generator().manual_seed(0))
    >>> graphs = np.array([[[0, 0], [0, 0]], [[0, 1], [0, 0]], [[0, 0], [1, 0]]], bool)
    >>> float(np.exp(log_terminating_probs(net, env, graphs)).sum().round(6))
    1.0
    """
    if n_orders < 1:
        raise ValueError(f"n_orders must be >= 1, got {n_orders}")
    adjacency = np.asarray(adjacency, dtype=bool)
    n, d = adjacency.shape[0], env.n_nodes
    graphs, inverse = np.unique(adjacency.reshape(n, d * d), axis=0, return_inverse=True)
    removable = graphs & ~env.start.cpu().numpy().reshape(1, d * d)
    n_edges = removable.sum(1)
    exact = np.array([all_orders and math.factorial(int(m)) <= n_orders for m in n_edges], bool)
    if generator is None:
        generator = torch.Generator(device=env.device)
        generator.manual_seed(int(np.random.default_rng().integers(2**62)))
    rows, orders = _enumerated_orders(removable, np.flatnonzero(exact))
    pieces = [(rows, _trajectory_log_probs(policy, env, orders, chunk))]
    rand_rows = np.repeat(np.flatnonzero(~exact), n_orders)
    for lo in range(0, rand_rows.size, chunk):
        part = rand_rows[lo:lo + chunk]
        orders = _random_orders(removable[part], int(n_edges.max()), generator, env.device)
        pieces.append((part, _trajectory_log_probs(policy, env, orders, chunk)))
    row_of = np.concatenate([p[0] for p in pieces])
    values = np.concatenate([p[1] for p in pieces])
    out = np.empty(graphs.shape[0])
    for g, vals in _group(row_of, values, graphs.shape[0]):
        out[g] = logsumexp(vals) - math.log(vals.size) + math.lgamma(n_edges[g] + 1.0)
    return out[inverse.reshape(-1)]


def importance_ess(log_reward: np.ndarray, log_q: np.ndarray) -> float:
    """Kish's effective sample size of self-normalised weights ``w ~ exp(log_reward - log_q)``.

    Parameters
    ----------
    log_reward : numpy.ndarray, shape (n_draws,)
        Unnormalised log target of each draw (log score + log prior).
    log_q : numpy.ndarray, shape (n_draws,)
        Log-probability of each draw under the sampler.

    Returns
    -------
    float
        ``(sum w)^2 / sum w^2``, in ``[1, n_draws]``; ``n_draws`` when ``log_reward -
        log_q`` is constant. Draws of infinite weight share it equally.

    Examples
    --------
    >>> import numpy as np
    >>> importance_ess(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0]))
    3.0
    >>> round(importance_ess(np.array([0.0, 0.0, 50.0]), np.zeros(3)), 6)
    1.0
    """
    log_w = np.asarray(log_reward, float) - np.asarray(log_q, float)
    log_w = np.where(np.isnan(log_w), -np.inf, log_w)
    n = log_w.size
    if np.isposinf(log_w).any():
        return float(np.isposinf(log_w).sum())
    if not np.isfinite(log_w).any():
        raise ValueError("no draw has a finite importance weight")
    ess = math.exp(2.0 * logsumexp(log_w) - logsumexp(2.0 * log_w))
    return float(min(max(ess, 1.0), n))


def importance_diagnostics(
    policy: NodePolicy, env: DAGEnv, table: ScoreTable, adjacency: np.ndarray,
    n_orders: int, seed: int, max_steps: int | None = None,
) -> dict[str, Any]:
    """The diagnostics a GFlowNet posterior records for its own error.

    Parameters
    ----------
    policy, env
        The trained policy and its environment.
    table : ScoreTable
        The rewards (log score + log prior of each graph).
    adjacency : numpy.ndarray, shape (n_draws, n_nodes, n_nodes)
        The policy's draws.
    n_orders : int
        Random orders per distinct graph for :func:`log_terminating_probs`.
    seed : int
        Seed of the orders' generator.
    max_steps : int, optional
        Most policy evaluations (one per edge of a walked order, one per stop): the
        orders per graph are reduced to fit (never below one).

    Returns
    -------
    dict
        ``ess`` (``min(n_draws, IS-ESS)``: what audit and guard intervals use),
        ``ess_importance`` (the IS-ESS itself),
        ``ess_orders`` (the orders per graph used), ``ess_max_weight`` (the
        largest normalised weight of a draw) and ``ess_seconds`` (its time,
        never saved).
    """
    begin = time.monotonic()
    adjacency = np.asarray(adjacency, dtype=bool)
    if max_steps is not None:
        n = adjacency.shape[0]
        graphs = np.unique(adjacency.reshape(n, -1), axis=0)
        per_order = int((graphs & ~env.start.cpu().numpy().reshape(1, -1)).sum()) + len(graphs)
        n_orders = max(1, min(n_orders, max_steps // per_order))
    generator = torch.Generator(device=env.device).manual_seed(seed)
    log_q = log_terminating_probs(policy, env, adjacency, n_orders, generator=generator)
    log_w = table.graph_scores(adjacency) - log_q
    ess = importance_ess(log_w, np.zeros_like(log_w))
    value = float(min(adjacency.shape[0], ess))
    return {"ess": value, "ess_importance": ess,
            "ess_orders": int(n_orders),
            "ess_max_weight": float(np.exp(np.max(log_w) - logsumexp(log_w))),
            "ess_seconds": time.monotonic() - begin}


def _enumerated_orders(removable: np.ndarray, graphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every order of the removable edges of each of ``graphs``: graph ids and orders,
    shape (n_rows,) and (n_rows, max edges), padded with -1."""
    width = int(removable[graphs].sum(1).max(initial=0))
    ids, rows = [], []
    for g in graphs:
        edges = np.flatnonzero(removable[g])
        for perm in itertools.permutations(edges.tolist()):
            ids.append(g)
            rows.append(list(perm) + [-1] * (width - edges.size))
    return (np.array(ids, dtype=np.int64),
            np.array(rows, dtype=np.int64).reshape(len(rows), width))


def _random_orders(removable: np.ndarray, width: int, generator: torch.Generator,
                   device: torch.device) -> np.ndarray:
    """One uniformly random order of each row's removable edges, shape (rows, width),
    padded with -1 (random keys, non-edges sorted last)."""
    keys = torch.rand(removable.shape, generator=generator, device=device, dtype=torch.float64)
    keys = keys.masked_fill(~torch.as_tensor(removable, device=device), 2.0)
    order = torch.argsort(keys, dim=1)[:, :width].cpu().numpy()
    return np.where(np.arange(width) < removable.sum(1, keepdims=True), order, -1)


def _trajectory_log_probs(policy: NodePolicy, env: DAGEnv, orders: np.ndarray,
                          chunk: int) -> np.ndarray:
    """``log P_F(tau) + log P_F(stop | G)`` of each trajectory adding the edges of a row
    of ``orders`` (action indices, -1 padded) from the start graph, shape (n_rows,)."""
    out = np.empty(orders.shape[0])
    for lo in range(0, orders.shape[0], chunk):
        part = torch.as_tensor(orders[lo:lo + chunk], device=env.device)
        states = env.reset(part.shape[0])
        total = torch.zeros(part.shape[0], dtype=torch.float64, device=env.device)
        with torch.no_grad():
            for t in range(part.shape[1]):
                active = torch.nonzero(part[:, t] >= 0)[:, 0]
                if not active.numel():  # orders are padded at the end: all done
                    break
                sub, actions = states.index(active), part[active, t]
                log_probs = policy(sub.adj, sub.closure, env.valid_actions(sub))
                total[active] += log_probs.gather(1, actions[:, None])[:, 0].double()
                nxt = env.step(sub, actions)
                states.adj[active], states.closure[active] = nxt.adj, nxt.closure
            log_probs = policy(states.adj, states.closure, env.valid_actions(states))
            total += log_probs[:, -1].double()
        out[lo:lo + part.shape[0]] = total.cpu().numpy()
    return out


def _group(keys: np.ndarray, values: np.ndarray,
           n_groups: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(key, values of that key)`` for every key in ``range(n_groups)``."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n_groups + 1))
    for g in range(n_groups):
        yield g, values[order[bounds[g]:bounds[g + 1]]]
