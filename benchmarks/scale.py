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
import time
import warnings
from pathlib import Path

import numpy as np

import causalpost as cp
from causalpost._causallearn import run_pc
from causalpost.errors import ChainDisagreementWarning
from causalpost.graphs import shd
from causalpost.synthetic import linear_gaussian, random_dag

OUT = Path(__file__).with_name("RESULTS_scale.md")
RAW = Path(__file__).with_name("RESULTS_scale.jsonl")
BIF = ("alarm", "child", "insurance")
GAUSSIAN = {"er2_d20": 20, "er2_d50": 50, "er2_d100": 100}
# the DAG-GFlowNet protocol (causalpost.synthetic.linear_gaussian: N(0, 1) weights, noise
# sd 0.1) fitted with --no-standardize: name -> (d, n)
PROTOCOL = {"gfn_d20_n100": (20, 100), "gfn_d20_n1000": (20, 1000), "gfn_d50_n100": (50, 100),
            "gfn_d50_n1000": (50, 1000)}
NOTES = """
## What the table shows

- **`auto` = order MCMC past 5 nodes, because it is the sampler that converged.** With the
  same data and budgets, order MCMC met all three targets on every data set here: in
  1-57 s up to 50 nodes and 170 s at 100 (ER2, within the 600 s default), except alarm
  with seed 1, where the first round's chains did not agree and
  nine extension rounds (213 s, beyond the issue's 3-minute target) were needed; the
  machine was shared with other engineers' runs throughout. Partition MCMC on alarm did not
  converge in 180 s (split-R-hat 3.8, chains disagreeing by 1.0 on some edges, SHD 18);
  structure MCMC converged on alarm, child and ER2 d = 20 but not on insurance (R-hat 4.6
  after 300 s) nor on ER2 d = 50 (R-hat 1.2, SHD 186). Order MCMC's target is the
  order-modular prior, not the uniform DAG prior (see the README).
- **Accuracy**: the SHD of the P > 0.5 graph is below causal-learn PC's on every BIF and
  unit-noise ER2 row
  (alarm 3 vs 5-7, child 2 vs 7, insurance 14 vs 22, ER2 d = 20: 3 vs 14, d = 50: 16 vs
  55, d = 100: 68 vs 103); AUROC >= 0.975 except insurance (0.89).
- **DAG-GFlowNet protocol data** (noise sd 0.1, raw-column BGe): converged on all four
  rows, AUROC 0.92-0.98 except d = 50, n = 100 (0.86), but the P > 0.5 graph is *worse*
  than PC's (SHD 23 vs 13 at d = 20, n = 1000; 153 vs 46 at d = 50, n = 1000): on this
  low-noise, unstandardized data the posterior itself, or order MCMC's order-modular
  prior, favours denser graphs than the truth; not investigated further here (compare
  partition / structure MCMC and the DP at d <= 20 first). At d = 50, n = 100, 14 of 91
  true edges stay outside the space.
- **Search space**: the iterative expansion took every true edge in on child and ER2
  d = 20 / 50 / 100. On alarm two true edges stay outside (INSUFFANESTH -> CATECHOL, SAO2 ->
  CATECHOL) and on insurance 9: their boundary share, the posterior weight the sampled
  graphs would give them one step outside the space, is below 1e-7 on alarm, i.e. the
  data (2,000 rows, BDeu) do not ask for them from any sampled graph, so the expansion,
  which adds what the posterior asks for, never does. The issue's "no true edge outside
  the final space" is therefore **not met** on alarm and insurance; it would need a
  wider starting space (these parents rank up to 27th by single-parent score gain).
- **Boundary mass** stays high (0.9) where a node is at the candidate cap (16) with all
  its candidates in use, and for score-equivalent scores it counts a covered edge whose
  reverse orientation the space excludes as 0.5: read it per edge
  (`diagnostics["boundary_share"]`).
- The partition / structure-MCMC comparison rows ran on the code of one commit before
  the candidate-cap swap of the expansion (9b1896e); the `order` rows on the final code.
- Not run here (time): several seeds per network (alarm has two).
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
    cand = np.asarray(diag.get("candidates", np.ones_like(truth)), dtype=bool)
    return {
        "data": label, "d": data.n_nodes, "n": data.n_obs, "seed": seed,
        "sampler": post.info["sampler"], "converged": bool(diag.get("converged", True)),
        "seconds": wall, "rounds": int(diag.get("n_rounds", 0)),
        "rhat": float(diag.get("rhat_log_score", 1.0)), "ess": float(diag.get("ess_log_score", 0)),
        "gap": float(diag.get("max_chain_disagreement", 0.0)),
        "shd": int(shd((probs > 0.5).astype(np.uint8), truth)), "pc_shd": pc_shd(data, truth),
        "auroc": float(post.edge_auroc(truth)),
        "outside": int((truth.astype(bool) & ~cand).sum()), "n_true": int(truth.sum()),
        "boundary": float(diag.get("boundary_mass", float("nan"))),
        "search_space": diag.get("search_space", "-"),
        "expansions": int(diag.get("n_expansions", 0)), "budget": max_seconds,
    }


def to_markdown(rows: list[dict]) -> str:
    head = ("| data | d | n | seed | sampler | budget (s) | converged | time (s) | rounds | "
            "R-hat | ESS | "
            "chain gap | SHD (P>0.5) | PC SHD | AUROC | true edges outside space | "
            "boundary mass | expansions |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    return head + "\n".join(
        f"| {r['data']} | {r['d']} | {r['n']} | {r['seed']} | {r['sampler']} | "
        f"{r.get('budget', 600):g} | {'yes' if r['converged'] else '**no**'} | "
        f"{r['seconds']:.0f} | {r['rounds']} | "
        f"{r['rhat']:.3f} | {r['ess']:.0f} | {r['gap']:.3f} | {r['shd']} | {r['pc_shd']} | "
        f"{r['auroc']:.3f} | {r['outside']} / {r['n_true']} | {r['boundary']:.3f} | "
        f"{r['expansions']} |" for r in rows) + "\n"


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
    OUT.write_text(
        "# Posteriors at scale, with `causalpost fit` defaults\n\n"
        "Produced by `python benchmarks/scale.py` (see its docstring for the protocol) on "
        "the 2-core development machine, shared with other work while it ran; "
        "converged = split-R-hat of the log score <= 1.05, "
        "ESS >= 400 and chain disagreement <= 0.1. PC SHD counts an undirected PC edge as "
        "right when either orientation is true.\n\n" + to_markdown(rows) + NOTES)


if __name__ == "__main__":
    main()
