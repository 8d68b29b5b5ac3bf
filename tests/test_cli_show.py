"""``show``: rare top graphs as differences from the consensus; direction-open pairs."""

from __future__ import annotations

import json

import numpy as np

from causalpost import Posterior
from causalpost_cli import main

NAMES = [f"N{i}" for i in range(6)]


def _rare_graphs(tmp_path):
    """A chain N0->...->N5 in every draw plus two of ten extra edges (45 graphs, one draw
    each, the first twice and without N0->N1): every graph rare (P = 1/46 or 2/46)."""
    from itertools import combinations

    chain = np.zeros((6, 6), dtype=np.uint8)
    chain[np.arange(5), np.arange(1, 6)] = 1
    extras = [(i, j) for i in range(6) for j in range(i + 2, 6)]  # 10 forward non-chain edges
    draws = []
    for k, pair in enumerate(combinations(extras, 2)):
        g = chain.copy()
        for i, j in pair:
            g[i, j] = 1
        if k == 0:
            g[0, 1] = 0
        draws += [g] * (2 if k == 0 else 1)
    path = tmp_path / "rare.npz"
    Posterior(NAMES, np.array(draws)).save(path)
    return path, [(NAMES[i], NAMES[j]) for i, j in extras]


def test_rare_top_graphs_are_differences_from_the_consensus(tmp_path, capsys):
    path, extras = _rare_graphs(tmp_path)
    assert main(["show", str(path), "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    consensus = next(ln for ln in lines if ln.startswith("  consensus (P > 0.5)"))
    # N0->N1 is in 44 of 46 draws, the other chain edges in all, each extra in 9 of 46
    assert consensus == ("  consensus (P > 0.5), 5 edges: N1->N2, N2->N3, N3->N4, N4->N5, "
                         "N0->N1")
    top = [ln for ln in lines if ln.startswith(("  1. p=", "  2. p=", "  3. p="))]
    assert top[0] == f"  1. p={2 / 46:.4f}  +N0->N2, +N0->N3, -N0->N1"
    for line in top[1:]:
        head, text = line.strip().split("  ")
        head = head.split(" ", 1)[1]
        added = [tuple(e[1:].split("->")) for e in text.split(", ")]
        assert head == f"p={1 / 46:.4f}" and len(added) == 2 and set(added) <= set(extras)


def test_json_top_graphs_carry_their_differences(tmp_path, capsys):
    path, _ = _rare_graphs(tmp_path)
    assert main(["show", str(path), "--json", "--top", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["consensus_edges"]) == 5
    first = out["top_graphs"][0]
    assert first["added"] == [["N0", "N2"], ["N0", "N3"]]
    assert first["removed"] == [["N0", "N1"]]
    consensus = {tuple(e) for e in out["consensus_edges"]}
    for graph in out["top_graphs"]:  # edges = consensus + added - removed
        expected = (consensus | {tuple(e) for e in graph["added"]}) - {
            tuple(e) for e in graph["removed"]}
        assert {tuple(e) for e in graph["edges"]} == expected


def test_probable_small_graphs_are_listed_whole(tmp_path, capsys):
    g = np.zeros((4, 3, 3), dtype=np.uint8)
    g[:3, 0, 1] = 1
    g[3, 1, 0] = 1
    path = tmp_path / "p.npz"
    Posterior(["A", "B", "C"], g).save(path)
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  1. p=0.7500  A->B" in out and "  2. p=0.2500  B->A" in out
    assert "consensus" not in out
    # P(A->B) = 0.75, P(B->A) = 0.25: both >= 0.2, the direction is open
    assert "A -> B  0.750 (direction open)" in out and "B -> A  0.250 (direction open)" in out
