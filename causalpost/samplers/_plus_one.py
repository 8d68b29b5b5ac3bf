"""The "plus one" search space of order MCMC: each parent set may hold one outsider.

A restricted space gives node ``j`` candidate parents ``C_j``; an edge ``o -> j``
with ``o`` outside ``C_j`` can then never be sampled, however the data ask for it.
Kuipers, Suter & Moffa (2022) sample instead in the *plus-one* space: a parent set
of ``j`` is a set ``S`` of candidates, or ``S`` plus one outsider ``o``. Every edge
that the background knowledge allows is then in the space. An order's weight for
node ``j`` with candidate predecessors ``A`` becomes

    Z_j = exp F_j[A] + sum over outsiders o before j of exp G_{j,o}[A],

with ``F_j`` the subset sums of the candidate sets
(:mod:`causalpost.samplers._dag_from_order`) and ``G_{j,o}`` those of the sets
``S + {o}``, ``G_{j,o}[A] = log sum_{S subset A} exp s_j(S + {o})``. A DAG given the
order picks "no outsider" or one outsider in proportion to these terms, then ``S``
within ``A``; the Rao-Blackwellised marginal of ``o -> j`` is ``exp G_{j,o}[A] / Z_j``.

Cost. ``G_{j,o}`` is dense over the ``2^|C_j|`` subsets for each of the ``d - 1 - |C_j|``
outsiders; at pgmpy's alarm (37 nodes, up to 16 candidates) that is 15 million
entries. Scoring every ``S + {o}`` would be 15 million local scores (about 300 s of
BDeu on 2,000 rows), so the sets extended are those of at most ``L_j`` candidates, ``L_j``
the size of the largest candidate set within :data:`PLUS_ONE_GAP` nats of the node's
best (so the space holds every set of the node's plausible sizes, and one outsider
more). Nodes are taken (those the fit's last pilot left short first, then the others;
cheapest first within each group) until :data:`PLUS_ONE_MAX_ENTRIES` dense entries or
:data:`PLUS_ONE_MAX_SETS` scored sets are used; a node left out keeps
the candidate space, and its outside edges the importance-sampling estimate of
:mod:`causalpost.samplers._boundary` (``diagnostics["plus_one_nodes"]`` says which).

No library implements this (BiDAG, the authors' R package, is not callable from
Python and its tables are built per node in R): written here on the subset sums
the order kernel already reads.

References
----------
Kuipers, J., Suter, P. & Moffa, G. (2022). Efficient sampling and structure
learning of Bayesian networks. JCGS 31(3), 639-650.
https://doi.org/10.1080/10618600.2021.2020127
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalpost.samplers._dag_from_order import node_subset_sums
from causalpost.scores.table import batch_scores, map_in_threads

__all__ = ["PLUS_ONE_GAP", "PLUS_ONE_MAX_ENTRIES", "PLUS_ONE_MAX_SETS", "PlusOne",
           "build_plus_one", "no_plus_one"]

# nats below the node's best candidate set: the plausible set sizes (weight ratio e^-30,
# about 1e-13); on alarm (2,000 rows) 50 nats admitted sets of 8 binary parents at rare-event
# nodes, 4.6 million sets to score for all nodes, against 1.8 million at 30
PLUS_ONE_GAP = 30.0
PLUS_ONE_MAX_ENTRIES = 1 << 25  # dense subset-sum entries of all outsiders (256 MiB)
PLUS_ONE_MAX_SETS = 2_500_000  # parent sets scored for them (alarm: 1.8 million, about 30 s)
# indices into PlusOne.arrays()
OUT, NOUT, GOFF, G, ROFF, RMASK, RSCORE = range(7)


@dataclass(frozen=True)
class PlusOne:
    """The outsiders' tables of a plus-one space, as flat arrays for the order kernel.

    Attributes
    ----------
    nodes : numpy.ndarray of bool, shape (n_nodes,)
        Nodes whose parent sets may hold an outsider.
    out : numpy.ndarray, shape (n_nodes, max_out)
        Node j's outsiders (``out[j, :n_out[j]]``), padded with ``n_nodes``.
    n_out : numpy.ndarray, shape (n_nodes,)
    g_off : numpy.ndarray, shape (n_nodes, max_out)
        Offset of ``G_{j,o}`` (``2^|C_j|`` entries, by candidate mask) in ``g``.
    g : numpy.ndarray
        The subset sums, ``-inf`` clamped to ``-1e300`` as in ``F``.
    r_off : numpy.ndarray, shape (n_nodes, max_out + 1)
        ``r_off[j, k] : r_off[j, k + 1]``: the scored sets ``S + {out[j, k]}`` in
        ``r_masks`` (``S`` as a candidate mask) and ``r_scores``, best first.
    n_sets : int
        Parent sets scored.
    """

    nodes: np.ndarray
    out: np.ndarray
    n_out: np.ndarray
    g_off: np.ndarray
    g: np.ndarray
    r_off: np.ndarray
    r_masks: np.ndarray
    r_scores: np.ndarray
    n_sets: int = 0

    def arrays(self) -> tuple:
        """The arrays in the order the kernels index them (``OUT`` ... ``RSCORE``)."""
        return (self.out, self.n_out, self.g_off, self.g, self.r_off, self.r_masks,
                self.r_scores)


def no_plus_one(n_nodes: int) -> PlusOne:
    """The candidate space itself: no node takes an outsider."""
    return PlusOne(np.zeros(n_nodes, dtype=bool), np.full((n_nodes, 1), n_nodes, np.int64),
                   np.zeros(n_nodes, np.int64), np.zeros((n_nodes, 1), np.int64),
                   np.zeros(1), np.zeros((n_nodes, 2), np.int64), np.zeros(1, np.int64),
                   np.zeros(1))


def build_plus_one(problem, table, max_entries: int = PLUS_ONE_MAX_ENTRIES,
                   max_sets: int = PLUS_ONE_MAX_SETS, gap: float = PLUS_ONE_GAP,
                   first: np.ndarray | None = None) -> PlusOne:
    """Score the outsiders of every node of ``table`` (within the budgets: the nodes in
    ``first`` before the others, cheapest first within each group) and tabulate their
    subset sums.

    Parameters
    ----------
    problem : causalpost.samplers._common.Problem
        The bound score, prior and background knowledge of ``table``.
    table : causalpost.scores.ScoreTable
        The candidate space.
    max_entries, max_sets : int
        Budgets: dense entries of ``G`` and parent sets scored, over all nodes.
    gap : float
        Sets ``S`` of at most ``L_j`` candidates are extended, ``L_j`` the largest size
        of a candidate set within ``gap`` nats of the node's best.
    first : numpy.ndarray of bool, shape (n_nodes,), optional
        Nodes served first (the fit passes those whose pilot left more than
        ``boundary_tol`` of their mass outside the candidates).
    """
    d = table.n_nodes
    plans = []  # (entries, n_sets, node, outsiders, base rows extended)
    for j in range(d):
        cand = set(np.asarray(table.candidates[j]).tolist())
        outsiders = np.array([o for o in range(d) if o != j and o not in cand
                              and not problem.forbidden[o, j]], dtype=np.int64)
        masks, scores = table.masks[j], table.scores[j]
        if outsiders.size == 0 or masks.size == 0 or problem.max_parents < 1:
            continue
        sizes = np.bitwise_count(masks)
        finite = scores > -np.inf
        if not finite.any():
            continue
        plausible = finite & (scores >= scores[finite].max() - gap)
        cap = min(int(sizes[plausible].max()), problem.max_parents - 1)
        rows = np.flatnonzero(finite & (sizes <= cap))
        entries = (1 << int(table.candidates[j].size)) * outsiders.size
        plans.append((entries, rows.size * outsiders.size, j, outsiders, rows))
    urgent = np.zeros(d, dtype=bool) if first is None else np.asarray(first, dtype=bool)
    plans.sort(key=lambda p: (not urgent[p[2]], p[0], p[1], p[2]))
    chosen, used_entries, used_sets = [], 0, 0
    for plan in plans:
        if used_entries + plan[0] > max_entries or used_sets + plan[1] > max_sets:
            continue
        chosen.append(plan)
        used_entries += plan[0]
        used_sets += plan[1]
    if not chosen:
        return no_plus_one(d)
    chosen.sort(key=lambda p: p[2])
    max_out = max(p[3].size for p in chosen)
    nodes = np.zeros(d, dtype=bool)
    out = np.full((d, max_out), d, dtype=np.int64)
    n_out = np.zeros(d, dtype=np.int64)
    g_off = np.zeros((d, max_out), dtype=np.int64)
    r_off = np.zeros((d, max_out + 1), dtype=np.int64)
    g_parts, mask_parts, score_parts = [], [], []
    g_at = r_at = 0
    log_prior = problem.prior.log_prior_by_size(d)

    def score(plan: tuple) -> np.ndarray:
        _, _, j, outsiders, rows = plan
        return _extended_scores(problem, table, j, table.masks[j][rows], outsiders, log_prior)

    for (_, _, j, outsiders, rows), set_scores in zip(chosen, map_in_threads(score, chosen)):
        nodes[j] = True
        out[j, : outsiders.size] = outsiders
        n_out[j] = outsiders.size
        n_cand = int(table.candidates[j].size)
        base = table.masks[j][rows]
        r_off[j, 0] = r_at
        for k in range(outsiders.size):
            g_parts.append(np.maximum(node_subset_sums(base, set_scores[k], n_cand), -1e300))
            g_off[j, k] = g_at
            g_at += 1 << n_cand
            best_first = np.argsort(-set_scores[k], kind="stable")
            mask_parts.append(base[best_first])
            score_parts.append(set_scores[k][best_first])
            r_at += rows.size
            r_off[j, k + 1] = r_at
        r_off[j, outsiders.size + 1:] = r_at
    return PlusOne(nodes, out, n_out, g_off, np.concatenate(g_parts), r_off,
                   np.concatenate(mask_parts).astype(np.int64),
                   np.concatenate(score_parts).astype(np.float64), used_sets)


def _extended_scores(problem, table, j: int, base: np.ndarray, outsiders: np.ndarray,
                     log_prior: np.ndarray) -> np.ndarray:
    """``out[k, r]``: score + log prior of node ``j``'s parent set ``base[r]`` (candidate
    mask) plus ``outsiders[k]``, scored in one batch per set size."""
    cand = np.asarray(table.candidates[j], dtype=np.int64)
    bits = ((base[:, None] >> np.arange(cand.size)) & 1).astype(bool)
    sizes = bits.sum(axis=1)
    out = np.empty((outsiders.size, base.size))
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        members = np.broadcast_to(cand, bits.shape)[rows][bits[rows]].reshape(rows.size, size)
        parents = np.concatenate([np.repeat(members, outsiders.size, axis=0),
                                  np.tile(outsiders, rows.size)[:, None]], axis=1)
        parents = np.sort(parents, axis=1)
        block = batch_scores(problem.bound, j, parents)
        out[:, rows] = block.reshape(rows.size, outsiders.size).T + log_prior[size + 1]
    return out


