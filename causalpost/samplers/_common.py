"""What every sampler shares: turning data + options into a score table, and
turning sampled graphs into a :class:`~causalpost.posterior.Posterior` with
conjugate parameters attached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from causalpost.data import Dataset, from_pandas
from causalpost.errors import CausalpostError, NotFittedError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.posterior import Posterior
from causalpost.scores import GraphPrior, ScoreTable, build_score_table, make_score
from causalpost.scores.table import BoundScore

__all__ = ["Problem", "as_dataset", "check_fitted", "make_posterior", "prepare_problem",
           "resolve_prior"]


@dataclass(frozen=True)
class Problem:
    """A data table bound to a score, prior and background knowledge."""

    data: Dataset
    bound: BoundScore
    score_info: dict[str, Any]
    prior: GraphPrior
    knowledge: BackgroundKnowledge
    forbidden: np.ndarray
    required: np.ndarray
    max_parents: int

    def table(self, candidates: list[np.ndarray] | None = None,
              reuse: ScoreTable | None = None) -> ScoreTable:
        """Build the cached local-score table (optionally over candidate parents, reusing
        the rows of ``reuse`` whose candidates are unchanged)."""
        return build_score_table(self.bound, self.prior, self.forbidden, self.required,
                                 self.max_parents, candidates, reuse)


def resolve_prior(prior: GraphPrior | str | None, n_nodes: int) -> GraphPrior:
    """Accept a GraphPrior, ``"sparse"`` (or None: the default; Erdos-Renyi, one expected
    edge per node, at most 1/2 per edge), ``"uniform"``, ``"erdos_renyi"`` (one expected edge
    per node, as in the DAG-GFlowNet experiments) or ``"fair"`` (Eggeling et al. 2019)."""
    if prior is None or prior == "sparse":
        return GraphPrior("sparse")
    if prior == "uniform":
        return GraphPrior("uniform")
    if isinstance(prior, GraphPrior):
        return prior
    if prior in ("er", "erdos_renyi"):
        return GraphPrior("erdos_renyi", expected_edges=float(n_nodes))
    if prior == "fair":
        return GraphPrior("fair")
    if prior == "sparse":
        return GraphPrior("sparse")
    raise CausalpostError(f"unknown prior {prior!r}; use 'uniform', 'sparse', 'erdos_renyi', "
                          "'fair' or a GraphPrior")


def as_dataset(data: Dataset | pd.DataFrame) -> Dataset:
    """The one data-conversion step of every sampler's ``fit``: a Dataset as is, a
    DataFrame through :func:`causalpost.from_pandas`, anything else a clear error."""
    if isinstance(data, pd.DataFrame):
        return from_pandas(data)
    if not isinstance(data, Dataset):
        raise CausalpostError(f"expected a causalpost Dataset or a pandas DataFrame, got "
                              f"{type(data).__name__}; use causalpost.load_csv or "
                              "causalpost.from_numpy")
    return data


def prepare_problem(
    data: Dataset,
    score: str | None,
    score_options: dict | None,
    prior: GraphPrior | str | None,
    knowledge: BackgroundKnowledge | None,
    max_parents: int | None,
) -> Problem:
    """Validate options against the data and bind the score."""
    data = as_dataset(data)
    if score is None:
        score = "bdeu" if data.kind == "discrete" else "bge"
    spec = make_score(score, **(score_options or {}))
    bound = spec.bind(data)
    knowledge = knowledge or BackgroundKnowledge()
    forbidden, required = knowledge.matrices(data.names)
    n_nodes = data.n_nodes
    if max_parents is None:
        max_parents = n_nodes - 1
    if not 0 <= max_parents:
        raise CausalpostError(f"max_parents must be >= 0, got {max_parents}")
    return Problem(data, bound, spec.to_json(), resolve_prior(prior, n_nodes), knowledge,
                   forbidden, required, min(max_parents, n_nodes - 1))


def make_posterior(
    problem: Problem,
    adjacency: np.ndarray,
    log_weights: np.ndarray | None,
    rng: np.random.Generator,
    *,
    sampler: str,
    exact: bool = False,
    diagnostics: Mapping[str, Any] | None = None,
    parameters: bool = True,
) -> Posterior:
    """Attach one conjugate parameter draw per graph and describe the run."""
    params = problem.bound.sample_parameters(adjacency, rng) if parameters else {}
    data = problem.data
    info = {
        "sampler": sampler,
        "score": problem.score_info,
        "prior": problem.prior.to_json(),
        "knowledge": problem.knowledge.to_json(),
        "max_parents": problem.max_parents,
        "kinds": list(data.kinds),
        "levels": [list(lv) if lv is not None else None for lv in data.levels],
        "n_obs": data.n_obs,
        "data_sha256": data.fingerprint(),
        "n_interventional_rows": 0 if data.intervention is None
        else int(data.intervention.any(axis=1).sum()),
    }
    return Posterior(data.names, adjacency, log_weights, params, exact=exact, info=info,
                     diagnostics=diagnostics)


def check_fitted(sampler) -> Posterior:
    """The fitted posterior of a sampler, or a clear error before ``fit``."""
    posterior = getattr(sampler, "_posterior", None)
    if posterior is None:
        raise NotFittedError(f"{type(sampler).__name__} is not fitted yet; call fit(data) first")
    return posterior
