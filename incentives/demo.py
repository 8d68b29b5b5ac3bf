"""``causalpost demo``: the whole story on bundled data, in about a minute.

1. A posterior over the Sachs protein-signalling network (853 observational
   cells, 11 proteins) by partition MCMC, its edge probabilities drawn and
   scored against both published ground truths.
2. An audit of a news-recommender agent design: the recommender's world model
   is learned from bundled data under the design's constraints, and the
   agent's incentives are evaluated under every sampled world model; the
   verdict and an HTML report with the risk plots are written.
3. Which experiment would settle that audit: the single-node interventions
   ranked by expected information gain about its verdict
   (:func:`incentives.plan.plan_experiments`), added to the HTML report.

Lives in :mod:`incentives` because it uses both packages (``incentives`` may
import ``causalpost``, never the reverse).
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser", "run_demo"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="learn a posterior and audit an agent design on bundled data")
    parser.add_argument("--out", default="causalpost-demo", help="folder for plots and report")
    parser.add_argument("--n-draws", type=int, default=2000, help="MCMC draws per posterior")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    from causalpost._io import check_output_dir
    from incentives.design import DesignError

    check_output_dir(args.out, "--out")  # before a minute of work, not after it
    if args.n_draws < 1 or args.seed < 0:  # before the output folder is created
        raise DesignError(f"--n-draws must be >= 1 and --seed >= 0; got {args.n_draws}, "
                          f"{args.seed}")
    run_demo(args.out, n_draws=args.n_draws, seed=args.seed, quiet=args.quiet)
    return 0


def run_demo(out: str | Path = "causalpost-demo", *, n_draws: int = 2000, seed: int = 0,
             quiet: bool = False) -> dict:
    """Run both parts of the demo and write their outputs under ``out``.

    Returns
    -------
    dict
        ``{"sachs": Posterior, "recommender": Posterior, "audit": AuditReport,
        "plan": ExperimentPlan, "files": [paths written]}``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    sachs = _sachs_part(out, n_draws, seed, quiet, files)
    world, report = _audit_part(out, n_draws, seed, quiet, files)
    plan = _settle_part(out, world, report, seed, quiet, files)
    print(f"\nWrote {len(files)} files to {out.resolve()}:")
    for path in files:
        print(f"  {path}")
    return {"sachs": sachs, "recommender": world, "audit": report, "plan": plan,
            "files": files}


def _sachs_part(out: Path, n_draws: int, seed: int, quiet: bool, files: list[Path]):
    import causalpost as cp
    from causalpost import plot
    from causalpost.datasets import load_sachs

    print("== 1. Posterior over the Sachs network (853 observational cells, 11 proteins) ==")
    sachs = load_sachs("observational", truth="bif", log=True)
    post = cp.fit(sachs.data, sampler="partition", n_draws=n_draws, n_chains=2, seed=seed,
                  quiet=quiet)
    for truth_name in ("bif", "consensus"):
        truth = load_sachs("observational", truth=truth_name)
        print(f"  vs {truth.truth_name}: expected SHD {post.expected_shd(truth.truth):.1f}, "
              f"edge AUROC {post.edge_auroc(truth.truth):.3f}")
    files.append(post.save(out / "sachs_posterior.npz"))
    files.append(plot.save_figure(plot.plot_edge_probs(post), out / "sachs_edges.png"))
    files.append(plot.save_figure(plot.plot_posterior_graph(post, cutoff=0.2),
                                  out / "sachs_graph.png"))
    files.append(plot.save_figure(plot.plot_top_graphs(post, k=4), out / "sachs_top.png"))
    return post


def _audit_part(out: Path, n_draws: int, seed: int, quiet: bool, files: list[Path]):
    import causalpost as cp
    from causalpost import plot
    from causalpost.datasets import datasets_dir, load_example
    from incentives.audit import audit
    from incentives.design import Design

    print("\n== 2. Audit of a news-recommender design under the learned world model ==")
    design = Design.load(datasets_dir() / "designs" / "recommender.json")
    data = load_example("recommender").data
    knowledge = design.background_knowledge(data.names)
    world = cp.fit(data, sampler="partition", knowledge=knowledge, n_draws=n_draws,
                   n_chains=2, seed=seed, quiet=quiet)
    report = audit(world, design, threshold=0.05, alpha=0.05)
    print(report.to_markdown())
    files.append(world.save(out / "recommender_posterior.npz"))
    files.append(plot.save_figure(plot.plot_edge_probs(world), out / "recommender_edges.png"))
    html = out / "recommender_audit.html"
    from causalpost._io import atomic_path

    with atomic_path(html) as tmp:  # no partial page if interrupted
        report.to_html(tmp)
    files.append(html)
    print(f"  verdict: {report.verdict.upper()} (threshold 0.05 on protected incentives)")
    return world, report


def _settle_part(out: Path, world, report, seed: int, quiet: bool, files: list[Path]):
    from causalpost.datasets import datasets_dir, load_example
    from incentives.design import Design
    from incentives.plan import plan_experiments

    print("\n== 3. Which experiment would settle the audit ==")
    design = Design.load(datasets_dir() / "designs" / "recommender.json")
    data = load_example("recommender").data
    plan = plan_experiments(world, design, data, n_rows=200, n_sims=32, seed=seed, quiet=quiet)
    print(plan.to_markdown())
    best = plan.table.iloc[0]
    print(f"  run {best.node!s} as an experiment: expected gain {best.eig:.3f} of "
          f"{plan.entropy_now:.3f} nats (examples/settle_by_experiment.py runs it end to end)")
    html = out / "recommender_audit.html"
    report.to_html(html, plan=plan)  # the report gains its "what would settle this" section
    from causalpost import plot

    files.append(plot.save_figure(plan.plot(), out / "recommender_plan.png"))
    return plan
