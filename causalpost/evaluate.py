"""A posterior against a known true graph: the numbers a user compares tools by.

:func:`evaluate` reports the expected SHD, the SHD of the graph of edges with
P > 0.5, the expected SHD between CPDAGs (the Markov equivalence classes: what
observational data can decide at all), edge AUROC and AUPRC, and the expected
number of edges against the truth's -- with the empty graph and, given the
data, causal-learn's PC as baselines on the same footing. :func:`read_truth`
reads a true graph from an edge list or an adjacency-matrix CSV.

CPDAGs come from pgmpy (``DAG.to_pdag``); the SHD between two CPDAGs counts the
unordered pairs whose state (no edge, ->, <-, undirected) differs.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import CausalpostError, DataError, known_names
from causalpost.graphs import is_acyclic, shd
from causalpost.metrics import edge_auroc
from causalpost.posterior import Posterior

__all__ = ["cpdag", "cpdag_shd", "evaluate", "read_truth"]

MAX_CPDAG_GRAPHS = 2000  # distinct graphs whose CPDAG is computed (most probable first)


def read_truth(path: str | Path, nodes: Sequence[str]) -> np.ndarray:
    """A true graph over ``nodes`` from a CSV: an edge list or an adjacency matrix.

    Parameters
    ----------
    path : str or Path
        Either rows ``from,to`` (a header row of two columns is skipped), or a
        square 0/1 matrix with a header row of node names (and optionally the
        same names as the first column); ``M[i, j] = 1`` means ``i -> j``.
    nodes : sequence of str
        The posterior's nodes; the truth is returned in their order.

    Returns
    -------
    numpy.ndarray of uint8, shape (d, d)

    Raises
    ------
    DataError
        For an unreadable file, an unknown node, a self-loop, or entries other than 0 / 1.
    """
    from causalpost._io import check_input_file

    path = check_input_file(path, "truth", DataError)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [[c.strip() for c in row] for row in csv.reader(fh)
                    if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read truth {str(path)!r}: {exc}") from None
    if not rows:
        raise DataError(f"truth {str(path)!r} is empty")
    index = {v: i for i, v in enumerate(nodes)}
    d = len(nodes)
    truth = np.zeros((d, d), dtype=np.uint8)
    if max(len(row) for row in rows) > 2:  # a matrix: a header of names, then 0/1 rows
        return _read_matrix(rows, nodes, index, str(path))
    header = rows[0]
    body = rows if len(header) == 2 and header[0] in index and header[1] in index else rows[1:]
    for number, row in enumerate(body, start=1):
        if len(row) != 2:
            raise DataError(f"truth {str(path)!r}, row {number}: expected 'from,to'; got {row}")
        for name in row:
            if name not in index:
                raise DataError(f"truth {str(path)!r}: unknown node {name!r}; the posterior has "
                                f"{known_names(name, nodes)}")
        if row[0] == row[1]:
            raise DataError(f"truth {str(path)!r}: self-loop {row[0]} -> {row[1]}")
        truth[index[row[0]], index[row[1]]] = 1
    return truth


def _read_matrix(rows, nodes, index, where: str) -> np.ndarray:
    header = rows[0][1:] if rows[0][0] == "" or rows[0][0] not in index else rows[0]
    for name in header:
        if name not in index:
            raise DataError(f"truth {where!r}: unknown node {name!r} in the header; the posterior "
                            f"has {known_names(name, nodes)}")
    d = len(nodes)
    truth = np.zeros((d, d), dtype=np.uint8)
    body = rows[1:]
    if len(body) != len(header):
        raise DataError(f"truth {where!r}: {len(header)} columns but {len(body)} rows")
    for r, row in enumerate(body):
        name = row[0] if len(row) == len(header) + 1 else header[r]
        values = row[1:] if len(row) == len(header) + 1 else row
        if name not in index or len(values) != len(header):
            raise DataError(f"truth {where!r}: row {r + 1} does not fit the header")
        for c, value in enumerate(values):
            if value not in ("0", "1"):
                raise DataError(f"truth {where!r}: entry {value!r} at row {r + 1}; use 0 or 1")
            truth[index[name], index[header[c]]] = int(value)
    if np.diag(truth).any():
        raise DataError(f"truth {where!r} has a self-loop")
    return truth


def cpdag(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CPDAG of a DAG as ``(directed, undirected)`` 0/1 matrices (pgmpy's ``to_pdag``).

    Examples
    --------
    >>> directed, undirected = cpdag(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]]))
    >>> int(directed.sum()), int(undirected.sum())  # a chain: nothing compelled
    (0, 4)
    """
    from pgmpy.base import DAG

    adjacency = np.asarray(adjacency) != 0
    d = adjacency.shape[0]
    dag = DAG([(i, j) for i, j in np.argwhere(adjacency)])
    dag.add_nodes_from(range(d))
    pdag = dag.to_pdag()
    directed = np.zeros((d, d), dtype=np.uint8)
    undirected = np.zeros((d, d), dtype=np.uint8)
    for i, j in pdag.directed_edges:
        directed[i, j] = 1
    for i, j in pdag.undirected_edges:
        undirected[i, j] = undirected[j, i] = 1
    return directed, undirected


def cpdag_shd(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> int:
    """Unordered pairs whose state (none, ->, <-, undirected) differs between two CPDAGs."""
    def states(pdag):
        directed, undirected = (np.asarray(m) != 0 for m in pdag)
        return directed.astype(np.int8) + 2 * directed.T + 4 * (undirected | undirected.T)

    sa, sb = states(a), states(b)
    upper = np.triu(np.ones(sa.shape, dtype=bool), 1)
    return int((sa != sb)[upper].sum())


def _auprc(edge_probs: np.ndarray, truth: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    off = ~np.eye(truth.shape[0], dtype=bool)
    return float(average_precision_score(truth[off].astype(bool), edge_probs[off]))


def evaluate(
    posterior: Posterior,
    truth: np.ndarray,
    data: Dataset | None = None,
) -> dict[str, Any]:
    """Compare ``posterior`` with a known true graph.

    Parameters
    ----------
    posterior : Posterior
    truth : numpy.ndarray, shape (d, d)
        0/1, ``truth[i, j] = 1`` meaning ``i -> j``; a DAG for the CPDAG metrics
        (a cyclic truth gets ``cpdag_shd = None``).
    data : Dataset, optional
        The data the posterior was fitted on: adds the PC baseline (causal-learn,
        alpha 0.05).

    Returns
    -------
    dict
        ``expected_shd``, ``shd_threshold`` (the graph of edges with P > 0.5),
        ``cpdag_shd`` (expected over the most probable distinct graphs),
        ``auroc``, ``auprc``, ``expected_n_edges``, ``true_n_edges`` and
        ``baselines``: ``{"empty": {"shd", "cpdag_shd"}, "pc": {"cpdag_shd",
        "n_edges"}}`` (``pc`` only with ``data``).

    Raises
    ------
    CausalpostError
        If the truth's shape does not match the posterior.

    Examples
    --------
    >>> post = Posterior(["A", "B"], np.array([[[0, 1], [0, 0]], [[0, 0], [1, 0]]]))
    >>> result = evaluate(post, np.array([[0, 1], [0, 0]]))
    >>> result["expected_shd"], result["cpdag_shd"], result["auroc"]  # one class, 2 members
    (0.5, 0.0, 0.5)
    """
    truth = np.asarray(truth)
    d = posterior.n_nodes
    if truth.shape != (d, d):
        raise CausalpostError(f"the truth must be {d} x {d} over the posterior's nodes; got "
                              f"{truth.shape}")
    truth = (truth != 0).astype(np.uint8)
    probs = posterior.edge_prob_matrix
    graphs, weights, _ = posterior.unique_graphs()
    result: dict[str, Any] = {
        "expected_shd": float(np.dot(weights, shd(graphs, truth))),
        "shd_threshold": int(shd((probs > 0.5).astype(np.uint8), truth)),
        "cpdag_shd": None,
        "auroc": edge_auroc(probs, truth),
        "auprc": _auprc(probs, truth),
        "expected_n_edges": float(np.dot(weights, graphs.reshape(len(graphs), -1).sum(axis=1))),
        "true_n_edges": int(truth.sum()),
    }
    empty = (np.zeros((d, d), dtype=np.uint8),) * 2
    baselines: dict[str, Any] = {"empty": {"shd": int(truth.sum()), "cpdag_shd": None}}
    if bool(is_acyclic(truth)):
        true_cpdag = cpdag(truth)
        n = min(len(weights), MAX_CPDAG_GRAPHS)
        values = np.array([cpdag_shd(cpdag(g), true_cpdag) for g in graphs[:n]], dtype=float)
        result["cpdag_shd"] = float(np.dot(weights[:n], values) / weights[:n].sum())
        baselines["empty"]["cpdag_shd"] = cpdag_shd(empty, true_cpdag)
    if data is not None:
        from causalpost._causallearn import run_pc

        if tuple(data.names) != tuple(posterior.nodes):
            raise CausalpostError("data columns differ from the posterior's nodes")
        directed, undirected = run_pc(np.asarray(data.values), data.kind)
        pc = {"n_edges": int(directed.sum() + undirected.sum() // 2), "cpdag_shd": None}
        if result["cpdag_shd"] is not None:
            pc["cpdag_shd"] = cpdag_shd((directed, undirected), cpdag(truth))
        baselines["pc"] = pc
    result["baselines"] = baselines
    return result
