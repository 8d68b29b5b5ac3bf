"""Incentive analysis of agent designs written as causal influence diagrams (CIDs).

Which nodes does an agent have an incentive to observe (value of information),
respond to (response incentive), control for its utility (value of control),
or influence on its way to utility (instrumental control incentive)? The
graphical criteria are exact, need no parameters, and run in well under a
millisecond on 20-node diagrams; :mod:`incentives.quantitative` gives the
values under given parameters.

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. AAAI. arXiv:2102.01685.
"""

from incentives.audit import audit, compare, jeffreys_interval
from incentives.cid import CID
from incentives.design import Design, DesignError
from incentives.discrete import DiscreteParams
from incentives.errors import CIDError, IncentiveError, InsufficientRecallError, ParameterError
from incentives.gaussian import LinearGaussianParams, Quadratic
from incentives.ici import admits_ici
from incentives.plan import ExperimentPlan, plan_experiments
from incentives.quantitative import meu, optimal_policy, quantitative_voc, quantitative_voi
from incentives.recall import relevance_graph, sufficient_recall
from incentives.report import AuditReport
from incentives.requisite import requisite_graph, requisite_observations
from incentives.ri import admits_ri
from incentives.sets import INCENTIVE_KINDS, KINDS, all_incentives, incentive_nodes
from incentives.voc import admits_direct_voc, admits_indirect_voc, admits_voc
from incentives.voi import admits_voi

__all__ = [
    "AuditReport",
    "CID",
    "Design",
    "DesignError",
    "audit",
    "compare",
    "plan_experiments",
    "ExperimentPlan",
    "jeffreys_interval",
    "IncentiveError",
    "CIDError",
    "InsufficientRecallError",
    "ParameterError",
    "admits_voi",
    "admits_ri",
    "admits_voc",
    "admits_direct_voc",
    "admits_indirect_voc",
    "admits_ici",
    "requisite_graph",
    "requisite_observations",
    "relevance_graph",
    "sufficient_recall",
    "incentive_nodes",
    "all_incentives",
    "KINDS",
    "INCENTIVE_KINDS",
    "DiscreteParams",
    "LinearGaussianParams",
    "Quadratic",
    "meu",
    "optimal_policy",
    "quantitative_voi",
    "quantitative_voc",
]
