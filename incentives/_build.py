"""Parsing and validating the parts of a CID (internal).

Every check raises :class:`~incentives.errors.CIDError` with a one-line
message naming the culprit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from incentives import _bits
from incentives.errors import CIDError

__all__: list[str] = []

_JSON_KEYS = frozenset({"nodes", "edges", "decisions", "utilities"})


def name(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise CIDError(
            f"node names must be strings; got {value!r} ({type(value).__name__}) in {where}"
        )
    return value


def names(values: object, where: str) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise CIDError(f"{where} must be a list of node names; got {values!r}")
    out = [name(v, where) for v in values]
    seen: set[str] = set()
    for v in out:
        if v in seen:
            raise CIDError(f"node {v!r} is listed twice in {where}")
        seen.add(v)
    return out


def edge_masks(
    edges: object, nodes: Iterable[str] | None
) -> tuple[tuple[str, ...], dict[str, int], list[int], list[int], str]:
    """Node names, their index, parent and child masks, and where names come from."""
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Iterable):
        raise CIDError(f"edges must be a list of [parent, child] pairs; got {edges!r}")
    pairs: list[tuple[str, str]] = []
    for edge in edges:
        pair = (
            () if isinstance(edge, (str, bytes)) or not isinstance(edge, Iterable) else tuple(edge)
        )
        if len(pair) != 2:
            raise CIDError(f"each edge must be a [parent, child] pair; got {edge!r}")
        pairs.append((name(pair[0], "edges"), name(pair[1], "edges")))
    if nodes is None:
        found = list(dict.fromkeys(v for pair in pairs for v in pair))
        source = "the edges (pass nodes=... to add isolated nodes)"
    else:
        found = names(nodes, "nodes")
        source = "nodes"
    index = {v: i for i, v in enumerate(found)}
    par = [0] * len(found)
    ch = [0] * len(found)
    for a, b in pairs:
        for v in (a, b):
            if v not in index:
                raise CIDError(f"unknown node {v!r} in edge {a!r} -> {b!r}: not in {source}")
        i, j = index[a], index[b]
        if par[j] >> i & 1:
            raise CIDError(f"edge {a!r} -> {b!r} is listed twice")
        par[j] |= 1 << i
        ch[i] |= 1 << j
    return tuple(found), index, par, ch, source


def adjacency_masks(adj: object, n: int) -> tuple[list[int], list[int]]:
    """Parent and child masks of an ``(n, n)`` adjacency matrix (``adj[i, j]``: ``i -> j``)."""
    a = np.asarray(adj)
    if a.ndim != 2 or a.shape != (n, n):
        raise CIDError(f"adjacency must have shape ({n}, {n}) for {n} names; got {a.shape}")
    a = a != 0
    if n <= 62:
        weights = np.left_shift(np.int64(1), np.arange(n, dtype=np.int64))
        return [int(v) for v in weights @ a], [int(v) for v in a @ weights]
    par = [sum(1 << int(i) for i in np.flatnonzero(a[:, j])) for j in range(n)]
    ch = [sum(1 << int(j) for j in np.flatnonzero(a[i])) for i in range(n)]
    return par, ch


def role_masks(
    decisions: object, utilities: object, index: Mapping[str, int], source: str
) -> tuple[int, int]:
    masks = []
    for role, values in (("decisions", decisions), ("utilities", utilities)):
        mask = 0
        for v in names(values, role):
            if v not in index:
                raise CIDError(f"unknown node {v!r} in {role}: not in {source}")
            mask |= 1 << index[v]
        masks.append(mask)
    return masks[0], masks[1]


def check(
    nodes: tuple[str, ...], par: list[int], ch: list[int], dmask: int, umask: int
) -> list[int]:
    """Validate roles and acyclicity; return a topological order."""
    n = len(nodes)
    if dmask == 0:
        raise CIDError("a CID needs at least one decision; decisions is empty")
    if umask == 0:
        raise CIDError("a CID needs at least one utility; utilities is empty")
    both = dmask & umask
    if both:
        raise CIDError(f"node {nodes[_bits.bits(both)[0]]!r} is both a decision and a utility")
    order = _bits.topological_order(par, n)
    if order is None:
        cycle = " -> ".join(nodes[i] for i in _bits.find_cycle(par, n))
        raise CIDError(f"the graph has a cycle: {cycle}")
    for u in _bits.bits(umask):
        if ch[u]:
            kids = ", ".join(repr(nodes[j]) for j in _bits.bits(ch[u]))
            raise CIDError(f"utility {nodes[u]!r} has children ({kids}); utilities must be sinks")
    return order


def read_json(source: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    """The JSON object of a CID, from a mapping or a file, with its keys checked."""
    if isinstance(source, Mapping):
        data: Any = source
    else:
        from causalpost._io import read_json_file

        data = read_json_file(os.fspath(source), "CID file", CIDError)
    if not isinstance(data, Mapping):
        raise CIDError(f"a CID must be a JSON object; got {type(data).__name__}")
    unknown = sorted(map(str, set(data) - _JSON_KEYS))
    if unknown:
        raise CIDError(f"unknown key {unknown[0]!r} in CID JSON; allowed: {sorted(_JSON_KEYS)}")
    for key in ("edges", "decisions", "utilities"):
        if key not in data:
            raise CIDError(f"CID JSON is missing the key {key!r}")
    return data
