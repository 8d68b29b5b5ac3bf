"""Runtime of the exact edge-marginal dynamic programmes (causalpost.dp).

Linear-Gaussian Erdos-Renyi data (about two parents per node, weights
N(0, 1), noise sd 0.1, n = 100), BGe scores, ``max_parents=3``. For each
number of nodes: the time to build the score table and the CPU time of
:func:`~causalpost.dp.order_modular_edge_probs` (Koivisto & Sood) and
:func:`~causalpost.dp.dag_modular_edge_probs` (Tian & He, up to 18 nodes).
CPU time (``time.process_time``) is reported beside wall time because a
shared machine inflates wall time; set ``OMP_NUM_THREADS=1`` for one core.

Run: ``python benchmarks/dp_runtime.py [--nodes 12 16 20] [--dag-max 16]``;
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import causalpost as cp
from causalpost.dp import MAX_DAG_DP_NODES, dag_modular_edge_probs, order_modular_edge_probs
from causalpost.samplers._common import prepare_problem


def er_data(n_nodes: int, n_obs: int, rng: np.random.Generator) -> cp.Dataset:
    """Linear-Gaussian data on a random ER DAG with ~2 parents per node."""
    prob = min(1.0, 4.0 / max(n_nodes - 1, 1))
    weights = np.triu(rng.normal(size=(n_nodes, n_nodes)) * (rng.random((n_nodes,) * 2) < prob), 1)
    values = np.zeros((n_obs, n_nodes))
    for j in range(n_nodes):
        values[:, j] = values @ weights[:, j] + 0.1 * rng.normal(size=n_obs)
    return cp.from_numpy(values)


def timed(fn, *args) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn(*args)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[12, 16, 20])
    parser.add_argument("--dag-max", type=int, default=16,
                        help=f"largest d for the DAG-prior DP (limit {MAX_DAG_DP_NODES})")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| d | table (s) | order DP cpu / wall (s) | DAG DP cpu / wall (s) |")
    print("|---|---|---|---|")
    for n_nodes in args.nodes:
        data = er_data(n_nodes, 100, np.random.default_rng(args.seed))
        start = time.perf_counter()
        table = prepare_problem(data, "bge", None, None, None, 3).table()
        build = time.perf_counter() - start
        order = "{:.2f} / {:.2f}".format(*timed(order_modular_edge_probs, table))
        dag = ("{:.2f} / {:.2f}".format(*timed(dag_modular_edge_probs, table))
               if n_nodes <= min(args.dag_max, MAX_DAG_DP_NODES) else "-")
        print(f"| {n_nodes} | {build:.2f} | {order} | {dag} |", flush=True)


if __name__ == "__main__":
    main()
