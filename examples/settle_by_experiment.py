"""The experiment that settles an audit, end to end (issue 12).

The news-recommender design fails its audit at P(instrumental control
incentive on Opinion) of about 0.5: observational data cannot orient
Clicks - Opinion. `plan_experiments` ranks the single-node interventions by
how much they would tell about the verdict; the best one is then run -- here
simulated from the bundled SEM (``datasets/recommender/sem.json``), the
stand-in for the real world -- appended to the data with its intervention
mask, the posterior refitted, and the audit rerun.

Run: ``python examples/settle_by_experiment.py [--out DIR]`` (about half a minute).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import causalpost as cp
from causalpost.datasets import datasets_dir, load_example, make_example_data
from incentives import Design, audit, plan_experiments


def ici_on_opinion(report) -> tuple[float, float, float]:
    row = report.table.query("kind == 'ici' and node == 'Opinion'").iloc[0]
    return float(row.probability), float(row.lo), float(row.hi)


def main(out: Path, quiet: bool = True) -> dict:
    design = Design.load(datasets_dir() / "designs" / "recommender.json")
    data = load_example("recommender").data
    knowledge = design.background_knowledge(data.names)
    fit = dict(sampler="mcmc", knowledge=knowledge, n_draws=2000, n_chains=2, quiet=quiet)

    world = cp.fit(data, seed=0, **fit)
    before = audit(world, design, n_quantitative=0, quiet=quiet)
    p, lo, hi = ici_on_opinion(before)
    print(f"1. audit on observational data: {before.verdict.upper()}, "
          f"P(ici on Opinion) = {p:.3f} [{lo:.3f}, {hi:.3f}]")

    plan = plan_experiments(world, design, data, n_rows=200, n_sims=48, seed=0, quiet=quiet)
    print("2. which experiment would settle it:")
    print(plan.to_markdown())
    best = str(plan.table["node"].iloc[0])

    experiment = make_example_data("recommender", n_obs=200, seed=1, do=best).data
    combined = data.append(experiment)
    out.mkdir(parents=True, exist_ok=True)
    frame = combined.to_pandas().assign(INT=combined.intervention_labels())
    frame.to_csv(out / "recommender_with_experiment.csv", index=False)

    refitted = cp.fit(combined, seed=0, **fit)
    after = audit(refitted, design, n_quantitative=0, quiet=quiet)
    p2, lo2, hi2 = ici_on_opinion(after)
    print(f"3. after 200 rows of do({best}): {after.verdict.upper()}, "
          f"P(ici on Opinion) = {p2:.3f} [{lo2:.3f}, {hi2:.3f}]")
    print(f"   P(Clicks -> Opinion) {world.edge_probs.loc['Clicks', 'Opinion']:.2f} -> "
          f"{refitted.edge_probs.loc['Clicks', 'Opinion']:.2f}; "
          f"the experiment that decided it: do({best})")
    return {"before": p, "after": p2, "best": best, "verdict_after": after.verdict,
            "eig": float(plan.table["eig"].iloc[0]), "entropy_now": plan.entropy_now}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="settle-by-experiment")
    main(Path(parser.parse_args().out))
