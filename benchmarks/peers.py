"""causalpost's samplers beside sumu's Gadget and DiBS, on the same data in one run (issue 20).

For every data row (protocol x d x n x seed) the data are generated once, written to a
temporary ``.npy`` and handed to each peer's runner script (``benchmarks/peer_scripts/``)
in that peer's own virtual environment through a subprocess; the runner writes JSON back
(graph draws, wall time). The peers are never dependencies of causalpost: a peer whose
interpreter is missing is skipped with a line in the table.

Protocols:

* ``gfn``: the DAG-GFlowNet protocol (``causalpost.synthetic.linear_gaussian``: ER2,
  weights N(0, 1), noise sd 0.1), BGe on raw columns (``--no-standardize``); the peers get
  the same raw columns.
* ``std``: the same generator with noise sd 1, BGe on standardized columns (the default);
  the peers get the standardized columns (mean 0, sd 1 with ddof = 1, as BGe does).

Methods: causalpost's ``auto`` (``cp.fit`` defaults; past 5 nodes this is order MCMC with
its defaults, so the ``order`` row is that same call and is not run twice), partition and
structure MCMC with defaults, each bounded by ``max_seconds``; optionally the GFlowNet
(``--gfn``, bounded by ``--gfn-seconds``) and candidate defaults (``--variants``, e.g.
``fair=prior:fair``). sumu's Gadget with its README settings (BGe, the hard-coded "fair"
prior, K = 15 candidate parents by greedy-lite, complement parent sets up to 3 parents,
16 MC3 chains, burn-in / iterations 10,000), thinned to ``--gadget-draws`` draws (sumu
0.1.2 has no time budget; drawing the DAGs from the partitions costs ~0.2 s per draw at
d = 20). DiBS: ``MarginalDiBS`` with BGe and its Erdos-Renyi (2 edges per node) prior,
library defaults, 20 particles, bounded by ``--dibs-steps`` and ``--dibs-seconds``;
reported as DiBS (particles equally weighted) and DiBS+ (weighted by the BGe marginal
likelihood, DiBS's ``get_mixture``).

Measured per method: wall time (score table, candidate search and compilation included;
for a peer, from its runner's start of imports) and its ratio to Gadget's; the 1-minute
load average when it started (``os.getloadavg``: the machine is shared); at d <= 16 the
mean / max absolute error of the edge marginals against the exact DP of
``causalpost.dp`` under the method's own target (order MCMC: the order-modular prior;
Gadget: fair; DiBS: Erdos-Renyi with 2d expected edges; partition / structure MCMC:
uniform over DAGs) and under the uniform DAG prior; AUROC of the edge marginals, expected
SHD and E[#edges] against the true graph.

Run ``python benchmarks/peers.py`` (all rows: 1.5-2 h on a shared 2-core machine, most of it in
Gadget; ``--skip`` and the size options cut it down), or
e.g. ``python benchmarks/peers.py --sizes 16 --n-obs 100 --protocols gfn``. Peer
interpreters: ``--sumu-python`` / ``--dibs-python`` or ``SUMU_PYTHON`` / ``DIBS_PYTHON``
(default ``/work/peer_envs/{sumu,dibs}/bin/python``); set up with
``python -m venv ENV && ENV/bin/pip install sumu`` (``MAKEFLAGS=-j1`` on a small machine)
and ``ENV/bin/pip install --no-deps dibs-lib && ENV/bin/pip install "jax[cpu]==0.4.30"
"numpy<2" scipy igraph imageio matplotlib tqdm scikit-learn`` (dibs-lib 1.3.3's
``jupyter`` requirement is only for its notebooks). Raw rows go to
``RESULTS_peers.jsonl``, the table to ``RESULTS_peers.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import causalpost as cp
from causalpost import dp
from causalpost._edge_estimate import edge_estimate, outside_space
from causalpost.api import resolve_sampler
from causalpost.metrics import edge_auroc
from causalpost.samplers._common import prepare_problem, resolve_prior
from causalpost.scores.priors import GraphPrior
from causalpost.synthetic import linear_gaussian

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "peer_scripts"
OUT = HERE / "RESULTS_peers.md"
RAW = HERE / "RESULTS_peers.jsonl"
DEFAULT_ENVS = {"sumu": "/work/peer_envs/sumu/bin/python",
                "dibs": "/work/peer_envs/dibs/bin/python"}
PROTOCOLS = {"gfn": "DAG-GFlowNet protocol: noise sd 0.1, raw columns",
             "std": "noise sd 1, standardized columns"}
HEADER = ("# causalpost beside sumu (Gadget) and DiBS\n\n"
          "Produced by `python benchmarks/peers.py` (see its docstring for the protocol).\n\n")
NOTES = ""  # the "What the table shows" section is written by hand below the table


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=HERE, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "-"


COMMIT = _commit()
DP_MAX_NODES = 16  # the exact yardstick is computed up to here (dag-modular DP: ~2 s)


def make_data(protocol: str, d: int, n: int, seed: int):
    """The benchmark data, its score options, and the columns handed to the peers."""
    if protocol == "gfn":
        bench = linear_gaussian(d, n, seed=seed)
        options = {"standardize": False}
        values = np.asarray(bench.data.values, dtype=np.float64)
    else:
        bench = linear_gaussian(d, n, noise_sd=1.0, seed=seed)
        options = {"standardize": True}
        raw = np.asarray(bench.data.values, dtype=np.float64)
        values = (raw - raw.mean(0)) / raw.std(0, ddof=1)
    return bench, options, values


# ---------------------------------------------------------------- exact references
class References:
    """Exact edge marginals for one data set, computed on demand and cached."""

    def __init__(self, data, score_options: dict):
        self.data, self.score_options, self.cache = data, score_options, {}

    def get(self, prior: GraphPrior, modular: str, max_parents: int | None = None):
        key = (json.dumps(prior.to_json(), sort_keys=True), modular, max_parents)
        if key not in self.cache:
            if self.data.n_nodes > DP_MAX_NODES:
                self.cache[key] = None
            else:
                table = prepare_problem(self.data, "bge", self.score_options, prior, None,
                                        max_parents).table()
                fn = dp.order_modular_edge_probs if modular == "order" else \
                    dp.dag_modular_edge_probs
                self.cache[key] = fn(table)
        return self.cache[key]


UNIFORM = GraphPrior("uniform")
EXACT_ROWS = (("exact: sparse", GraphPrior("sparse"), None),
              ("exact: uniform", UNIFORM, None), ("exact: uniform, <= 4 parents", UNIFORM, 4),
              ("exact: fair", GraphPrior("fair"), None),
              ("exact: fair, <= 4 parents", GraphPrior("fair"), 4))


def errors(probs: np.ndarray, ref: np.ndarray | None) -> tuple[float, float]:
    if ref is None:
        return float("nan"), float("nan")
    off = ~np.eye(ref.shape[0], dtype=bool)
    diff = np.abs(probs - ref)[off]
    return float(diff.mean()), float(diff.max())


def graph_metrics(adjacency: np.ndarray, weights: np.ndarray, truth: np.ndarray) -> dict:
    """AUROC, expected SHD, E[#edges] of weighted draws (S, d, d) against the truth."""
    weights = np.asarray(weights, dtype=float)
    weights = weights / weights.sum()
    probs = np.tensordot(weights, adjacency.astype(float), axes=1)
    truth = truth.astype(np.uint8)
    shd = np.asarray(cp.graphs.shd(adjacency.astype(np.uint8), truth), dtype=float)
    return {"probs": probs, "auroc": edge_auroc(probs, truth),
            "eshd": float(weights @ shd),
            "edges": float(weights @ adjacency.reshape(len(adjacency), -1).sum(1))}


def is_acyclic(a: np.ndarray) -> bool:
    a = a.astype(bool).copy()
    while a.size:
        sinks = ~a.any(axis=1)
        if not sinks.any():
            return False
        keep = ~sinks
        a = a[np.ix_(keep, keep)]
    return True


# ---------------------------------------------------------------- causalpost
def run_ours(label: str, sampler: str, bench, score_options: dict, seed: int,
             options: dict) -> dict:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = cp.fit(bench.data, sampler=sampler, score_options=score_options, seed=seed,
                      quiet=True, parameters=False, **options)
    wall = time.perf_counter() - start
    diag = post.diagnostics
    row = graph_metrics(post.adjacency, post.weights, bench.truth)
    # the reported marginals (Posterior.edge_prob_matrix: Rao-Blackwellised inside the
    # search space, an estimate outside it)
    # are the ones compared; the draws' own frequencies are kept beside them
    row["probs_draws"], row["auroc_draws"] = row["probs"], row["auroc"]
    row["probs"] = post.edge_prob_matrix
    row["auroc"] = edge_auroc(row["probs"], bench.truth)
    # the two parts of the new estimate apart: Rao-Blackwellised inside the space only
    # (outside as the draws: 0), and the estimate outside the space only (draws inside);
    # the outside estimate is edge_probs_outside where the sampler records it (17dd117
    # on), else the boundary share
    freqs = post.draw_edge_frequencies
    key = "edge_probs_outside" if "edge_probs_outside" in diag else "boundary_share"
    no_share = {k: v for k, v in diag.items()
                if k not in ("boundary_share", "edge_probs_outside")}
    no_rb = {k: v for k, v in diag.items() if k != "edge_probs_rb"}
    row["auroc_rb_only"] = edge_auroc(edge_estimate(freqs, no_share), bench.truth)
    row["auroc_share_only"] = edge_auroc(edge_estimate(freqs, no_rb), bench.truth)
    row["outside_estimate"] = key
    outside = outside_space(diag, bench.truth.shape[0])
    if outside is not None and key in diag:
        share = np.asarray(diag[key], dtype=float)
        truth = bench.truth.astype(bool)
        row["outside_true"] = int((outside & truth).sum())
        row["outside_true_max_share"] = float(np.max(share[outside & truth], initial=0.0))
        row["outside_neg_share_ge_0.01"] = int((outside & ~truth & (share >= 0.01)).sum())
    row.update(method=label, wall_s=wall, draws=int(post.n_draws), commit=COMMIT,
               converged=diag.get("converged"),
               note=f"{diag.get('n_chains', '?')} chains x {diag.get('n_iter', '?')} iters"
                    + ("" if diag.get("converged", True) else ", not converged"))
    return row


def our_target(sampler: str, d: int, options: dict) -> tuple[GraphPrior, str, int | None]:
    prior = resolve_prior(options.get("prior"), d)  # None: the samplers' default
    modular = "order" if resolve_sampler(sampler, d) == "order" else "dag"
    return prior, modular, options.get("max_parents")


# ---------------------------------------------------------------- peers
def run_peer(python: str, script: str, data_path: Path, seed: int, args: list[str],
             timeout: float) -> tuple[dict | None, str]:
    out = data_path.with_name(f"{Path(script).stem}_{seed}.json")
    out.unlink(missing_ok=True)
    # same priority as the causalpost runs (nice the whole benchmark, not the peers)
    cmd = [python, str(SCRIPTS / script), str(data_path), str(out), str(seed), *args]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"did not finish in {timeout:.0f} s (killed)"
    outer = time.perf_counter() - start
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return None, f"failed (exit {proc.returncode}): {tail[0][:120]}"
    result = json.loads(out.read_text())
    result["outer_wall_s"] = outer
    return result, ""


def draws_from(result: dict, d: int) -> np.ndarray:
    adj = np.zeros((len(result["graphs"]), d, d), dtype=np.uint8)
    for k, edges in enumerate(result["graphs"]):
        for i, j in edges:
            adj[k, i, j] = 1
    return adj


# ---------------------------------------------------------------- one data row
def budgets(d: int, label: str, args) -> dict:
    """``max_seconds`` of one causalpost run: ``auto`` and the variants get the larger
    budget, partition / structure MCMC (not the default) the smaller one."""
    if label in ("partition", "mcmc"):
        return {"max_seconds": args.other_seconds if d <= 20 else args.other_seconds_large}
    return {"max_seconds": args.max_seconds if d <= 20 else args.max_seconds_large}


def run_row(protocol: str, d: int, n: int, seed: int, args, envs: dict) -> list[dict]:
    bench, score_options, values = make_data(protocol, d, n, seed)
    refs = References(bench.data, score_options)
    rows: list[dict] = []
    base = dict(protocol=protocol, d=d, n=n, seed=seed, true_edges=int(bench.truth.sum()))

    def finish(row: dict, own: tuple | None) -> None:
        probs = row.pop("probs", None)
        draws = row.pop("probs_draws", None)
        if draws is not None and own is not None:
            row["own_mean_draws"], row["own_max_draws"] = errors(draws, refs.get(*own))
        row["own_mean"], row["own_max"] = errors(probs, refs.get(*own)) if (
            probs is not None and own is not None) else (float("nan"), float("nan"))
        row["uni_mean"], row["uni_max"] = errors(probs, refs.get(UNIFORM, "dag")) if (
            probs is not None) else (float("nan"), float("nan"))
        # order MCMC's own target is order-modular: also its error against the DAG prior
        row["dag_mean"], row["dag_max"] = errors(probs, refs.get(own[0], "dag", own[2])) if (
            probs is not None and own is not None and own[1] == "order") else (
            float("nan"), float("nan"))
        row.update(base)
        rows.append(row)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                          for k, v in row.items()}), flush=True)

    # causalpost: auto (and order = the same call past 5 nodes), partition, structure
    ours = []
    if not args.only_variants:
        ours = [("auto", "auto", {})]
        if resolve_sampler("auto", d) != "order":
            ours.append(("order", "order", {}))
        ours += [("partition", "partition", {}), ("mcmc", "mcmc", {})]
    if args.exact_rows and d <= DP_MAX_NODES:
        # the exact posteriors themselves: what each prior gives without sampling error
        for label, prior, mp in EXACT_ROWS:
            start = time.perf_counter()
            probs = refs.get(prior, "dag", mp)
            finish({"method": label, "wall_s": time.perf_counter() - start,
                    "load": os.getloadavg()[0], "probs": probs,
                    "auroc": edge_auroc(probs, bench.truth), "eshd": float("nan"),
                    "edges": float(probs.sum() - np.trace(probs)),
                    "note": "DAG-modular DP (wall: table + DP, cached across rows)"},
                   (prior, "dag", mp))
    ours = [o for o in ours if o[0] not in args.skip]
    for name, spec in args.variants:
        spec = dict(spec)
        ours.append((name, spec.pop("sampler", "auto"), spec))
    if args.gfn and d <= args.gfn_max_nodes:
        ours.append(("gfn", "gfn", {"max_seconds": args.gfn_seconds}))
    for label, sampler, options in ours:
        opts = {**budgets(d, label, args), **options}
        load = os.getloadavg()[0]
        try:
            row = run_ours(label, sampler, bench, score_options, seed, opts)
        except Exception as exc:  # report, keep the benchmark going
            row = {"method": label, "wall_s": float("nan"), "note": f"failed: {exc}"[:160]}
        row["load"] = load
        row["options"] = {k: v for k, v in opts.items() if k != "max_seconds"}
        row["budget_s"] = opts.get("max_seconds")
        finish(row, our_target(sampler, d, options))
        if label == "auto" and resolve_sampler("auto", d) == "order":
            twin = dict(rows[-1], method="order", note="= auto (the same call)")
            rows.append(twin)

    if args.only_variants:
        return rows
    with tempfile.TemporaryDirectory(prefix="peers_") as tmp:
        data_path = Path(tmp) / "data.npy"
        np.save(data_path, values)
        # sumu's Gadget
        python = envs["sumu"]
        load = os.getloadavg()[0]
        if "sumu" in args.skip:
            pass
        elif not Path(python).exists():
            finish({"method": "sumu Gadget", "wall_s": float("nan"), "load": load,
                    "note": f"skipped: no environment at {python}"}, None)
        else:
            n_draws = args.gadget_draws if d > DP_MAX_NODES else args.gadget_draws_small
            thinning = max(1, 10_000 // n_draws)
            result, why = run_peer(python, "sumu_gadget.py", data_path, seed,
                                   [f"thinning={thinning}"], args.peer_timeout)
            if result is None:
                finish({"method": "sumu Gadget", "wall_s": float("nan"), "load": load,
                        "note": why}, None)
            else:
                adj = draws_from(result, d)
                row = graph_metrics(adj, np.ones(len(adj)), bench.truth)
                ph = result["phases"]
                row.update(method="sumu Gadget", wall_s=result["wall_s"], load=load,
                           draws=len(adj), note=(
                               f"sumu {result['version']}, 16 chains x 20k iters; "
                               f"MCMC {ph['run_mcmc']:.0f} s, DAG draws "
                               f"{ph['sample_dags']:.0f} s"))
                finish(row, (GraphPrior("fair"), "dag", None))
        # DiBS
        python = envs["dibs"]
        load = os.getloadavg()[0]
        label = "DiBS"
        if "DiBS" in args.skip:
            finish({"method": label, "wall_s": float("nan"), "load": load,
                    "note": "not run (CPU budget of this run)"}, None)
        elif not Path(python).exists():
            finish({"method": label, "wall_s": float("nan"), "load": load,
                    "note": f"skipped: no environment at {python}"}, None)
        elif d > args.dibs_max_nodes or (args.dibs_max_obs and n > args.dibs_max_obs):
            finish({"method": label, "wall_s": float("nan"), "load": load,
                    "budget_s": args.dibs_seconds,
                    "note": "not run (CPU budget): see the DiBS rows of the same d at "
                            f"n <= {args.dibs_max_obs or '-'} for its steps per "
                            f"{args.dibs_seconds:.0f} s"}, None)
        else:
            result, why = run_peer(python, "dibs_marginal.py", data_path, seed,
                                   [f"steps={args.dibs_steps}",
                                    f"max_seconds={args.dibs_seconds}"],
                                   args.dibs_seconds + args.peer_timeout)
            if result is None:
                finish({"method": label, "wall_s": float("nan"), "load": load, "note": why},
                       None)
            else:
                adj = draws_from(result, d)
                cyclic = sum(not is_acyclic(a) for a in adj)
                done = "finished" if result["finished"] else "did not finish"
                note = (f"{result['steps_done']} / {args.dibs_steps} SVGD steps in "
                        f"{args.dibs_seconds:.0f} s budget ({done}); "
                        f"{cyclic} / {len(adj)} particles cyclic")
                er = GraphPrior("erdos_renyi", expected_edges=2.0 * d)
                for name, w in (("DiBS", np.ones(len(adj))),
                                ("DiBS+", np.exp(np.asarray(result["mixture_logp"])
                                                 - max(result["mixture_logp"])))):
                    row = graph_metrics(adj, w, bench.truth)
                    row.update(method=name, wall_s=result["wall_s"], load=load,
                               draws=len(adj), budget_s=args.dibs_seconds, note=note)
                    finish(row, (er, "dag", None))
    return set_ratios(rows)


def set_ratios(rows: list[dict]) -> list[dict]:
    """Each row's wall time over Gadget's on the same data (protocol, d, n, seed)."""
    key = ("protocol", "d", "n", "seed")
    gadget = {tuple(r[k] for k in key): r["wall_s"] for r in rows
              if r["method"] == "sumu Gadget"}
    for r in rows:
        g = gadget.get(tuple(r[k] for k in key), float("nan"))
        r["ratio"] = r["wall_s"] / g if g == g and g > 0 else float("nan")
    return rows


# ---------------------------------------------------------------- output
def fmt(x, spec: str) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    return format(x, spec)


def to_markdown(rows: list[dict]) -> str:
    head = ("| data | d | n | seed | method | wall (s) | / Gadget | load | err own target "
            "(mean / max) | err DAG prior (mean / max) | err uniform (mean / max) | AUROC | "
            "E-SHD | E[#edges] (true) | notes |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    order = {p: i for i, p in enumerate(PROTOCOLS)}
    rows = sorted(rows, key=lambda r: (order.get(r["protocol"], 9), r["d"], r["n"], r["seed"]))
    for r in rows:
        own, dag, uni = (
            f"{fmt(r.get(k + '_mean'), '.3f')} / {fmt(r.get(k + '_max'), '.3f')}"
            if r.get(k + "_mean") == r.get(k + "_mean") and k + "_mean" in r else "-"
            for k in ("own", "dag", "uni"))
        if dag == "-" and own != "-":
            dag = "= own"
        opts = r.get("options") or {}
        method = r["method"] + (" (" + ", ".join(f"{k}={v}" for k, v in opts.items()) + ")"
                                if opts and r["method"] not in ("gfn",) else "")
        auroc = fmt(r.get("auroc"), ".3f") + (
            f" (draws {r['auroc_draws']:.3f})" if r.get("auroc_draws") is not None else "")
        note = "; ".join(filter(None, (
            f"budget {r['budget_s']:g} s" if r.get("budget_s") is not None else "",
            f"on {r['commit']}" if r.get("commit") else "", r.get("note", ""))))
        lines.append(
            f"| {r['protocol']} | {r['d']} | {r['n']} | {r['seed']} | {method} | "
            f"{fmt(r.get('wall_s'), '.1f')} | {fmt(r.get('ratio'), '.2f')} | "
            f"{fmt(r.get('load'), '.1f')} | {own} | {dag} | {uni} | {auroc} | "
            f"{fmt(r.get('eshd'), '.1f')} | {fmt(r.get('edges'), '.1f')} ({r['true_edges']}) "
            f"| {note} |")
    return head + "\n".join(lines) + "\n"


def parse_variant(text: str) -> tuple[str, dict]:
    """``NAME=key:value,key:value`` (values parsed as JSON where they parse)."""
    name, _, body = text.partition("=")
    spec = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition(":")
        try:
            spec[key] = json.loads(value)
        except json.JSONDecodeError:
            spec[key] = value
    return name, spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 20, 50])
    parser.add_argument("--n-obs", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-seconds", type=float, default=60,
                        help="budget of each causalpost MCMC run at d <= 20")
    parser.add_argument("--max-seconds-large", type=float, default=120,
                        help="the same at d > 20")
    parser.add_argument("--other-seconds", type=float, default=30,
                        help="budget of partition / structure MCMC at d <= 20")
    parser.add_argument("--other-seconds-large", type=float, default=60,
                        help="the same at d > 20")
    parser.add_argument("--variants", nargs="*", type=parse_variant, default=[],
                        help="candidate defaults, e.g. fair=prior:fair "
                             "fair_mp4=prior:fair,max_parents:4")
    parser.add_argument("--only-variants", action="store_true",
                        help="run only --variants (no default samplers, no peers)")
    parser.add_argument("--skip", nargs="*", default=[],
                        help="methods to leave out: partition, mcmc, sumu, DiBS")
    parser.add_argument("--exact-rows", action="store_true",
                        help="at d <= 16, also rows for the exact DP posteriors themselves")
    parser.add_argument("--gfn", action="store_true", help="also run the GFlowNet")
    parser.add_argument("--gfn-seconds", type=float, default=60)
    parser.add_argument("--gfn-max-nodes", type=int, default=16)
    parser.add_argument("--sumu-python", default=os.environ.get("SUMU_PYTHON",
                                                                 DEFAULT_ENVS["sumu"]))
    parser.add_argument("--dibs-python", default=os.environ.get("DIBS_PYTHON",
                                                                 DEFAULT_ENVS["dibs"]))
    parser.add_argument("--gadget-draws", type=int, default=200,
                        help="Gadget draws at d > 16 (thinning = 10,000 / draws)")
    parser.add_argument("--gadget-draws-small", type=int, default=1000,
                        help="Gadget draws at d <= 16 (the README's 1,000)")
    parser.add_argument("--dibs-steps", type=int, default=1000)
    parser.add_argument("--dibs-seconds", type=float, default=45)
    parser.add_argument("--dibs-max-nodes", type=int, default=50)
    parser.add_argument("--dibs-max-obs", type=int, default=100,
                        help="run DiBS only up to this n (0: all)")
    parser.add_argument("--peer-timeout", type=float, default=1200)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--raw", type=Path, default=RAW)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--render", type=Path, nargs="+",
                        help="only write the table from these raw .jsonl files")
    args = parser.parse_args()
    if args.render:
        rows = [json.loads(line) for path in args.render
                for line in path.read_text().splitlines() if line]
        args.out.write_text(HEADER + to_markdown(set_ratios(rows)) + NOTES)
        print(f"wrote {args.out}")
        return
    envs = {"sumu": args.sumu_python, "dibs": args.dibs_python}
    rows = []
    if args.append and args.raw.exists():
        rows = [json.loads(line) for line in args.raw.read_text().splitlines() if line]
    elif not args.append:
        args.raw.write_text("")
    start = time.perf_counter()
    for protocol in args.protocols:
        for d in args.sizes:
            for n in args.n_obs:
                for seed in args.seeds:
                    new = run_row(protocol, d, n, seed, args, envs)
                    rows += new
                    with args.raw.open("a") as fh:
                        for r in new:
                            fh.write(json.dumps(r) + "\n")
    print(f"total {time.perf_counter() - start:.0f} s", file=sys.stderr)
    args.out.write_text(HEADER + to_markdown(set_ratios(rows)) + NOTES)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
