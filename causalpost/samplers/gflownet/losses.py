"""The modified detailed-balance loss of DAG-GFlowNet (every state terminal).

For a transition ``G -> G'`` that adds one edge, detailed balance between
the flows of the two terminating states gives

    log R(G') + log P_B(G | G') + log P_F(stop | G)
        = log R(G) + log P_F(G' | G) + log P_F(stop | G'),

and the loss is the Huber (or squared) error of the difference. With a
uniform backward policy over the removable edges of ``G'``,
``log P_B(G | G') = -log(#removable edges of G')``, and
``log R(G') - log R(G)`` is a single local-score difference. A policy with
zero loss on every transition samples each DAG with probability
proportional to its reward.

References
----------
Deleu, T., Gois, A., Emezue, C., Rankawat, M., Lacoste-Julien, S., Bauer, S.
& Bengio, Y. (2022). Bayesian structure learning with generative flow
networks. UAI, eq. (6). https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

from typing import Literal

import torch
from torch.nn import functional as F

__all__ = ["detailed_balance_residual", "modified_db_loss"]


def detailed_balance_residual(
    log_probs: torch.Tensor,
    log_probs_next: torch.Tensor,
    actions: torch.Tensor,
    delta_log_reward: torch.Tensor,
    n_removable_next: torch.Tensor,
) -> torch.Tensor:
    """Residual of the modified detailed-balance condition, shape (batch,).

    Parameters
    ----------
    log_probs, log_probs_next : torch.Tensor, shape (batch, n_nodes ** 2 + 1)
        Forward log-probabilities in ``G`` and in ``G'`` (stop last).
    actions : torch.Tensor of int64, shape (batch,)
        The edge action leading from ``G`` to ``G'``.
    delta_log_reward : torch.Tensor, shape (batch,)
        ``log R(G') - log R(G)``.
    n_removable_next : torch.Tensor, shape (batch,)
        Number of edges the backward policy may remove from ``G'`` (>= 1).
    """
    log_pf = log_probs.gather(1, actions[:, None])[:, 0]
    log_pb = -torch.log(n_removable_next.to(log_probs.dtype))
    return (delta_log_reward + log_pb + log_probs[:, -1]
            - log_pf - log_probs_next[:, -1])


def modified_db_loss(
    log_probs: torch.Tensor,
    log_probs_next: torch.Tensor,
    actions: torch.Tensor,
    delta_log_reward: torch.Tensor,
    n_removable_next: torch.Tensor,
    kind: Literal["huber", "squared"] = "huber",
) -> torch.Tensor:
    """Mean Huber (delta 1) or squared modified detailed-balance error.

    Examples
    --------
    >>> import torch
    >>> lp = torch.log(torch.tensor([[0.5, 0.5]]))  # one edge or stop
    >>> lq = torch.log(torch.tensor([[0.0, 1.0]]))  # after the edge: stop only
    >>> # R(G') / R(G) = 1: flows balance when P_F(G'|G) = P_F(stop|G)
    >>> float(modified_db_loss(lp, lq, torch.tensor([0]), torch.tensor([0.0]), torch.tensor([1])))
    0.0
    """
    residual = detailed_balance_residual(log_probs, log_probs_next, actions, delta_log_reward,
                                         n_removable_next)
    if kind == "huber":
        return F.huber_loss(residual, torch.zeros_like(residual), delta=1.0)
    if kind == "squared":
        return residual.pow(2).mean()
    raise ValueError(f"unknown loss {kind!r}; use 'huber' or 'squared'")
