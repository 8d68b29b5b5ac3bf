"""DAG-GFlowNet in torch: an amortized sampler of DAGs from their posterior.

Split as torchgfn does: :mod:`.env` (batched DAG states, masks, rewards),
:mod:`.policy` (node-level transformer), :mod:`.losses` (modified detailed
balance), :mod:`.trainer` (replay buffer, exploration, schedules and the
plateau rule) and :mod:`.sampler` (the :class:`GFlowNetSampler` estimator, its
options checked in :mod:`.options`, its file in :mod:`.checkpoint`);
:mod:`.exact_distribution` computes a trained policy's exact distribution over
small DAG spaces, :mod:`.importance` estimates it for any DAG (backward-policy
importance sampling over edge orders) and the draws' importance-sampling
effective sample size against the posterior, which a fit records as its own error.

References
----------
Deleu, T. et al. (2022). Bayesian structure learning with generative flow
networks. UAI. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

from causalpost.samplers.gflownet.env import DAGEnv, DAGStates
from causalpost.samplers.gflownet.exact_distribution import policy_log_probs
from causalpost.samplers.gflownet.importance import importance_ess, log_terminating_probs
from causalpost.samplers.gflownet.losses import modified_db_loss
from causalpost.samplers.gflownet.policy import NodePolicy
from causalpost.samplers.gflownet.sampler import GFlowNetSampler

__all__ = ["DAGEnv", "DAGStates", "GFlowNetSampler", "NodePolicy", "importance_ess",
           "log_terminating_probs", "modified_db_loss", "policy_log_probs"]
