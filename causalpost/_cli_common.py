"""What the ``fit`` and ``show`` subcommands share (:mod:`causalpost.cli`,
:mod:`causalpost._cli_show`): the help formatter, the exit code of success and the
posterior's summary, as strict JSON or as the lines printed under it.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

__all__: list[str] = []

EXIT_OK = 0


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show an option's default only where it says something.

    Required options, flags, empty lists, ``None`` (the library picks) and help texts
    that already state their default are left as written.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.required or action.default is None or action.default is False
                or action.default == []
                or "default" in text or isinstance(action, argparse._StoreConstAction)):
            return text
        return super()._get_help_string(action) or text


def _strict_json(value) -> str:
    """JSON that every parser reads: a non-finite number (an exact posterior's ESS) is null."""
    def clean(v):
        if isinstance(v, float) and not np.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(value), allow_nan=False)


def _summary(posterior, top: int) -> dict:
    from causalpost.samplers._diagnostics import convergence_summary

    nodes = list(posterior.nodes)
    diagnostics = convergence_summary(posterior.diagnostics, posterior.n_draws)
    if not {"seconds", "train_seconds"} & set(posterior.diagnostics):
        diagnostics["seconds"] = None  # posterior files record no time: unknown, not 0
    from causalpost.edges import consensus_edges, graph_differences
    from causalpost.transforms import describe_transforms

    out = {
        "nodes": nodes,
        "transforms": describe_transforms(posterior.info),
        "diagnostics": diagnostics,
        "edge_probs": posterior.edge_prob_matrix.tolist(),
        "n_draws": posterior.n_draws,
        "consensus_edges": [list(e) for e in consensus_edges(posterior)],
        "top_graphs": [
            {"edges": [list(e) for e in g.edges(posterior.nodes)], "probability": g.probability,
             "added": [list(e) for e in diff.added], "removed": [list(e) for e in diff.removed]}
            for g, diff in zip(posterior.top_graphs(top), graph_differences(posterior, top))
        ],
    }
    importance = posterior.diagnostics.get("ess_importance")
    if importance is not None:  # a GFlowNet's draws weighed against the posterior: the
        out["ess_importance"] = float(importance)  # sample size its intervals use
    return out


def _transforms_line(posterior) -> str:
    """'transforms: log(Raf), standardized (BGe)', or 'transforms: none (...)'."""
    from causalpost.transforms import describe_transforms

    shown = describe_transforms(posterior.info)
    return "transforms: " + (", ".join(shown) if shown else "none (the columns as read)")


def _space_line(posterior) -> str | None:
    """One line on an MCMC run's search space (None when it recorded none): its kind, the
    nodes sampled in the plus-one space, and the mass left at the boundary."""
    diagnostics = posterior.diagnostics
    kind = diagnostics.get("search_space")
    if kind is None:
        return None
    nodes = diagnostics.get("plus_one_nodes")
    n_plus = 0 if nodes is None else int(np.sum(nodes))
    line = f"search space: {kind}"
    if n_plus:
        line += (f"; {n_plus} of {len(posterior.nodes)} nodes may also take one parent from "
                 "outside their candidates (plus-one)")
    mass = diagnostics.get("boundary_mass")
    if mass is not None and kind != "full":
        line += f"; boundary mass {float(mass):.3g}"
    return line


def _diagnostics_line(posterior) -> str:
    """One line of the convergence summary; a time the file did not record is left out."""
    summary = _summary(posterior, 1)
    shown = dict(summary["diagnostics"])
    if "ess_importance" in summary:
        shown["ess_importance"] = summary["ess_importance"]
    return "diagnostics: " + ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in shown.items() if v is not None)
