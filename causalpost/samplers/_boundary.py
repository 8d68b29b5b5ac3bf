"""The boundary of a restricted search space: how much posterior mass lies just outside it.

A restricted space gives node ``j`` candidate parents ``C_j``; a parent outside
``C_j`` can never be sampled. For a sampled DAG with parent set ``pa`` of ``j``,
the sets one step outside the space that bring in the non-candidate ``i`` (not
forbidden) are ``pa + {i}`` (within ``max_parents``) and the swaps
``pa - {p} + {i}`` for each parent ``p`` that is not required. Their share of the
local posterior weight of ``pa`` and every such set,

    w_i / (1 + sum_k w_k),   w_i = sum over i's sets S of exp(s_j(S) - s_j(pa)),

averaged over the draws, is ``share[i, j]``: the mass at the boundary that the
edge ``i -> j`` would claim. The swaps matter where a candidate stands in for an
excluded parent: on pgmpy's insurance network (2,000 rows) RuggedAuto's sampled
parents {Airbag, MakeModel} score 22 nats below the true {MakeModel, VehicleYear},
yet adding VehicleYear to them loses 13 nats, so an add-only boundary never asked
for it. Where ``j`` is an ancestor of ``i`` in the draw the
edge would close a cycle (``w_i = 0``), unless ``j -> i`` is the only path: then
the step outside is the *reversal*, and ``w_i`` also counts what ``i`` gains by
losing ``j`` (a space that admits only one orientation of an edge, as asymmetric
candidate sets do, shows up here: for score-equivalent BGe / BDeu a covered
edge's reversal has ``w_i = 1``). The sum over
``i`` is node ``j``'s *boundary mass*; its maximum over nodes is the diagnostic
``boundary_mass``. This is the neighbourhood of Kuipers, Suter & Moffa (2022),
whose "plus one" space lets each parent set hold one node from outside the
candidates: their iterative search space adds the parents the sampled graphs'
scores ask for, and reruns until nothing changes; :func:`expand` does one such
step (every outsider whose share reaches ``tol``).

References
----------
Kuipers, J., Suter, P. & Moffa, G. (2022). Efficient sampling and structure
learning of Bayesian networks. JCGS 31(3), 639-650.
https://doi.org/10.1080/10618600.2021.2020127
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOUNDARY_DRAWS", "boundary_and_plus_one", "boundary_shares", "expand"]

# draws the boundary is averaged over (evenly spaced when there are more): at d = 50,
# n = 100 (dense parent sets, ~34 outsiders per node) the boundary of 1,000 draws took
# 63 s per call, twice per fit, past the time budget; the share is a mean over draws,
# and 250 of them fix it to a few hundredths
BOUNDARY_DRAWS = 250


def boundary_shares(problem, candidates, draws: np.ndarray,
                    max_draws: int | None = BOUNDARY_DRAWS, *,
                    additions_only: bool = False) -> np.ndarray:
    """``share[i, j]``: mean posterior share of the sets that bring the non-candidate ``i``
    into ``pa_j`` (added, or swapped for a parent), for ``i`` not a descendant of ``j`` in
    the draw (the edge would close a cycle; see the module docstring for reversals),
    over at most ``max_draws`` of the draws, evenly spaced (None: all).

    ``additions_only``: only ``pa_j + {i}``, no swaps or reversals: the estimate of the
    edge's probability in the "plus one" space (each parent set may hold one outsider).
    For draws whose ``pa_j`` follows the space's posterior given the rest of the graph,
    ``exp(s(pa_j + i) - s(pa_j))`` has expectation ``M_i / Z``, the plus-one sets' weight
    over the space's (importance sampling with the space's conditional as proposal),
    so each draw's ``w_i / (1 + sum_k w_k)`` estimates ``P(i -> j)`` there; the swaps
    would count the sets of smaller parent sets again. The swaps and reversals are
    what the expansion needs to *find* an outsider; this is what to *report* for it.
    :func:`boundary_and_plus_one` gives both from one pass.

    Parameters
    ----------
    problem : causalpost.samplers._common.Problem
    candidates : sequence of numpy.ndarray
        Per node, its candidate parents (a score table's).
    draws : numpy.ndarray, shape (n_draws, n_nodes, n_nodes)

    Returns
    -------
    numpy.ndarray, shape (n_nodes, n_nodes)
    """
    share, plus_one = boundary_and_plus_one(problem, candidates, draws, max_draws)
    return plus_one if additions_only else share


def boundary_and_plus_one(problem, candidates, draws: np.ndarray,
                          max_draws: int | None = BOUNDARY_DRAWS, *,
                          plus_one_nodes: np.ndarray | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`boundary_shares` with and without ``additions_only``, scored once.

    ``plus_one_nodes[j]``: node j was sampled in the plus-one space
    (:mod:`causalpost.samplers._plus_one`), whose parent sets may hold one outsider; a
    set one step outside it holds two, so only the draws whose parent set of j already
    holds an outsider count (and no swap drops that one).
    """
    from causalpost.graphs import transitive_closure

    if max_draws is not None and draws.shape[0] > max_draws:
        draws = draws[np.round(np.linspace(0, draws.shape[0] - 1, max_draws)).astype(np.int64)]
    n_draws, d = draws.shape[:2]
    share, plus_one = np.zeros((d, d)), np.zeros((d, d))
    if n_draws == 0:
        return share, plus_one
    log_prior = problem.prior.log_prior_by_size(d)
    reach = transitive_closure(draws.astype(np.uint8)).astype(bool)  # reach[s, j, i]: j ~> i
    losses: dict[tuple[int, int, tuple[int, ...]], float] = {}  # reversal costs by (i, j, pa_i)
    for j in range(d):
        inside = set(np.asarray(candidates[j]).tolist())
        outside = np.array([i for i in range(d) if i != j and i not in inside
                            and not problem.forbidden[i, j]], dtype=np.int64)
        if outside.size == 0:
            continue
        sets, inverse = np.unique(draws[:, :, j].astype(bool), axis=0, return_inverse=True)
        in_plus_one = plus_one_nodes is not None and bool(plus_one_nodes[j])
        gains, added = _outside_gains(problem, j, [tuple(int(p) for p in np.flatnonzero(row))
                                                   for row in sets], outside, log_prior,
                                      keep=inside if in_plus_one else None)
        log_w, log_added = gains[np.ravel(inverse)], added[np.ravel(inverse)]
        if in_plus_one:  # a draw without an outsider parent is one outsider inside the space
            holds_none = ~draws[:, outside, j].astype(bool).any(axis=1)
            log_w[holds_none] = log_added[holds_none] = -np.inf
        ancestor = reach[:, j, outside]  # j is an ancestor of i: i -> j closes a cycle ...
        direct = ancestor & draws[:, j, outside].astype(bool)  # ... unless it reverses j -> i
        log_w[ancestor & ~direct] = -np.inf
        log_added[ancestor] = -np.inf  # the plus-one estimate counts no reversal
        for s_idx, k in zip(*np.nonzero(direct)):
            log_w[s_idx, k] = _reversal_gain(problem, draws[s_idx], reach[s_idx], j,
                                             int(outside[k]), log_w[s_idx, k], losses)
        for out, lw in ((share, log_w), (plus_one, log_added)):
            w = np.exp(np.minimum(lw, 700.0))
            out[outside, j] = (w / (1.0 + w.sum(axis=1, keepdims=True))).sum(axis=0) / n_draws
    return share, plus_one


def _outside_gains(problem, j: int, parent_sets: list[tuple[int, ...]],
                   outside: np.ndarray, log_prior: np.ndarray, keep: set[int] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``gains[k, c]``: log of the summed weight, relative to ``parent_sets[k]``, of the
    sets that bring ``outside[c]`` in: the set plus it (within ``max_parents``) and each
    swap of a parent that is not required for it; and the same for the addition alone.
    A set already holding ``outside[c]`` gets none (-inf); with ``keep`` (the candidates
    of a plus-one node) only candidates are swapped out. Every distinct set is scored
    once (the swaps of neighbouring parent sets coincide), in one batch."""
    index: dict[tuple[int, ...], int] = {}

    def at(parents: tuple[int, ...]) -> int:
        return index.setdefault(parents, len(index))

    base = [at(parents) for parents in parent_sets]
    variants: list[tuple[int, int, int, float]] = []  # (row, outsider column, set, log prior ratio)
    for k, parents in enumerate(parent_sets):  # the additions first, then the swaps
        if len(parents) < problem.max_parents:
            up = log_prior[min(len(parents) + 1, log_prior.size - 1)] - log_prior[len(parents)]
            variants.extend((k, col, at(tuple(sorted(parents + (int(i),)))), up)
                            for col, i in enumerate(outside) if int(i) not in parents)
    n_added = len(variants)
    for k, parents in enumerate(parent_sets):
        droppable = [p for p in parents if not problem.required[p, j]
                     and (keep is None or p in keep)]
        for col, i in enumerate(int(i) for i in outside):
            if i in parents:
                continue
            variants.extend((k, col, at(tuple(sorted(set(parents) - {p} | {i}))), 0.0)
                            for p in droppable)
    gains = np.full((len(parent_sets), outside.size), -np.inf)
    added = gains.copy()
    if not variants:
        return gains, added
    scores = problem.bound.local_scores(j, list(index))
    rows, cols, sets = (np.array([v[n] for v in variants], dtype=np.int64) for n in range(3))
    ratios = np.array([v[3] for v in variants])
    log_w = scores[sets] - scores[np.asarray(base)[rows]] + ratios
    np.logaddexp.at(gains, (rows, cols), log_w)
    np.logaddexp.at(added, (rows[:n_added], cols[:n_added]), log_w[:n_added])
    return gains, added


def _reversal_gain(problem, adjacency, reach, j: int, i: int, gain: float,
                   losses: dict[tuple[int, int, tuple[int, ...]], float]) -> float:
    """Where the draw has ``j -> i``, the edge ``i -> j`` closes a cycle, unless
    ``j -> i`` is the only path: then reversing it is one step outside the space, and
    its log gain is ``gain`` plus what ``i`` gains by losing ``j`` (``-inf`` otherwise;
    ``losses`` caches the latter by ``(i, j, pa_i)`` across draws)."""
    children = np.flatnonzero(adjacency[j])
    if reach[children[children != i], i].any():
        return -np.inf
    parents = tuple(int(p) for p in np.flatnonzero(adjacency[:, i]))
    key = (i, j, parents)
    if key not in losses:
        without = tuple(p for p in parents if p != j)
        log_prior = problem.prior.log_prior_by_size(adjacency.shape[0])
        scores = problem.bound.local_scores(i, [parents, without])
        losses[key] = float(scores[1] - scores[0] + log_prior[len(without)]
                            - log_prior[len(parents)])
    return gain + losses[key]


def expand(candidates, share: np.ndarray, tol: float, cap: int, per_round: int = 3,
           usage: np.ndarray | None = None) -> tuple[list[np.ndarray], bool]:
    """One round of search-space expansion: each node whose boundary mass exceeds ``tol``
    takes in outsiders, largest share first, until what it leaves outside is at most
    ``tol`` -- at most ``per_round`` of them, none whose share is below ``tol / 10``, and up
    to ``cap`` candidates. A parent taken in also gets the node as a candidate where its
    own cap allows (:func:`~causalpost.samplers._search_space.symmetrized`).

    A node at ``cap`` makes room, when ``usage`` (the pilot's edge frequencies) is given,
    by dropping its least-used candidate for an outsider whose share is more than twice
    that use: the space then holds more of the posterior than it gives up.
    Returns the new candidates and whether any changed.
    """
    from causalpost.samplers._search_space import symmetrized

    out, changed = [], False
    for j, cand in enumerate(candidates):
        cand = [int(c) for c in np.asarray(cand, dtype=np.int64)]
        wanted, left = [], float(share[:, j].sum())
        for i in np.argsort(-share[:, j], kind="stable")[:per_round]:
            if left <= tol or share[i, j] < tol / 10:
                break
            wanted.append(int(i))
            left -= float(share[i, j])
        new: list[int] = []
        for i in wanted:
            if len(cand) + len(new) >= cap and usage is not None:
                # at the cap: trade the least-used candidate for an outsider that claims
                # more than twice its use (the pilot's edge frequency as a parent)
                least = min(cand, key=lambda c: (usage[c, j], -c), default=None)
                if least is not None and usage[least, j] < share[i, j] / 2:
                    cand.remove(least)
            if len(cand) + len(new) < cap:
                new.append(i)
        changed |= bool(new)
        out.append(np.array(sorted(set(cand) | set(new)), dtype=np.int64))
    return (symmetrized(out, cap) if changed else out), changed


def boundary_warning(share: np.ndarray, names, tol: float, n_candidates: list[int],
                     cap: int, n_top: int = 3) -> str | None:
    """The one-line warning for a final space that leaves more than ``tol`` of some node's
    posterior mass outside (None when none does): the worst node, its mass, the outsiders
    that claim most of it, and the option that widens the space."""
    mass = share.sum(axis=0)
    j = int(np.argmax(mass)) if mass.size else 0
    if mass.size == 0 or mass[j] <= tol:
        return None
    top = np.argsort(-share[:, j], kind="stable")[:n_top]
    claims = ", ".join(f"{names[i]} -> {names[j]} {share[i, j]:.2f}" for i in top
                       if share[i, j] > 0)
    n_over = int((mass > tol).sum())
    more = f" (and {n_over - 1} more node{'s' if n_over > 2 else ''})" if n_over > 1 else ""
    at_cap = n_candidates[j] >= cap
    fix = (f"it holds {n_candidates[j]} candidates, the cap: raise max_candidates "
           "(CLI --max-candidates; order / partition MCMC take up to 24)" if at_cap else
           "allow more expansion rounds (expansions=) or a wider search_space")
    return (f"the search space leaves {mass[j]:.2f} of {names[j]}'s posterior mass just "
            f"outside it{more}, above boundary_tol {tol:g}: {claims}; edge probabilities "
            f"into {names[j]} may be understated; {fix}")
