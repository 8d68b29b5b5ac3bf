"""Speed of the graphical incentive criteria on 20-node CIDs.

Target (issue 5): all four criteria (VoI, RI, VoC, ICI) for every node of a
dense 20-node CID in <= 5 ms; the audit needs 10,000 sampled 20-node graphs x
all four kinds in <= 10 s. Each CID is built fresh (nothing cached), from a
random DAG with edge probability ``p``, ``n_decisions`` decisions with perfect
recall (each later decision observes the earlier ones and their observations,
so sufficient recall holds) and 3 utilities among the last nodes.

Run: ``python benchmarks/incentives_speed.py [--n-cids 300] [--seed 0]``;
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from incentives import CID, all_incentives


def random_cid(rng: np.random.Generator, n: int, p: float, n_decisions: int) -> CID:
    a = np.triu(rng.random((n, n)) < p, 1)
    utilities = list(range(n - 3, n))
    a[utilities, :] = False
    decisions = sorted(rng.choice(np.arange(1, n - 3), n_decisions, replace=False))
    for k, d2 in enumerate(decisions):
        for d1 in decisions[:k]:
            a[d1, d2] = True
            a[:, d2] |= a[:, d1]
    np.fill_diagonal(a, False)
    names = [f"V{i}" for i in range(n)]
    return CID.from_adjacency(
        a, names, [names[i] for i in decisions], [names[i] for i in utilities]
    )


Spec = tuple[np.ndarray, list[str], list[str], list[str]]


def time_per_cid(adjs: list[Spec]) -> tuple[float, float]:
    """Median ms per CID: build only, and build + all four criteria for all decisions."""
    build, full = [], []
    for adj, names, dec, util in adjs:
        t0 = time.perf_counter()
        cid = CID.from_adjacency(adj, names, dec, util)
        t1 = time.perf_counter()
        all_incentives(cid)
        t2 = time.perf_counter()
        build.append(t1 - t0)
        full.append(t2 - t0)
    return 1e3 * float(np.median(build)), 1e3 * float(np.median(full))


def _spec(cid: CID) -> Spec:
    return cid.adjacency, list(cid.nodes), list(cid.decisions), list(cid.utilities)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-cids", type=int, default=300)
    parser.add_argument("--n-audit", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print("| edge prob. | decisions | mean edges | build (ms) | build + VoI/RI/VoC/ICI (ms) |")
    print("|---:|---:|---:|---:|---:|")
    for p in (0.2, 0.5, 1.0):
        for n_decisions in (1, 3, 5):
            cids = [random_cid(rng, 20, p, n_decisions) for _ in range(args.n_cids)]
            adjs = [
                (c.adjacency, list(c.nodes), list(c.decisions), list(c.utilities)) for c in cids
            ]
            build, full = time_per_cid(adjs)
            edges = np.mean([len(c.edges) for c in cids])
            print(f"| {p} | {n_decisions} | {edges:.0f} | {build:.3f} | {full:.3f} |")
    adjs = [_spec(random_cid(rng, 20, 0.2, 3)) for _ in range(args.n_audit)]
    t0, c0 = time.perf_counter(), time.process_time()
    for adj, names, dec, util in adjs:
        all_incentives(CID.from_adjacency(adj, names, dec, util))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"\nAudit-sized loop: {args.n_audit} CIDs (20 nodes, p=0.2, 3 decisions) built and "
        f"analysed in {cpu:.2f} s of CPU time ({1e3 * cpu / args.n_audit:.3f} ms each; "
        f"{wall:.2f} s wall clock on a possibly shared machine)."
    )


if __name__ == "__main__":
    main()
