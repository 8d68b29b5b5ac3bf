"""What order and partition MCMC share: a chain whose state is one level per node
(a rank in an order, or a part of an ordered partition), on the compiled kernels of
:mod:`causalpost.samplers._numba_partition`, with annealed burn-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from causalpost.errors import CausalpostError
from causalpost.graphs import dag_levels, rank_of
from causalpost.samplers._base import param
from causalpost.samplers._mcmc_base import MCMCBase
from causalpost.samplers._numba_common import flat_table
from causalpost.samplers._numba_partition import LevelChain
from causalpost.samplers._numba_structure import kernel_arrays
from causalpost.samplers._plus_one import PlusOne, no_plus_one
from causalpost.samplers._structure_kernel import StructureKernel

__all__ = ["ANNEAL_MIN_BURN_IN", "AUTO_ANNEAL", "LevelMCMC", "LevelPayload"]

# anneal="auto": starting power, and the shortest burn-in that cools slowly enough
AUTO_ANNEAL = 0.01
ANNEAL_MIN_BURN_IN = 500_000
# the shortest default thinning: below ~23 nodes d^2 / 2 iterations between draws ran the
# first round in 1-2 s at d = 16, and the converged chains' marginals were up to 0.053
# from the exact DP (one run in 20); twice as many iterations cost a second there
MIN_THIN = 256


@dataclass
class LevelPayload:
    """What a level chain needs: the compiled table, a start and the move mix."""

    tab: tuple  # FlatTable arrays, with subset sums
    n_nodes: int
    start: np.ndarray
    swap_prob: float = 0.0
    node_prob: float = 0.0
    climber: StructureKernel | None = None
    anneal: float = 1.0
    plus: tuple = ()  # PlusOne arrays: the outsiders of a plus-one space (order MCMC)
    starts: list[np.ndarray] | None = None  # each chain's starting levels (warm start)


def _check_anneal(name: str, value: Any) -> None:
    if value in ("auto", None):
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise CausalpostError(f"{name} must be in (0, 1], 'auto' or None, got {value!r}")


@dataclass(kw_only=True, eq=False, repr=False)
class LevelMCMC(MCMCBase):
    """Order (``partition = False``) or partition MCMC: the parameters they share."""

    partition = False

    anneal: float | str | None = param(
        "auto", "Simulated annealing during burn-in: the chain's target is raised to this "
        "power at the start and cooled geometrically to 1 over the first 80% of the burn-in, "
        "so chains climb out of poor starting modes (at d = 50, n = 1000 the chains' mean log "
        "scores went from 1,000 nats apart to within 10). Draws are recorded only after "
        f'burn-in, at power 1, so the target is unchanged. ``"auto"``: {AUTO_ANNEAL} when the '
        f"burn-in has at least {ANNEAL_MIN_BURN_IN:,} iterations, else off (a short burn-in "
        "cools too fast and can end below the greedy start). ``None`` or 1 turns it off.",
        kind='float, "auto" or None', check=_check_anneal)

    def _default_thin(self, n_nodes: int) -> int:
        return max(2 * n_nodes, n_nodes**2 // 2, MIN_THIN)

    def _anneal_power(self, problem: Any) -> float:
        """The starting power of annealed burn-in (1.0: none)."""
        if self.anneal == "auto":
            long_enough = self._plan(problem.data.n_nodes).burn_in >= ANNEAL_MIN_BURN_IN
            return AUTO_ANNEAL if long_enough else 1.0
        return 1.0 if self.anneal is None else float(self.anneal)

    def _moves(self) -> tuple[float, float]:
        """Probabilities of a swap and of a node move (partition MCMC only)."""
        return 0.0, 0.0

    def _payload(self, problem: Any, table: Any, plus: PlusOne | None = None,
                 starts: list[np.ndarray] | None = None) -> LevelPayload:
        start = (dag_levels if self.partition else rank_of)(problem.required)
        plus = no_plus_one(table.n_nodes) if plus is None else plus
        return LevelPayload(flat_table(table, True).arrays(), table.n_nodes, start,
                            *self._moves(), climber=self._start_kernel(problem, table),
                            anneal=self._anneal_power(problem), plus=plus.arrays(),
                            starts=starts)

    def _warm_starts(self, pilot: Any) -> list[np.ndarray] | None:
        """Where the last pilot's chains ended: the final run's chain k continues from
        pilot chain k (in the new space) instead of a fresh hill climb. On pgmpy's
        insurance network (seed 0, 2,000 rows) one of two fresh chains in the plus-one
        space sat 30 nats below the other for 7 rounds (166 s, against 2 s in the
        candidate space); both pilot chains had found the better region. The chains
        stay independent (different starts and seeds), and the burn-in is unchanged."""
        if pilot is None:
            return None
        return [np.array(chain.level, dtype=np.int64) for chain in pilot.chains]

    def _make_chains(self, payload: LevelPayload, seeds: list[np.random.SeedSequence]
                     ) -> list[LevelChain]:
        if payload.climber is not None:
            kernel_arrays(payload.climber)  # built once, before the threads start
        return [LevelChain(payload, seed, partition=self.partition, index=k)
                for k, seed in enumerate(seeds)]
