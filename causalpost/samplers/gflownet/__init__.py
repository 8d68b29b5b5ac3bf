"""DAG-GFlowNet in torch: an amortized sampler of DAGs from their posterior.

Split as torchgfn does: :mod:`.env` (batched DAG states, masks, rewards),
:mod:`.policy` (node-level transformer), :mod:`.losses` (modified detailed
balance), :mod:`.trainer` (replay buffer, exploration, schedules and the
plateau rule) and :mod:`.sampler` (the :class:`GFlowNetSampler` estimator, its
options checked in :mod:`.options`, its file in :mod:`.checkpoint`);
:mod:`.exact_distribution` computes a trained policy's exact distribution over
small DAG spaces.

References
----------
Deleu, T. et al. (2022). Bayesian structure learning with generative flow
networks. UAI. https://arxiv.org/abs/2202.13903
"""

from __future__ import annotations

from causalpost.samplers.gflownet.env import DAGEnv, DAGStates
from causalpost.samplers.gflownet.exact_distribution import policy_log_probs
from causalpost.samplers.gflownet.losses import modified_db_loss
from causalpost.samplers.gflownet.policy import NodePolicy
from causalpost.samplers.gflownet.sampler import GFlowNetSampler

__all__ = ["DAGEnv", "DAGStates", "GFlowNetSampler", "NodePolicy", "modified_db_loss",
           "policy_log_probs"]
