"""The numba-compiled MCMC kernels against enumeration and against the Python kernels.

The chains' accuracy against exact posteriors is tested in ``test_mcmc.py``
(the samplers run compiled there); here the compiled pieces are checked one by
one: normalizers and draws of constrained parent sets, partition / order
scores, Rao-Blackwellised edge probabilities, and the structure chain's cached
ancestor sets; and the Python chain loops, still used past 62 nodes, are
checked to sample the same posterior.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import causalpost as cp
from causalpost.datasets import linear_gaussian
from causalpost.graphs import masks_to_adjacency, transitive_closure
from causalpost.samplers import _numba_partition as npart
from causalpost.samplers import _numba_structure as nstruct
from causalpost.samplers._chains import make_plan
from causalpost.samplers._common import prepare_problem
from causalpost.samplers._dag_from_order import CompiledTable
from causalpost.samplers._numba_common import flat_table, set_draw, set_log_z
from causalpost.samplers._structure_kernel import StructureKernel
from causalpost.samplers.exact import ExactSampler
from causalpost.samplers.order_mcmc import OrderPayload, run_order_chain_python
from causalpost.samplers.partition_mcmc import (
    PartitionPayload,
    dag_levels,
    run_partition_chain_python,
)
from causalpost.samplers.structure_mcmc import run_structure_chain_python
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


def test_partition_order_scores_and_edge_probs_equal_python(data5):
    table = prepare_problem(data5, None, None, None, None, 3).table()
    ct = CompiledTable(table)
    tab = flat_table(table, ct.subset_sums, ct.offsets).arrays()
    for lv in itertools.product(range(5), repeat=5):
        level = np.array(lv, dtype=np.int64)
        if sorted(set(lv)) != list(range(len(set(lv)))):
            continue
        want = ct.partition_score(level)
        got = npart.state_score(tab, level, True)
        assert got == pytest.approx(want, abs=1e-9) or want == got == -np.inf
        rb = np.zeros((6, 5))
        npart.add_edge_probs(tab, level, True, rb)
        np.testing.assert_allclose(rb[:5], ct.edge_probs(level, True), atol=1e-9)
    for perm in itertools.permutations(range(5)):
        rank = np.array(perm, dtype=np.int64)
        assert npart.state_score(tab, rank, False) == pytest.approx(ct.order_score(rank))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_compiled_structure_state_stays_exact(seed):
    """After every compiled move the cached ancestors equal the transitive closure and the
    cached local scores sum to the graph's score."""
    data = cp.from_pandas(chain_frame(40, seed=2))
    table = prepare_problem(data, None, None, None, None, None).table()
    kernel = StructureKernel(table, np.zeros((5, 5), dtype=bool), rev_prob=0.3)
    tab, pairs = nstruct.kernel_arrays(kernel)
    state = nstruct.start_state(kernel, tab, pairs, None)
    rng = np.random.default_rng(seed)
    draws, scores, trace = np.zeros((1, 5), dtype=np.int64), np.zeros(1), np.zeros(1)
    counts = np.zeros(4, dtype=np.int64), np.zeros(4, dtype=np.int64)
    for t in range(60):
        nstruct.run_structure(tab, state, pairs, 0.3, t, t + 1, 10**9, 10**9, draws, scores,
                              trace, *counts, rng)
        adj = masks_to_adjacency(state[0])
        closure = transitive_closure(adj)
        assert state[4].tolist() == [sum(1 << i for i in range(5) if closure[i, j])
                                     for j in range(5)]
        assert state[2].sum() == pytest.approx(float(table.graph_scores(adj[None])[0]))
        assert state[3].tolist() == [sum(1 << j for j in range(5) if adj[i, j])
                                     for i in range(5)]
    assert counts[1].sum() > 0


def test_python_chain_loops_still_sample_the_posterior(data5):
    """The Python loops (used past 62 nodes) against enumeration, on a small budget."""
    exact = ExactSampler(parameters=False).fit(data5).posterior_.edge_prob_matrix
    table = prepare_problem(data5, None, None, None, None, None).table()
    kernel = StructureKernel(table, np.zeros((5, 5), dtype=bool), 1 / 15, True)
    ct = CompiledTable(table)
    start = np.zeros(5, dtype=np.int64)
    runs = [
        (run_structure_chain_python, kernel, make_plan(4000, 1, 2000, 20, 1)),
        (run_partition_chain_python, PartitionPayload(ct, dag_levels(np.zeros((5, 5))), 0.2,
                                                      0.6, kernel), make_plan(6000, 1, 500, 5, 1)),
    ]
    for fn, payload, plan in runs:
        result = fn(payload, np.random.SeedSequence(0), plan, None)
        assert np.abs(result.draws.mean(axis=0) - exact).max() < 0.1
    order = run_order_chain_python(OrderPayload(ct, start, None), np.random.SeedSequence(0),
                                   make_plan(50, 1, 10, 2, 1), None)
    assert order.draws.shape == (50, 5, 5)


@pytest.mark.parametrize("n_nodes", [1, 2])
def test_tiny_graphs(n_nodes):
    """One node has no split / join neighbour (the chain used to loop forever there)."""
    data = cp.from_numpy(np.random.default_rng(0).normal(size=(30, n_nodes)),
                         [f"X{i}" for i in range(n_nodes)])
    for name in ("mcmc", "partition", "order"):
        post = cp.fit(data, sampler=name, n_draws=20, n_chains=1, seed=0, quiet=True,
                      parameters=False)
        assert post.adjacency.shape == (20, n_nodes, n_nodes)
