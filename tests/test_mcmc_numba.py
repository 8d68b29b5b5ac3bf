"""The numba-compiled MCMC kernels (the only implementation of each move) piece by piece.

The chains' accuracy against exact posteriors is tested in ``test_mcmc.py``; here
the compiled pieces are checked one by one against brute force: normalizers and
draws of constrained parent sets, DAG draws given a partition or an order, and the
structure chain's cached parent / child / ancestor bitsets (one word and several).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import causalpost as cp
from causalpost.graphs import is_acyclic, masks_to_adjacency, transitive_closure
from causalpost.samplers import _numba_partition as npart
from causalpost.samplers import _numba_structure as nstruct
from causalpost.samplers._common import prepare_problem
from causalpost.samplers._numba_common import (
    adjacency_to_bitsets,
    bitsets_to_adjacency,
    flat_table,
    set_draw,
    set_log_z,
)
from causalpost.samplers._plus_one import no_plus_one
from causalpost.samplers._search_space import candidate_parents
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.partition_mcmc import dag_levels
from causalpost.scores import ScoreTable
from causalpost.synthetic import linear_gaussian
from tests.conftest import chain_frame


@pytest.fixture(scope="module")
def table8():
    bench = linear_gaussian(8, 80, seed=5, noise_sd=1.0)
    return prepare_problem(bench.data, None, None, None, None, None).table()


@pytest.fixture(scope="module")
def data5() -> cp.Dataset:
    return cp.from_pandas(chain_frame(100, seed=1))


@pytest.mark.parametrize("with_sums", [True, False])
def test_constrained_normalizer_and_draws(table8, with_sums):
    """``set_log_z`` equals a brute-force logsumexp, and ``set_draw`` frequencies match
    the normalized weights, both by subset sums / dense weights and by table scans."""
    ft = flat_table(table8)
    tab = ft.arrays()
    if not with_sums:
        tab = tab[:9] + (np.zeros(0), tab[10], np.zeros(0))
    rng = np.random.default_rng(0)
    node, masks, scores = 3, table8.masks[3], table8.scores[3]
    for bad, must in [(0, 0), (0b1010011, 0), (0b0001111, 0b0100000), (0, 0b0000101),
                      (0b1111100, 0b11)]:
        ok = ((masks & bad) == 0) & ((must == 0) | ((masks & must) != 0))
        want = logsumexp(scores[ok])
        log_z = set_log_z(tab, node, bad, must)
        assert log_z == pytest.approx(want, abs=1e-9)
        n = 20_000
        got = np.array([set_draw(tab, node, bad, must, log_z, rng)[0] for _ in range(n)])
        freq = np.array([(got == m).sum() for m in masks[ok]]) / n
        p = np.exp(scores[ok] - want)
        assert np.abs(freq - p).max() < 4 * np.sqrt(p.max() * (1 - p.max()) / n) + 1e-3
        assert not np.isin(got, masks[~ok]).any()


def test_dag_draws_given_a_state_follow_the_enumerated_posterior(data5):
    """DAGs drawn given a partition (and given an order) have the frequencies of the
    enumerated DAGs of that state, weighted by their scores."""
    table = prepare_problem(data5, None, None, None, None, 3).table()
    tab = flat_table(table, True).arrays()
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    rng = np.random.default_rng(0)
    n = 20_000
    for level, partition in ((np.array([0, 1, 1, 2, 0]), True), (np.array([3, 0, 4, 1, 2]),
                                                                   False)):
        if partition:
            rows = [k for k, a in enumerate(adj) if tuple(dag_levels(a)) == tuple(level)]
        else:
            rows = [k for k, a in enumerate(adj)
                    if all(level[i] < level[j] for i, j in zip(*np.nonzero(a)))]
        p = np.exp(log_w[rows] - logsumexp(log_w[rows]))
        local = np.zeros((n, 5), dtype=np.int64)
        extra = np.full((n, 5), -1, dtype=np.int64)
        scores = npart.draw_dags(tab, no_plus_one(5).arrays(), np.repeat(level[None], n, axis=0),
                                 partition, rng, local, extra)
        assert (extra == -1).all()
        drawn = np.zeros((n, 5, 5), dtype=np.uint8)
        npart._to_adjacency(tab[6], local, drawn)
        np.testing.assert_allclose(scores, table.graph_scores(drawn), atol=1e-9)
        keys = {a.tobytes(): r for r, a in enumerate(adj[rows])}
        counts = np.bincount([keys[a.tobytes()] for a in drawn], minlength=len(rows))
        assert np.abs(counts / n - p).max() < 4 * np.sqrt(p.max() / n) + 1e-3


def _bitset_rows(bits: np.ndarray) -> list[set[int]]:
    """The node sets of a (n_nodes, n_words) bitset array: bit i of word i // 64."""
    return [{64 * w + b for w, word in enumerate(row.tolist()) for b in range(64)
             if (word >> b) & 1} for row in bits]


def _decoded_adjacency(parent_bits: np.ndarray) -> np.ndarray:
    d = parent_bits.shape[0]
    adj = np.zeros((d, d), dtype=np.uint8)
    for j, parents in enumerate(_bitset_rows(parent_bits)):
        adj[sorted(parents), j] = 1
    return adj


@dataclass
class StructureCase:
    """A structure-chain setup, short in hypothesis' reports."""

    table: ScoreTable = field(repr=False)
    kernel: StructureKernel = field(repr=False)
    climb: bool


@pytest.fixture(scope="module", params=[5, 80], ids=["d5", "d80"])
def structure_case(request):
    """A table and kernel: the chain on 5 nodes (full space, from the empty graph), or 80
    nodes (two-word bitsets; sparse partial-correlation space, from a hill-climbed graph)."""
    if request.param == 5:
        problem = prepare_problem(cp.from_pandas(chain_frame(40, seed=2)), None, None, None,
                                  None, None)
        table, climb = problem.table(), False
    else:
        data = linear_gaussian(80, 200, seed=1, noise_sd=1.0).data
        problem = prepare_problem(data, None, None, None, None, 2)
        table, climb = problem.table(candidate_parents(problem, "pcor", 5)), True
    d = table.n_nodes
    return StructureCase(table, StructureKernel(table, np.zeros((d, d), dtype=bool),
                                                rev_prob=0.3), climb)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_compiled_structure_state_stays_exact(structure_case, seed):
    """After every compiled move the cached children match the parents, the cached
    ancestors equal the transitive closure and the cached local scores sum to the graph's
    score; every recorded draw is the current DAG, acyclic, with its table score."""
    table, kernel, climb = structure_case.table, structure_case.kernel, structure_case.climb
    d, n_moves = table.n_nodes, 60
    tab, pairs = nstruct.kernel_arrays(kernel)
    rng = np.random.default_rng(seed)
    state = nstruct.start_state(kernel, tab, pairs, rng if climb else None)
    n_words = state[0].shape[1]
    assert n_words == -(-d // 64)
    draws = np.zeros((n_moves, d, n_words), dtype=np.int64)
    scores = np.zeros(n_moves)
    counts = np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64)
    graphs = []
    for t in range(n_moves):  # burn-in 0, thin 1: draw t is the graph after move t
        assert nstruct.run_structure(tab, state, pairs, 0.3, t, 1, 1, draws[t:t + 1],
                                     scores[t:t + 1], *counts, rng) == 1
        adj = _decoded_adjacency(state[0])
        closure = transitive_closure(adj)
        assert _bitset_rows(state[4]) == [set(np.flatnonzero(closure[:, j])) for j in range(d)]
        assert _bitset_rows(state[3]) == [set(np.flatnonzero(adj[i])) for i in range(d)]
        assert state[2].sum() == pytest.approx(float(table.graph_scores(adj[None])[0]))
        graphs.append(adj)
    recorded = np.stack([_decoded_adjacency(x) for x in draws])
    np.testing.assert_array_equal(recorded, np.stack(graphs))
    assert is_acyclic(recorded).all()
    np.testing.assert_allclose(scores, table.graph_scores(recorded), rtol=0, atol=1e-6)
    assert counts[1].sum() > 0
    if d > 64:  # nodes past the first word (and its sign bit, node 63) take part
        assert recorded[:, 63:, :].any() and recorded[:, :, 63:].any()


def test_bitsets_round_trip_adjacency():
    """Packing an adjacency batch into parent bitsets and back is the identity, bit i of
    row j being the edge i -> j."""
    rng = np.random.default_rng(0)
    adj = (rng.random((3, 130, 130)) < 0.05).astype(np.uint8)
    bits = adjacency_to_bitsets(adj)
    assert bits.shape == (3, 130, 3)
    for s in range(3):
        np.testing.assert_array_equal(_decoded_adjacency(bits[s]), adj[s])
    np.testing.assert_array_equal(bitsets_to_adjacency(bits, 130), adj)


# 20 draws on 100 rows in a 5-candidate space: the space is too narrow and says so
@pytest.mark.filterwarnings("ignore::causalpost.errors.SearchSpaceWarning")
def test_structure_mcmc_runs_compiled_past_62_nodes():
    """Past 62 nodes (two-word bitsets) structure MCMC and the hill-climbed start of
    partition MCMC run."""
    data = linear_gaussian(70, 100, seed=2).data
    for sampler in ("mcmc", "partition"):
        post = cp.fit(data, sampler=sampler, n_draws=20, n_chains=1, seed=0, quiet=True,
                      parameters=False, search_space="pcor", max_candidates=5, max_parents=2,
                      ess_target=50, rhat_target=1.2)
        assert post.adjacency.shape == (20, 70, 70)
        assert is_acyclic(post.adjacency).all()


@pytest.mark.parametrize("n_nodes", [1, 2])
def test_tiny_graphs(n_nodes):
    """One node has no split / join neighbour (the chain used to loop forever there)."""
    data = cp.from_numpy(np.random.default_rng(0).normal(size=(30, n_nodes)),
                         [f"X{i}" for i in range(n_nodes)])
    for name in ("mcmc", "partition", "order"):
        post = cp.fit(data, sampler=name, n_draws=20, n_chains=1, seed=0, quiet=True,
                      parameters=False)
        assert post.adjacency.shape == (20, n_nodes, n_nodes)


def test_a_cyclic_state_fails_loudly_instead_of_looping(structure_case):
    """The ancestor recomputation refuses parent sets with a cycle (it would never finish)."""
    tab, _ = nstruct.kernel_arrays(structure_case.kernel)
    d = structure_case.table.n_nodes
    cycle = np.zeros((d, d), dtype=np.uint8)
    cycle[0, 1] = cycle[1, 2] = cycle[2, 0] = 1
    with pytest.raises(ValueError, match="cycle"):
        nstruct.init_state(tab, adjacency_to_bitsets(cycle))
    acyclic = cycle.copy()
    acyclic[2, 0] = 0
    assert nstruct.init_state(tab, adjacency_to_bitsets(acyclic))[4].any()  # ancestors set
