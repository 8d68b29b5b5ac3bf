"""The GFlowNet's own error: importance-sampling ESS of its default fit (issue 18, item 4).

d = 5: against exact enumeration (the ESS from 16 removal orders against the one from
the policy's exact terminating probabilities, the edge errors of the draws, of the
policy and of the reweighted draws, and how often a Jeffreys interval with the ESS
covers the exact marginals); d = 20 (ER2, n = 100, max_parents = 5): the ESS, its cost
and its spread across removal orders. Results: ``RESULTS_gflownet.md``, section "Its own
error: importance-sampling ESS".

    python benchmarks/gflownet_ess.py d5 --seeds 0 1 2 --budgets 5 15 60 --out d5.jsonl
    python benchmarks/gflownet_ess.py d20 --seeds 0 1 --budgets 120 --out d20.jsonl
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from scipy.special import logsumexp

from causalpost.graphs import masks_to_adjacency
from causalpost.metrics import jensen_shannon
from causalpost.samplers._common import prepare_problem
from causalpost.samplers.exact import exact_log_weights
from causalpost.samplers.gflownet import GFlowNetSampler, policy_log_probs
from causalpost.samplers.gflownet.importance import importance_ess, log_terminating_probs
from causalpost.synthetic import linear_gaussian
from incentives.audit import jeffreys_interval


def coverage(freq, exact, n):
    lo, hi = jeffreys_interval(freq, n)
    off = ~np.eye(freq.shape[0], dtype=bool)
    inside = (exact >= lo - 1e-12) & (exact <= hi + 1e-12)
    return float(inside[off].mean()), float((hi - lo)[off].mean())


def d5(seed, budget):
    bench = linear_gaussian(5, 100, n_edges=5, noise_sd=0.1, seed=seed)
    t0 = time.monotonic()
    gfn = GFlowNetSampler(max_seconds=budget, seed=seed, quiet=True).fit(bench.data)
    fit_s = time.monotonic() - t0
    post, diag = gfn.posterior_, gfn.posterior_.diagnostics
    table = prepare_problem(bench.data, "bge", None, None, None, None).table()  # default score
    masks, log_p = exact_log_weights(table)
    adj = masks_to_adjacency(masks)
    log_q = policy_log_probs(gfn.policy_, gfn.env_, masks)
    exact_marg = np.einsum("n,nij->ij", np.exp(log_p), adj)
    policy_marg = np.einsum("n,nij->ij", np.exp(log_q), adj)
    draw_marg = post.adjacency.mean(0)
    index = {m.tobytes(): i for i, m in enumerate(adj.astype(bool))}
    rows = np.array([index[a.astype(bool).tobytes()] for a in post.adjacency])
    n = post.n_draws
    cov_n, w_n = coverage(draw_marg, exact_marg, n)
    cov_e, w_e = coverage(draw_marg, exact_marg, diag["ess"])
    log_w = log_p[rows] - log_q[rows]
    w = np.exp(log_w - logsumexp(log_w))
    is_marg = np.einsum("s,sij->ij", w, post.adjacency)
    cov_is, _ = coverage(is_marg, exact_marg, diag["ess"])
    chi2 = n / diag["ess"] - 1.0  # chi^2(p || q) estimated from the ESS
    n_bias = 1.0 / (1.0 / np.sqrt(n) + np.sqrt(chi2) / 1.96) ** 2  # Cauchy-Schwarz bias bound
    cov_b, w_b = coverage(draw_marg, exact_marg, n_bias)
    chi2_exact = float(np.exp(logsumexp(2 * log_p - log_q))) - 1.0
    return {"is_err": float(np.abs(is_marg - exact_marg).max()), "cover_is_ess": cov_is,
            "chi2": chi2, "chi2_exact": chi2_exact, "n_bias": float(n_bias),
            "cover_bias": cov_b, "width_bias": w_b,
            "bias_bound": float(np.sqrt(chi2_exact * 0.25)),
            "part": "d5", "seed": seed, "budget": budget, "fit_s": round(fit_s, 1),
            "steps": diag["n_steps"], "stop": diag["stop_reason"], "loss": diag["final_loss"],
            "ess": diag["ess"], "ess_orders": diag["ess_orders"],
            "ess_seconds": round(diag["ess_seconds"], 2), "ess_max_weight": diag["ess_max_weight"],
            "ess_exact_q": importance_ess(log_p[rows], log_q[rows]),
            "ess_limit": float(n / np.exp(logsumexp(2 * log_p - log_q))),
            "unique": int(len(np.unique(post.adjacency.reshape(n, -1), axis=0))),
            "jsd": float(jensen_shannon(log_q, log_p)),
            "policy_err": float(np.abs(policy_marg - exact_marg).max()),
            "draw_err": float(np.abs(draw_marg - exact_marg).max()),
            "cover_n": cov_n, "width_n": w_n, "cover_ess": cov_e, "width_ess": w_e}


def d20(seed, budget):
    bench = linear_gaussian(20, 100, n_edges=40, noise_sd=0.1, seed=seed)
    opts = {"score": "bge", "score_options": {"standardize": False}, "max_parents": 5}
    t0 = time.monotonic()
    gfn = GFlowNetSampler(**opts, max_seconds=budget, seed=seed, quiet=True,
                          parameters=False).fit(bench.data)
    fit_s = time.monotonic() - t0
    post, diag = gfn.posterior_, gfn.posterior_.diagnostics
    table = prepare_problem(bench.data, "bge", {"standardize": False}, None, None, 5).table()
    t = time.monotonic()
    gfn.sample(1000, seed=5)
    sample_s = time.monotonic() - t
    log_r = table.graph_scores(post.adjacency)
    reps = []
    for r in range(4):  # independent one-order estimates of the same draws
        torch.set_num_threads(1)
        reps.append(log_terminating_probs(gfn.policy_, gfn.env_, post.adjacency.astype(bool),
                                          1, generator=torch.Generator().manual_seed(100 + r)))
    reps = np.array(reps)
    log_w = log_r - reps[0]
    four = log_r - (logsumexp(reps, axis=0) - np.log(4))
    return {"part": "d20", "seed": seed, "budget": budget, "fit_s": round(fit_s, 1),
            "steps": diag["n_steps"], "loss": diag["final_loss"], "ess": diag["ess"],
            "ess_orders": diag["ess_orders"], "ess_seconds": round(diag["ess_seconds"], 2),
            "sample_s": round(sample_s, 2), "ess_max_weight": diag["ess_max_weight"],
            "edges_per_draw": float(post.adjacency.sum((1, 2)).mean()),
            "unique": int(len(np.unique(post.adjacency.reshape(1000, -1), axis=0))),
            "sd_logw_across_draws": float(np.std(log_w)),
            "sd_logq_across_orders": float(np.mean(np.std(reps, axis=0))),
            "ess_reps_1order": [importance_ess(log_r, q) for q in reps],
            "ess_4orders": importance_ess(four, np.zeros_like(four)),
            "logw_top5_gaps": (np.sort(log_w)[::-1][:5] - log_w.max()).round(2).tolist()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=["d5", "d20"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--budgets", type=float, nargs="+", default=[60.0])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    for seed in a.seeds:
        for budget in a.budgets:
            with open("/proc/loadavg") as fh:
                load = fh.read().split()[:3]
            row = (d5 if a.part == "d5" else d20)(seed, budget)
            row["load"] = load
            print(json.dumps(row), flush=True)
            with open(a.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")
