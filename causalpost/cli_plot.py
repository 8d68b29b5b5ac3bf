"""``causalpost plot``: draw a saved posterior to an image file."""

from __future__ import annotations

import argparse

from causalpost.errors import CausalpostError

__all__ = ["add_parser"]

KINDS = ("edges", "graph", "top", "trace")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``plot`` subcommand."""
    parser = subparsers.add_parser("plot", help="plot a saved posterior (png, svg or pdf)")
    parser.add_argument("posterior", help="a .npz file written by `causalpost fit`")
    parser.add_argument("--kind", choices=KINDS, default="edges",
                        help="edges: heatmap; graph: edges drawn by probability; "
                             "top: most probable graphs; trace: MCMC log-score traces")
    parser.add_argument("--out", required=True, help="image file (.png, .svg or .pdf)")
    parser.add_argument("--cutoff", type=float, default=0.1,
                        help="hide edges below this probability (graph)")
    parser.add_argument("--top", type=int, default=6, help="number of graphs (top)")
    parser.add_argument("--truth", metavar="CSV",
                        help="a true graph to mark (edges: outlined cells; graph: missed true "
                             "edges dashed); an edge list 'from,to' or a 0/1 adjacency matrix, "
                             "as for `causalpost evaluate`")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Draw and save; returns 0."""
    from causalpost import plot
    from causalpost._io import check_output
    from causalpost.plot.drawing import FORMATS
    from causalpost.posterior import Posterior

    out = check_output(args.out, "--out", [args.posterior, args.truth])
    if out.suffix.lower() not in FORMATS:
        raise CausalpostError(f"--out {args.out!r}: use one of {', '.join(FORMATS)}")
    if args.truth and args.kind not in ("edges", "graph"):
        raise CausalpostError(f"--truth marks the true graph on --kind edges or graph, not "
                              f"{args.kind}")
    posterior = Posterior.load(args.posterior)
    truth = None
    if args.truth:
        from causalpost.evaluate import read_truth

        truth = read_truth(args.truth, posterior.nodes)
    if args.kind == "edges":
        fig = plot.plot_edge_probs(posterior, truth=truth)
    elif args.kind == "graph":
        fig = plot.plot_posterior_graph(posterior, cutoff=args.cutoff, truth=truth)
    elif args.kind == "top":
        fig = plot.plot_top_graphs(posterior, k=args.top)
    else:
        fig = plot.plot_traces(posterior)
    path = plot.save_figure(fig, args.out)
    print(f"wrote {path}")
    return 0
