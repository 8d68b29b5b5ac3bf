"""Speed of the posterior audit on 10,000 sampled 20-node graphs.

Target (issue 6): 10,000 sampled 20-node graphs audited for all four kinds
(VoI, RI, VoC, ICI) in <= 10 s. The graphs are random DAGs (a random order,
each forward edge with probability ``p``) with the design's background
knowledge applied, as a sampler would draw them; ``distinct`` sets how many
different graphs the 10,000 draws hold (10,000: every draw distinct, the worst
case; an MCMC chain repeats graphs). The design adds decisions that each
observe 3 columns and affect 3 others, one utility with 3 parents, and 3
protected nodes. Timed: the whole :func:`incentives.audit.audit` call
(deduplication, composing, criteria, intervals, flags, witnesses), without
quantitative values (the posterior carries no parameters).

Run: ``python benchmarks/audit_speed.py [--n-draws 10000] [--seed 0]``;
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from causalpost import Posterior
from incentives.audit import audit
from incentives.design import Design


def make_design(names: list[str], n_decisions: int, rng: np.random.Generator) -> Design:
    picks = rng.permutation(len(names))
    decisions = {}
    for k in range(n_decisions):
        obs = [names[i] for i in picks[6 * k : 6 * k + 3]]
        aff = [names[i] for i in picks[6 * k + 3 : 6 * k + 6]]
        decisions[f"D{k}"] = {"observes": obs, "affects": aff}
    last = picks[-6:]
    return Design.from_json(
        {
            "name": f"{n_decisions} decision(s)",
            "decisions": decisions,
            "utilities": {"U": {"parents": [names[i] for i in last[:3]]}},
            "protected": [names[i] for i in last[3:]],
            "kinds": ["voi", "ri", "voc", "ici"],
        }
    )


def make_posterior(
    names: list[str],
    design: Design,
    n_draws: int,
    distinct: int,
    p: float,
    rng: np.random.Generator,
) -> Posterior:
    d = len(names)
    forbidden, required = design.background_knowledge(names).matrices(names)
    graphs = np.zeros((distinct, d, d), dtype=np.uint8)
    for s in range(distinct):
        order = rng.permutation(d)
        upper = np.triu(rng.random((d, d)) < p, 1)
        graphs[s][np.ix_(order, order)] = upper
        graphs[s] &= ~forbidden
        graphs[s] |= required
    draws = graphs[rng.integers(0, distinct, n_draws)] if distinct < n_draws else graphs
    return Posterior(names, draws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-draws", type=int, default=10_000)
    parser.add_argument("--n-nodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    names = [f"X{i}" for i in range(args.n_nodes)]
    print("| decisions | edge prob. | distinct graphs | mean edges | invalid | audit (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n_decisions, p, distinct in [
        (1, 0.1, args.n_draws),
        (1, 0.2, args.n_draws),
        (1, 0.2, args.n_draws // 10),
        (3, 0.1, args.n_draws),
    ]:
        design = make_design(names, n_decisions, rng)
        post = make_posterior(names, design, args.n_draws, distinct, p, rng)
        t0 = time.perf_counter()
        report = audit(post, design, n_quantitative=0)
        seconds = time.perf_counter() - t0
        edges = post.adjacency.sum(axis=(1, 2)).mean()
        print(
            f"| {n_decisions} | {p} | {report.n_unique_graphs} | {edges:.1f} | "
            f"{report.invalid_fraction:.2f} | {seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
