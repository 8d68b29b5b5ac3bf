"""The structure-MCMC kernel: one DAG as parent bitsets, moved one edge at a time.

State: per node its parents, children and ancestors as Python-int bitsets
(any number of nodes), its parent set as a mask over its candidates, and its
local score read from a dict keyed by that mask. Moves:

- **pair move** (add / delete / reverse): pick an unordered node pair
  uniformly among the pairs where an edge is possible, then one of the pair's
  other possible states (no edge, ``i -> j``, ``j -> i``) uniformly. The
  proposal is symmetric, so the Hastings ratio is 1; a proposal that would
  close a cycle is rejected (the chain stays). This replaces MC3's uniform
  choice over the valid neighbourhood, whose Hastings ratio needs both
  neighbourhood sizes (Madigan & York 1995; Giudici & Castelo 2003).
- **new-edge reversal** (Grzegorczyk & Husmeier 2008): pick an edge
  ``i -> j`` uniformly, orphan ``i`` and ``j``, draw ``i``'s new parents from
  the table among sets containing ``j``, then ``j``'s among all sets, both in
  proportion to their scores and avoiding cycles; accepted with
  ``N(G) Z*(i|G0,j) Z(j|G0+) / (N(G') Z*(j|G0,i) Z(i|G+))``.

Acyclicity: adding ``i -> j`` closes a cycle iff ``j`` is an ancestor of
``i``; reversing ``i -> j`` does iff ``i`` is an ancestor of another parent
of ``j``. Ancestor sets are updated incrementally after accepted moves.

References
----------
Madigan, D. & York, J. (1995). Bayesian graphical models for discrete data.
Int. Stat. Rev. 63(2), 215-232. https://doi.org/10.2307/1403615

Grzegorczyk, M. & Husmeier, D. (2008). Improving the structure MCMC sampler
for Bayesian networks by introducing a new edge reversal move. Machine
Learning 71, 265-305. https://doi.org/10.1007/s10994-008-5057-7
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from causalpost.scores import ScoreTable

__all__ = ["StructureKernel", "StructureState"]


def _bits(x: int):
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


@dataclass
class StructureKernel:
    """The fixed part of the chain: score look-ups, candidate positions, proposal pairs."""

    table: ScoreTable
    required: np.ndarray
    rev_prob: float = 1 / 15
    greedy_start: bool = True

    def __post_init__(self) -> None:
        d = self.n_nodes = self.table.n_nodes
        self.lookup = [dict(zip(m.tolist(), s.tolist()))
                       for m, s in zip(self.table.masks, self.table.scores)]
        # pos[j][i] = candidate bit of i for node j (0 when i is not a candidate)
        self.pos = [[0] * d for _ in range(d)]
        for j, cand in enumerate(self.table.candidates):
            for k, i in enumerate(cand.tolist()):
                self.pos[j][i] = 1 << k
        pairs = []
        for i in range(d):
            for j in range(i + 1, d):
                if self.required[i, j] or self.required[j, i]:
                    continue
                states = [0] + [s for s, ok in ((1, self.pos[j][i]), (2, self.pos[i][j])) if ok]
                if len(states) > 1:
                    pairs.append((i, j, tuple(states)))
        self.pairs = pairs

    def initial_state(self, rng: np.random.Generator | None = None) -> StructureState:
        """The graph holding only the required edges, hill-climbed if ``rng`` is given
        (until ``10 * n_pairs`` proposals in a row fail to improve the score)."""
        d = self.n_nodes
        parents = [0] * d
        for i, j in np.argwhere(self.required):
            parents[int(j)] |= 1 << int(i)
        state = StructureState(self, parents)
        if rng is not None:
            state.hill_climb(rng, 10 * len(self.pairs) + 10)
        return state


class StructureState:
    """The current DAG of one chain."""

    def __init__(self, kernel: StructureKernel, parents: list[int]) -> None:
        self.k = kernel
        d = kernel.n_nodes
        self.pa = list(parents)
        self.lm = [self._local(j, parents[j]) for j in range(d)]
        self.sc = [kernel.lookup[j][self.lm[j]] for j in range(d)]
        self.ch = [0] * d
        for j in range(d):
            for i in _bits(parents[j]):
                self.ch[i] |= 1 << j
        self.n_edges = sum(p.bit_count() for p in parents)
        self.anc = [0] * d
        self._recompute_all_ancestors()
        self.greedy = False  # hill-climbing: accept improvements only

    def _ok(self, delta: float, rng: np.random.Generator) -> bool:
        return delta > 1e-9 if self.greedy else _accept(delta, rng)

    def hill_climb(self, rng: np.random.Generator, patience: int) -> None:
        """Stochastic hill climbing with pair moves: stop after ``patience`` proposals
        in a row without improvement."""
        self.greedy, misses = True, 0
        while misses < patience and self.k.pairs:
            misses = 0 if self.pair_move(rng)[1] else misses + 1
        self.greedy = False

    @property
    def log_score(self) -> float:
        """Log score + log prior of the current DAG."""
        return math.fsum(self.sc)

    def _local(self, node: int, parents: int) -> int:
        pos = self.k.pos[node]
        return sum(pos[i] for i in _bits(parents))

    def _recompute_all_ancestors(self) -> None:
        d = self.k.n_nodes
        done, anc = 0, self.anc
        while done != (1 << d) - 1:
            for j in range(d):
                if not done >> j & 1 and self.pa[j] & ~done == 0:
                    acc = 0
                    for p in _bits(self.pa[j]):
                        acc |= anc[p] | (1 << p)
                    anc[j] = acc
                    done |= 1 << j

    def _after_add(self, i: int, j: int) -> None:
        gained = self.anc[i] | (1 << i)
        anc = self.anc
        for k in range(self.k.n_nodes):
            if k == j or anc[k] >> j & 1:
                anc[k] |= gained

    def _after_delete(self, j: int) -> None:
        anc = self.anc
        affected = [k for k in range(self.k.n_nodes) if k == j or anc[k] >> j & 1]
        affected.sort(key=lambda k: anc[k].bit_count())  # a topological order
        for k in affected:
            acc = 0
            for p in _bits(self.pa[k]):
                acc |= anc[p] | (1 << p)
            anc[k] = acc

    def _set_parents(self, j: int, parents: int, local: int, score: float) -> None:
        old = self.pa[j]
        for i in _bits(old & ~parents):
            self.ch[i] &= ~(1 << j)
        for i in _bits(parents & ~old):
            self.ch[i] |= 1 << j
        self.n_edges += parents.bit_count() - old.bit_count()
        self.pa[j], self.lm[j], self.sc[j] = parents, local, score

    # ---- pair move -------------------------------------------------------------------

    def pair_move(self, rng: np.random.Generator) -> tuple[str, bool]:
        """Propose and accept / reject one add, delete or reverse move."""
        k = self.k
        i, j, states = k.pairs[_pick(rng, len(k.pairs))]
        cur = 1 if self.pa[j] >> i & 1 else (2 if self.pa[i] >> j & 1 else 0)
        others = [s for s in states if s != cur]
        new = others[_pick(rng, len(others))] if len(others) > 1 else others[0]
        if cur == 2 or (cur == 0 and new == 2):  # orient so that the move is about i -> j
            i, j = j, i
            cur, new = {0: 0, 1: 2, 2: 1}[cur], {0: 0, 1: 2, 2: 1}[new]
        if cur == 0:
            return "add", self._try_add(i, j, rng)
        if new == 0:
            return "delete", self._try_delete(i, j, rng)
        return "reverse", self._try_reverse(i, j, rng)

    def _try_add(self, i: int, j: int, rng) -> bool:
        if self.anc[i] >> j & 1:
            return False
        lm = self.lm[j] | self.k.pos[j][i]
        new = self.k.lookup[j].get(lm)
        if new is None or not self._ok(new - self.sc[j], rng):
            return False
        self._set_parents(j, self.pa[j] | (1 << i), lm, new)
        self._after_add(i, j)
        return True

    def _try_delete(self, i: int, j: int, rng) -> bool:
        lm = self.lm[j] & ~self.k.pos[j][i]
        new = self.k.lookup[j].get(lm)
        if new is None or not self._ok(new - self.sc[j], rng):
            return False
        self._set_parents(j, self.pa[j] & ~(1 << i), lm, new)
        self._after_delete(j)
        return True

    def _try_reverse(self, i: int, j: int, rng) -> bool:
        for p in _bits(self.pa[j] & ~(1 << i)):
            if self.anc[p] >> i & 1:
                return False
        lm_j = self.lm[j] & ~self.k.pos[j][i]
        lm_i = self.lm[i] | self.k.pos[i][j]
        new_j, new_i = self.k.lookup[j].get(lm_j), self.k.lookup[i].get(lm_i)
        if new_j is None or new_i is None:
            return False
        if not self._ok(new_j + new_i - self.sc[j] - self.sc[i], rng):
            return False
        self._set_parents(j, self.pa[j] & ~(1 << i), lm_j, new_j)
        self._after_delete(j)
        self._set_parents(i, self.pa[i] | (1 << j), lm_i, new_i)
        self._after_add(j, i)
        return True

    # ---- new-edge reversal -----------------------------------------------------------

    def rev_move(self, rng: np.random.Generator) -> bool:
        """Grzegorczyk & Husmeier's new-edge reversal; returns whether it was accepted."""
        if self.n_edges == 0:
            return False
        i, j = self._random_edge(rng)
        orphans = (1 << i) | (1 << j)
        old_i, old_j = self.pa[i], self.pa[j]
        # forward: i's new parents contain j, then j's new parents
        z_i_fwd, new_i = self._draw_parents(i, self._reach(i, orphans, 0, -1), j, rng)
        if new_i is None:
            return False
        z_j_fwd, new_j = self._draw_parents(j, self._reach(j, orphans, new_i[0], i), -1, rng)
        if new_j is None:  # e.g. j's required parents all descend from it now
            return False
        # backward: j's old parents contain i, then i's old parents
        z_j_bwd, _ = self._draw_parents(j, self._reach(j, orphans, 0, -1), i, None)
        z_i_bwd, _ = self._draw_parents(i, self._reach(i, orphans, old_j, j), -1, None)
        n_new = (self.n_edges - old_i.bit_count() - old_j.bit_count()
                 + new_i[0].bit_count() + new_j[0].bit_count())
        log_ratio = (math.log(self.n_edges) - math.log(n_new) + z_i_fwd + z_j_fwd
                     - z_j_bwd - z_i_bwd)
        if not _accept(log_ratio, rng):
            return False
        self._set_parents(i, *new_i)
        self._set_parents(j, *new_j)
        self._recompute_all_ancestors()
        return True

    def _random_edge(self, rng) -> tuple[int, int]:
        target = _pick(rng, self.n_edges)
        for j, p in enumerate(self.pa):
            c = p.bit_count()
            if target < c:
                return list(_bits(p))[target], j
            target -= c
        raise RuntimeError("edge count out of sync")  # pragma: no cover

    def _reach(self, start: int, orphans: int, extra_parents: int, extra_child: int) -> int:
        """Bitset of ``start`` and its descendants once the orphans lose their parents and
        ``extra_child`` gains the parents ``extra_parents``."""
        seen, stack = 1 << start, [start]
        while stack:
            node = stack.pop()
            nxt = self.ch[node] & ~orphans
            if extra_parents >> node & 1:
                nxt |= 1 << extra_child
            nxt &= ~seen
            seen |= nxt
            stack.extend(_bits(nxt))
        return seen

    def _draw_parents(self, node: int, forbidden: int, must: int, rng):
        """Log normalizer over parent sets of ``node`` avoiding ``forbidden`` (and holding
        ``must`` if >= 0), and a draw ``(parents, local mask, score)`` when ``rng`` is given."""
        tab, pos = self.k.table, self.k.pos[node]
        bad = sum(pos[i] for i in _bits(forbidden))
        ok = (tab.masks[node] & bad) == 0
        if must >= 0:
            if not pos[must]:
                return -math.inf, None
            ok &= (tab.masks[node] & pos[must]) != 0
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return -math.inf, None
        scores = tab.scores[node][idx]
        top = scores.max()
        if not np.isfinite(top):
            return -math.inf, None
        weights = np.exp(scores - top)
        cum = np.cumsum(weights)
        log_z = float(top + math.log(cum[-1]))
        if rng is None:
            return log_z, None
        pick = idx[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")),
                       idx.size - 1)]
        local = int(tab.masks[node][pick])
        parents = sum(1 << int(c) for b, c in enumerate(tab.candidates[node]) if local >> b & 1)
        return log_z, (parents, local, float(tab.scores[node][pick]))

    def adjacency(self) -> np.ndarray:
        """The current DAG, shape (n_nodes, n_nodes), uint8."""
        d = self.k.n_nodes
        out = np.zeros((d, d), dtype=np.uint8)
        for j, parents in enumerate(self.pa):
            out[list(_bits(parents)), j] = 1
        return out


def _pick(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in [0, n) (``rng.random`` is much cheaper than ``rng.integers``)."""
    return min(int(rng.random() * n), n - 1)


def _accept(log_ratio: float, rng: np.random.Generator) -> bool:
    return log_ratio >= 0 or rng.random() < math.exp(log_ratio)
