"""What a sampler reports about its own run: the typed :class:`Diagnostics` of a posterior.

Every sampler sets the convergence summary (``converged``, ``rhat_log_score``,
``max_chain_disagreement``, ``ess_log_score``, ``seconds``); MCMC adds its chains'
records and the search space's boundary, the GFlowNet its training summary, exact
enumeration and the bootstrap their counts. Each field is declared once below, with
its type and meaning. A :class:`Diagnostics` is frozen and reads as a mapping of the
fields a sampler set (``diagnostics["converged"]``, ``"ess" in diagnostics``,
``diagnostics.get("draw_chain")``), so code written for the former dict keeps working;
keys no field declares (a new sampler's) are kept in :attr:`Diagnostics.extra`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from causalpost.errors import CausalpostError

__all__ = ["Diagnostics"]

_JSON_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "bool": (lambda v: isinstance(v, bool | np.bool_), "true or false"),
    "number": (lambda v: not isinstance(v, bool) and isinstance(v, int | float | np.number),
               "a number"),
    "int": (lambda v: not isinstance(v, bool) and isinstance(v, int | np.integer), "an integer"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "dict": (lambda v: isinstance(v, Mapping), "a JSON object"),
}


def _field(kind: str | None, doc: str) -> Any:
    """A diagnostic: absent (None) unless the sampler sets it; ``kind`` is checked on load."""
    return field(default=None, metadata={"kind": kind, "doc": doc})


@dataclass(frozen=True, eq=False)
class Diagnostics(Mapping[str, Any]):
    """A sampler's report on its run, one typed field per diagnostic.

    Fields a sampler did not set are None and absent from the mapping view.
    Arrays are numpy arrays (saved as ``.npz`` members); the rest is JSON-ready.

    Examples
    --------
    >>> d = Diagnostics.from_mapping({"converged": True, "rhat_log_score": 1.01,
    ...                               "my_count": 3})
    >>> d.converged, d["rhat_log_score"], "ess" in d, d.extra
    (True, 1.01, False, {'my_count': 3})
    >>> d.replace(seconds=2.5)["seconds"]
    2.5
    """

    # ---- the summary every sampler reports ------------------------------------------------
    converged: bool | None = _field("bool", "the run met its convergence targets")
    rhat_log_score: float | None = _field("number", "split-R-hat of the chains' log scores")
    max_chain_disagreement: float | None = _field(
        "number", "largest difference between two chains' marginals of one edge")
    ess_log_score: float | None = _field("number", "effective sample size of the log score")
    seconds: float | None = _field("number", "wall-clock time of the fit (never saved)")
    targets: dict[str, Any] | None = _field("dict", "the convergence targets and budget")
    ess: float | None = _field("number", "effective sample size of the draws")
    # ---- MCMC: chains, window and records ------------------------------------------------
    n_chains: int | None = _field("int", "independent chains")
    draw_chain: np.ndarray | None = _field(None, "the chain of each draw, (n_draws,)")
    n_edges_disagreeing: int | None = _field("int", "edges whose chains disagree")
    chain_edge_probs: np.ndarray | None = _field(None, "(n_chains, n_nodes, n_nodes)")
    edge_probs_rb: np.ndarray | None = _field(None, "Rao-Blackwellised edge marginals")
    n_window: int | None = _field("int", "records in the convergence window")
    rhat_edges: np.ndarray | None = _field(None, "split-R-hat per edge")
    ess_edges: np.ndarray | None = _field(None, "effective sample size per edge")
    max_rhat_edges: float | None = _field("number", "largest split-R-hat of an edge")
    ess_edges_median: float | None = _field("number", "median ESS of the varying edges")
    acceptance: dict[str, float] | None = _field("dict", "acceptance rate per move")
    acceptance_by_chain: list[dict[str, float]] | None = _field(None, "per chain")
    log_score_trace: np.ndarray | None = _field(None, "(n_chains, n_records)")
    trace_every: int | None = _field("int", "iterations between trace records")
    trace_start: int | None = _field("int", "iteration of the first trace record")
    n_draws_per_chain: int | None = _field("int", "draws kept per chain")
    burn_in: int | None = _field("int", "iterations discarded per chain")
    thin: int | None = _field("int", "iterations per kept draw")
    n_iter: int | None = _field("int", "iterations per chain")
    window_start: int | None = _field("int", "first iteration of the kept window")
    n_rounds: int | None = _field("int", "sampling rounds run")
    rounds: list[dict[str, Any]] | None = _field(None, "each round's summary")
    # ---- MCMC: the search space and its boundary -----------------------------------------
    search_space: str | None = _field("str", "the candidate-parent space used")
    candidates: np.ndarray | None = _field(None, "candidate parents, (n_nodes, n_nodes)")
    n_candidates: list[int] | None = _field(None, "candidate parents per node")
    boundary_mass: float | None = _field(
        "number", "largest posterior mass a node keeps just outside the search space")
    boundary_share: np.ndarray | None = _field(None, "that mass per edge")
    edge_probs_outside: np.ndarray | None = _field(
        None, "estimated P(i -> j) of edges outside the space, plus-one additions only")
    plus_one_nodes: np.ndarray | None = _field(
        None, "nodes sampled in the plus-one space (one outsider a parent set), (n_nodes,)")
    plus_one_sets: int | None = _field("int", "parent sets with an outsider scored for them")
    n_expansions: int | None = _field("int", "rounds of search-space expansion run")
    setup_seconds: float | None = _field("number", "time before the final run (never saved)")
    # ---- GFlowNet training ---------------------------------------------------------------
    n_steps: int | None = _field("int", "training steps taken")
    train_seconds: float | None = _field("number", "training time (never saved)")
    final_loss: float | None = _field("number", "mean loss of the last window")
    stop_reason: str | None = _field("str", 'why training stopped ("plateau", ...)')
    n_lr_decays: int | None = _field("int", "learning-rate decays")
    reward_exponent: float | None = _field("number", "the tempering exponent reached")
    # ---- exact enumeration and bootstrap -------------------------------------------------
    n_dags: int | None = _field("int", "DAGs enumerated")
    n_resamples: int | None = _field("int", "bootstrap resamples")
    alpha: float | None = _field("number", "PC's significance level")

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Keys no field declares (kept as given)."""
    _keys: tuple[str, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        present = tuple(f.name for f in _declared() if getattr(self, f.name) is not None)
        object.__setattr__(self, "_keys", present + tuple(self.extra))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> Diagnostics:
        """Diagnostics from a mapping (a sampler's dict, a file's header), keeping its
        order and any key set to None."""
        if isinstance(values, Diagnostics):
            return values
        values = dict(values or {})
        names = _names()
        out = cls(**{k: v for k, v in values.items() if k in names},
                  extra={k: v for k, v in values.items() if k not in names})
        object.__setattr__(out, "_keys", tuple(values))
        return out

    def replace(self, **changes: Any) -> Diagnostics:
        """A copy with some values changed or added."""
        return Diagnostics.from_mapping({**self, **changes})

    def check_types(self, where: str) -> None:
        """Raise a one-line CausalpostError for a declared value of the wrong JSON type
        (what :meth:`causalpost.Posterior.load` checks)."""
        for f in _declared():
            value = getattr(self, f.name)
            kind = f.metadata["kind"]
            if value is None or kind is None:
                continue
            ok, words = _JSON_CHECKS[kind]
            if not ok(value):
                raise CausalpostError(
                    f"{where}: diagnostics {f.name!r} must be {words}, got {value!r:.60}")

    # ---- the mapping view -----------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self.extra[key] if key in self.extra else getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_short(self[k])}" for k in self._keys)
        return f"Diagnostics({shown})"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _declared() -> tuple[Any, ...]:
    return tuple(f for f in fields(Diagnostics) if "kind" in f.metadata)


def _names() -> frozenset[str]:
    return frozenset(f.name for f in _declared())
