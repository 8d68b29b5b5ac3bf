"""Time of ``plan_experiments`` on a 20-node posterior (issue 12's target: < 1 minute).

A linear-Gaussian ER2 graph on 20 nodes, n = 200 rows (a diffuse posterior),
structure MCMC, 1,000 draws (nearly all distinct); a design
whose decision affects X0 and whose utility reads X19, protecting X5 and X10
(ICI). 20 candidates (every node), 64 simulated experiments of 100 rows each.

Run ``python benchmarks/plan_speed.py``; writes ``benchmarks/RESULTS_plan.md``.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import causalpost as cp
from causalpost.synthetic import linear_gaussian
from incentives import Design, plan_experiments


def main() -> None:
    bench = linear_gaussian(20, n_obs=200, edges_per_node=2, seed=0)
    start = time.perf_counter()
    post = cp.fit(bench.data, sampler="mcmc", n_draws=1000, n_chains=2, seed=0, quiet=True,
                  max_parents=4)
    fit_seconds = time.perf_counter() - start
    n_graphs = len(post.unique_graphs()[1])
    names = bench.data.names
    design = Design.from_json({
        "decisions": {"D": {"observes": [], "affects": [names[0]]}},
        "utilities": {"U": {"parents": [names[19]]}},
        "protected": [names[5], names[10]], "kinds": ["ici"]})
    start = time.perf_counter()
    plan = plan_experiments(post, design, bench.data, n_rows=100, n_sims=64, seed=0, quiet=True)
    seconds = time.perf_counter() - start
    lines = [
        "# `plan_experiments` speed",
        "",
        f"`python benchmarks/plan_speed.py`, {datetime.date.today()}, 2-core machine.",
        "",
        "| nodes | distinct graphs | candidates | simulations each | rows each | plan (s) | "
        "fit (s) | best candidate | its EIG (nats) | entropy now |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        f"| 20 | {n_graphs} | 20 | 64 | 100 | {seconds:.1f} | {fit_seconds:.1f} | "
        f"{plan.table['node'].iloc[0]} | {plan.table['eig'].iloc[0]:.3f} | "
        f"{plan.entropy_now:.3f} |",
    ]
    out = Path(__file__).with_name("RESULTS_plan.md")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
