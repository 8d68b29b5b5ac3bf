"""DAG-GFlowNet training variants: exact JSD at d = 5, structure MCMC at d = 20.

Issue 18 asks why the GFlowNet plateaus at d = 20 (ER2, n = 100, noise sd 0.1,
unstandardized BGe, ``max_parents=5``) and which fix helps. Each variant is a
set of :class:`~causalpost.samplers.gflownet.GFlowNetSampler` options, run

* at ``d = 5`` (the DAG-GFlowNet protocol of ``benchmarks/gflownet.py``): the
  policy's *exact* distribution (:func:`policy_log_probs`) against exact
  enumeration: JSD and the largest edge-marginal error;
* at ``d = 20``: edge AUROC against the true graph, held-out log-likelihood on
  1,000 fresh rows of the same SEM, mean absolute edge-marginal difference to a
  structure-MCMC reference run once per data set, and the mean log score of
  the draws against the reference's (a posterior this sharp puts almost no mass
  on graphs tens of nats below its draws).

Part ``default`` times what a new user runs, ``causalpost fit DATA.csv --sampler
gfn`` with no other option, on 5-node tables (the d = 5 protocol's data), and
compares its edge marginals with exact enumeration under the same default
score.

Every fit is bounded by ``max_seconds``; the tables are written as markdown.
Run (about 4 x (d5 + d20) seconds per variant, plus the references)::

    timeout 3000 python benchmarks/gflownet_variants.py --d5-seconds 45 \\
        --d20-seconds 120 --out benchmarks/RESULTS_gflownet_variants.md
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from causalpost.data import from_numpy
from causalpost.graphs import masks_to_adjacency
from causalpost.metrics import edge_auroc, held_out_log_likelihood, jensen_shannon
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.gflownet import GFlowNetSampler, policy_log_probs
from causalpost.synthetic import _linear_sem, linear_gaussian

SCORE = {"score": "bge", "score_options": {"standardize": False}}
VARIANTS = {
    "budget schedule (before issue 18)": {"schedule": "budget"},
    "plateau schedule (new default)": {},
    "plateau + tempering (0.1 -> 1 over 2k steps)": {"temper_steps": 2000},
    "plateau + reward-guided exploration 0.5": {"guide": 0.5},
    "plateau + guided 0.5 + tempering": {"guide": 0.5, "temper_steps": 2000},
    "plateau + guided 0.9": {"guide": 0.9},
}


def run_d5(name: str, options: dict, seed: int, seconds: float) -> dict:
    """One variant on the d = 5 protocol: exact JSD and edge error of the policy."""
    bench = linear_gaussian(5, 100, n_edges=5, noise_sd=0.1, seed=seed)
    table = prepare_problem(bench.data, "bge", SCORE["score_options"], None, None,
                            None).table()
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    gfn = GFlowNetSampler(**SCORE, max_seconds=seconds, n_draws=100, seed=seed, quiet=True,
                          parameters=False, **options).fit(bench.data)
    log_q = policy_log_probs(gfn.policy_, gfn.env_, masks)
    err = np.abs(np.einsum("n,nij->ij", np.exp(log_q) - np.exp(log_w), adj)).max()
    return {"part": "d5", "variant": name, "seed": seed, **_training(gfn),
            "jsd": jensen_shannon(log_q, log_w), "edge_max_err": float(err)}


def reference_d20(seed: int, seconds: float, cache: str | None = None) -> dict:
    """Structure MCMC on the d = 20 data set (one chain), with its metrics.

    With ``cache``, a reference saved there earlier (``.npz``, same seed) is reused.
    """
    from causalpost.samplers.structure_mcmc import StructureMCMC

    path = Path(f"{cache}.seed{seed}.npz") if cache else None
    if path is not None and path.exists():
        saved = np.load(path, allow_pickle=False)
        out = json.loads(str(saved["meta"]))
        return {**out, "_edges": saved["edges"], "_log_score": float(saved["log_score"])}
    bench, test, table = _d20(seed)
    tic = time.perf_counter()
    mcmc = StructureMCMC(**SCORE, max_parents=5, n_draws=1000, n_chains=1, thin=1000,
                         seed=seed, quiet=True).fit(bench.data)
    post = mcmc.posterior_
    out = {"part": "d20", "variant": "structure MCMC (reference)", "seed": seed,
           "seconds": round(time.perf_counter() - tic, 1),
           **_d20_metrics(post, bench, test, table, None)}
    if path is not None:
        np.savez(path, meta=json.dumps(out), edges=post.edge_prob_matrix,
                 log_score=out["log_score"])
    return {**out, "_edges": post.edge_prob_matrix, "_log_score": out["log_score"]}


def run_d20(name: str, options: dict, seed: int, seconds: float, ref: dict) -> dict:
    """One variant at d = 20 against the truth and the MCMC reference."""
    bench, test, table = _d20(seed)
    gfn = GFlowNetSampler(**SCORE, max_parents=5, max_seconds=seconds, n_draws=1000,
                          seed=seed, quiet=True, **options).fit(bench.data)
    return {"part": "d20", "variant": name, "seed": seed, **_training(gfn),
            **_d20_metrics(gfn.posterior_, bench, test, table, ref)}


def run_default_cli(seed: int) -> dict:
    """``causalpost fit DATA.csv --sampler gfn`` with default options, timed end to end."""
    import subprocess
    import sys
    import tempfile

    import causalpost as cp

    bench = linear_gaussian(5, 100, n_edges=5, noise_sd=0.1, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "data.csv", Path(tmp) / "post.npz"
        bench.data.to_pandas().to_csv(csv, index=False)
        tic = time.perf_counter()
        subprocess.run([sys.executable, "-m", "causalpost_cli", "fit", str(csv), "--out",
                        str(out), "--sampler", "gfn", "--quiet"], check=True, timeout=600)
        wall = time.perf_counter() - tic
        post = cp.Posterior.load(out)
        exact = cp.fit(cp.load_csv(csv), sampler="exact", seed=seed)
    diag = post.diagnostics
    return {"part": "default", "seed": seed, "wall_seconds": round(wall, 1),
            "n_steps": diag["n_steps"], "stop": diag["stop_reason"],
            "final_loss": diag["final_loss"], "converged": diag["converged"],
            "edge_max_err": float(np.abs(post.edge_prob_matrix - exact.edge_prob_matrix).max())}


def _d20(seed: int):
    bench = linear_gaussian(20, 100, edges_per_node=2.0, noise_sd=0.1, seed=seed)
    rng = np.random.default_rng(10_000 + seed)  # fresh rows of the same SEM
    rows = _linear_sem(bench.truth, bench.weights, np.full(20, 0.1), 1000, rng)
    test = from_numpy(rows, list(bench.data.names))
    table = prepare_problem(bench.data, "bge", SCORE["score_options"], None, None, 5).table()
    return bench, test, table


def _d20_metrics(post, bench, test, table, ref: dict | None) -> dict:
    out = {"auroc": edge_auroc(post.edge_prob_matrix, bench.truth),
           "holl": held_out_log_likelihood(post, test),
           "mean_edges": float(post.adjacency.sum((1, 2)).mean()),
           "log_score": float(table.graph_scores(post.adjacency.astype(bool)).mean())}
    if ref is not None:
        out["edge_mae_vs_mcmc"] = float(np.abs(post.edge_prob_matrix - ref["_edges"]).mean())
        out["log_score_gap"] = out["log_score"] - ref["_log_score"]
    return out


def _training(gfn: GFlowNetSampler) -> dict:
    diag = gfn.posterior_.diagnostics
    return {"n_steps": diag["n_steps"], "seconds": round(diag["train_seconds"], 1),
            "stop": diag["stop_reason"], "final_loss": diag["final_loss"],
            "converged": diag["converged"]}


def markdown(rows: list[dict], header: str) -> str:
    """The two result tables (one row per variant and data seed)."""
    lines = [header, ""]
    default = [r for r in rows if r["part"] == "default"]
    if default:
        lines += ["### `causalpost fit DATA.csv --sampler gfn`, default options, d = 5", "",
                  "| data seed | wall (s), end to end | steps | stop | final loss | converged | "
                  "max edge err vs exact |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['seed']} | {r['wall_seconds']} | {r['n_steps']} | {r['stop']} | "
                  f"{_f(r['final_loss'], 4)} | {r['converged']} | {_f(r['edge_max_err'], 3)} |"
                  for r in default]
        lines.append("")
    lines += ["### d = 5: exact JSD", "",
             "| variant | seed | steps | train s | stop | final loss | JSD (nats) | "
             "max edge err |", "|---|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["part"] == "d5"):
        lines.append(f"| {r['variant']} | {r['seed']} | {r['n_steps']} | {r['seconds']} | "
                     f"{r['stop']} | {_f(r['final_loss'], 4)} | {_f(r['jsd'], 4)} | "
                     f"{_f(r['edge_max_err'], 3)} |")
    lines += ["", "### d = 20 (ER2, n = 100): against the truth and structure MCMC", "",
              "| variant | seed | steps | train s | stop | final loss | AUROC | held-out LL | "
              "edge MAE vs MCMC | mean log score - MCMC's | edges/draw |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["part"] == "d20"):
        lines.append(f"| {r['variant']} | {r['seed']} | {r.get('n_steps', '')} | "
                     f"{r['seconds']} | {r.get('stop', '')} | {_f(r.get('final_loss'), 3)} | "
                     f"{_f(r['auroc'], 3)} | {_f(r['holl'], 2)} | "
                     f"{_f(r.get('edge_mae_vs_mcmc'), 3)} | {_f(r.get('log_score_gap'), 1)} | "
                     f"{r['mean_edges']:.1f} |")
    return "\n".join(lines) + "\n"


def _f(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d5-seconds", type=float, default=45.0)
    parser.add_argument("--d20-seconds", type=float, default=120.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--parts", nargs="+", default=["d5", "d20"],
                        choices=["default", "d5", "d20"])
    parser.add_argument("--variants", nargs="+", type=int,
                        help="indices into the variant list (default: all)")
    parser.add_argument("--out", default="benchmarks/RESULTS_gflownet_variants.md")
    parser.add_argument("--reference-cache", help="path prefix to save / reuse the MCMC "
                        "reference of each seed (.npz)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    chosen = list(VARIANTS.items())
    if args.variants:
        chosen = [chosen[i] for i in args.variants]
    rows = []
    for seed in args.seeds:
        if "default" in args.parts:
            rows.append(run_default_cli(seed))
            print(json.dumps(rows[-1]), flush=True)
        ref = (reference_d20(seed, args.d20_seconds, args.reference_cache)
               if "d20" in args.parts else None)
        if ref is not None:
            rows.append(ref)
            print(json.dumps({k: v for k, v in ref.items() if not k.startswith("_")}),
                  flush=True)
        for name, options in chosen:
            if "d5" in args.parts:
                rows.append(run_d5(name, options, seed, args.d5_seconds))
                print(json.dumps(rows[-1]), flush=True)
            if "d20" in args.parts:
                rows.append(run_d20(name, options, seed, args.d20_seconds, ref))
                print(json.dumps(rows[-1]), flush=True)
    header = (f"## Variants (d5 budget {args.d5_seconds:g} s, d20 budget "
              f"{args.d20_seconds:g} s, 1 torch thread, shared 2-core CPU)")
    Path(args.out).write_text(markdown(rows, header))


if __name__ == "__main__":
    main()
