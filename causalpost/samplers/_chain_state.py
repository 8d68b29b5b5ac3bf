"""One Markov chain's state: its generator, iteration count, move counts and recorded states.

:class:`Chain` is what the chain driver (:mod:`causalpost.samplers._chains`) advances and
what every MCMC sampler's compiled kernels subclass. Its records (iteration, log score,
state every ``every`` iterations) are compacted as the chain grows; its state can be
copied out and restored elsewhere (:meth:`Chain.snapshot`, :meth:`Chain.restore`,
:meth:`Chain.template`), which is how a chain runs as a task on a Dask cluster with the
same draws (:mod:`causalpost.samplers._dask_chains`).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from causalpost.errors import CausalpostError

__all__ = ["STUCK_GAP", "Chain", "copy_state", "stuck_chains"]

_BASE_STATE = ("t", "every", "proposed", "accepted")


class Chain:
    """One chain: its generator, iteration count, move counts and recorded states.

    Subclasses implement :meth:`start` (the starting state, e.g. a hill climb) and
    :meth:`_advance` (run the compiled kernel), and the conversions of recorded
    states in :meth:`edge_marginals` and :meth:`draws`.
    """

    move_names: tuple[str, ...] = ()
    state_shape: tuple[int, ...] = ()
    kernels: tuple = ()  # the compiled functions a run calls (for the first-run message)

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self.rng = np.random.default_rng(seed)
        self.t = 0
        self.every = 1
        self.proposed = np.zeros(len(self.move_names), dtype=np.int64)
        self.accepted = np.zeros(len(self.move_names), dtype=np.int64)
        self.rec_t = np.zeros(0, dtype=np.int64)
        self.rec_score = np.zeros(0)
        self.rec_state = np.zeros((0, *self.state_shape), dtype=np.int64)

    def start(self) -> None:  # pragma: no cover - every chain type overrides it
        raise NotImplementedError

    def snapshot(self, shared: set[str]) -> dict[str, Any]:
        """Everything advancing the chain changes, records aside (copies): the generator's
        bit-generator state, ``t``, ``every``, move counts and the Markov state -- the
        attributes :meth:`start` set, i.e. those not in ``shared`` (the names of an
        unstarted chain's attributes)."""
        names = [*_BASE_STATE, *(k for k in vars(self) if k not in shared)]
        out = {name: copy.deepcopy(getattr(self, name)) for name in names}
        out["rng"] = copy.deepcopy(self.rng.bit_generator.state)
        return out

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Set the state of :meth:`snapshot` (copied), generator included."""
        state = copy.deepcopy(snapshot)
        rng = state.pop("rng")
        if self.rng.bit_generator.state["bit_generator"] != rng["bit_generator"]:
            self.rng = np.random.Generator(getattr(np.random, rng["bit_generator"])())
        self.rng.bit_generator.state = rng
        for name, value in state.items():
            setattr(self, name, value)

    def template(self) -> Chain:
        """An unstarted chain's shallow copy without records: what a remote task restores
        a state into (the payload, e.g. the score table's arrays, is shared)."""
        if self.t:
            raise CausalpostError("a chain template is made before the chain starts")
        other = copy.copy(self)
        other.rng = np.random.default_rng(0)
        other.rec_t, other.rec_score = self.rec_t[:0].copy(), self.rec_score[:0].copy()
        other.rec_state = self.rec_state[:0].copy()
        other.__dict__.pop("kernels", None)  # only the driver says what compiles
        return other

    def append(self, records: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Append records ``(t, score, state)`` made elsewhere (see :meth:`snapshot`)."""
        rec_t, rec_score, rec_state = records
        self.rec_t = np.concatenate([self.rec_t, rec_t])
        self.rec_score = np.concatenate([self.rec_score, rec_score])
        self.rec_state = np.concatenate([self.rec_state, rec_state])

    def _advance(self, n_iter: int, beta: float, states: np.ndarray,
                 scores: np.ndarray) -> int:  # pragma: no cover
        """Run ``n_iter`` iterations from ``self.t``, recording where ``(t + 1) % every
        == 0`` into ``states`` / ``scores``; returns the number recorded."""
        raise NotImplementedError

    def run(self, n_iter: int, beta: float) -> None:
        """Advance ``n_iter`` iterations at inverse temperature ``beta``, recording."""
        size = (self.t + n_iter) // self.every - self.t // self.every
        states = np.zeros((size, *self.state_shape), dtype=np.int64)
        scores = np.zeros(size)
        n = self._advance(n_iter, beta, states, scores)
        first = self.t // self.every + 1
        self.t += n_iter
        self.rec_t = np.concatenate([self.rec_t, (np.arange(first, first + n) * self.every) - 1])
        self.rec_score = np.concatenate([self.rec_score, scores[:n]])
        self.rec_state = np.concatenate([self.rec_state, states[:n]])

    def compact(self, drop_before: int, n_more: int, cap: int) -> None:
        """Before ``n_more`` further iterations: forget records before ``drop_before`` and
        double the spacing while the records would exceed ``cap``."""
        self._keep(self.rec_t >= drop_before)
        while (self.rec_t.size + n_more // self.every) > cap:
            self._keep(((self.rec_t + 1) // self.every) % 2 == 0)
            self.every *= 2

    def _keep(self, mask: np.ndarray) -> None:
        self.rec_t, self.rec_score, self.rec_state = (self.rec_t[mask], self.rec_score[mask],
                                                      self.rec_state[mask])

    def window(self, start: int, end: int) -> np.ndarray:
        """Indices of the records with ``start <= t < end``."""
        return np.flatnonzero((self.rec_t >= start) & (self.rec_t < end))

    def edge_marginals(self, idx: np.ndarray) -> np.ndarray:  # pragma: no cover
        """This chain's edge marginals over the records ``idx``, (n_nodes, n_nodes)."""
        raise NotImplementedError

    def draws(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """DAGs (uint8 adjacency) and their log scores for the records ``idx``."""
        raise NotImplementedError


# a chain whose every recorded log score lies this far below another chain's mean, with no
# overlap between the two, is trapped: its region holds under e^-50 of the other's mass
STUCK_GAP = 50.0


def stuck_chains(scores: list[np.ndarray], gap: float = STUCK_GAP
                 ) -> list[tuple[int, int, float]]:
    """Chains trapped in a region far below the best chain's, from their recorded log
    scores over the current window: ``(trapped, best, how far below)`` for each chain
    whose highest score is below the best chain's lowest and whose mean is more than
    ``gap`` nats below the best chain's mean.

    Why: order MCMC on alarm (seed 1, 2,000 rows) kept one of two chains 220 nats below
    the other through 12 rounds and 600 s (split-R-hat 98); such a chain never converges,
    but its region carries no posterior mass, so it restarts from the best chain's state
    (keeping its own random stream) and the records before the restart are dropped.
    """
    means = np.array([s.mean() if s.size else -np.inf for s in scores])
    if means.size < 2 or not np.isfinite(means).any():
        return []
    best = int(np.argmax(means))
    low = scores[best].min()
    return [(c, best, float(means[best] - means[c])) for c, s in enumerate(scores)
            if c != best and s.size and s.max() < low and means[best] - means[c] > gap]


def copy_state(source: Chain, target: Chain, unstarted: set[str]) -> None:
    """Give ``target`` the Markov state of ``source`` (what ``start`` set), keeping its
    own generator, iteration count and records."""
    for name, value in vars(source).items():
        if name not in unstarted:
            setattr(target, name, copy.deepcopy(value))
