"""What a structure-MCMC chain keeps fixed: the score table, its candidate positions and
the proposal pairs.

The moves themselves (compiled, :mod:`causalpost.samplers._numba_structure`, their
only implementation):

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

from dataclasses import dataclass

import numpy as np

from causalpost.scores import ScoreTable

__all__ = ["StructureKernel"]


@dataclass
class StructureKernel:
    """The fixed part of the chain: the table, candidate positions, proposal pairs.

    Attributes
    ----------
    pos : list of list of int
        ``pos[j][i]``: the candidate bit of ``i`` for node ``j`` (0 if not a candidate).
    pairs : list of tuple
        ``(i, j, states)`` with ``i < j``: the pair's possible states (0 no edge, 1
        ``i -> j``, 2 ``j -> i``), for the pairs where an edge is possible and not required.
    """

    table: ScoreTable
    required: np.ndarray
    rev_prob: float = 1 / 15
    greedy_start: bool = True

    def __post_init__(self) -> None:
        d = self.n_nodes = self.table.n_nodes
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
