"""Posteriors at the sizes of real problems, with `causalpost fit` defaults.

For each data set: one fit with the defaults (``sampler="auto"``, 600 s budget, the
convergence targets R-hat <= 1.05, ESS >= 400, chain disagreement <= 0.1) or with
``--sampler``; reported: whether it converged and in what time, the SHD of the
P > 0.5 graph, causal-learn PC's SHD on the same data (an undirected PC edge counts
as right when either orientation is true: generous to PC), the edge AUROC, the
true edges outside the final search space, and the posterior mass at its boundary.

Data: pgmpy's bundled BIF networks (``simulate(n_samples=2000)``, one seed per
row; a column left constant by a rare state is dropped with its edges), and
linear-Gaussian ER2 graphs (2 expected edges per node, weights +-U(0.5, 2), noise
sd 1, standardized BGe) at n = 1000; and the DAG-GFlowNet protocol data the other
benchmarks use (``causalpost.synthetic.linear_gaussian``: N(0, 1) weights, noise sd
0.1; BGe on raw columns, ``--no-standardize``) at d = 20 / 50, n = 100 / 1000.

Run ``python benchmarks/scale.py`` (writes ``RESULTS_scale.md``); ``--only alarm``,
``--samplers order partition`` and ``--seeds 0 1`` pick rows; ``--append`` adds
rows to an existing table instead of replacing it.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from pathlib import Path

import numpy as np

import causalpost as cp
from causalpost._causallearn import run_pc
from causalpost.errors import ChainDisagreementWarning
from causalpost.graphs import shd
from causalpost.metrics import edge_auroc
from causalpost.synthetic import linear_gaussian, random_dag

OUT = Path(__file__).with_name("RESULTS_scale.md")
RAW = Path(__file__).with_name("RESULTS_scale.jsonl")
BIF = ("alarm", "child", "insurance")
GAUSSIAN = {"er2_d20": 20, "er2_d50": 50, "er2_d100": 100}
# the DAG-GFlowNet protocol (causalpost.synthetic.linear_gaussian: N(0, 1) weights, noise
# sd 0.1) fitted with --no-standardize: name -> (d, n)
PROTOCOL = {"gfn_d20_n100": (20, 100), "gfn_d20_n1000": (20, 1000), "gfn_d50_n100": (50, 100),
            "gfn_d50_n1000": (50, 1000)}

def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "-"


COMMIT = _commit()
NOTES = """
## What the table shows

Rows with a value in "their largest boundary share" ran on the final code of
2026-12-01 (one-step boundary with swaps, symmetric candidate pairs, stuck-chain
restarts, compiled BDeu tables); rows with "-" are older (the partition /
structure-MCMC comparison rows), kept for the comparison they were run for.

- **alarm, three seeds, defaults: converged in 91-95 s** (the 3-minute target), SHD of
  the P > 0.5 graph 3 / 3 / 7 against PC's 7 / 5 / 7, AUROC 0.974-0.975. Two things
  made that true. The BDeu score table is now built in compiled code: before, a node
  with 16 candidates meant 65,536 parent sets scored at up to 0.13 s each, and seed 1
  spent its whole 600 s budget there. And seed 1 kept one of its two chains 220 nats
  below the other through 12 rounds (split-R-hat 98); a chain trapped that far below
  another, with no overlap, now restarts from the best chain's state (its own random
  stream; the records before the restart dropped), and seed 1 converged in two rounds.
- **True edges outside the final space**: alarm keeps 1-2 of 46 outside
  (INSUFFANESTH -> CATECHOL, SAO2 -> CATECHOL), each with a boundary share below 1e-8:
  CATECHOL's true parent set scores 56 nats below the sampled {ARTCO2, TPR}, and adding
  either parent to it costs 17 / 25 nats, so the data do not ask for them. The
  boundary now counts swaps as well as additions: on insurance, RuggedAuto's sampled
  {Airbag, MakeModel} scores 22 nats below the true {MakeModel, VehicleYear}, yet adding
  VehicleYear loses 13 nats, so an add-only boundary never asked for it; with swaps it
  comes in. insurance keeps 8-9 of 48-52 outside: all but Theft's have shares below
  1e-2; Theft (a rare event) has a diffuse parent posterior over more than the 16
  candidates the cap allows (boundary mass 0.6-0.7 there), and `fit` now says so in a
  `SearchSpaceWarning` naming Theft, its claimants and `--max-candidates`.
- **insurance AUROC 0.901 / 0.882 / 0.894** across the three seeds: below 0.9 on two,
  with SHD 12-18 against PC's 22-26; the true edges the data do not support (above)
  are most of the gap.
- **child**: 2-4 s, SHD 2-3 against PC's 5-7, AUROC 0.977.
- **Linear-Gaussian ER2** (unit noise, standardized BGe): converged at d = 20 / 50 / 100
  in 18 / 78 / 235 s with AUROC 1.000 / 1.000 / 0.998 and no true edge outside the space,
  SHD far below PC's (2 vs 14, 17 vs 55, 72 vs 103).
  The d = 100 row is the one that showed why symmetric candidate pairs must leave room
  for the expansion: filling every node's 16 slots with reverse partners left 9 of 201
  true edges outside (AUROC 0.971, SHD 100); with 3 slots kept free (the final code),
  none.
- **DAG-GFlowNet protocol** (noise sd 0.1, raw-column BGe): converged on every row;
  the P > 0.5 graph is still denser than the truth and worse than PC's (d = 20: SHD 35
  vs 21 at n = 100, 19 vs 13 at n = 1000; d = 50, n = 1000: 155 vs 46), AUROC
  0.91-0.97; at d = 50, n = 100 AUROC 0.864 with 14 of 91 true edges outside, some with
  boundary shares up to 0.15 (the `SearchSpaceWarning` fires). That is mostly the prior,
  not the sampler: the exact posterior under the uniform
  prior has 2.5-3x the true number of edges on these data (`RESULTS_peers.md`, where
  the fair prior with at most 4 parents brings E[#edges] near the truth).
- Which code each row ran: the BIF rows and the ER2 d = 20 / 50 and protocol d = 20 /
  d = 50, n = 1000 rows on the code of f65563d (before the 3 free slots; alarm seed 1
  rechecked after them: converged in 73 s, 2 rounds); er2_d100 and gfn_d50_n100 on
  75b7e52.
- **Boundary mass** on continuous data stays high (0.5-1.0) even where no true edge is
  outside: with swaps counted, a candidate's near-equivalent outsider (a strongly
  correlated neighbour) claims a share where the two are interchangeable. Read it per
  edge (`diagnostics["boundary_share"]`).
- The machine was shared with other work for some rows (load 1-7); times are wall time.
"""


def bif_data(name: str, seed: int) -> tuple[cp.Dataset, np.ndarray]:
    """pgmpy's model sampled with ``simulate(n_samples=2000)``, and its graph."""
    from causalpost.datasets import load_bif_network

    model = load_bif_network(name)
    frame = model.simulate(n_samples=2000, seed=seed, show_progress=False)
    # a state too rare to occur leaves a constant column: dropped with its edges
    names = sorted(c for c in frame.columns if frame[c].nunique() > 1)
    frame = frame[names].astype(str)
    data = cp.from_pandas(frame, kinds={c: "discrete" for c in names})
    index = {n: k for k, n in enumerate(data.names)}
    truth = np.zeros((len(names), len(names)), dtype=np.uint8)
    for a, b in model.edges():
        if a in index and b in index:
            truth[index[a], index[b]] = 1
    return data, truth


def gaussian_data(d: int, seed: int, n_obs: int = 1000) -> tuple[cp.Dataset, np.ndarray]:
    """Linear-Gaussian ER2: weights +-U(0.5, 2), unit noise."""
    rng = np.random.default_rng(seed)
    truth = random_dag(d, "er", edges_per_node=2.0, seed=rng).astype(np.uint8)
    weights = truth * rng.uniform(0.5, 2.0, truth.shape) * rng.choice([-1, 1], truth.shape)
    order = cp.graphs.topological_order(truth)
    x = np.zeros((n_obs, d))
    for j in order:
        x[:, j] = x @ weights[:, j] + rng.normal(size=n_obs)
    return cp.from_numpy(x, [f"X{i}" for i in range(d)]), truth


def pc_shd(data: cp.Dataset, truth: np.ndarray) -> int:
    """SHD of causal-learn PC's CPDAG, each undirected edge oriented the true way when
    the truth has that adjacency (else it is one wrong adjacency either way)."""
    directed, undirected = run_pc(np.asarray(data.values), data.kind)
    und = np.triu((undirected | undirected.T).astype(bool), 1)
    t = truth.astype(bool)
    guess = directed.astype(bool) | (und & t) | (und & t.T).T | (und & ~t & ~t.T)
    return int(shd(guess.astype(np.uint8), truth))


def run_one(label: str, data: cp.Dataset, truth: np.ndarray, seed: int, sampler: str,
            max_seconds: float) -> dict:
    begin = time.perf_counter()
    options = {"standardize": False} if label in PROTOCOL else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChainDisagreementWarning)
        post = cp.fit(data, sampler=sampler, seed=seed, quiet=True, parameters=False,
                      max_seconds=max_seconds, score_options=options)
    wall = time.perf_counter() - begin
    diag = post.diagnostics
    probs = post.edge_prob_matrix
    freqs = post.draw_edge_frequencies
    true = truth.astype(bool) & ~np.eye(len(truth), dtype=bool)
    cand = np.asarray(diag.get("candidates", np.ones_like(truth)), dtype=bool)
    return {
        "data": label, "d": data.n_nodes, "n": data.n_obs, "seed": seed,
        "sampler": post.info["sampler"], "converged": bool(diag.get("converged", True)),
        "seconds": wall, "rounds": int(diag.get("n_rounds", 0)),
        "rhat": float(diag.get("rhat_log_score", 1.0)), "ess": float(diag.get("ess_log_score", 0)),
        "gap": float(diag.get("max_chain_disagreement", 0.0)),
        "shd": int(shd((probs > 0.5).astype(np.uint8), truth)), "pc_shd": pc_shd(data, truth),
        "auroc": float(post.edge_auroc(truth)),
        # the old report: the draws' own frequencies (an edge outside the space is 0)
        "auroc_draws": float(edge_auroc(freqs, truth)),
        "shd_draws": int(shd((freqs > 0.5).astype(np.uint8), truth)),
        "true_at_zero_draws": int((freqs[true] == 0).sum()),
        "true_at_zero": int((probs[true] == 0).sum()),
        "commit": COMMIT,
        "outside": int((truth.astype(bool) & ~cand).sum()), "n_true": int(truth.sum()),
        # the most posterior weight the space withholds from one excluded true edge
        "outside_share": float(np.max(np.asarray(diag["boundary_share"])[
            truth.astype(bool) & ~cand], initial=0.0)) if "boundary_share" in diag else 0.0,
        "boundary": float(diag.get("boundary_mass", float("nan"))),
        "search_space": diag.get("search_space", "-"),
        "expansions": int(diag.get("n_expansions", 0)), "budget": max_seconds,
    }


def to_markdown(rows: list[dict]) -> str:
    head = ("| data | d | n | seed | sampler | budget (s) | converged | time (s) | rounds | "
            "R-hat | ESS | "
            "chain gap | SHD (P>0.5) | PC SHD | AUROC | AUROC (draw freq) | "
            "true edges outside space | "
            "their largest boundary share | boundary mass | expansions |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    return head + "\n".join(
        f"| {r['data']} | {r['d']} | {r['n']} | {r['seed']} | {r['sampler']} | "
        f"{r.get('budget', 600):g} | {'yes' if r['converged'] else '**no**'} | "
        f"{r['seconds']:.0f} | {r['rounds']} | "
        f"{r['rhat']:.3f} | {r['ess']:.0f} | {r['gap']:.3f} | {r['shd']} | {r['pc_shd']} | "
        f"{r['auroc']:.3f} | {_auc(r.get('auroc_draws'))} | {r['outside']} / {r['n_true']} | "
        f"{_share(r.get('outside_share'))} | {r['boundary']:.3f} | "
        f"{r['expansions']} |" for r in rows) + "\n"


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=[*BIF, *GAUSSIAN])
    parser.add_argument("--samplers", nargs="+", default=["auto"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite RESULTS_scale.md from RESULTS_scale.jsonl")
    args = parser.parse_args()
    rows = [json.loads(line) for line in RAW.read_text().splitlines()] \
        if (args.append or args.render) and RAW.exists() else []
    for label in ([] if args.render else args.only):
        for seed in args.seeds:
            if label in PROTOCOL:
                bench = linear_gaussian(*PROTOCOL[label], seed=seed)
                data, truth = bench.data, bench.truth.astype(np.uint8)
            else:
                data, truth = (bif_data(label, seed) if label in BIF
                               else gaussian_data(GAUSSIAN[label], seed))
            for sampler in args.samplers:
                row = run_one(label, data, truth, seed, sampler, args.max_seconds)
                rows.append(row)
                print(to_markdown([row]).splitlines()[-1], flush=True)
    latest = {}  # a rerun of the same (data, seed, sampler, budget) replaces the older row
    for r in rows:
        latest[(r["data"], r["seed"], r["sampler"], r.get("budget", 600))] = r
    rows = list(latest.values())
    RAW.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # sections other scripts append (e.g. parallel_scale.py's) are kept
    kept = ""
    if OUT.exists():
        text = OUT.read_text()
        heads = [m.start() for m in re.finditer(r"\n## (?!What the table shows)", text)]
        kept = text[heads[0]:] if heads else ""
    OUT.write_text(
        "# Posteriors at scale, with `causalpost fit` defaults\n\n"
        "Produced by `python benchmarks/scale.py` (see its docstring for the protocol) on "
        "the 2-core development machine, shared with other work while it ran; "
        "converged = split-R-hat of the log score <= 1.05, "
        "ESS >= 400 and chain disagreement <= 0.1. PC SHD counts an undirected PC edge as "
        "right when either orientation is true.\n\n" + to_markdown(rows) + NOTES + kept)


if __name__ == "__main__":
    main()
