"""The structure-MCMC kernel compiled with numba: the moves of
:mod:`causalpost.samplers._structure_kernel` on int64 parent bitmasks.

Same proposals and Hastings ratios as the Python kernel (pair move: a uniform
node pair, then one of its other possible states uniformly; new-edge reversal
of Grzegorczyk & Husmeier 2008); only the random stream differs (numba's
generator, called through the chain's numpy generator). State arrays, one entry
per node: ``pa`` parents, ``lm`` parent set as a candidate mask, ``sc`` local
score, ``ch`` children, ``anc`` ancestors (bitmasks); ``ne[0]`` edge count.
The table arrays ``tab`` are :meth:`FlatTable.arrays
<causalpost.samplers._numba_common.FlatTable.arrays>`, indexed by the constants of
:mod:`~causalpost.samplers._numba_common`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from causalpost.graphs import adjacency_to_masks, masks_to_adjacency
from causalpost.samplers._numba_common import (
    CAND,
    LKM,
    LKS,
    NCAND,
    OFF,
    POS,
    flat_table,
    local_to_global,
    lookup,
    lowbit_index,
    pick,
    popcount,
    set_draw,
    set_log_z,
)

__all__ = ["climbed_adjacency", "run_structure_chain_numba"]

ADD, DELETE, REVERSE, REV = 0, 1, 2, 3


@njit(cache=True)
def _ancestors_all(pa, anc):
    d = pa.size
    done = np.int64(0)
    full = (np.int64(1) << d) - 1
    while done != full:
        for j in range(d):
            if not (done >> j) & 1 and (pa[j] & ~done) == 0:
                acc = np.int64(0)
                x = pa[j]
                while x:
                    p = lowbit_index(x)
                    acc |= anc[p] | (np.int64(1) << p)
                    x &= x - 1
                anc[j] = acc
                done |= np.int64(1) << j


@njit(cache=True)
def init_state(tab, parents):
    """State arrays ``(pa, lm, sc, ch, anc, ne)`` of the DAG with parent bitmasks ``parents``."""
    off, lk_masks, lk_scores, pos = tab[OFF], tab[LKM], tab[LKS], tab[POS]
    d = parents.size
    pa = parents.copy()
    lm = np.zeros(d, dtype=np.int64)
    sc = np.zeros(d)
    ch = np.zeros(d, dtype=np.int64)
    anc = np.zeros(d, dtype=np.int64)
    ne = np.zeros(1, dtype=np.int64)
    for j in range(d):
        for i in range(d):
            if (pa[j] >> i) & 1:
                lm[j] |= pos[j, i]
                ch[i] |= np.int64(1) << j
        sc[j] = lookup(off, lk_masks, lk_scores, j, lm[j])
        ne[0] += popcount(pa[j])
    _ancestors_all(pa, anc)
    return pa, lm, sc, ch, anc, ne


@njit(cache=True)
def _accept(delta, greedy, rng):
    if greedy:
        return delta > 1e-9
    return delta >= 0 or rng.random() < np.exp(delta)


@njit(cache=True)
def _after_add(anc, i, j):
    gained = anc[i] | (np.int64(1) << i)
    for k in range(anc.size):
        if k == j or (anc[k] >> j) & 1:
            anc[k] |= gained


@njit(cache=True)
def _after_delete(pa, anc, j):
    d = anc.size
    nodes = np.empty(d, dtype=np.int64)
    keys = np.empty(d, dtype=np.int64)
    n = 0
    for k in range(d):
        if k == j or (anc[k] >> j) & 1:
            nodes[n] = k
            keys[n] = popcount(anc[k])
            n += 1
    order = np.argsort(keys[:n])  # fewer ancestors first: a topological order
    for r in range(n):
        k = nodes[order[r]]
        acc = np.int64(0)
        x = pa[k]
        while x:
            p = lowbit_index(x)
            acc |= anc[p] | (np.int64(1) << p)
            x &= x - 1
        anc[k] = acc


@njit(cache=True)
def _set_parents(st, j, parents, local, score):
    pa, lm, sc, ch, ne = st[0], st[1], st[2], st[3], st[5]
    old = pa[j]
    x = old & ~parents
    while x:
        ch[lowbit_index(x)] &= ~(np.int64(1) << j)
        x &= x - 1
    x = parents & ~old
    while x:
        ch[lowbit_index(x)] |= np.int64(1) << j
        x &= x - 1
    ne[0] += popcount(parents) - popcount(old)
    pa[j] = parents
    lm[j] = local
    sc[j] = score


@njit(cache=True)
def _try_add(tab, st, i, j, greedy, rng):
    pa, lm, sc, anc = st[0], st[1], st[2], st[4]
    if (anc[i] >> j) & 1:
        return False
    local = lm[j] | tab[POS][j, i]
    new = lookup(tab[OFF], tab[LKM], tab[LKS], j, local)
    if np.isnan(new) or not _accept(new - sc[j], greedy, rng):
        return False
    _set_parents(st, j, pa[j] | (np.int64(1) << i), local, new)
    _after_add(anc, i, j)
    return True


@njit(cache=True)
def _try_delete(tab, st, i, j, greedy, rng):
    pa, lm, sc, anc = st[0], st[1], st[2], st[4]
    local = lm[j] & ~tab[POS][j, i]
    new = lookup(tab[OFF], tab[LKM], tab[LKS], j, local)
    if np.isnan(new) or not _accept(new - sc[j], greedy, rng):
        return False
    _set_parents(st, j, pa[j] & ~(np.int64(1) << i), local, new)
    _after_delete(pa, anc, j)
    return True


@njit(cache=True)
def _try_reverse(tab, st, i, j, greedy, rng):
    pa, lm, sc, anc = st[0], st[1], st[2], st[4]
    x = pa[j] & ~(np.int64(1) << i)
    while x:
        if (anc[lowbit_index(x)] >> i) & 1:
            return False
        x &= x - 1
    lm_j = lm[j] & ~tab[POS][j, i]
    lm_i = lm[i] | tab[POS][i, j]
    new_j = lookup(tab[OFF], tab[LKM], tab[LKS], j, lm_j)
    new_i = lookup(tab[OFF], tab[LKM], tab[LKS], i, lm_i)
    if np.isnan(new_j) or np.isnan(new_i):
        return False
    if not _accept(new_j + new_i - sc[j] - sc[i], greedy, rng):
        return False
    _set_parents(st, j, pa[j] & ~(np.int64(1) << i), lm_j, new_j)
    _after_delete(pa, anc, j)
    _set_parents(st, i, pa[i] | (np.int64(1) << j), lm_i, new_i)
    _after_add(anc, j, i)
    return True


@njit(cache=True)
def _pair_move(tab, st, pairs, greedy, rng):
    """One add / delete / reverse proposal; returns ``(move, accepted)``."""
    pa = st[0]
    r = pick(rng, pairs.shape[0])
    i, j = pairs[r, 0], pairs[r, 1]
    cur = 1 if (pa[j] >> i) & 1 else (2 if (pa[i] >> j) & 1 else 0)
    others = np.empty(2, dtype=np.int64)
    n = 0
    for s in range(3):
        if s != cur and (s == 0 or pairs[r, 1 + s] != 0):
            others[n] = s
            n += 1
    new = others[pick(rng, n)] if n > 1 else others[0]
    if cur == 2 or (cur == 0 and new == 2):  # orient so that the move is about i -> j
        i, j = j, i
        cur = 0 if cur == 0 else 3 - cur
        new = 0 if new == 0 else 3 - new
    if cur == 0:
        return ADD, _try_add(tab, st, i, j, greedy, rng)
    if new == 0:
        return DELETE, _try_delete(tab, st, i, j, greedy, rng)
    return REVERSE, _try_reverse(tab, st, i, j, greedy, rng)


@njit(cache=True)
def _reach(ch, start, orphans, extra_parents, extra_child):
    """``start`` and its descendants once the orphans lose their parents and
    ``extra_child`` gains the parents ``extra_parents``."""
    stack = np.empty(ch.size, dtype=np.int64)
    seen = np.int64(1) << start
    stack[0] = start
    top = 1
    while top:
        top -= 1
        node = stack[top]
        nxt = ch[node] & ~orphans
        if (extra_parents >> node) & 1:
            nxt |= np.int64(1) << extra_child
        nxt &= ~seen
        seen |= nxt
        while nxt:
            stack[top] = lowbit_index(nxt)
            top += 1
            nxt &= nxt - 1
    return seen


@njit(cache=True)
def _constraint(tab, node, forbidden, must):
    """Candidate bits of ``node`` that are ``forbidden`` (global), and of ``must`` (>= 0)."""
    cand = tab[CAND]
    bad = np.int64(0)
    for k in range(tab[NCAND][node]):
        if (forbidden >> cand[node, k]) & 1:
            bad |= np.int64(1) << k
    return bad, (tab[POS][node, must] if must >= 0 else np.int64(0))


@njit(cache=True)
def _log_z(tab, node, forbidden, must):
    """Log normalizer over ``node``'s parent sets avoiding ``forbidden`` and holding ``must``
    when >= 0 (``-inf`` when ``must`` is not a candidate); with the constraint bits."""
    bad, must_bit = _constraint(tab, node, forbidden, must)
    if must >= 0 and must_bit == 0:
        return -np.inf, bad, must_bit
    return set_log_z(tab, node, bad, must_bit), bad, must_bit


@njit(cache=True)
def _random_edge(pa, n_edges, rng):
    target = pick(rng, n_edges)
    for j in range(pa.size):
        c = popcount(pa[j])
        if target < c:
            x = pa[j]
            for _ in range(target):
                x &= x - 1
            return lowbit_index(x), j
        target -= c
    return -1, -1


@njit(cache=True)
def _rev_move(tab, st, rng):
    """Grzegorczyk & Husmeier's new-edge reversal; returns whether it was accepted."""
    pa, ch, anc, ne = st[0], st[3], st[4], st[5]
    if ne[0] == 0:
        return False
    i, j = _random_edge(pa, ne[0], rng)
    orphans = (np.int64(1) << i) | (np.int64(1) << j)
    old_i, old_j = pa[i], pa[j]
    # forward: i's new parents contain j, then j's new parents
    z_i_fwd, bad, mb = _log_z(tab, i, _reach(ch, i, orphans, 0, -1), j)
    if z_i_fwd == -np.inf:
        return False
    lm_i, sc_i = set_draw(tab, i, bad, mb, z_i_fwd, rng)
    pa_i = local_to_global(tab[CAND], i, lm_i)
    z_j_fwd, bad, mb = _log_z(tab, j, _reach(ch, j, orphans, pa_i, i), -1)
    if z_j_fwd == -np.inf:  # e.g. j's required parents all descend from it now
        return False
    lm_j, sc_j = set_draw(tab, j, bad, mb, z_j_fwd, rng)
    pa_j = local_to_global(tab[CAND], j, lm_j)
    # backward: j's old parents contain i, then i's old parents
    z_j_bwd = _log_z(tab, j, _reach(ch, j, orphans, 0, -1), i)[0]
    z_i_bwd = _log_z(tab, i, _reach(ch, i, orphans, old_j, j), -1)[0]
    n_new = ne[0] - popcount(old_i) - popcount(old_j) + popcount(pa_i) + popcount(pa_j)
    log_ratio = (np.log(ne[0]) - np.log(n_new) + z_i_fwd + z_j_fwd - z_j_bwd - z_i_bwd)
    if not _accept(log_ratio, False, rng):
        return False
    _set_parents(st, i, pa_i, lm_i, sc_i)
    _set_parents(st, j, pa_j, lm_j, sc_j)
    _ancestors_all(pa, anc)
    return True


@njit(cache=True)
def hill_climb(tab, st, pairs, patience, rng):
    """Stochastic hill climbing with pair moves until ``patience`` proposals in a row
    fail to improve the score."""
    misses = 0
    while misses < patience and pairs.shape[0] > 0:
        misses = 0 if _pair_move(tab, st, pairs, True, rng)[1] else misses + 1


@njit(cache=True)
def run_structure(tab, st, pairs, rev_prob, t0, t1, burn_in, thin, draws, scores, trace,
                  proposed, accepted, rng):
    """Iterations ``t0 .. t1 - 1`` of a chain: a fixed mixture of pair moves and new-edge
    reversals; records parent bitmasks ``draws[s]`` and log scores as the plan says."""
    has_pairs = pairs.shape[0] > 0
    pa, sc = st[0], st[2]
    for t in range(t0, t1):
        if has_pairs and rng.random() >= rev_prob:
            move, ok = _pair_move(tab, st, pairs, False, rng)
        else:
            move, ok = REV, _rev_move(tab, st, rng)
        proposed[move] += 1
        if ok:
            accepted[move] += 1
        if (t + 1) % thin == 0:
            trace[(t + 1) // thin - 1] = sc.sum()
        if t >= burn_in and (t - burn_in + 1) % thin == 0:
            s = (t - burn_in + 1) // thin - 1
            draws[s] = pa
            scores[s] = sc.sum()


# ---- Python side: building the arrays, starting and running a chain ----------------------


def kernel_arrays(kernel) -> tuple[tuple, np.ndarray]:
    """The table tuple ``tab`` and the proposal pairs ``(n_pairs, 4)`` (``i, j``, whether
    ``i -> j`` and ``j -> i`` are possible) of a :class:`StructureKernel`."""
    tab = flat_table(kernel.table).arrays()
    pairs = np.zeros((len(kernel.pairs), 4), dtype=np.int64)
    for r, (i, j, states) in enumerate(kernel.pairs):
        pairs[r] = i, j, 1 in states, 2 in states
    return tab, pairs


def start_state(kernel, tab: tuple, pairs: np.ndarray, rng: np.random.Generator | None) -> tuple:
    """The state of the graph of required edges, hill-climbed with ``rng`` when given
    (with the Python kernel's patience)."""
    parents = adjacency_to_masks(kernel.required.astype(np.int64)).astype(np.int64)
    st = init_state(tab, parents)
    if rng is not None:
        hill_climb(tab, st, pairs, 10 * pairs.shape[0] + 10, rng)
    return st


def climbed_adjacency(kernel, rng: np.random.Generator, n_climbs: int = 1) -> np.ndarray:
    """Hill-climbed start graphs drawn with the compiled kernel, each from the graph of
    required edges: uint8 adjacency, shape (n_climbs, n_nodes, n_nodes)."""
    tab, pairs = kernel_arrays(kernel)
    return masks_to_adjacency(np.stack([start_state(kernel, tab, pairs, rng)[0]
                                        for _ in range(n_climbs)]))


def run_structure_chain_numba(kernel, seed, plan, progress, chunk: int = 20_000):
    """One structure-MCMC chain on the compiled kernel (same contract as the Python one)."""
    from causalpost.samplers._chains import ChainResult

    rng = np.random.default_rng(seed)
    tab, pairs = kernel_arrays(kernel)
    st = start_state(kernel, tab, pairs, rng if kernel.greedy_start else None)
    d = kernel.n_nodes
    draws = np.zeros((plan.n_keep, d), dtype=np.int64)
    scores = np.empty(plan.n_keep)
    trace = np.empty(plan.n_iter // plan.thin)
    proposed = np.zeros(4, dtype=np.int64)
    accepted = np.zeros(4, dtype=np.int64)
    for t0 in range(0, plan.n_iter, chunk):
        t1 = min(t0 + chunk, plan.n_iter)
        run_structure(tab, st, pairs, float(kernel.rev_prob), t0, t1, plan.burn_in, plan.thin,
                      draws, scores, trace, proposed, accepted, rng)
        if progress is not None:
            progress(t1 - t0)
    names = ("add", "delete", "reverse", "rev")
    return ChainResult(masks_to_adjacency(draws), trace,
                       {n: int(v) for n, v in zip(names, proposed)},
                       {n: int(v) for n, v in zip(names, accepted)}, {"scores": scores})
