"""Which graph prior ranks the true edges best: exact posteriors at d = 16 (issue 20).

For each data set (the generator of ``benchmarks/peers.py``: ER2 graphs with N(0, 1)
weights; the DAG-GFlowNet protocol, noise sd 0.1 and raw columns, and unit noise with
standardized columns; n = 100 and 1,000; data seeds 0-2) and each candidate default
prior, the exact edge marginals under the DAG-modular prior (the exact sampler's and
partition MCMC's target; ``causalpost.dp.dag_modular_edge_probs``) and under the
order-modular one (order MCMC's; ``order_modular_edge_probs``). No sampler runs, so the
numbers carry no Monte Carlo error: they compare the *models*. Reported: edge AUROC
against the true graph, E[#edges], and the number of wrong cells of the P > 0.5 graph
(a reversed edge counts twice).

Run ``python benchmarks/priors.py`` (about 10 minutes on 2 cores; writes
``RESULTS_priors.jsonl`` and ``RESULTS_priors.md``), ``--render`` to redraw the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from causalpost import dp
from causalpost.metrics import edge_auroc
from causalpost.samplers._common import prepare_problem
from causalpost.scores.priors import GraphPrior

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import make_data  # noqa: E402  (the peers benchmark's data generator)

RAW = HERE / "RESULTS_priors.jsonl"
OUT = HERE / "RESULTS_priors.md"
PRIORS = {  # name -> (prior, max_parents)
    "uniform": (GraphPrior(), None),
    "uniform, <= 4 parents": (GraphPrior(), 4),
    "fair": (GraphPrior("fair"), None),
    "fair, <= 4 parents": (GraphPrior("fair"), 4),
    "sparse": (GraphPrior("sparse"), None),
    "erdos_renyi, 2d edges": (GraphPrior("erdos_renyi", expected_edges=32.0), None),
}
MODULAR = {"dag": dp.dag_modular_edge_probs, "order": dp.order_modular_edge_probs}


def run(seeds: list[int], d: int = 16) -> list[dict]:
    rows = []
    with RAW.open("a") as raw:
        for seed in seeds:
            for protocol in ("gfn", "std"):
                for n in (100, 1000):
                    bench, options, _ = make_data(protocol, d, n, seed)
                    truth = np.asarray(bench.truth).astype(bool)
                    for name, (prior, max_parents) in PRIORS.items():
                        begin = time.perf_counter()
                        table = prepare_problem(bench.data, None, options, prior, None,
                                                max_parents).table()
                        for modular, exact in MODULAR.items():
                            probs = exact(table)
                            row = {"seed": seed, "protocol": protocol, "d": d, "n": n,
                                   "prior": name, "modular": modular,
                                   "auroc": edge_auroc(probs, truth),
                                   "edges": float(probs.sum()), "true": int(truth.sum()),
                                   "wrong": int(((probs > 0.5) != truth).sum()),
                                   "seconds": time.perf_counter() - begin}
                            raw.write(json.dumps(row) + "\n")
                            raw.flush()
                            rows.append(row)
                            print(row, flush=True)
    return rows


def render(rows: list[dict]) -> str:
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        cells[(r["protocol"], r["n"], r["modular"], r["prior"])].append(r)
    out = ["| data | n | prior modularity | prior | AUROC by seed | mean AUROC | E[#edges] "
           "(true) | wrong cells, P > 0.5 |", "|---|---|---|---|---|---|---|---|"]
    for (protocol, n, modular, prior), group in sorted(
            cells.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2],
                                           list(PRIORS).index(kv[0][3]))):
        group = sorted(group, key=lambda r: r["seed"])
        by_seed = " / ".join(f"{r['auroc']:.3f}" for r in group)
        edges = " / ".join(f"{r['edges']:.0f}" for r in group)
        wrong = " / ".join(str(r["wrong"]) for r in group)
        mean = np.mean([r["auroc"] for r in group])
        out.append(f"| {protocol} | {n} | {modular} | {prior} | {by_seed} | {mean:.3f} | "
                   f"{edges} ({group[0]['true']}) | {wrong} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--render", action="store_true", help="redraw from the raw rows")
    args = parser.parse_args()
    if not args.render:
        if RAW.exists():
            RAW.unlink()
        run(args.seeds)
    rows = [json.loads(line) for line in RAW.open()]
    header = OUT.read_text().split("\n| data |")[0] if OUT.exists() else "# Priors\n\n"
    OUT.write_text(header.rstrip() + "\n\n" + render(rows) + "\n")


if __name__ == "__main__":
    main()
