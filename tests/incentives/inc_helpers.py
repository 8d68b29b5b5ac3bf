"""Brute-force incentive criteria by path enumeration, and hypothesis strategies.

Everything here is written straight from the definitions (Everitt et al. 2021,
arXiv:2102.01685; Koller & Milch 2003) by enumerating simple paths and trails,
independently of the bitset/Bayes-ball code under test. Only for small graphs.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from hypothesis import strategies as st

from incentives import CID


def _trails(g: nx.DiGraph, x: str, y: str) -> list[list[str]]:
    return [list(p) for p in nx.all_simple_paths(g.to_undirected(as_view=True), x, y)]


def trail_active(g: nx.DiGraph, trail: list[str], z: set[str]) -> bool:
    """Whether a trail (simple path in the skeleton) is active given ``z``."""
    for a, v, b in zip(trail, trail[1:], trail[2:]):
        collider = g.has_edge(a, v) and g.has_edge(b, v)
        if collider:
            if v not in z and not (nx.descendants(g, v) & z):
                return False
        elif v in z:
            return False
    return True


def d_connected(g: nx.DiGraph, x: str, y: str, z: set[str]) -> bool:
    """Some trail between ``x`` and ``y`` is active given ``z`` (``x``, ``y`` not in ``z``)."""
    return any(trail_active(g, t, z) for t in _trails(g, x, y))


def utilities_below(g: nx.DiGraph, d: str, utilities: set[str]) -> set[str]:
    return {u for u in utilities if any(True for _ in nx.all_simple_paths(g, d, u))}


def requisite_brute(g: nx.DiGraph, d: str, utilities: set[str]) -> set[str]:
    ud = utilities_below(g, d, utilities)
    fam = set(g.predecessors(d)) | {d}
    return {w for w in g.predecessors(d) if any(d_connected(g, w, u, fam - {w}) for u in ud)}


def reduce_brute(g: nx.DiGraph, decisions: list[str], utilities: set[str]) -> nx.DiGraph:
    """Remove one non-requisite information link at a time until none remain."""
    g = nx.DiGraph(g)
    while True:
        for d in sorted(decisions):
            bad = sorted(set(g.predecessors(d)) - requisite_brute(g, d, utilities))
            if bad:
                g.remove_edge(bad[0], d)
                break
        else:
            return g


def _dir_paths(g: nx.DiGraph, a: str, b: str) -> list[list[str]]:
    if a == b:
        return [[a]]
    return [list(p) for p in nx.all_simple_paths(g, a, b)]


def sufficient_recall_brute(cid: CID) -> bool:
    g = nx.DiGraph(cid.graph)
    rel = nx.DiGraph()
    rel.add_nodes_from(cid.decisions)
    for d1, d2 in itertools.permutations(cid.decisions, 2):
        h = nx.DiGraph(g)
        h.add_edge("__hat__", d2)
        fam = set(g.predecessors(d1)) | {d1}
        if any(
            d_connected(h, "__hat__", u, fam) for u in utilities_below(g, d1, set(cid.utilities))
        ):
            rel.add_edge(d1, d2)
    return nx.is_directed_acyclic_graph(rel)


def brute_sets(cid: CID) -> dict[str, dict[str, set[str]]]:
    """All six incentive sets per decision, by path enumeration (needs sufficient recall)."""
    g = nx.DiGraph(cid.graph)
    dec, uts = list(cid.decisions), set(cid.utilities)
    star = reduce_brute(g, dec, uts)
    voc = {x for x in g if x not in dec and any(_dir_paths(star, x, u) for u in uts)}
    direct = {
        x for x in voc if any(not set(p) & set(dec) for u in uts for p in _dir_paths(star, x, u))
    }
    out = {}
    for d in dec:
        voi = set()
        for x in set(g) - nx.descendants(g, d) - {d}:
            h = nx.DiGraph(g)
            h.add_edge(x, d)
            if x in reduce_brute(h, dec, uts).predecessors(d):
                voi.add(x)
        ri = {x for x in g if x != d and _dir_paths(star, x, d)}
        ici = {x for u in uts for p in _dir_paths(g, d, u) for x in p}
        fam = set(star.predecessors(d)) | {d}
        indirect = set()
        for x in voc:
            for u in uts - {x}:
                through = any(d in p for p in _dir_paths(star, x, u))
                back = any(
                    star.has_edge(t[1], x) and trail_active(star, t, fam - {x})
                    for t in _trails(star, x, u)
                )
                if through and back:
                    indirect.add(x)
        out[d] = {
            "voi": voi,
            "ri": ri,
            "voc": voc,
            "ici": ici,
            "direct_voc": direct,
            "indirect_voc": indirect,
        }
    return out


@st.composite
def cids(draw: st.DrawFn, min_nodes: int = 2, max_nodes: int = 7, max_decisions: int = 3) -> CID:
    """Random small CIDs: a random DAG, random roles, utilities made sinks."""
    n = draw(st.integers(min_nodes, max_nodes))
    perm = draw(st.permutations(range(n)))
    density = draw(st.sampled_from([0.3, 0.5, 0.8]))
    upper = draw(
        st.lists(
            st.floats(0, 1, allow_nan=False), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2
        )
    )
    a = np.zeros((n, n), dtype=bool)
    for (i, j), r in zip(itertools.combinations(range(n), 2), upper):
        a[perm[i], perm[j]] = r < density
    roles = draw(
        st.lists(st.sampled_from("cdu"), min_size=n, max_size=n).filter(
            lambda r: "d" in r and "u" in r and r.count("d") <= max_decisions
        )
    )
    names = [f"N{i}" for i in range(n)]
    a[[i for i in range(n) if roles[i] == "u"], :] = False
    return CID.from_adjacency(
        a,
        names,
        [names[i] for i in range(n) if roles[i] == "d"],
        [names[i] for i in range(n) if roles[i] == "u"],
    )


def random_discrete_params(cid: CID, rng: np.random.Generator, alpha: float = 0.3, card: int = 2):
    """Random tables: Dirichlet(alpha) conditionals (peaked for small alpha), normal utilities."""
    from incentives import DiscreteParams

    cards = {v: card for v in cid.nodes if v not in cid.utilities}
    cpds = {}
    for v in cid.chance:
        pa = cid.parents(v)
        cols = rng.dirichlet(np.full(card, alpha), size=card ** len(pa))  # (n_cols, card)
        cpds[v] = (pa, cols.T.reshape((card,) + (card,) * len(pa)))
    utils = {
        u: (cid.parents(u), rng.normal(size=(card,) * len(cid.parents(u)))) for u in cid.utilities
    }
    return DiscreteParams(cards, cpds, utils)
