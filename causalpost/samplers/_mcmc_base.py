"""The fit flow shared by the MCMC samplers: problem, search space, chains, posterior."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError, GraphTooLargeError, SearchSpaceWarning
from causalpost.parallel import connect
from causalpost.posterior import Posterior
from causalpost.samplers._base import Sampler, in_range, integer, one_of, param
from causalpost.samplers._boundary import (
    boundary_and_plus_one,
    boundary_shares,
    boundary_warning,
    expand,
)
from causalpost.samplers._chains import (
    Chain,
    ChainPlan,
    RunResult,
    Targets,
    chain_seeds,
    evenly,
    make_plan,
    run_rounds,
)
from causalpost.samplers._common import Problem, make_posterior, prepare_problem
from causalpost.samplers._dag_from_order import MAX_ORDER_CANDIDATES
from causalpost.samplers._diagnostics import (
    convergence_warning,
    draw_diagnostics,
    rates,
    window_check,
)
from causalpost.samplers._plus_one import PlusOne
from causalpost.samplers._search_space import HYBRID_CAP, candidate_parents, symmetrized
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.scores import ScoreTable
from causalpost.scores.table import MAX_CANDIDATES

__all__ = ["AUTO_FULL_SETS", "MCMCBase"]

# "auto" search space: every node a candidate while a node has at most this many parent sets
AUTO_FULL_SETS = 70_000
AUTO_PCOR_NODES = 150
MAX_SETS_PER_NODE = 5_000_000  # parent sets of one node in an MCMC score table
# expansions="auto": at most this many rounds of search-space expansion
AUTO_EXPANSIONS = 4


def _check_expansions(name: str, value: Any) -> None:
    if value != "auto" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise CausalpostError(f"{name} must be 'auto' or an integer >= 0, got {value!r}")


def _check_scheduler(name: str, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and value) and not hasattr(
            value, "scatter"):
        raise CausalpostError(f"{name} must be an address like 'tcp://HOST:8786' or a "
                              f"dask.distributed.Client, got {value!r}")


@dataclass(kw_only=True, eq=False, repr=False)
class MCMCBase(Sampler):
    """Parameters and ``fit`` shared by structure, order and partition MCMC."""

    name = "mcmc"
    label = "MCMC"
    _doc_sections = """
Attributes
----------
posterior_ : Posterior
    Equal-weight draws; ``posterior_.diagnostics`` holds ``converged``,
    ``rhat_log_score``, ``ess_log_score``, ``max_chain_disagreement``, ``seconds``,
    ``draw_chain`` (the chain of each draw), acceptance rates, ``log_score_trace``
    (n_chains, n_records) and the search space's ``boundary_mass``.

Raises
------
GraphTooLargeError
    From ``fit``, when the score table would be too large (lower ``max_parents`` or use
    ``search_space="hybrid"`` / ``"pc"`` / ``"best"``), or for order and partition MCMC
    when a node has more than 24 candidate parents.

Warns
-----
ChainDisagreementWarning
    From ``fit``, when the budget ran out before the chains met the convergence targets.
"""

    n_draws: int = param(
        1000, "Total draws over all chains (each chain gives ``ceil(n_draws / n_chains)``).",
        kind="int")
    n_chains: int = param(
        2, "Independent chains, run in parallel threads (or as tasks on a Dask cluster with "
        "``scheduler``).", kind="int")
    n_workers: int | None = param(
        None, "Threads (default ``min(n_chains, cpu_count)``); results do not depend on it. "
        "The compiled kernels release the GIL, and nothing is spawned: no "
        '``if __name__ == "__main__":`` guard is needed.', kind="int, optional",
        check=integer(1, optional=True))
    scheduler: object = param(
        None, 'Run the chains as tasks on a Dask cluster (``"tcp://HOST:8786"`` or a '
        "``dask.distributed.Client``; ``pip install -e \".[dask]\"``) instead of threads: the "
        "score table is sent once to every worker, each chain's state (its generator's included) "
        "travels with its tasks, and the draws are the same as in threads for the same seed. "
        "The scheduler is reached before any work; a chain lost with its worker more often "
        "than the cluster retries a task fails the fit naming the chain.",
        kind="str or dask.distributed.Client, optional", check=_check_scheduler)
    burn_in: int | None = param(
        None, "Iterations discarded per chain (default: as many as the first sampling round).",
        kind="int, optional")
    thin: int | None = param(
        None, "Iterations per draw in the first sampling round (default ``10 * n_nodes`` for "
        "structure MCMC; ``max(2 d, d**2 // 2)`` for order and partition MCMC, whose moves cost "
        "more and mix less as d grows: at d = 100 that is 5,000, and the default 1,000 draws "
        "then take about 40 s on two cores); extension rounds double the sampling phase, and "
        "the draws are then spread evenly over its latter half.", kind="int, optional")
    start: str = param(
        "greedy", "Each chain starts from the graph of required edges, hill-climbed to a local "
        'maximum of the score with its own seed (``"greedy"``), or as is.',
        kind='{"greedy", "empty"}', check=one_of("greedy", "empty"))
    search_space: str = param(
        "auto", "Candidate parents (see :mod:`causalpost.samplers._search_space`); ``\"auto\"`` "
        f"is ``\"full\"`` while a node has at most {AUTO_FULL_SETS:,} parent sets and "
        f"{MAX_CANDIDATES} candidate parents, else ``\"hybrid\"`` (PC skeleton plus the "
        "strongest partial correlations; ``\"pcor\"`` past "
        f"{AUTO_PCOR_NODES} continuous nodes). Order and partition MCMC take at most "
        f"{MAX_ORDER_CANDIDATES} candidates per node.",
        kind='{"auto", "full", "pc", "best", "pcor", "hybrid"}')
    max_candidates: int | None = param(
        None, 'Cap on candidate parents per node for ``"pc"`` / ``"best"`` / ``"pcor"`` / '
        '``"hybrid"``.', kind="int, optional")
    expansions: int | str = param(
        "auto", "Rounds of iterative search-space expansion (Kuipers, Suter & Moffa 2022) on a "
        "restricted space: after a first-round pilot run, each node gains as candidates the "
        "outside parents whose posterior share at the boundary "
        "(:mod:`causalpost.samplers._boundary`) is at least ``boundary_tol`` (3 a round), and "
        "the chains rerun, until the boundary mass is at most ``boundary_tol`` or nothing "
        f'changes. ``"auto"``: up to {AUTO_EXPANSIONS} rounds; 0: none.',
        kind='"auto" or int', check=_check_expansions)
    boundary_tol: float = param(
        0.01, "Largest posterior mass a node may keep just outside the search space; the "
        'final value is ``diagnostics["boundary_mass"]``.', kind="float",
        check=in_range(0, 1, "(]"))
    disagreement_tol: float = param(
        0.1, "Convergence target: the largest difference between two chains' marginals of one "
        "edge (Rao-Blackwellised, exact given each state, for order and partition MCMC).",
        kind="float")
    rhat_target: float = param(
        1.05, "Convergence target: split-R-hat of the log score at most this (>= 1).",
        kind="float")
    ess_target: float = param(
        400, "Convergence target: effective sample size of the log score at least this.",
        kind="float")
    max_seconds: float = param(
        600, "Budget of the fit: chains are extended in rounds until the three targets are met "
        "or this many seconds have passed; then a "
        ":class:`~causalpost.errors.ChainDisagreementWarning` names the edges the chains "
        'disagree on and ``diagnostics["converged"]`` is False. A run cut by the budget is not '
        "reproducible from its seed alone. The budget is checked between chain spans and "
        "before each expansion round; what cannot be cut comes on top: the first score table "
        "and candidate search, one span of the first round, and the final boundary check "
        '(``diagnostics["setup_seconds"]`` is the time before the final run; at d = 50, '
        "n = 100 a 60 s budget took 98 s).", kind="float")

    def _check_params(self) -> None:
        super()._check_params()
        self._targets()  # the targets and the chain plan are checked together
        make_plan(self.n_draws, self._n_chains(), self.burn_in, self.thin, 1)

    # ---- hooks for subclasses ---------------------------------------------------------

    def _default_thin(self, n_nodes: int) -> int:
        return max(1, n_nodes)

    def _payload(self, problem: Problem, table: ScoreTable, plus: PlusOne | None = None,
                 starts: list[np.ndarray] | None = None):
        """What the chains share; ``plus``: the outsiders of the final run's plus-one space
        (order MCMC), None for the candidate space; ``starts``: each chain's starting
        state (None: a greedy or empty start)."""
        raise NotImplementedError  # pragma: no cover

    def _warm_starts(self, pilot: RunResult | None) -> list[np.ndarray] | None:
        """The final run's starting states: None (each chain starts afresh), or for order
        and partition MCMC the states where the last pilot's chains ended."""
        return None

    def _plus_one(self, problem: Problem, table: ScoreTable,
                  first: np.ndarray | None = None) -> PlusOne | None:
        """The plus-one space of the final run (:mod:`causalpost.samplers._plus_one`;
        ``first``: the nodes it serves first), or None: only order MCMC samples one."""
        return None

    def _make_chains(self, payload: Any, seeds: list[np.random.SeedSequence]
                     ) -> Sequence[Chain]:
        """One chain per seed, sharing the payload's compiled arrays."""
        raise NotImplementedError  # pragma: no cover

    # ---- the flow ---------------------------------------------------------------------

    def _targets(self) -> Targets:
        return Targets(rhat=self.rhat_target, disagreement=self.disagreement_tol,
                       ess=self.ess_target, max_seconds=self.max_seconds).check()

    def _fit(self, data: Dataset, begin: float) -> Posterior:
        """Run the chains on ``data`` until they converge or ``max_seconds`` is spent, and
        collect their draws."""
        if self.scheduler is None:
            return self._fit_chains(data, begin, None)
        with connect(self.scheduler) as client:  # reached (or refused) before any work
            return self._fit_chains(data, begin, client)

    def _fit_chains(self, data: Dataset, begin: float, scheduler: Any) -> Posterior:
        targets = self._targets()
        deadline = begin + targets.max_seconds
        problem = prepare_problem(data, self.score, self.score_options, self.prior,
                                  self.knowledge, self.max_parents)
        table = self._table(problem)
        plan = self._plan(data.n_nodes)
        seeds, rng = chain_seeds(self.seed, self._n_chains())
        n_expansions, pilot, urgent = 0, None, None
        for _ in range(self._n_expansions(problem)):
            if time.monotonic() >= deadline:
                break
            pilot = self._run(problem, table, seeds, plan, targets, deadline, False,
                              scheduler)
            pilot_draws = self._pooled_draws(pilot, plan)
            share = boundary_shares(problem, table.candidates, pilot_draws)
            urgent = share.sum(axis=0) > self.boundary_tol  # nodes the space leaves short
            if share.sum(axis=0).max(initial=0.0) <= self.boundary_tol:
                break
            candidates, changed = expand(table.candidates, share, self.boundary_tol,
                                         self._expansion_cap(),
                                         usage=pilot_draws.mean(axis=0))
            if not changed:
                break
            table = self._checked_table(problem, candidates, reuse=table)
            n_expansions += 1
        plus = self._plus_one(problem, table, urgent)
        plus_nodes = np.zeros(data.n_nodes, dtype=bool) if plus is None else plus.nodes
        setup_seconds = time.monotonic() - begin
        result = self._run(problem, table, seeds, plan, targets, deadline, True, scheduler,
                           plus, self._warm_starts(pilot))
        draws, draw_chain, diagnostics = self._collect(result, plan, targets)
        cand = np.zeros((data.n_nodes,) * 2, dtype=np.uint8)
        for j, c in enumerate(table.candidates):
            cand[c, j] = 1
        share, outside = boundary_and_plus_one(problem, table.candidates, draws,
                                               plus_one_nodes=plus_nodes)
        diagnostics.update(search_space=self._space(problem), candidates=cand,
                           edge_probs_outside=outside, plus_one_nodes=plus_nodes,
                           plus_one_sets=0 if plus is None else plus.n_sets,
                           n_candidates=[int(c.size) for c in table.candidates],
                           boundary_mass=float(share.sum(axis=0).max(initial=0.0)),
                           boundary_share=share, n_expansions=n_expansions,
                           setup_seconds=setup_seconds)
        diagnostics["seconds"] = time.monotonic() - begin
        space_warning = boundary_warning(share, problem.data.names, self.boundary_tol,
                                         diagnostics["n_candidates"], self._expansion_cap())
        if space_warning is not None:
            warnings.warn(space_warning, SearchSpaceWarning, stacklevel=4)
        if not diagnostics["converged"]:
            convergence_warning(diagnostics, problem.data.names, targets,
                                diagnostics["seconds"], sampler=self.name)
        return make_posterior(problem, draws, None, rng, sampler=self.name,
                              diagnostics=diagnostics, parameters=self.parameters)

    def _run(self, problem, table, seeds, plan, targets, deadline, extend,
             scheduler=None, plus: PlusOne | None = None,
             starts: list[np.ndarray] | None = None) -> RunResult:
        chains = list(self._make_chains(self._payload(problem, table, plus, starts), seeds))
        return run_rounds(chains, plan, targets, lambda c, w: window_check(c, w, targets),
                          anneal=self._anneal_power(problem), deadline=deadline, extend=extend,
                          n_workers=self.n_workers, scheduler=scheduler, quiet=self.quiet,
                          label=self.label)

    def _collect(self, result: RunResult, plan: ChainPlan, targets: Targets):
        """The draws (n_keep per chain, evenly spaced over the window), which chain each
        came from, and the diagnostics."""
        chains, window = result.chains, result.window
        check = window_check(chains, window, targets)
        check["converged"] = bool(check["converged"] and result.completed_first_round)
        picked = []
        for chain in chains:
            idx = chain.window(*window)
            picked.append(chain.draws(idx[evenly(idx.size, plan.n_keep)]))
        draws = np.concatenate([p[0] for p in picked])[: self.n_draws]
        draw_chain = np.repeat(np.arange(len(chains)), plan.n_keep)[: self.n_draws]
        proposed = [dict(zip(c.move_names, c.proposed.tolist())) for c in chains]
        accepted = [dict(zip(c.move_names, c.accepted.tolist())) for c in chains]
        n_trace = min(c.rec_score.size for c in chains)
        edge = draw_diagnostics([p[0] for p in picked])
        diag = dict(check)
        diag.update(edge)
        diag.update(
            n_chains=len(chains), acceptance=rates(proposed, accepted),
            acceptance_by_chain=[rates([p], [a]) for p, a in zip(proposed, accepted)],
            log_score_trace=np.stack([c.rec_score[:n_trace] for c in chains]),
            trace_every=int(chains[0].every), trace_start=int(chains[0].rec_t[0] + 1)
            if n_trace else 0, draw_chain=draw_chain.astype(np.int64),
            ess=float(min(check["ess_log_score"], edge["ess_edges_median"], draws.shape[0])),
            n_draws_per_chain=plan.n_keep, burn_in=plan.burn_in,
            thin=max(1, (window[1] - window[0]) // plan.n_keep), n_iter=int(window[1]),
            window_start=int(window[0]), n_rounds=result.n_rounds,
            rounds=[dict(r) for r in result.history],
            targets={"rhat_log_score": targets.rhat, "max_chain_disagreement":
                     targets.disagreement, "ess_log_score": targets.ess,
                     "max_seconds": targets.max_seconds})
        if len(chains) == 1:
            diag.pop("n_edges_disagreeing")
        if getattr(chains[0], "partition", None) is not None:  # Rao-Blackwellised marginals
            diag["edge_probs_rb"] = check["chain_edge_probs"].mean(axis=0)
        return draws, draw_chain, diag

    def _space(self, problem: Problem) -> str:
        space = self.search_space
        if space not in (None, "auto"):
            return space
        n = problem.data.n_nodes - 1
        n_sets = sum(comb(n, k) for k in range(problem.max_parents + 1))
        # past MAX_CANDIDATES other nodes a score table cannot hold the full space
        if n_sets <= AUTO_FULL_SETS and n <= MAX_CANDIDATES:
            return "full"
        # past AUTO_PCOR_NODES the PC skeleton's tests alone take minutes (d = 200: 57 s of
        # 62 s for hybrid, vs 0.2 s for partial correlations); the expansion then adds
        # what the posterior asks for. Discrete data have no partial correlations.
        wide = problem.data.n_nodes > AUTO_PCOR_NODES and problem.data.kind == "continuous"
        return "pcor" if wide else "hybrid"

    def _start_kernel(self, problem: Problem, table: ScoreTable) -> StructureKernel | None:
        """A structure kernel for hill-climbing each chain's start (None for ``"empty"``)."""
        return StructureKernel(table, problem.required) if self.start == "greedy" else None

    def _n_chains(self) -> int:
        return 1 if self.n_chains is None else int(self.n_chains)

    def _plan(self, n_nodes: int) -> ChainPlan:
        """The chains' draws, burn-in and thinning from the options (checked)."""
        return make_plan(self.n_draws, self._n_chains(), self.burn_in, self.thin,
                         self._default_thin(n_nodes))

    def _anneal_power(self, problem: Problem) -> float:
        """The starting power of annealed burn-in (1.0: none; see ``LevelMCMC``)."""
        return 1.0

    def _restricted(self, problem: Problem) -> bool:
        return self._space(problem) != "full"

    def _expansion_cap(self) -> int:
        """Most candidates a node may gain by expansion."""
        return max(self.max_candidates or 0, HYBRID_CAP)

    def _table(self, problem: Problem) -> ScoreTable:
        space = self._space(problem)
        candidates = candidate_parents(problem, space, self.max_candidates, quiet=self.quiet)
        if candidates is not None:  # both orientations of a candidate pair, within the cap
            candidates = symmetrized(candidates, self.max_candidates or HYBRID_CAP)
        return self._checked_table(problem, candidates)

    def _checked_table(self, problem: Problem, candidates,
                       reuse: ScoreTable | None = None) -> ScoreTable:
        space = self._space(problem)
        n = problem.data.n_nodes - 1
        width = n if candidates is None else max(c.size for c in candidates)
        n_sets = sum(comb(width, k) for k in range(min(problem.max_parents, width) + 1))
        if n_sets > MAX_SETS_PER_NODE:
            raise GraphTooLargeError(
                f"{problem.data.n_nodes} nodes with search_space={space!r} and max_parents="
                f"{problem.max_parents} need {n_sets:.3g} parent sets per node; lower "
                "max_parents or use search_space='hybrid' / 'pc' / 'best' with "
                "max_candidates")
        return problem.table(candidates, reuse)

    def _n_expansions(self, problem: Problem) -> int:
        """Rounds of search-space expansion: ``"auto"`` up to :data:`AUTO_EXPANSIONS` on a
        restricted space (none on the full one), or the number given."""
        if not self._restricted(problem):
            return 0
        return AUTO_EXPANSIONS if self.expansions == "auto" else int(self.expansions)

    def _pooled_draws(self, result: RunResult, plan: ChainPlan) -> np.ndarray:
        """``n_keep`` draws of each chain, evenly spaced over the run's window."""
        out = []
        for chain in result.chains:
            idx = chain.window(*result.window)
            out.append(chain.draws(idx[evenly(idx.size, plan.n_keep)])[0])
        return np.concatenate(out)
