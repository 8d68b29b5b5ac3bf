"""Speed and accuracy of the MCMC samplers on linear-Gaussian ER2 data (issue 3).

For each (d, n): data from ``causalpost.synthetic.linear_gaussian`` (ER graph,
2 edges per node in expectation, weights N(0, 1), noise sd 0.1), the BGe
score on unstandardized data, and for each sampler its wall time (score table
included), the max and mean absolute error of its edge marginals against the
exact answer where one is computable (enumeration at d = 5, the DP of
``causalpost.dp`` up to its node limit: the DAG-modular DP for structure and
partition MCMC, the order-modular DP for order MCMC), the same errors for the
Rao-Blackwellised marginals of order / partition MCMC (``diagnostics["edge_probs_rb"]``),
and its expected SHD and edge AUROC against the true graph.

Run ``python benchmarks/samplers.py`` (all sizes, ~15 min on 2 cores) or
``python benchmarks/samplers.py --sizes 5 16 --n-obs 100``; the table goes to
``benchmarks/RESULTS_samplers.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import ExactSampler
from causalpost.samplers.order_mcmc import OrderMCMC
from causalpost.samplers.partition_mcmc import PartitionMCMC
from causalpost.samplers.structure_mcmc import StructureMCMC
from causalpost.synthetic import linear_gaussian

SCORE = {"score": "bge", "score_options": {"standardize": False}}

# per size: sampler name -> options (":long": larger budgets, affordable since the
# chain loops are compiled with numba)
PLANS: dict[int, dict[str, dict]] = {
    5: {"mcmc": dict(n_draws=4000), "order": dict(n_draws=4000, thin=5),
        "partition": dict(n_draws=4000, thin=15)},
    12: {"mcmc": dict(n_draws=2000), "order": dict(n_draws=2000, thin=12),
         "partition": dict(n_draws=2000, thin=12)},
    16: {"mcmc": dict(n_draws=2000), "mcmc:long": dict(n_draws=20_000, thin=160),
         "order": dict(n_draws=2000, thin=16),
         "partition": dict(n_draws=2000, thin=20),
         "partition:long": dict(n_draws=40_000, thin=32)},
    20: {"mcmc": dict(n_draws=2000, max_parents=4),
         "mcmc:long": dict(n_draws=20_000, thin=200, max_parents=4),
         "order": dict(n_draws=2000, thin=20, max_parents=4),
         "partition": dict(n_draws=8000, thin=20, burn_in=20_000, n_chains=4, max_parents=4),
         "partition:long": dict(n_draws=40_000, thin=100, burn_in=100_000, n_chains=4,
                                max_parents=4),
         # a burn-in of 1M iterations: anneal="auto" turns annealing on
         "partition:annealed": dict(n_draws=40_000, thin=100, burn_in=1_000_000, n_chains=4,
                                    max_parents=4)},
    # d >= 50: "partition:pc" is the PC-skeleton space without annealing (the BiDAG start
    # without its expansion); "partition" uses the defaults: search_space="auto" (hybrid:
    # PC + strongest partial correlations) and, with this long burn-in, annealed burn-in
    50: {"mcmc": dict(n_draws=1000, search_space="pc"),
         "mcmc:hybrid": dict(n_draws=4000, thin=5000, n_chains=4),
         "partition:pc": dict(n_draws=4000, thin=2000, n_chains=4, search_space="pc",
                              anneal=None),
         "partition": dict(n_draws=4000, thin=2000, n_chains=4)},
    100: {"mcmc": dict(n_draws=1000, search_space="pc"),
          "mcmc:hybrid": dict(n_draws=4000, thin=5000, n_chains=4),
          "partition:pc": dict(n_draws=4000, thin=20_000, n_chains=4, search_space="pc",
                               anneal=None),
          "partition": dict(n_draws=4000, thin=20_000, n_chains=4)},
}


def reference(data, name: str, options: dict) -> np.ndarray | None:
    """Exact edge marginals for this sampler's target, or None when out of reach."""
    d = data.n_nodes
    max_parents = options.get("max_parents")
    if options.get("search_space", "auto") not in ("auto", "full"):
        return None
    if d > 20:
        return None  # beyond enumeration and both DPs
    if d <= 5 and name != "order":
        return ExactSampler(parameters=False, max_parents=max_parents,
                            **SCORE).fit(data).posterior_.edge_prob_matrix
    try:
        from causalpost import dp
    except ImportError:
        return None
    table = prepare_problem(data, "bge", SCORE["score_options"], None, None, max_parents).table()
    if name == "order" and d <= dp.MAX_ORDER_DP_NODES:
        return dp.order_modular_edge_probs(table)
    if name != "order" and d <= dp.MAX_DAG_DP_NODES:
        return dp.dag_modular_edge_probs(table)
    return None


def run_one(bench, name: str, options: dict, seed: int) -> dict:
    kind = name.split(":")[0]  # "partition:long" is partition MCMC with a larger budget
    cls = {"mcmc": StructureMCMC, "order": OrderMCMC, "partition": PartitionMCMC}[kind]
    opts = dict(n_chains=2, seed=seed, quiet=True, parameters=False, disagreement_tol=1.0,
                **SCORE)
    opts.update(options)
    start = time.perf_counter()
    post = cls(**opts).fit(bench.data).posterior_
    wall = time.perf_counter() - start
    probs = post.edge_prob_matrix
    ref = reference(bench.data, kind, options)
    diag = post.diagnostics
    return {
        "sampler": name, "wall_s": wall, "n_chains": diag["n_chains"],
        "n_iter": diag["n_iter"], "ess": diag["ess"],
        "chain_gap": diag.get("max_chain_disagreement", float("nan")),
        "max_err": float(np.abs(probs - ref).max()) if ref is not None else float("nan"),
        "mean_err": float(np.abs(probs - ref).mean()) if ref is not None else float("nan"),
        "rb_max_err": _err(diag.get("edge_probs_rb"), ref, np.max),
        "rb_mean_err": _err(diag.get("edge_probs_rb"), ref, np.mean),
        "eshd": post.expected_shd(bench.truth), "auroc": post.edge_auroc(bench.truth),
        "score_gap": score_gap(bench, post.adjacency),
        "options": {k: v for k, v in options.items() if k != "n_draws"},
        "n_draws": post.n_draws,
    }


def score_gap(bench, adjacency: np.ndarray, n_graphs: int = 200) -> float:
    """Mean log score of (up to ``n_graphs`` evenly spaced) draws minus the true graph's,
    both in the full space: far below 0 means the chains never reached the region of
    the data-generating graph (a search failure, whatever their agreement)."""
    bound = prepare_problem(bench.data, "bge", SCORE["score_options"], None, None,
                            None).bound
    d = bench.truth.shape[0]

    def graph_score(adj) -> float:
        return sum(bound.local_score(j, tuple(int(i) for i in np.flatnonzero(adj[:, j])))
                   for j in range(d))

    picks = np.linspace(0, len(adjacency) - 1, min(n_graphs, len(adjacency))).astype(int)
    return float(np.mean([graph_score(adjacency[k]) for k in picks])
                 - graph_score(bench.truth))


def _err(estimate, ref, reduce) -> float:
    if estimate is None or ref is None:
        return float("nan")
    return float(reduce(np.abs(estimate - ref)))


def to_markdown(rows: list[dict]) -> str:
    head = ("| d | n | sampler | options | draws | chains x iters | wall (s) | ESS | "
            "chain gap | max err | mean err | RB max err | RB mean err | E-SHD | AUROC | "
            "score - true |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        opts = ", ".join(f"{k}={v}" for k, v in r["options"].items()) or "-"
        lines.append(
            f"| {r['d']} | {r['n']} | {r['sampler']} | {opts} | {r['n_draws']} | "
            f"{r['n_chains']} x {r['n_iter']} | {r['wall_s']:.1f} | {r['ess']:.0f} | "
            f"{r['chain_gap']:.3f} | {r['max_err']:.3f} | {r['mean_err']:.4f} | "
            f"{r['rb_max_err']:.3f} | {r['rb_mean_err']:.4f} | "
            f"{r['eshd']:.1f} | {r['auroc']:.3f} | {r['score_gap']:.0f} |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sorted(PLANS))
    parser.add_argument("--n-obs", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--samplers", nargs="+", default=["mcmc", "order", "partition"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).with_name("RESULTS_samplers.md"))
    args = parser.parse_args()
    rows = []
    for d in args.sizes:
        for n in args.n_obs:
            bench = linear_gaussian(d, n, seed=args.seed)
            for name, options in PLANS[d].items():
                if name not in args.samplers and name.split(":")[0] not in args.samplers:
                    continue
                row = run_one(bench, name, options, args.seed)
                row.update(d=d, n=n)
                rows.append(row)
                print(to_markdown([row]).splitlines()[-1], flush=True)
    table = to_markdown(rows)
    args.out.write_text("# MCMC samplers: linear-Gaussian ER2 benchmark\n\n"
                        "Produced by `python benchmarks/samplers.py`; errors are against the "
                        "exact posterior (enumeration, or the DP of `causalpost.dp`).\n\n"
                        + table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
