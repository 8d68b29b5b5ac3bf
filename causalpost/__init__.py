"""causalpost: Bayesian posteriors over causal DAGs and their parameters.

>>> import causalpost as cp
>>> "exact" in cp.samplers.SAMPLERS
True
"""

from __future__ import annotations

from causalpost import samplers
from causalpost.api import fit, make_sampler, score_table
from causalpost.data import Dataset, from_numpy, from_pandas, load_csv
from causalpost.diagnostics import Diagnostics
from causalpost.errors import (
    CausalpostError,
    ChainDisagreementWarning,
    DataError,
    GraphError,
    GraphTooLargeError,
    NotFittedError,
)
from causalpost.guard import GuardReport, guard
from causalpost.knowledge import BackgroundKnowledge
from causalpost.posterior import Posterior, RankedGraph
from causalpost.scores import BDeu, BGe, GraphPrior
from causalpost.simulate import simulate_draw

__all__ = [
    "BDeu",
    "BGe",
    "BackgroundKnowledge",
    "CausalpostError",
    "ChainDisagreementWarning",
    "DataError",
    "Dataset",
    "Diagnostics",
    "GraphError",
    "GraphPrior",
    "GraphTooLargeError",
    "GuardReport",
    "NotFittedError",
    "Posterior",
    "RankedGraph",
    "fit",
    "from_numpy",
    "from_pandas",
    "guard",
    "load_csv",
    "make_sampler",
    "samplers",
    "score_table",
    "simulate_draw",
]

__version__ = "0.1.0"
