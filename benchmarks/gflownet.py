"""DAG-GFlowNet benchmark: exact JSD at d = 5, and d = 20 against structure MCMC.

Part ``d5`` follows the DAG-GFlowNet protocol (Deleu et al., UAI 2022): an
Erdos-Renyi DAG on 5 nodes with 5 edges, n = 100 observations, edge weights
N(0, 1), noise sd 0.1, unstandardized BGe, uniform graph prior. The exact
posterior over all 29,281 DAGs comes from enumeration; the trained sampler's
*exact* distribution comes from dynamic programming over the DAG lattice
(:func:`causalpost.samplers.gflownet.policy_log_probs`), so the JSD carries
no sampling noise. The training curve (loss, JSD, max edge-marginal error vs
steps) is recorded with a callback whose time is not counted as training.

Part ``d20``: ER2 (40 expected edges) on 20 nodes, n = 100, same weights and
noise; expected SHD and edge AUROC of the GFlowNet and of structure MCMC
given the same wall time.

Run (results as JSON lines on stdout, a summary table at the end)::

    python benchmarks/gflownet.py d5 --seconds 120 --seeds 0 1 2
    python benchmarks/gflownet.py d20 --seconds 240 --max-parents 5
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from causalpost.graphs import masks_to_adjacency
from causalpost.metrics import edge_auroc, expected_shd, jensen_shannon
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.gflownet import GFlowNetSampler, policy_log_probs
from causalpost.synthetic import linear_gaussian

SCORE_OPTIONS = {"standardize": False}


def bench_d5(seed: int, seconds: float, every: int, net: dict) -> dict:
    """Train on the d = 5 protocol; return the curve and the final exact JSD."""
    bench = linear_gaussian(5, 100, n_edges=5, noise_sd=0.1, seed=seed)
    table = prepare_problem(bench.data, "bge", SCORE_OPTIONS, None, None, None).table()
    masks, log_w = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    exact_edges = np.einsum("n,nij->ij", np.exp(log_w), adj)
    curve = []

    def evaluate(gfn: GFlowNetSampler) -> dict:
        log_q = policy_log_probs(gfn.policy_, gfn.env_, masks)
        edges = np.einsum("n,nij->ij", np.exp(log_q), adj)
        return {"jsd": jensen_shannon(log_q, log_w),
                "edge_max_err": float(np.abs(edges - exact_edges).max())}

    def record(step: int, gfn: GFlowNetSampler) -> None:
        curve.append({"step": step, **evaluate(gfn)})

    tic = time.perf_counter()
    gfn = GFlowNetSampler(score="bge", score_options=SCORE_OPTIONS, n_steps=10**7,
                          max_seconds=seconds, n_draws=1000, seed=seed, quiet=True,
                          parameters=False, callback=record, callback_every=every, **net)
    gfn.fit(bench.data)
    wall = time.perf_counter() - tic
    hist = gfn.history_
    losses = dict(zip(hist["step"], hist["loss"]))
    for point in curve:
        point["loss"] = losses.get(point["step"])
    final = evaluate(gfn)
    return {"part": "d5", "seed": seed, "net": net, "n_steps": hist["n_steps"],
            "train_seconds": round(hist["train_seconds"], 1), "fit_wall_seconds": round(wall, 1),
            "final_jsd": final["jsd"], "final_edge_max_err": final["edge_max_err"],
            "n95": int(np.searchsorted(np.cumsum(np.sort(np.exp(log_w))[::-1]), 0.95)),
            "curve": curve}


def bench_d20(seed: int, seconds: float, max_parents: int, prior: str, net: dict,
              with_mcmc: bool = True) -> dict:
    """GFlowNet vs structure MCMC at d = 20 with (about) the same wall time."""
    from causalpost.samplers.structure_mcmc import StructureMCMC

    bench = linear_gaussian(20, 100, edges_per_node=2.0, noise_sd=0.1, seed=seed)
    common = {"score": "bge", "score_options": SCORE_OPTIONS, "max_parents": max_parents,
              "prior": prior,
              "seed": seed, "quiet": True, "parameters": False}
    tic = time.perf_counter()
    prepare_problem(bench.data, "bge", SCORE_OPTIONS, prior, None, max_parents).table()
    table_seconds = time.perf_counter() - tic
    tic = time.perf_counter()
    gfn = GFlowNetSampler(n_steps=10**7, max_seconds=seconds, n_draws=1000, **net,
                          **common).fit(bench.data)
    gfn_wall = time.perf_counter() - tic
    out = {"part": "d20", "seed": seed, "max_parents": max_parents, "prior": prior,
           "true_edges": int(bench.truth.sum()), "table_seconds": round(table_seconds, 1),
           "gfn": _metrics(gfn.posterior_, bench.truth, gfn_wall)}
    out["gfn"]["n_steps"] = gfn.history_["n_steps"]
    out["gfn"]["final_loss"] = gfn.history_["loss"][-1] if gfn.history_["loss"] else None
    if not with_mcmc:
        return out
    # structure MCMC: wall = a + b * thin from two short runs, then a chain of the same wall
    walls = {}
    for thin in (10, 40):
        tic = time.perf_counter()
        StructureMCMC(n_draws=1000, n_chains=1, thin=thin, **common).fit(bench.data)
        walls[thin] = time.perf_counter() - tic
    per_thin = max((walls[40] - walls[10]) / 30, 1e-6)
    thin = max(10, int((gfn_wall - (walls[10] - 10 * per_thin)) / per_thin))
    tic = time.perf_counter()
    mcmc = StructureMCMC(n_draws=1000, n_chains=1, thin=thin, **common).fit(bench.data)
    wall = time.perf_counter() - tic
    out["mcmc"] = _metrics(mcmc.posterior_, bench.truth, wall)
    out["mcmc"]["thin"] = thin
    return out


def _metrics(post, truth: np.ndarray, wall: float) -> dict:
    return {"wall_seconds": round(wall, 1),
            "expected_shd": expected_shd(post.adjacency, post.weights, truth),
            "edge_auroc": edge_auroc(post.edge_prob_matrix, truth),
            "mean_edges": float(post.adjacency.sum((1, 2)).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["d5", "d20"])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--every", type=int, default=500, help="curve interval (steps)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--max-parents", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-mcmc", action="store_true",
                        help="part d20: train and score the GFlowNet only")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--n-envs", type=int, default=16)
    parser.add_argument("--prior", default="uniform", choices=["uniform", "erdos_renyi"],
                        help="graph prior of part d20 (d5 is always uniform)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = {"width": args.width, "n_layers": args.layers, "device": args.device,
           "batch_size": args.batch_size, "n_envs": args.n_envs}
    for seed in args.seeds:
        if args.part == "d5":
            result = bench_d5(seed, args.seconds, args.every, net)
        else:
            result = bench_d20(seed, args.seconds, args.max_parents, args.prior, net,
                               with_mcmc=not args.no_mcmc)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
