"""Every sampler against the exact posterior on a 5-node problem.

With 5 nodes all 29,281 DAGs can be enumerated, so the exact posterior edge
probabilities are known. Each approximate sampler (structure, order and partition
MCMC, the GFlowNet, and the bootstrap PC / GES baselines) is fitted to the same
data and its edge marginals are compared with the exact ones, in numbers and in
one scatter plot per sampler.

Run:  python examples/samplers_vs_exact.py [--n-draws 2000] [--out samplers-out]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import causalpost as cp
from causalpost import plot
from causalpost.metrics import edge_marginal_errors
from causalpost.synthetic import linear_gaussian

SAMPLERS = {
    "mcmc": {},
    "partition": {},
    "order": {},
    "gfn": {"n_steps": 3000},
    "bootstrap-pc": {},
    "bootstrap-ges": {},
}


def main(n_draws: int = 2000, out: str | Path = "samplers-out", seed: int = 0,
         quiet: bool = False, samplers: dict[str, dict] | None = None) -> dict[str, dict]:
    out = Path(out)
    data, truth = linear_gaussian(5, 200, graph="er", edges_per_node=1.0, seed=seed)
    exact = cp.fit(data, sampler="exact", seed=seed)
    print(f"exact posterior: {exact.n_draws} DAGs")
    results = {}
    for name, options in (samplers or SAMPLERS).items():
        draws = n_draws if not name.startswith("bootstrap") else max(n_draws // 20, 10)
        start = time.perf_counter()
        post = cp.fit(data, sampler=name, n_draws=draws, seed=seed, quiet=quiet, **options)
        seconds = time.perf_counter() - start
        errors = edge_marginal_errors(post.edge_prob_matrix, exact.edge_prob_matrix)
        results[name] = {"seconds": seconds, **errors,
                         "expected_shd": post.expected_shd(truth)}
        print(f"{name:>14}: {seconds:6.1f} s  max |error| {errors['max_abs']:.3f}  "
              f"mean |error| {errors['mean_abs']:.3f}  E-SHD {results[name]['expected_shd']:.2f}")
        fig = plot.plot_marginals_vs_exact(post, exact, labels=(name, "exact"))
        plot.save_figure(fig, out / f"{name}_vs_exact.png")
    print(f"\nscatter plots written to {out}/")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-draws", type=int, default=2000)
    parser.add_argument("--out", default="samplers-out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    main(args.n_draws, args.out, args.seed, args.quiet)
