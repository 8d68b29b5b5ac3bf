"""The ``show`` subcommand: a saved posterior as text or JSON (registered through
:func:`causalpost.cli.add_show_parser`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from causalpost._cli_common import (
    EXIT_OK,
    _DefaultsFormatter,
    _diagnostics_line,
    _space_line,
    _strict_json,
    _summary,
    _transforms_line,
)
from causalpost.errors import CausalpostError

__all__ = ["add_show_parser"]


def add_show_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``show`` (a saved posterior as text or JSON).

    Parameters
    ----------
    sub
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.

    Returns
    -------
    argparse.ArgumentParser
    """
    show = sub.add_parser("show", help="print a saved posterior",
                          formatter_class=_DefaultsFormatter)
    show.add_argument("posterior", help="a .npz file written by `causalpost fit`")
    show.add_argument("--top", type=int, default=5, help="number of top graphs")
    show.add_argument("--json", action="store_true", help="print the posterior summary as JSON")
    show.add_argument("--matrix", action="store_true",
                      help="print the full edge-probability matrix instead of a ranked list")
    show.add_argument("--min-prob", type=float, default=0.05,
                      help="smallest probability in the ranked edge list")
    show.set_defaults(handler=_cmd_show)
    return show


def _cmd_show(args: argparse.Namespace) -> int:
    from causalpost.posterior import Posterior

    posterior = Posterior.load(Path(args.posterior))
    if args.top < 1:
        raise CausalpostError(f"--top must be >= 1, got {args.top}")
    if args.json:
        print(_strict_json(_summary(posterior, args.top)))
        return EXIT_OK
    print(posterior)
    print(_transforms_line(posterior))
    print(_diagnostics_line(posterior))
    if (space := _space_line(posterior)) is not None:
        print(space)
    if args.matrix:
        print("\nPosterior edge probabilities (row -> column):")
        with np.printoptions(precision=3, suppress=True):
            print(posterior.edge_probs.round(3).to_string())
    else:
        _print_ranked_edges(posterior, args.min_prob)
    _print_top_graphs(posterior, args.top)
    return EXIT_OK


def _print_ranked_edges(posterior, min_prob: float) -> None:
    from causalpost._edge_estimate import outside_space
    from causalpost.edges import DIRECTION_OPEN, direction_open

    print(f"\nEdges by posterior probability (P >= {min_prob:g}; --matrix for all):")
    probs = posterior.edge_prob_matrix
    open_pairs = direction_open(probs)
    outside = outside_space(posterior.diagnostics, len(probs))
    if outside is None:
        outside = np.zeros_like(open_pairs, dtype=bool)
    ranked = sorted(((probs[i, j], i, j) for i in range(len(probs))
                     for j in range(len(probs)) if i != j and probs[i, j] >= min_prob),
                    reverse=True)
    width = max((len(posterior.nodes[i]) + len(posterior.nodes[j]) + 4
                 for _, i, j in ranked), default=0)
    for p, i, j in ranked:
        edge = f"{posterior.nodes[i]} -> {posterior.nodes[j]}"
        both = " (direction open)" if open_pairs[i, j] else ""
        both += " (outside the search space)" if outside[i, j] else ""
        print(f"  {edge:<{width}}  {p:.3f}{both}")
    if not ranked:
        print("  (none)")
    if any(outside[i, j] for _, i, j in ranked):
        print("  (outside the search space: the chains could not sample the edge; its "
              "probability is estimated with one parent from outside the candidates allowed)")
    if open_pairs.any():
        print(f"  (direction open: both directions have P >= {DIRECTION_OPEN:g}; the data "
              "do not settle which way)")


def _print_top_graphs(posterior, top: int) -> None:
    from causalpost.edges import consensus_edges, graph_differences, prefer_differences

    print(f"\nTop {top} graphs:")
    graphs = posterior.top_graphs(top)
    if not posterior.exact and graphs[0].probability * posterior.n_draws < 1.5:
        print(f"  (each of the {posterior.n_draws} draws is a different graph: none stands out; "
              "the edge probabilities above are the summary)")
    if prefer_differences(posterior, [g.probability for g in graphs]):
        consensus = consensus_edges(posterior)
        shown = ", ".join(f"{a}->{b}" for a, b in consensus) or "(empty)"
        print(f"  consensus (P > 0.5), {len(consensus)} edges: {shown}")
        print("  each top graph as the edges it adds (+) to or removes (-) from the consensus:")
        for diff in graph_differences(posterior, top):
            print(f"  {diff.rank}. p={diff.probability:.4f}  {diff.text()}")
        return
    for rank, graph in enumerate(graphs, start=1):
        shown = ", ".join(f"{a}->{b}" for a, b in graph.edges(posterior.nodes)) or "(empty)"
        print(f"  {rank}. p={graph.probability:.4f}  {shown}")
