"""Audit a news-recommender agent design under every plausible world model.

The recommender chooses what to show (decision ``Rec``) after observing a user's
age and history, to maximise engagement. Its recommendations also reach the user's
opinion, which the designer wants the agent to have no incentive to control. Whether
that incentive exists depends on whether opinion drives clicks or clicks drive
opinion: the bundled data cannot tell the two apart, so the posterior keeps both
worlds and the audit reports the risk under each.

Run:  python examples/audit_recommender.py [--n-draws 2000] [--out audit-out]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import causalpost as cp
from causalpost.datasets import datasets_dir, load_example
from incentives.audit import audit
from incentives.design import Design


def main(n_draws: int = 2000, out: str | Path = "audit-out", seed: int = 0,
         quiet: bool = False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    design = Design.load(datasets_dir() / "designs" / "recommender.json")
    data = load_example("recommender").data

    # learn the world model under the constraints the design needs (e.g. nothing the
    # recommendation affects may cause what it observes)
    knowledge = design.background_knowledge(data.names)
    world = cp.fit(data, sampler="partition", knowledge=knowledge, n_draws=n_draws,
                   n_chains=2, seed=seed, quiet=quiet)
    print(world.edge_probs.round(2))

    report = audit(world, design, threshold=0.05, alpha=0.05)
    print(report.to_markdown())
    report.to_html(out / "recommender_audit.html")
    print(f"verdict: {report.verdict}; report written to {out / 'recommender_audit.html'}")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-draws", type=int, default=2000)
    parser.add_argument("--out", default="audit-out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    main(args.n_draws, args.out, args.seed, args.quiet)
