"""Bootstrap PC / GES and the causal-learn adapter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalpost as cp
from causalpost._causallearn import extend_pdag, from_causallearn, skeleton_candidates
from causalpost.errors import CausalpostError, NotFittedError
from causalpost.graphs import is_acyclic
from causalpost.samplers.bootstrap import BootstrapGES, BootstrapPC

# -------------------------------------------------------------------- adapter


def test_causallearn_encoding_is_translated():
    # causal-learn: i -> j is G[j, i] == 1 and G[i, j] == -1; -1/-1 undirected; 1/1 bidirected
    g = np.zeros((4, 4), dtype=int)
    g[1, 0], g[0, 1] = 1, -1  # 0 -> 1
    g[1, 2] = g[2, 1] = -1  # 1 --- 2
    g[2, 3] = g[3, 2] = 1  # 2 <-> 3
    directed, undirected = from_causallearn(g)
    assert directed.tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert np.argwhere(undirected).tolist() == [[1, 2], [2, 1], [2, 3], [3, 2]]


def _v_structures(dag: np.ndarray) -> set[tuple[int, int, int]]:
    adjacent = dag | dag.T
    out = set()
    for b in range(dag.shape[0]):
        parents = np.flatnonzero(dag[:, b])
        for i, a in enumerate(parents):
            for c in parents[i + 1:]:
                if not adjacent[a, c]:
                    out.add((int(a), b, int(c)))
    return out


@st.composite
def dag_and_pdag(draw):
    """A random DAG and a PDAG of it: edges outside v-structures may lose their direction."""
    n = draw(st.integers(2, 7))
    order = draw(st.permutations(range(n)))
    bits = draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))
    dag = np.zeros((n, n), dtype=np.uint8)
    for k, on in enumerate(bits):
        i, j = divmod(k, n)
        if on and order.index(i) < order.index(j):
            dag[i, j] = 1
    in_collider = np.zeros_like(dag, dtype=bool)
    for a, b, c in _v_structures(dag):
        in_collider[a, b] = in_collider[c, b] = True
    hide = np.array(draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))).reshape(n, n)
    undirected_one_way = dag.astype(bool) & hide & ~in_collider
    directed = dag & ~undirected_one_way
    undirected = undirected_one_way | undirected_one_way.T
    return dag, directed.astype(np.uint8), undirected.astype(np.uint8), draw(st.integers(0, 99))


@settings(max_examples=80, deadline=None)
@given(dag_and_pdag())
def test_extension_is_consistent(case):
    dag, directed, undirected, seed = case
    out = extend_pdag(directed, undirected, np.random.default_rng(seed))
    assert is_acyclic(out)
    assert np.array_equal(out | out.T, dag | dag.T)  # same skeleton
    assert np.all(out[directed.astype(bool)] == 1)  # directed edges kept
    assert _v_structures(out) == _v_structures(dag)  # no new v-structure


@st.composite
def messy_pdag_and_knowledge(draw):
    """Arbitrary (even cyclic) PDAGs with random forbidden / acyclic required edges."""
    n = draw(st.integers(2, 6))
    cells = st.lists(st.integers(0, 9), min_size=n * n, max_size=n * n)
    codes = np.array(draw(cells)).reshape(n, n)
    directed = (codes < 3) & ~np.eye(n, dtype=bool)
    undirected = (codes == 3) | (codes.T == 3)
    undirected &= ~np.eye(n, dtype=bool)
    order = draw(st.permutations(range(n)))
    rank = np.argsort(order)
    knowledge = np.array(draw(cells)).reshape(n, n)
    required = (knowledge == 0) & (rank[:, None] < rank[None, :])
    forbidden = ((knowledge >= 7) & ~required & ~required.T) | np.eye(n, dtype=bool)
    return directed, undirected, forbidden, required, draw(st.integers(0, 99))


@settings(max_examples=80, deadline=None)
@given(messy_pdag_and_knowledge())
def test_extension_always_honours_knowledge(case):
    directed, undirected, forbidden, required, seed = case
    out = extend_pdag(directed, undirected, np.random.default_rng(seed), forbidden, required)
    assert is_acyclic(out)
    assert not np.any(out.astype(bool) & forbidden)
    assert np.all(out[required] == 1)


def _strong_frame(n_obs=1000, seed=0):
    """A -> B -> D <- C, D -> E with large effects."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n_obs)
    c = rng.normal(size=n_obs)
    b = 1.5 * a + 0.5 * rng.normal(size=n_obs)
    d = b - 1.5 * c + 0.5 * rng.normal(size=n_obs)
    e = 1.2 * d + 0.5 * rng.normal(size=n_obs)
    data = cp.from_numpy(np.c_[a, b, c, d, e], list("ABCDE"))
    truth = np.zeros((5, 5), dtype=np.uint8)
    for i, j in [(0, 1), (1, 3), (2, 3), (3, 4)]:
        truth[i, j] = 1
    return data, truth


def test_skeleton_candidates_follow_the_skeleton_and_knowledge():
    data, truth = _strong_frame()
    cands = skeleton_candidates(data, alpha=0.01)
    skeleton = truth | truth.T
    assert [c.tolist() for c in cands] == [np.flatnonzero(skeleton[:, j]).tolist()
                                           for j in range(5)]
    knowledge = cp.BackgroundKnowledge.from_strings(forbid=["A:B"], require=["E:C"])
    cands = skeleton_candidates(data, alpha=0.01, knowledge=knowledge)
    assert 0 not in cands[1] and 4 in cands[2]


# ------------------------------------------------------------------ samplers

KNOWLEDGE = cp.BackgroundKnowledge.from_strings(forbid=["B:A", "C:D"], require=["A:E"],
                                                tiers="A;B,C,D,E")


@pytest.mark.parametrize("cls", [BootstrapPC, BootstrapGES])
def test_draws_are_acyclic_honour_knowledge_and_are_seeded(cls, chain_data):
    post = cls(knowledge=KNOWLEDGE, n_draws=6, seed=3, quiet=True).fit(chain_data).posterior_
    adj = post.adjacency
    names = list(chain_data.names)
    a, b, c, d, e = (names.index(n) for n in "ABCDE")
    assert post.n_draws == 6 and is_acyclic(adj).all()
    assert (adj[:, b, a] == 0).all() and (adj[:, c, d] == 0).all()
    assert (adj[:, a, e] == 1).all() and (adj[:, :, a] == 0).all()
    assert post.info["sampler"] == cls.name and post.params
    again = cls(knowledge=KNOWLEDGE, n_draws=6, seed=3, quiet=True).fit(chain_data).posterior_
    assert np.array_equal(adj, again.adjacency)
    for key, value in post.params.items():
        np.testing.assert_array_equal(value, again.params[key])


@pytest.mark.parametrize("cls", [BootstrapPC, BootstrapGES])
def test_strong_signal_recovers_the_true_skeleton(cls):
    data, truth = _strong_frame()
    options = {"alpha": 0.01} if cls is BootstrapPC else {}
    post = cls(n_draws=8, seed=0, quiet=True, parameters=False, **options).fit(data).posterior_
    probs = post.edge_prob_matrix
    assert np.array_equal((probs + probs.T) > 0.5, (truth | truth.T).astype(bool))
    assert probs[1, 3] > 0.75 and probs[2, 3] > 0.75  # the v-structure B -> D <- C


@pytest.mark.parametrize("cls", [BootstrapPC, BootstrapGES])
def test_max_parents_caps_every_draw(cls):
    data, _ = _strong_frame(300)
    post = cls(max_parents=1, n_draws=3, seed=1, quiet=True, parameters=False).fit(data)
    assert (post.posterior_.adjacency.sum(axis=1) <= 1).all()
    assert is_acyclic(post.posterior_.adjacency).all()


@pytest.mark.parametrize("cls", [BootstrapPC, BootstrapGES])
def test_single_node_and_few_rows(cls):
    rng = np.random.default_rng(0)
    post = cls(n_draws=2, seed=0, quiet=True).fit(cp.from_numpy(rng.normal(size=(30, 1))))
    assert post.posterior_.adjacency.shape == (2, 1, 1)
    post = cls(n_draws=2, seed=0, quiet=True).fit(cp.from_numpy(rng.normal(size=(8, 5))))
    assert is_acyclic(post.posterior_.adjacency).all()


def test_discrete_data(discrete_data):
    for cls, n_draws in ((BootstrapPC, 4), (BootstrapGES, 2)):
        post = cls(n_draws=n_draws, seed=0, quiet=True).fit(discrete_data).posterior_
        assert post.n_draws == n_draws and is_acyclic(post.adjacency).all()
        assert post.edge_probs.loc["X", "Y"] + post.edge_probs.loc["Y", "X"] == pytest.approx(1)


def test_registry_entry_point_and_errors(chain_data):
    post = cp.fit(chain_data, sampler="bootstrap-pc", n_draws=3, seed=0, quiet=True, alpha=0.01)
    assert post.n_draws == 3 and post.info["sampler"] == "bootstrap-pc"
    post = cp.fit(chain_data, sampler="bootstrap-ges", n_draws=2, seed=0, quiet=True)
    assert post.n_draws == 2
    with pytest.raises(NotFittedError):
        _ = BootstrapPC().posterior_
    with pytest.raises(CausalpostError, match="n_draws"):
        BootstrapGES(n_draws=0).fit(chain_data)
    with pytest.raises(CausalpostError, match="alpha"):
        BootstrapPC(alpha=1.5).fit(chain_data)
    with pytest.raises(CausalpostError, match="unknown PC test"):
        BootstrapPC(test="kci").fit(chain_data)
    mixed = cp.from_pandas(chain_data.to_pandas().assign(F=lambda f: (f.A > 0).map(str)))
    with pytest.raises(CausalpostError, match="all-continuous or all-discrete"):
        BootstrapPC(n_draws=2, quiet=True).fit(mixed)


def test_worker_processes_give_the_same_draws(chain_data):
    one = BootstrapPC(n_draws=4, seed=2, quiet=True, parameters=False).fit(chain_data)
    two = BootstrapPC(n_draws=4, seed=2, quiet=True, parameters=False, n_workers=2).fit(chain_data)
    np.testing.assert_array_equal(one.posterior_.adjacency, two.posterior_.adjacency)
