"""Sachs: observational vs interventional posteriors against both ground truths (issue 12).

Data (log concentrations, standardized BGe, uniform DAG prior, at most 3 parents):

* ``observational``: the 853 CD3/CD28 cells;
* ``pooled``: all 7,466 cells treated as observational (what a tool without
  interventions does with the whole table);
* ``interventional``: the same 7,466 cells with each condition's target in
  the intervention mask (``datasets/sachs/interventional.csv``, see its card).

Methods: the exact edge marginals of the DAG-modular DP
(:func:`causalpost.dp.dag_modular_edge_probs`; no sampling error), partition
MCMC (a Monte Carlo posterior: its agreement with the DP is a check), and
bootstrap PC / GES from causal-learn (which cannot use the intervention mask:
they get the observational and pooled tables only). Metrics against cdt's
18-edge consensus and bnlearn's 17-arc ``sachs.bif``: expected SHD (computed
exactly from the edge marginals, pair by pair), SHD of the graph of edges
with P > 0.5, edge AUROC.

Run ``python benchmarks/sachs_interventions.py`` (about 3 minutes on 2 cores);
writes ``benchmarks/RESULTS_sachs_interventions.md``.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import numpy as np

import causalpost as cp
from causalpost.datasets import load_sachs
from causalpost.dp import dag_modular_edge_probs
from causalpost.metrics import edge_auroc

MAX_PARENTS = 3


def expected_shd_from_marginals(probs: np.ndarray, truth: np.ndarray) -> float:
    """E[SHD] from edge marginals: per unordered pair the state is one of ->, <-, none."""
    d = probs.shape[0]
    total = 0.0
    for i in range(d):
        for j in range(i + 1, d):
            fwd, bwd = probs[i, j], probs[j, i]
            if truth[i, j]:
                total += 1 - fwd
            elif truth[j, i]:
                total += 1 - bwd
            else:
                total += fwd + bwd
    return float(total)


def shd_of_threshold(probs: np.ndarray, truth: np.ndarray) -> int:
    estimate = probs > 0.5
    d = probs.shape[0]
    return int(sum((estimate[i, j], estimate[j, i]) != (bool(truth[i, j]), bool(truth[j, i]))
                   for i in range(d) for j in range(i + 1, d)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).with_name(
        "RESULTS_sachs_interventions.md")))
    parser.add_argument("--n-draws", type=int, default=4000)
    args = parser.parse_args()
    truths = {name: load_sachs(truth=name).truth for name in ("consensus", "bif")}
    tables = {
        "observational": load_sachs("observational", log=True).data,
        "pooled": load_sachs("full", log=True).data,
        "interventional": load_sachs("interventional", log=True).data,
    }
    rows = []
    for label, data in tables.items():
        methods = {}
        start = time.perf_counter()
        table = cp.score_table(data, score="bge", max_parents=MAX_PARENTS)
        methods["exact DP"] = (dag_modular_edge_probs(table),
                               time.perf_counter() - start)
        start = time.perf_counter()
        post = cp.fit(data, sampler="partition", max_parents=MAX_PARENTS, n_draws=args.n_draws,
                      seed=0, quiet=True)
        methods["partition MCMC"] = (post.edge_prob_matrix, time.perf_counter() - start)
        if not data.is_interventional:
            for name in ("bootstrap-pc", "bootstrap-ges"):
                start = time.perf_counter()
                boot = cp.fit(data, sampler=name, n_draws=50, seed=0, quiet=True)
                methods[name] = (boot.edge_prob_matrix, time.perf_counter() - start)
        for method, (probs, seconds) in methods.items():
            row = {"data": label, "rows": data.n_obs, "method": method, "seconds": seconds}
            for tname, truth in truths.items():
                row[f"eshd_{tname}"] = expected_shd_from_marginals(probs, truth)
                row[f"shd_{tname}"] = shd_of_threshold(probs, truth)
                row[f"auroc_{tname}"] = edge_auroc(probs, truth)
            rows.append(row)
            print(row, flush=True)
    lines = [
        "# Sachs: observational vs interventional posteriors",
        "",
        f"`python benchmarks/sachs_interventions.py`, {datetime.date.today()}, 2-core machine. "
        f"Log concentrations, standardized BGe, uniform DAG prior, at most {MAX_PARENTS} "
        f"parents; partition MCMC {args.n_draws} draws; bootstrap 50 resamples. E-SHD is "
        "exact from the edge marginals. `consensus`: cdt's 18 edges (cyclic); `bif`: "
        "bnlearn's 17 arcs.",
        "",
        "| data | rows | method | E-SHD consensus | SHD(P>0.5) consensus | AUROC consensus "
        "| E-SHD bif | SHD(P>0.5) bif | AUROC bif | seconds |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['rows']} | {r['method']} | {r['eshd_consensus']:.1f} | "
            f"{r['shd_consensus']} | {r['auroc_consensus']:.3f} | {r['eshd_bif']:.1f} | "
            f"{r['shd_bif']} | {r['auroc_bif']:.3f} | {r['seconds']:.1f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
