"""Which experiment would settle an audit: expected information gain about its verdict.

When an audit hinges on edges the observational data cannot orient, the next
question is which intervention would decide it. For each candidate
single-node hard intervention do(X) with ``n_rows`` new rows,
:func:`plan_experiments` estimates

* ``eig``: the expected information gain (nats) about the verdict-deciding
  quantities -- the joint state of the protected (decision, kind, node) rows
  of the audit, a categorical variable over the distinct graphs -- i.e. its
  entropy under the posterior now minus its expected entropy after the
  experiment;
* per protected row, its probability now, its expected probability after
  (equal to the probability now up to Monte Carlo error: posteriors are
  martingales), and its own EIG (binary entropies);
* ``p_decided``: the probability that after the experiment every protected row
  is decided at the audit's risk level: its interval lies at or below
  ``threshold`` (the incentive is absent with the risk the user accepts) or at
  or above ``1 - threshold`` (it is present), so the verdict no longer hinges
  on an unidentified edge or on sampling noise.

How: an experiment is simulated under a plausible world -- a draw (graph and
parameters) of the posterior, chosen by weight among the graphs the design
does not exclude -- with the intervened values drawn from the node's observed
marginal (continuous: Normal(mean, sd) of the rows that did not intervene on
it; discrete: uniform over its levels). The posterior over the distinct graphs
is then updated exactly by the interventional marginal likelihood of the new
rows given the old data: scores are decomposable, so a graph's log weight
changes by the sum over nodes of ``score_j(Pa; old + new) - score_j(Pa; old)``,
computed once per distinct (node, parent set) of the posterior (the
intervened node's own term is zero: its new rows are not scored). The
estimate averages ``n_sims`` independent simulations; ``eig_error`` is its
Monte Carlo standard error.

The support is the posterior's distinct graphs (for a Monte Carlo posterior,
those the sampler visited), the design's rule for excluded graphs is the
audit's (:mod:`incentives.audit`), and graphs that cannot be evaluated count
as their own "undetermined" state.

This module computes the estimates; the result, :class:`ExperimentPlan`, is
defined in :mod:`incentives._plan_result` and re-exported here.

References
----------
Lindley, D. V. (1956). On a measure of the information provided by an
experiment. Annals of Mathematical Statistics 27(4).
Cooper, G. F. & Yoo, C. (1999). Causal discovery from a mixture of
experimental and observational data. UAI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from causalpost.data import Dataset
from causalpost.errors import known_names
from causalpost.parallel import run_tasks
from causalpost.posterior import Posterior
from causalpost.scores import BGe, make_score
from causalpost.scores.bdeu import BoundBDeu
from causalpost.scores.bge import BoundBGe
from causalpost.simulate import simulate_draw
from incentives._audit_graphs import EXCLUDED, evaluate_graphs, row_frame
from incentives._plan_result import ExperimentPlan
from incentives.audit import jeffreys_interval
from incentives.design import Design, DesignError

__all__ = ["ExperimentPlan", "plan_experiments"]

MAX_GRAPHS = 20_000  # distinct graphs kept as the support (most probable first)


def plan_experiments(
    posterior: Posterior,
    design: Design,
    data: Dataset,
    *,
    candidates: Sequence[str] | None = None,
    n_rows: int = 100,
    n_sims: int = 64,
    threshold: float = 0.05,
    seed: int | np.random.Generator | None = 0,
    quiet: bool = False,
    n_jobs: int | None = 1,
    scheduler: Any = None,
) -> ExperimentPlan:
    """Rank single-node hard interventions by how much they would tell about the audit.

    Parameters
    ----------
    posterior : causalpost.Posterior
        Fitted on ``data`` (checked), with parameter draws.
    design : Design
        The audited design; its protected rows are the verdict-deciding quantities.
    data : causalpost.Dataset
        The data the posterior was fitted on (same intervention column, if any).
    candidates : sequence of str, optional
        Nodes to intervene on; default every data column.
    n_rows : int
        Rows of each simulated experiment.
    n_sims : int
        Simulated experiments per candidate (at least 2).
    threshold : float
        The audit's risk threshold (for ``p_decided``).
    seed : int or numpy.random.Generator, optional
    quiet : bool
        No progress bar (it counts candidates done, across workers).
    n_jobs : int, optional
        Candidates simulated in parallel (-1: every core); each candidate has its own
        seed, so the plan is identical whatever the number of workers.
    scheduler : str or dask.distributed.Client, optional
        Simulate on a Dask cluster (:mod:`causalpost.parallel`); the posterior and
        score statistics are scattered once.

    Returns
    -------
    ExperimentPlan

    Raises
    ------
    DesignError
        On bad options, unknown candidates, data that are not the posterior's,
        a posterior without parameters, or one that every graph of which the
        design excludes.
    """
    _check_options(n_rows, n_sims, threshold)
    _check_same_data(posterior, data)
    design.check(posterior.nodes)
    names = posterior.nodes
    chosen = list(names) if candidates is None else list(candidates)
    for c in chosen:
        if c not in names:
            raise DesignError(f"unknown candidate {c!r}; the data has {known_names(c, names)}")
    if not chosen:
        raise DesignError("no candidate experiments given")
    if not posterior.params:
        raise DesignError("the posterior carries no parameter draws to simulate experiments "
                          "from; refit it with parameters (the default)")
    support = _Support(posterior, design)
    updater = _Updater(posterior, data, support.graphs)
    # one seed per candidate: its estimate does not depend on the others or on n_jobs
    streams = np.random.SeedSequence(_entropy_of(seed)).spawn(len(chosen))
    tasks = [(names.index(name), stream) for name, stream in zip(chosen, streams)]
    shared = (posterior, data, support, updater, int(n_rows), int(n_sims), float(threshold))
    results = run_tasks(_simulate_candidate, tasks, shared=shared, n_jobs=n_jobs,
                        scheduler=scheduler, desc="plan", quiet=quiet)
    table, rows = [], []
    for name, (entropies, row_probs, decided) in zip(chosen, results):
        eig = support.entropy_now - entropies.mean()
        table.append({"node": name, "eig": max(eig, 0.0),
                      "eig_error": float(entropies.std(ddof=1) / math.sqrt(n_sims)),
                      "p_decided": float(decided.mean())})
        row_eig = support.row_entropy_now - _binary_entropy(row_probs).mean(axis=0)
        for k, r in enumerate(support.protected_rows.itertuples()):
            rows.append({"candidate": name, "decision": r.decision, "kind": r.kind,
                         "node": r.node, "probability": float(support.row_probs_now[k]),
                         "expected_after": float(row_probs[:, k].mean()),
                         "eig": float(max(row_eig[k], 0.0))})
    order = pd.DataFrame(table).sort_values("eig", ascending=False, kind="stable")
    return ExperimentPlan(
        design_name=design.name,
        table=order.reset_index(drop=True),
        rows=pd.DataFrame(rows),
        entropy_now=float(support.entropy_now),
        n_rows=int(n_rows),
        n_sims=int(n_sims),
        threshold=float(threshold),
        n_graphs=len(support.graphs),
        tail_mass=support.tail_mass,
    )


def _entropy_of(seed: int | np.random.Generator | None) -> int | None:
    """An integer seed for SeedSequence (a Generator contributes one draw)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    return seed


def _simulate_candidate(task: tuple, shared: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_sims`` simulated experiments do(x): entropies, row probabilities, decided flags."""
    x, stream = task
    posterior, data, support, updater, n_rows, n_sims, threshold = shared
    rng = np.random.default_rng(stream)
    entropies, row_probs = np.empty(n_sims), np.empty((n_sims, support.n_protected))
    decided = np.empty(n_sims, dtype=bool)
    for m in range(n_sims):
        draw = support.draw_world(rng)
        forced = _forced_values(data, x, n_rows, rng)
        new = simulate_draw(posterior, draw, n_rows, do={x: forced}, seed=rng)
        weights = updater.updated(support.log_probs, new, x)
        entropies[m], row_probs[m], decided[m] = support.summarise(weights, threshold)
    return entropies, row_probs, decided


def _check_options(n_rows: int, n_sims: int, threshold: float) -> None:
    if not isinstance(n_rows, int | np.integer) or n_rows < 1:
        raise DesignError(f"n_rows must be a positive integer; got {n_rows!r}")
    if not isinstance(n_sims, int | np.integer) or n_sims < 2:
        raise DesignError(f"n_sims must be an integer >= 2; got {n_sims!r}")
    if not 0.0 <= float(threshold) < 0.5:
        raise DesignError(f"threshold must be in [0, 0.5); got {threshold!r}")


def _check_same_data(posterior: Posterior, data: Dataset) -> None:
    """Refuse data that are not the data the posterior was fitted on."""
    if not isinstance(data, Dataset):
        raise DesignError(f"data must be a causalpost Dataset; got {type(data).__name__}")
    if tuple(data.names) != tuple(posterior.nodes):
        raise DesignError(f"the data's columns {list(data.names)} are not the posterior's "
                          f"nodes {list(posterior.nodes)}")
    recorded = posterior.info.get("data_sha256")
    n_obs = posterior.info.get("n_obs")
    if (recorded is not None and recorded != data.fingerprint()) or (
        n_obs is not None and int(n_obs) != data.n_obs
    ):
        raise DesignError(
            "these data are not the data the posterior was fitted on (their fingerprint "
            "differs); pass the same file, with the same --intervention-column")


def _forced_values(data: Dataset, x: int, n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Intervened values: X's observed marginal (Normal for continuous, uniform levels)."""
    if data.kinds[x] == "discrete":
        return rng.integers(0, data.arities[x], size=n_rows).astype(np.float64)
    natural = data.values[data.kept_rows(x), x]
    return rng.normal(natural.mean(), natural.std(ddof=1), size=n_rows)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(p * np.log(p) + (1 - p) * np.log1p(-p))
    return np.nan_to_num(h, nan=0.0)


def _entropy(weights: np.ndarray, pattern: np.ndarray, n_patterns: int) -> float:
    mass = np.bincount(pattern, weights=weights, minlength=n_patterns)
    mass = mass[mass > 0]
    return float(-(mass * np.log(mass)).sum())


class _Support:
    """The distinct graphs the design does not exclude, their protected-row states."""

    def __init__(self, posterior: Posterior, design: Design) -> None:
        graphs, probs, inverse = posterior.unique_graphs()
        n = len(probs)
        if n > MAX_GRAPHS:
            n = min(MAX_GRAPHS, int(np.searchsorted(np.cumsum(probs), 1.0 - 1e-9)) + 1)
        self.tail_mass = float(probs[n:].sum())
        nodes, admits, undetermined, status = evaluate_graphs(graphs[:n], design, posterior.nodes)
        kept = np.flatnonzero(status != EXCLUDED)
        if kept.size == 0:
            raise DesignError("every graph of the posterior contradicts the design; fit it with "
                              "the design's constraints (causalpost fit --design DESIGN.json)")
        table = row_frame(design, nodes)
        protected = np.flatnonzero(table["protected"].to_numpy())
        if protected.size == 0:
            raise DesignError("the design protects no node: nothing for an experiment to settle")
        self.protected_rows = table.iloc[protected].reset_index(drop=True)
        self.n_protected = protected.size
        self.graphs = graphs[kept]
        probs = probs[kept] / probs[kept].sum()
        self.log_probs = np.log(probs)
        self.admits = admits[kept][:, protected].astype(np.float64)
        self.undetermined = undetermined[kept][:, protected].astype(np.float64)
        state = np.concatenate([admits[kept][:, protected], undetermined[kept][:, protected]],
                               axis=1)
        _, self.pattern = np.unique(state, axis=0, return_inverse=True)
        self.pattern = self.pattern.ravel()
        self.n_patterns = int(self.pattern.max()) + 1
        # draws of each kept graph, to pick a world (graph with parameters) by weight
        rank = np.full(len(graphs), -1)
        rank[kept] = np.arange(kept.size)
        draw_graph = rank[inverse]
        usable = np.flatnonzero(draw_graph >= 0)
        self._draws = usable
        w = posterior.weights[usable]
        self._draw_p = w / w.sum()
        counts = np.bincount(draw_graph[usable], minlength=kept.size).astype(np.float64)
        # Monte Carlo error of a reweighted posterior: Kish's ESS over draws, scaled by the
        # sampler's ESS / Kish ESS now (autocorrelation); exact posteriors have none
        self._counts = counts
        ess = posterior.effective_sample_size
        self._ess_ratio = (ess * float((probs**2 / counts).sum())) if np.isfinite(ess) else None
        self.entropy_now = _entropy(probs, self.pattern, self.n_patterns)
        self.row_probs_now = probs @ self.admits
        self.row_entropy_now = _binary_entropy(self.row_probs_now)

    def draw_world(self, rng: np.random.Generator) -> int:
        """A posterior draw (index) whose graph the design does not exclude, by weight."""
        return int(self._draws[rng.choice(self._draws.size, p=self._draw_p)])

    def summarise(self, weights: np.ndarray, threshold: float) -> tuple[float, np.ndarray, bool]:
        """Entropy of the protected state, row probabilities, and whether all rows are decided."""
        p = np.clip(weights @ self.admits, 0.0, 1.0)
        if self._ess_ratio is None:
            lo, hi = p, p
        else:
            kish = 1.0 / float((weights**2 / self._counts).sum())
            lo, hi = jeffreys_interval(p, self._ess_ratio * kish)
        hi = np.minimum(1.0, hi + weights @ self.undetermined)
        decided = bool(np.all((hi <= threshold) | (lo >= 1.0 - threshold)))
        return _entropy(weights, self.pattern, self.n_patterns), p, decided


class _Updater:
    """Exact reweighting of the support by the marginal likelihood of new rows."""

    def __init__(self, posterior: Posterior, data: Dataset, graphs: np.ndarray) -> None:
        info = dict(posterior.info.get("score") or {})
        name = info.pop("name", "bdeu" if data.kind == "discrete" else "bge")
        self.spec = make_score(name, **info)
        self.data = data
        self.bound = self.spec.bind(data)
        d = data.n_nodes
        # one id per distinct (node, parent set) in the support
        self.parent_sets: list[np.ndarray] = []  # per node: (n_sets_j, d) bool
        index = np.zeros((len(graphs), d), dtype=np.int64)
        offset = 0
        for j in range(d):
            sets, inv = np.unique(graphs[:, :, j].astype(bool), axis=0, return_inverse=True)
            self.parent_sets.append(sets)
            index[:, j] = inv.ravel() + offset
            offset += len(sets)
        self.index = index
        # the parent sets of each node in blocks of one size: (node, positions, parents)
        self.blocks = []
        start = 0
        for j, sets in enumerate(self.parent_sets):
            sizes = sets.sum(axis=1)
            for size in np.unique(sizes):
                rows = np.flatnonzero(sizes == size)
                parents = np.nonzero(sets[rows])[1].reshape(len(rows), int(size))
                self.blocks.append((j, start + rows, parents.astype(np.int64)))
            start += len(sets)
        self.n_pairs = start
        self.node_of_pair = np.repeat(np.arange(d), [len(sets) for sets in self.parent_sets])
        self.old = self._scores(self.bound)

    def _scores(self, bound: Any, skip: int | None = None) -> np.ndarray:
        """Local scores of every (node, parent set) of the support; ``skip``'s are left 0."""
        out = np.zeros(self.n_pairs)
        for j, positions, parents in self.blocks:
            if j == skip:
                continue
            if hasattr(bound, "local_scores_array"):
                out[positions] = bound.local_scores_array(j, parents)
            else:
                out[positions] = bound.local_scores(j, [tuple(p) for p in parents.tolist()])
        return out

    def updated(self, log_probs: np.ndarray, new_rows: np.ndarray, x: int) -> np.ndarray:
        """Posterior weights over the support after appending ``new_rows`` of do(x).

        Node ``x``'s term is exactly zero (its new rows are not scored) and skipped."""
        data = self.data
        new_mask = np.zeros(new_rows.shape, dtype=bool)
        new_mask[:, x] = True
        combined = data.append(Dataset(new_rows, data.names, data.kinds, data.levels, new_mask))
        bound: BoundBGe | BoundBDeu
        if isinstance(self.spec, BGe):  # same standardization as the old table: comparable scores
            first = cast(BoundBGe, self.bound)  # what this BGe bound in __init__
            bound = self.spec.bind(combined, transform=(first.location, first.scale))
        else:
            bound = self.spec.bind(combined)
        delta = self._scores(bound, skip=x) - self.old
        delta[self.node_of_pair == x] = 0.0
        log_w = log_probs + delta[self.index].sum(axis=1)
        log_w -= log_w.max()
        w = np.exp(log_w)
        return w / w.sum()
