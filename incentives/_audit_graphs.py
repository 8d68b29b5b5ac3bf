"""The audit's evaluation of distinct world graphs under a design (see :mod:`incentives.audit`).

Each distinct graph gets a status -- valid, unevaluable (a cyclic world graph, a
utility column with children), without sufficient recall, or excluded (a cycle
through a decision) -- and the incentive rows it admits or leaves undetermined.
Blocks of graphs run on ``n_jobs`` workers or a Dask cluster with identical results.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from causalpost.graphs import is_acyclic
from causalpost.parallel import check_n_jobs, run_tasks
from causalpost.posterior import Posterior
from incentives.cid import CID
from incentives.design import Design
from incentives.errors import CIDError
from incentives.sets import KINDS, all_incentives

__all__ = ["EXCLUDED", "NO_RECALL", "UNEVALUABLE", "VALID", "distinct_graphs",
           "evaluate_graphs", "row_frame"]

_CHUNK = 2048
# a progress bar for audits of at least this many distinct graphs (about a second of work)
PROGRESS_MIN_GRAPHS = 20_000
_BIG = 50_000


def row_frame(design: Design, nodes: Sequence[str]) -> pd.DataFrame:
    decisions = design.decision_names
    guarded = set(design.protected)
    return pd.DataFrame(
        {
            "decision": np.repeat(decisions, len(KINDS) * len(nodes)),
            "kind": np.tile(np.repeat(KINDS, len(nodes)), len(decisions)),
            "node": np.tile(nodes, len(decisions) * len(KINDS)),
        }
    ).assign(protected=lambda t: t["node"].isin(guarded) & t["kind"].isin(design.kinds))


def distinct_graphs(
    posterior: Posterior, tail: float | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """The graphs to evaluate, the probabilities of all distinct graphs (descending), the tail.

    An enumeration (exact, more than ``_BIG`` draws) holds each DAG once, so it
    is sorted by weight instead of deduplicated (minutes saved on 6 nodes).
    """
    order = None
    if posterior.exact and posterior.n_draws > _BIG:
        order = np.argsort(-posterior.log_weights, kind="stable")
        graphs, probs = posterior.adjacency, posterior.weights[order]
    else:
        graphs, probs, _ = posterior.unique_graphs()
    if tail is None:
        tail = 1e-9 if posterior.exact and len(probs) > _BIG else 0.0
    n_eval = _n_evaluated(probs, posterior.exact, tail)
    return (graphs[order[:n_eval]] if order is not None else graphs[:n_eval]), probs, tail


def _n_evaluated(probs: np.ndarray, exact: bool, tail: float) -> int:
    if not exact or tail <= 0:
        return len(probs)
    return min(len(probs), int(np.searchsorted(np.cumsum(probs), 1.0 - tail)) + 1)


# status of a distinct graph under a design (see the module docstring)
VALID, UNEVALUABLE, NO_RECALL, EXCLUDED = 0, 1, 2, 3


def evaluate_graphs(
    graphs: np.ndarray,
    design: Design,
    names: Sequence[str],
    quiet: bool = True,
    n_jobs: int | None = 1,
    scheduler: object = None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_evaluate_block` over blocks of graphs on ``n_jobs`` workers or a Dask cluster
    (results in order: identical whatever the number of workers)."""
    if check_n_jobs(n_jobs) == 1 and scheduler is None:
        return _evaluate_block(graphs, design, names, quiet)
    size = 8 * _CHUNK
    blocks = [graphs[i : i + size] for i in range(0, len(graphs), size)] or [graphs]
    parts = run_tasks(_evaluate_task, blocks, shared=(design, tuple(names)), n_jobs=n_jobs,
                      scheduler=scheduler, desc="audit", quiet=quiet)
    return (parts[0][0], *(np.concatenate([p[k] for p in parts]) for k in (1, 2, 3)))


def _evaluate_task(block: np.ndarray, shared: tuple) -> tuple:
    design, names = shared
    return _evaluate_block(block, design, names, True)


def _evaluate_block(
    graphs: np.ndarray,
    design: Design,
    names: Sequence[str],
    quiet: bool = True,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Admitted and undetermined rows of every graph, and each graph's status.

    Returns ``nodes``, ``admits`` and ``undetermined`` (bool, (n_graphs, n_rows))
    and ``status`` (:data:`VALID`, :data:`UNEVALUABLE`, :data:`NO_RECALL` or
    :data:`EXCLUDED`). Unevaluable graphs are undetermined in every row;
    excluded graphs admit nothing and are undetermined nowhere (the caller
    renormalises without them).
    """
    nodes, added, cut = design.layout(names)
    n_data, n_nodes = len(names), len(nodes)
    decisions, utilities = design.decision_names, design.utility_names
    index = {v: i for i, v in enumerate(nodes)}
    data_utilities = [index[u] for u in utilities if index[u] < n_data]
    offset = {
        (d, k): (a * len(KINDS) + b) * n_nodes
        for a, d in enumerate(decisions)
        for b, k in enumerate(KINDS)
    }
    n_rows = len(offset) * n_nodes
    admits = np.zeros((len(graphs), n_rows), dtype=bool)
    undetermined = np.zeros_like(admits)
    status = np.full(len(graphs), VALID, dtype=np.int8)
    bar = tqdm(total=len(graphs), desc="audit", unit="graph",
               disable=quiet or len(graphs) < PROGRESS_MIN_GRAPHS)
    for start in range(0, len(graphs), _CHUNK):
        bar.update(min(_CHUNK, len(graphs) - start))
        world = graphs[start : start + _CHUNK] != 0
        full = np.zeros((len(world), n_nodes, n_nodes), dtype=bool)
        full[:, :n_data, :n_data] = world
        full[:, :, cut] = False
        full |= added
        broken = ~np.asarray(is_acyclic(world), dtype=bool)
        if data_utilities:
            broken |= full[:, data_utilities, :].any(axis=(1, 2))
        for s, adj in enumerate(full, start=start):
            if broken[s - start]:
                status[s] = UNEVALUABLE
                undetermined[s] = True
                continue
            try:
                cid = CID.from_adjacency(adj, nodes, decisions, utilities)
            except CIDError:  # acyclic world, sink utilities: a cycle through a decision
                status[s] = EXCLUDED
                continue
            for d, sets in all_incentives(cid, KINDS, on_insufficient_recall="none").items():
                for kind, found in sets.items():
                    base = offset[d, kind]
                    if found is None:
                        status[s] = NO_RECALL
                        undetermined[s, base : base + n_nodes] = True
                    else:
                        admits[s, [base + index[v] for v in found]] = True
    bar.close()
    return nodes, admits, undetermined, status
