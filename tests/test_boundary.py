"""The boundary of a restricted search space against a brute-force definition.

``share[i, j]`` is, averaged over the draws, the local posterior weight of every
one-step change of the draw that brings the non-candidate ``i`` into ``pa_j``
(adding it, or swapping it for a parent that is not required), relative to the
draw itself and every such change of ``j``. A change that closes a cycle is
allowed only as a reversal of the edge ``j -> i``; then ``i`` also loses ``j``.
The reference below walks the definition with networkx's acyclicity test.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from causalpost.data import from_numpy
from causalpost.knowledge import BackgroundKnowledge
from causalpost.samplers._boundary import (
    BOUNDARY_DRAWS,
    boundary_shares,
    boundary_warning,
    expand,
)
from causalpost.samplers._common import prepare_problem
from causalpost.samplers._search_space import EXPANSION_ROOM, symmetrized
from causalpost.synthetic import linear_gaussian, random_dag


def _reference_shares(problem, candidates, draws) -> np.ndarray:
    d = draws.shape[1]
    log_prior = problem.prior.log_prior_by_size(d)

    def local(node, parents):
        parents = tuple(sorted(parents))
        return float(problem.bound.local_scores(node, [parents])[0]) + log_prior[len(parents)]

    share = np.zeros((d, d))
    for graph in draws:
        for j in range(d):
            pa = set(np.flatnonzero(graph[:, j]).tolist())
            base = local(j, pa)
            weights = {}
            for i in range(d):
                if i == j or i in set(candidates[j].tolist()) or problem.forbidden[i, j]:
                    continue
                sets = [pa | {i}] if len(pa) < problem.max_parents else []
                sets += [(pa - {p}) | {i} for p in pa if not problem.required[p, j]]
                total = 0.0
                for new in sets:
                    changed = graph.copy()
                    changed[:, j] = 0
                    changed[list(new), j] = 1
                    gain = local(j, new) - base
                    if not nx.is_directed_acyclic_graph(nx.DiGraph(changed)):
                        if not graph[j, i]:
                            continue
                        changed[j, i] = 0  # the reversal of j -> i
                        if not nx.is_directed_acyclic_graph(nx.DiGraph(changed)):
                            continue
                        pa_i = set(np.flatnonzero(graph[:, i]).tolist())
                        gain += local(i, pa_i - {j}) - local(i, pa_i)
                    total += np.exp(gain)
                weights[i] = total
            norm = 1.0 + sum(weights.values())
            for i, w in weights.items():
                share[i, j] += w / norm
    return share / len(draws)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), max_parents=st.integers(1, 3),
       require=st.booleans())
def test_boundary_shares_match_their_definition(seed, max_parents, require):
    rng = np.random.default_rng(seed)
    d = 5
    bench = linear_gaussian(d, 60, seed=seed)
    data = from_numpy(np.asarray(bench.data.values), list(bench.data.names))
    draws = [random_dag(d, "er", edges_per_node=1.5, seed=rng) for _ in range(6)]
    draws = [g for g in draws if g.sum(axis=0).max() <= max_parents] or [np.zeros((d, d))]
    knowledge = None
    if require and draws[0].any():  # an edge of the first draw is required: never swapped out
        a, b = np.argwhere(draws[0])[0]
        knowledge = BackgroundKnowledge(required=frozenset({(data.names[a], data.names[b])}))
        draws = [g for g in draws if g[a, b]]
    draws = np.stack(draws).astype(np.uint8)
    problem = prepare_problem(data, None, None, None, knowledge, max_parents)
    # the draws' parents are candidates (as in a sampler's draws), plus one random extra
    used = draws.any(axis=0)
    candidates = [np.union1d(np.flatnonzero(used[:, j]), rng.choice([k for k in range(d)
                                                                     if k != j], size=1))
                  for j in range(d)]
    share = boundary_shares(problem, candidates, draws)
    np.testing.assert_allclose(share, _reference_shares(problem, candidates, draws),
                               rtol=1e-9, atol=1e-12)
    assert (share.sum(axis=0) <= 1 + 1e-12).all()


def test_many_draws_are_averaged_over_an_even_subsample():
    """Past ``max_draws`` the boundary is the mean over evenly spaced draws: the same
    draws repeated give the same shares, and the subsample is what is averaged."""
    rng = np.random.default_rng(3)
    d = 5
    bench = linear_gaussian(d, 60, seed=3)
    data = from_numpy(np.asarray(bench.data.values), list(bench.data.names))
    problem = prepare_problem(data, None, None, None, None, 2)
    draws = np.stack([random_dag(d, "er", edges_per_node=1.0, seed=rng) for _ in range(8)])
    draws = draws * (draws.sum(axis=1, keepdims=True) <= 2)  # within max_parents
    candidates = [np.flatnonzero(draws.any(axis=0)[:, j]) for j in range(d)]
    few = boundary_shares(problem, candidates, draws.astype(np.uint8), max_draws=None)
    many = np.repeat(draws, 100, axis=0).astype(np.uint8)  # 800 draws, 100 of each
    assert many.shape[0] > BOUNDARY_DRAWS
    np.testing.assert_allclose(boundary_shares(problem, candidates, many), few, atol=0.02)
    picked = many[np.round(np.linspace(0, 799, BOUNDARY_DRAWS)).astype(np.int64)]
    np.testing.assert_allclose(boundary_shares(problem, candidates, many),
                               boundary_shares(problem, candidates, picked, max_draws=None),
                               rtol=1e-12, atol=1e-15)


def test_a_swap_is_asked_for_where_adding_is_not():
    """A candidate standing in for an excluded parent: Y = X + noise, P a noisy copy of X.
    Draws with P -> Y would lose by adding X (P then explains little more) but gain by
    swapping P for X, so X -> Y claims the boundary."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    proxy = x + 0.7 * rng.normal(size=400)
    y = x + 0.3 * rng.normal(size=400)
    data = from_numpy(np.c_[x, proxy, y], ["X", "P", "Y"])
    problem = prepare_problem(data, None, None, None, None, 1)  # one parent at most
    draw = np.zeros((1, 3, 3), dtype=np.uint8)
    draw[0, 0, 1] = draw[0, 1, 2] = 1  # X -> P -> Y
    candidates = [np.array([1, 2]), np.array([0, 2]), np.array([1])]  # X not a candidate of Y
    share = boundary_shares(problem, candidates, draw)
    assert share[0, 2] > 0.99


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(2, 9), cap=st.integers(1, 8))
def test_symmetrized_adds_only_reverse_pairs_within_the_cap(seed, d, cap):
    rng = np.random.default_rng(seed)
    given_sets = [np.sort(rng.choice([k for k in range(d) if k != j],
                                     size=rng.integers(0, min(cap, d - 1) + 1), replace=False))
                  for j in range(d)]
    out = symmetrized(given_sets, cap)
    for j in range(d):
        before, after = set(given_sets[j].tolist()), set(out[j].tolist())
        assert before <= after and j not in after
        assert all(j in set(given_sets[i].tolist()) for i in after - before)  # reverse pairs
        assert len(after) <= max(cap, len(before))
        for i in before:  # a pair left one-way only where the partner is full
            assert j in set(out[i].tolist()) or len(out[i]) >= cap - EXPANSION_ROOM


def test_expansion_takes_in_the_largest_outsiders_until_the_rest_is_within_tolerance():
    share = np.zeros((6, 6))
    share[[1, 2, 3, 4], 0] = [0.008, 0.006, 0.004, 0.0001]  # 0.0181 outside, each < tol
    cand = [np.array([5])] + [np.array([], dtype=np.int64)] * 4 + [np.array([0])]
    grown, changed = expand(cand, share, 0.01, cap=8)
    assert changed and grown[0].tolist() == [1, 2, 5]  # 0.0041 left: within tolerance
    assert [c.tolist() for c in grown[1:]] == [[0], [0], [], [], [0]]  # and back


def test_the_boundary_warning_names_the_node_its_claimants_and_the_fix():
    share = np.zeros((3, 3))
    share[0, 2], share[1, 2] = 0.3, 0.1
    names = ["Age", "Smoking", "Cancer"]
    text = boundary_warning(share, names, 0.01, [1, 1, 16], cap=16)
    assert "0.40 of Cancer's posterior mass" in text
    assert "Age -> Cancer 0.30, Smoking -> Cancer 0.10" in text
    assert "--max-candidates" in text  # at the cap: widen it
    assert "expansions=" in boundary_warning(share, names, 0.01, [1, 1, 3], cap=16)
    assert boundary_warning(share, names, 0.5, [1, 1, 3], cap=16) is None


def test_at_the_cap_a_rarely_used_candidate_is_traded_for_an_outsider_claiming_more():
    share = np.zeros((5, 5))
    share[4, 0] = 0.4  # node 4 claims 0.4 of node 0's mass from outside
    usage = np.zeros((5, 5))
    usage[[1, 2, 3], 0] = [0.9, 0.05, 0.6]  # candidate 2 is a parent in 5% of the draws
    cand = [np.array([1, 2, 3])] + [np.array([0])] * 4
    grown, changed = expand(cand, share, 0.01, cap=3, usage=usage)
    assert changed and grown[0].tolist() == [1, 3, 4]
    usage[2, 0] = 0.3  # now used more than half the outsider's claim: kept
    kept, changed = expand(cand, share, 0.01, cap=3, usage=usage)
    assert not changed and kept[0].tolist() == [1, 2, 3]
