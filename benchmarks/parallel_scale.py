"""Past one machine (issue 17): MCMC chains and an audit on 1 vs 2 workers, and on paper 16.

Two workloads, each timed on this machine with 1 and 2 local workers and on a 2-worker
Dask ``LocalCluster`` (processes, loopback), with ``os.getloadavg()`` recorded beside
each timing (the machine is shared):

* **MCMC**: order MCMC (the ``auto`` sampler past 5 nodes) with 8 chains on linear-Gaussian
  ER2 data, d = 100, n = 1000 (:func:`causalpost.synthetic.linear_gaussian`, weights
  pushed 0.5 from zero, unit noise). The work is fixed: one sampling round of
  ``--keep`` draws per chain (convergence targets set so that no extension round runs,
  search space ``pcor`` without expansion), within ``--mcmc-budget`` seconds. Local
  workers are the chain threads (``n_workers``); the score table is built once per fit
  and is the serial part ("setup").
* **Audit**: 10^5 distinct random 20-node graphs (as ``benchmarks/audit_speed.py`` makes
  them: one decision, edge probability 0.1) audited for VoI, RI, VoC and ICI. Local
  workers are joblib processes (``n_jobs``).

From the Dask run's task stream (each task's compute time on its worker) the script
estimates what W workers would take: ``T(W) = T_serial + sum over steps of
makespan_W(step) + n_steps * o``, where a *step* is one batch of tasks the driver waits
for (an MCMC slice of the 8 chains; the audit has one step, its blocks), ``makespan_W``
is the finish time of list-scheduling the step's measured task times on W workers in
task order (what Dask's scheduler does with idle workers), ``T_serial`` is the work
outside the tasks (measured: the 1-worker wall time minus the tasks' total) and ``o``
the per-step overhead of the 2-worker cluster run (its wall time minus ``T_serial``
minus its own makespans, per step).

Run: ``python benchmarks/parallel_scale.py`` (about 10-15 min on 2 shared cores; writes
its section of ``benchmarks/RESULTS_scale.md``); ``--quick`` for a small smoke run
that writes nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import causalpost as cp
from causalpost.synthetic import linear_gaussian
from incentives.audit import audit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_speed import make_design, make_posterior  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS_scale.md"
START, END = "<!-- parallel_scale.py: start -->", "<!-- parallel_scale.py: end -->"


def makespan(times: list[float], n_workers: int) -> float:
    """Finish time of the tasks ``times`` given in order to the first idle of ``n_workers``."""
    free = [0.0] * n_workers
    for t in times:
        k = int(np.argmin(free))
        free[k] += t
    return max(free, default=0.0)


def task_times(stream: list[dict]) -> dict[str, list[float]]:
    """Compute seconds of causalpost's tasks, grouped by step (the token in the key), in
    task order."""
    steps: dict[str, dict[int, float]] = {}
    for rec in stream:
        key = str(rec.get("key", ""))
        if not key.startswith("causalpost-"):
            continue
        _, index, token = key.split("-", 2)
        spent = sum(s["stop"] - s["start"] for s in rec["startstops"] if s["action"] == "compute")
        steps.setdefault(token, {})[int(index)] = spent
    return {t: [v[i] for i in sorted(v)] for t, v in steps.items()}


def timed(label: str, run) -> dict:
    load = os.getloadavg()[0]
    begin = time.perf_counter()
    out = run()
    seconds = time.perf_counter() - begin
    print(f"  {label}: {seconds:.1f} s (load {load:.1f})", flush=True)
    return {"label": label, "seconds": seconds, "load": load, "out": out}


def mcmc_rows(args, address: str, client) -> tuple[list[dict], dict]:
    import distributed

    bench = linear_gaussian(args.d, 1000, edges_per_node=2.0, min_weight=0.5, noise_sd=1.0,
                            seed=args.seed)
    opts = dict(sampler="order", n_chains=8, n_draws=8 * args.keep, search_space="pcor",
                expansions=0, rhat_target=1e6, disagreement_tol=1.0, ess_target=1,
                max_seconds=args.mcmc_budget, seed=0, quiet=True, parameters=False)
    print(f"MCMC: order, 8 chains, d = {args.d}, {args.keep} draws per chain", flush=True)
    small = linear_gaussian(6, 200, seed=1).data  # warm-up: the workers load the kernels,
    cp.fit(small, **{**opts, "n_draws": 16}, scheduler=address)
    cp.fit(small, **{**opts, "n_draws": 16}, n_workers=2)  # and this process
    runs = [timed("threads, 1 worker", lambda: cp.fit(bench.data, n_workers=1, **opts)),
            timed("threads, 2 workers", lambda: cp.fit(bench.data, n_workers=2, **opts))]
    with distributed.get_task_stream(client) as stream:
        runs.append(timed("Dask LocalCluster, 2 workers",
                          lambda: cp.fit(bench.data, scheduler=address, **opts)))
    steps = list(task_times(stream.data).values())  # the first one starts the chains
    first = runs[0]["out"]
    for run in runs:
        post = run["out"]
        diag = post.diagnostics
        run["setup"] = float(diag["setup_seconds"])
        run["work"] = run["seconds"] - run["setup"]
        run["same"] = bool(np.array_equal(post.adjacency, first.adjacency))
        run["same"] = run["same"] and bool(diag["converged"])  # not cut by the budget
    total = sum(map(sum, steps))
    return runs, {"steps": steps, "serial": max(0.0, runs[0]["seconds"] - total),
                  "tasks_total": total, "n_chains": 8}


def audit_rows(args, address: str, client) -> tuple[list[dict], dict]:
    import distributed

    rng = np.random.default_rng(args.seed)
    names = [f"X{i}" for i in range(20)]
    design = make_design(names, 1, rng)
    post = make_posterior(names, design, args.n_graphs, args.n_graphs, 0.1, rng)
    print(f"audit: {args.n_graphs:,} distinct 20-node graphs", flush=True)
    warm = make_posterior(names, design, 100, 100, 0.1, rng)  # warm-up: workers import
    audit(warm, design, n_quantitative=0, quiet=True, scheduler=address)
    audit(warm, design, n_quantitative=0, quiet=True, n_jobs=2)
    runs = [timed("1 worker", lambda: audit(post, design, n_quantitative=0, quiet=True)),
            timed("2 local processes", lambda: audit(post, design, n_quantitative=0,
                                                     quiet=True, n_jobs=2))]
    with distributed.get_task_stream(client) as stream:
        runs.append(timed("Dask LocalCluster, 2 workers",
                          lambda: audit(post, design, n_quantitative=0, quiet=True,
                                        scheduler=address)))
    steps = list(task_times(stream.data).values())
    ref = runs[0]["out"].to_json()["incentives"]
    for run in runs:
        run["same"] = run["out"].to_json()["incentives"] == ref
        run["setup"], run["work"] = float("nan"), run["seconds"]
    total = sum(map(sum, steps))
    return runs, {"steps": steps, "serial": max(0.0, runs[0]["seconds"] - total),
                  "tasks_total": total,
                  "n_chains": None}


def estimate(model: dict, dask_seconds: float, n_workers: int) -> tuple[float, float]:
    """``T(W)`` and the per-step overhead ``o`` (see the module docstring)."""
    steps = model["steps"]
    overhead = max(0.0, (dask_seconds - model["serial"] - sum(makespan(s, 2) for s in steps))
                   / max(len(steps), 1))
    return (model["serial"] + sum(makespan(s, n_workers) for s in steps)
            + len(steps) * overhead), overhead


def section(mcmc, audit_result, args) -> str:
    lines = [START, "", "## Past one machine: 1 vs 2 workers, and 16 on paper (issue 17)", "",
             f"Produced by `python benchmarks/parallel_scale.py` on {os.cpu_count()} cores "
             "shared with four other engineers' work (load = 1-minute `os.getloadavg()` when "
             "each run started; above 2 the two cores were oversubscribed, so speed-ups here "
             "are lower bounds). Same seed in every row; \"same\" = identical draws / audit "
             "to the 1-worker row.", ""]
    for title, (runs, model) in (
            (f"Order MCMC, 8 chains, ER2 d = {args.d}, n = 1000, {args.keep} draws per chain "
             "(fixed work: one sampling round)", mcmc),
            (f"Audit of {args.n_graphs:,} distinct 20-node graphs (VoI, RI, VoC, ICI)",
             audit_result)):
        base = runs[0]
        lines += [f"**{title}**", "",
                  "| workers | load | wall (s) | score table (s) | after the table (s) | "
                  "speed-up (wall) | speed-up (after the table) | same |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for run in runs:
            setup = "-" if np.isnan(run["setup"]) else f"{run['setup']:.1f}"
            lines.append(
                f"| {run['label']} | {run['load']:.1f} | {run['seconds']:.1f} | {setup} | "
                f"{run['work']:.1f} | {base['seconds'] / run['seconds']:.2f} | "
                f"{base['work'] / run['work']:.2f} | {'yes' if run['same'] else '**no**'} |")
        t16, overhead = estimate(model, runs[2]["seconds"], 16)
        t2, _ = estimate(model, runs[2]["seconds"], 2)
        n_tasks = sum(len(s) for s in model["steps"])
        lines += ["", f"On paper: {len(model['steps'])} step(s), {n_tasks} tasks, "
                  f"{model['tasks_total']:.1f} s of task compute in all (mean "
                  f"{model['tasks_total'] / max(n_tasks, 1):.2f} s, longest "
                  f"{max((max(s) for s in model['steps'] if s), default=0):.2f} s); serial "
                  f"part T_serial = {model['serial']:.1f} s; per-step overhead o = "
                  f"{overhead:.2f} s. "
                  f"T(2) = {t2:.1f} s (measured {runs[2]['seconds']:.1f} s); "
                  f"**T(16) = {t16:.1f} s**, a speed-up of {base['seconds'] / t16:.1f} over "
                  "1 worker.", ""]
    lines += ["Reading it:", "",
              "- MCMC: the serial part (the score table, then on the driver the diagnostics -- "
              "the search-space boundary mass over the final draws above all, see the profile "
              "below -- the DAG draws and the convergence checks) is most of the wall time at "
              "this size, so neither 2 nor 16 workers can do much (Amdahl); a "
              "step waits for its slowest chain, and past 8 workers 8 chains gain nothing "
              "(16 workers = 8 busy): more chains per fit, or longer chains (a tighter "
              "ess_target), are what a larger cluster buys.",
              "- Audit: the graphs go out in blocks of 16,384 (`8 * _CHUNK` in "
              "`incentives/_audit_graphs.py`), so 10^5 graphs are 7 tasks and at most 7 "
              "workers are ever busy; T(16) = T(7). Smaller blocks past a few workers would "
              "let 16 help (not changed here).",
              "- Dask runs pay the transfer of the score table / design once and the driver's "
              "per-step round trip; the workers were warmed up first (kernels loaded, modules "
              "imported: a small fit and audit before the timed ones; likewise the local "
              "processes).", "", END, ""]
    return "\n".join(lines)


def write(text: str) -> None:
    old = RESULTS.read_text()
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(new)


def main() -> None:
    import distributed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--keep", type=int, default=125,
                        help="MCMC draws per chain (125: the default 1,000 over 8 chains)")
    parser.add_argument("--mcmc-budget", type=float, default=300)
    parser.add_argument("--n-graphs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="d = 20, 2,000 graphs; no file")
    args = parser.parse_args()
    if args.quick:
        args.d, args.keep, args.n_graphs = 20, 20, 2_000
    warnings.simplefilter("ignore")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster, set_as_default=False)
    try:
        mcmc = mcmc_rows(args, cluster.scheduler_address, client)
        audited = audit_rows(args, cluster.scheduler_address, client)
    finally:
        client.close()
        cluster.close()
    text = section(mcmc, audited, args)
    print(text)
    if not args.quick:
        write(text)


if __name__ == "__main__":
    main()
