"""The fit flow shared by the MCMC samplers: problem, search space, chains, posterior."""

from __future__ import annotations

from math import comb

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError, GraphTooLargeError
from causalpost.posterior import Posterior
from causalpost.samplers._chains import ChainPlan, ChainResult, chain_seeds, make_plan, run_chains
from causalpost.samplers._common import Problem, check_fitted, make_posterior, prepare_problem
from causalpost.samplers._diagnostics import chain_diagnostics
from causalpost.samplers._search_space import candidate_parents, expand_candidates
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.scores import ScoreTable
from causalpost.scores.table import MAX_CANDIDATES

__all__ = ["AUTO_FULL_SETS", "MCMCBase"]

# "auto" search space: every node a candidate while a node has at most this many parent sets
AUTO_FULL_SETS = 70_000
MAX_TABLE_SETS = 5_000_000
# anneal="auto": starting power, and the shortest burn-in that cools slowly enough
AUTO_ANNEAL = 0.01
ANNEAL_MIN_BURN_IN = 500_000


class MCMCBase:
    """Options and ``fit`` shared by structure, order and partition MCMC."""

    name = "mcmc"
    label = "MCMC"

    def __init__(self, **options) -> None:  # subclasses spell out their options
        for key, value in options.items():
            setattr(self, key, value)
        self._posterior: Posterior | None = None

    @property
    def posterior_(self) -> Posterior:
        """The fitted posterior."""
        return check_fitted(self)

    @property
    def diagnostics_(self) -> dict:
        """The fitted posterior's diagnostics."""
        return self.posterior_.diagnostics

    # ---- hooks for subclasses ---------------------------------------------------------

    def _default_thin(self, n_nodes: int) -> int:
        return max(1, n_nodes)

    def _payload(self, problem: Problem, table: ScoreTable):
        raise NotImplementedError  # pragma: no cover

    def _chain_fn(self):
        """The top-level chain function ``fn(payload, seed, plan, progress) -> ChainResult``."""
        raise NotImplementedError  # pragma: no cover

    # ---- the flow ---------------------------------------------------------------------

    def fit(self, data: Dataset):
        """Run the chains on ``data`` and collect their draws into ``posterior_``.

        Raises
        ------
        GraphTooLargeError
            When the score table would be too large (lower ``max_parents`` or
            use ``search_space="hybrid"`` / ``"pc"`` / ``"best"``).
        """
        if not self.disagreement_tol > 0:
            raise CausalpostError(f"disagreement_tol must be > 0, got {self.disagreement_tol}")
        problem = prepare_problem(data, self.score, self.score_options, self.prior,
                                  self.knowledge, self.max_parents)
        table = self._table(problem)
        plan = self._plan(data.n_nodes)
        seeds, rng = chain_seeds(self.seed, self._n_chains())
        n_expand = int(getattr(self, "expansions", 0) or 0) if self._restricted(problem) else 0
        for _ in range(n_expand):
            results = self._run(problem, table, seeds, plan)
            table, changed = self._expand(problem, table, results)
            if not changed:
                break
        results = self._run(problem, table, seeds, plan)
        draws = np.concatenate([r.draws for r in results])[: self.n_draws]
        diagnostics = chain_diagnostics(
            [r.draws for r in results], [r.extra["scores"] for r in results],
            [r.trace for r in results], [r.proposed for r in results],
            [r.accepted for r in results], float(self.disagreement_tol))
        diagnostics.update(n_draws_per_chain=plan.n_keep, burn_in=plan.burn_in, thin=plan.thin,
                           n_iter=plan.n_iter, trace_every=plan.thin,
                           search_space=self._space(problem),
                           n_candidates=[int(c.size) for c in table.candidates])
        for key in results[0].extra:
            if key != "scores":
                diagnostics[key] = np.stack([r.extra[key] for r in results])
        if "chain_edge_probs_rb" in diagnostics:  # Rao-Blackwellised, see CompiledTable
            diagnostics["edge_probs_rb"] = diagnostics["chain_edge_probs_rb"].mean(axis=0)
        self._posterior = make_posterior(problem, draws, None, rng, sampler=self.name,
                                         diagnostics=diagnostics, parameters=self.parameters)
        return self

    def _run(self, problem, table, seeds, plan) -> list[ChainResult]:
        return run_chains(self._chain_fn(), self._payload(problem, table), seeds, plan,
                          n_workers=self.n_workers, quiet=self.quiet, label=self.label)

    def _space(self, problem: Problem) -> str:
        space = self.search_space
        if space not in (None, "auto"):
            return space
        n = problem.data.n_nodes - 1
        n_sets = sum(comb(n, k) for k in range(problem.max_parents + 1))
        # past MAX_CANDIDATES other nodes a score table cannot hold the full space
        return "full" if n_sets <= AUTO_FULL_SETS and n <= MAX_CANDIDATES else "hybrid"

    def _start_kernel(self, problem: Problem, table: ScoreTable) -> StructureKernel | None:
        """A structure kernel for hill-climbing each chain's start (None for ``"empty"``)."""
        if self.start not in ("greedy", "empty"):
            raise CausalpostError(f"start must be 'greedy' or 'empty', got {self.start!r}")
        return StructureKernel(table, problem.required) if self.start == "greedy" else None

    def _n_chains(self) -> int:
        return 1 if self.n_chains is None else int(self.n_chains)

    def _plan(self, n_nodes: int) -> ChainPlan:
        """The chains' draws, burn-in and thinning from the options (checked)."""
        return make_plan(self.n_draws, self._n_chains(), self.burn_in, self.thin,
                         self._default_thin(n_nodes))

    def _anneal_power(self, problem: Problem) -> float:
        """The starting power of annealed burn-in (1.0: none), checked."""
        power = getattr(self, "anneal", None)
        if power == "auto":
            long_enough = self._plan(problem.data.n_nodes).burn_in >= ANNEAL_MIN_BURN_IN
            return AUTO_ANNEAL if long_enough else 1.0
        if power is None:
            return 1.0
        if not isinstance(power, int | float) or not 0 < power <= 1:
            raise CausalpostError(f"anneal must be in (0, 1], 'auto' or None, got {power!r}")
        return float(power)

    def _restricted(self, problem: Problem) -> bool:
        return self._space(problem) != "full"

    def _table(self, problem: Problem) -> ScoreTable:
        space = self._space(problem)
        candidates = candidate_parents(problem, space, self.max_candidates, quiet=self.quiet)
        n = problem.data.n_nodes - 1
        width = n if candidates is None else max(c.size for c in candidates)
        n_sets = sum(comb(width, k) for k in range(min(problem.max_parents, width) + 1))
        if n_sets > MAX_TABLE_SETS:
            raise GraphTooLargeError(
                f"{problem.data.n_nodes} nodes with search_space={space!r} and max_parents="
                f"{problem.max_parents} need {n_sets:.3g} parent sets per node; lower "
                "max_parents or use search_space='hybrid' / 'pc' / 'best' with "
                "max_candidates")
        return problem.table(candidates)

    def _expand(self, problem, table, results) -> tuple[ScoreTable, bool]:
        """BiDAG-style expansion around the best sampled DAG (see ``expand_candidates``)."""
        best = max(((r.extra["scores"].max(), r.draws[int(np.argmax(r.extra["scores"]))])
                    for r in results), key=lambda pair: pair[0])[1]
        candidates, changed = expand_candidates(problem.bound, list(table.candidates), best,
                                                cap=max(self.max_candidates or 0, 16))
        return (problem.table(candidates) if changed else table), changed
