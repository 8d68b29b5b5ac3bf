"""Posterior over the Sachs protein-signalling network, compared with two 'true' graphs.

Sachs et al. (2005) measured 11 phosphoproteins in single cells. We learn a posterior
over DAGs from the 853 observational cells (log-transformed, BGe score) with partition
MCMC, draw the edge probabilities, and score the posterior against both ground truths
in circulation: the 17-arc bnlearn network and cdt's 18-edge consensus graph.

Run:  python examples/sachs_posterior.py [--n-draws 2000] [--out sachs-out]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import causalpost as cp
from causalpost import plot
from causalpost.datasets import load_sachs


def main(n_draws: int = 2000, out: str | Path = "sachs-out", seed: int = 0,
         quiet: bool = False) -> cp.Posterior:
    out = Path(out)
    sachs = load_sachs("observational", truth="bif", log=True)
    post = cp.fit(sachs.data, sampler="partition", n_draws=n_draws, n_chains=2,
                  seed=seed, quiet=quiet)
    print(post)

    for truth_name in ("bif", "consensus"):
        truth = load_sachs("observational", truth=truth_name, log=True)
        print(f"vs {truth.truth_name}: expected SHD {post.expected_shd(truth.truth):.1f}, "
              f"edge AUROC {post.edge_auroc(truth.truth):.3f}")

    print("\nMost probable edges:")
    probs = post.edge_probs.stack().sort_values(ascending=False)
    for (source, target), p in probs.head(10).items():
        print(f"  {source:>5} -> {target:<5} {p:.2f}")

    plot.save_figure(plot.plot_edge_probs(post), out / "sachs_edges.png")
    plot.save_figure(plot.plot_posterior_graph(post, cutoff=0.2), out / "sachs_graph.png")
    plot.save_figure(plot.plot_top_graphs(post, k=4), out / "sachs_top.png")
    print(f"\nplots written to {out}/")
    return post


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-draws", type=int, default=2000)
    parser.add_argument("--out", default="sachs-out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    main(args.n_draws, args.out, args.seed, args.quiet)
