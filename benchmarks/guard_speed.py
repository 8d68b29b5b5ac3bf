"""Harm guard speed: 1,000 distinct 20-node graphs x 100 parameter draws (target <= 5 s).

Builds a linear-Gaussian posterior directly (random Erdos-Renyi DAGs, two
expected edges per node, random weights / intercepts / noise variances: the
guard's cost does not depend on how the draws were fitted), then times
:func:`causalpost.guard` for a single action, a context observed before the
action (one counterfactual conditioning), a context observed after it, and a
grid of 11 actions; and a discrete posterior (8 binary nodes, 200 distinct
graphs x 10 draws). Writes ``benchmarks/RESULTS_guard.md``.

Run: ``python benchmarks/guard_speed.py [--graphs 1000] [--draws 100] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

import causalpost as cp
from causalpost.synthetic import random_dag

HERE = Path(__file__).resolve().parent


def distinct_dags(n_graphs: int, n_nodes: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seen: dict[bytes, np.ndarray] = {}
    while len(seen) < n_graphs:
        adj = random_dag(n_nodes, "er", edges_per_node=2.0, seed=rng).astype(np.uint8)
        seen.setdefault(adj.tobytes(), adj)
    return np.stack(list(seen.values()))


def gaussian_posterior(n_graphs: int, n_draws: int, n_nodes: int, seed: int) -> cp.Posterior:
    rng = np.random.default_rng(seed)
    graphs = distinct_dags(n_graphs, n_nodes, seed)
    adj = np.repeat(graphs, n_draws, axis=0)
    params = {"weights": adj * rng.normal(0, 0.7, size=adj.shape),
              "intercept": rng.normal(size=(len(adj), n_nodes)),
              "noise_var": rng.uniform(0.2, 1.0, size=(len(adj), n_nodes))}
    names = [f"X{j}" for j in range(n_nodes)]
    return cp.Posterior(names, adj, None, params, info={"sampler": "benchmark"})


def discrete_posterior(n_graphs: int, n_draws: int, n_nodes: int, seed: int) -> cp.Posterior:
    rng = np.random.default_rng(seed)
    graphs = distinct_dags(n_graphs, n_nodes, seed)
    adj = np.repeat(graphs, n_draws, axis=0)
    params = {}
    for j in range(n_nodes):
        max_parents = int(adj[:, :, j].sum(axis=1).max())
        params[f"cpt_{j}"] = rng.dirichlet(np.ones(2), size=(len(adj), 2**max_parents))
    names = [f"X{j}" for j in range(n_nodes)]
    return cp.Posterior(names, adj, None, params,
                        info={"sampler": "benchmark", "levels": [["0", "1"]] * n_nodes})


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "RESULTS_guard.md"))
    args = parser.parse_args()
    d = args.nodes
    last = f"X{d - 1}"
    post = gaussian_posterior(args.graphs, args.draws, d, seed=0)
    start = time.perf_counter()  # a fresh posterior: grouping draws by graph included
    cp.guard(post, {"X0": 1.0}, f"{last}>0.5")
    fresh = time.perf_counter() - start
    cases = [
        ("Gaussian, one action", dict(action={"X0": 1.0}, harm=f"{last}>0.5")),
        ("Gaussian, context before (counterfactual)",
         dict(action={"X0": 1.0}, harm=f"{last}>0.5", given={"X1": 0.3})),
        ("Gaussian, context after", dict(action={"X0": 1.0}, harm=f"{last}>0.5",
                                         given={"X1": 0.3}, observed="after")),
        ("Gaussian, grid of 11 actions", dict(action="X0=-2:2:11", harm=f"{last}>0.5")),
    ]
    rows = [("Gaussian, one action, fresh posterior (grouping included)", args.graphs,
             args.draws, d, fresh)]
    for label, kwargs in cases:
        seconds = best_of(args.repeat, lambda kw=kwargs: cp.guard(post, **kw))
        rows.append((label, args.graphs, args.draws, d, seconds))
        print(f"{label}: {seconds:.2f} s")
    small = discrete_posterior(200, 10, 8, seed=1)
    seconds = best_of(args.repeat, lambda: cp.guard(small, {"X0": "1"}, "X7=1",
                                                    {"X3": "0"}, observed="after"))
    rows.append(("discrete (binary), context after", 200, 10, 8, seconds))
    print(f"discrete: {seconds:.2f} s")
    lines = [
        "# Harm guard speed", "",
        f"`python benchmarks/guard_speed.py` on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, numpy {np.__version__}; best of {args.repeat}. "
        "Target: <= 5 s for 1,000 distinct 20-node graphs x 100 parameter draws.", "",
        "| case | distinct graphs | draws per graph | nodes | seconds |",
        "|---|---|---|---|---|",
        *(f"| {a} | {b:,} | {c} | {n} | {s:.2f} |" for a, b, c, n, s in rows),
        "",
        "The first call on a posterior also groups its draws by distinct graph "
        "(`Posterior.unique_graphs`, then cached); the other rows reuse that grouping.", "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
