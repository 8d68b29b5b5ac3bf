"""The ``fit`` and ``show`` subcommands of the ``causalpost`` command.

The command itself (:mod:`causalpost_cli`) composes these with the other
subcommands of both packages and turns errors into exit codes: 0 ok, 2 bad
input (a one-line message on stderr, never a traceback), 3 not converged
under ``fit --strict``. This module never imports :mod:`incentives`: ``fit
--design`` reads the design through the function the command layer hands to
:func:`add_fit_parser`.

``fit`` is defined here; ``show`` in :mod:`causalpost._cli_show` (its
:func:`add_show_parser` re-exported here), and what both share -- the help
formatter, the posterior's summary and its strict JSON -- in
:mod:`causalpost._cli_common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from causalpost._cli_common import (
    EXIT_OK,
    _DefaultsFormatter,
    _diagnostics_line,
    _space_line,
    _strict_json,
    _summary,
    _transforms_line,
)
from causalpost._cli_show import add_show_parser
from causalpost.errors import CausalpostError

if TYPE_CHECKING:
    from causalpost.scores.priors import PriorKind

__all__ = ["DesignConstraints", "add_fit_parser", "add_show_parser"]

EXIT_NOT_CONVERGED = 3  # fit --strict: the chains did not converge within --max-seconds

DesignConstraints = Callable[[str, Sequence[str]], tuple[Any, str]]
"""``(design path, column names) -> (BackgroundKnowledge, one-line note)`` for ``--design``."""


def add_fit_parser(sub: Any, *, design: DesignConstraints | None = None) -> argparse.ArgumentParser:
    """Register ``fit``; with ``design``, also its ``--design`` option.

    Parameters
    ----------
    sub
        The object returned by :meth:`argparse.ArgumentParser.add_subparsers`.
    design : callable, optional
        Reads a design file into the constraints it imposes on the world model
        (:data:`DesignConstraints`); without it ``fit`` has no ``--design``.

    Returns
    -------
    argparse.ArgumentParser
    """
    from causalpost.samplers import SAMPLERS
    from causalpost.samplers._search_space import SEARCH_SPACES

    fit = sub.add_parser("fit", help="learn a posterior over DAGs and parameters from a CSV",
                         formatter_class=_DefaultsFormatter)
    fit.add_argument("data", help="CSV file with a header row of node names")
    fit.add_argument("--out", required=True, help="where to write the posterior (.npz)")
    fit.add_argument("--sampler", default="auto", choices=["auto", *sorted(SAMPLERS)],
                     help="exact up to 5 nodes, else order MCMC")
    fit.add_argument("--score", choices=["bge", "bdeu"], help="default: by column kinds")
    fit.add_argument("--n-draws", type=int, help="draws for Monte Carlo samplers")
    fit.add_argument("--seed", type=int, default=0, help="random seed (same seed, same posterior)")
    fit.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=True,
                     help="BGe: standardize each column (location and scale) before scoring; "
                          "--no-standardize scores the raw columns (BDeu never standardizes)")
    fit.add_argument("--ess", type=float, help="BDeu equivalent sample size (default 1)")
    fit.add_argument("--prior", choices=["sparse", "uniform", "erdos_renyi", "fair"],
                     default="sparse",
                     help="graph prior: sparse (Erdos-Renyi, one expected edge "
                          "per node, each edge at most 1/2: uniform up to 5 nodes), uniform "
                          "over DAGs, "
                          "Erdos-Renyi (one expected edge per node unless --expected-edges), "
                          "or fair (uniform over parent-set sizes)")
    fit.add_argument("--expected-edges", type=float,
                     help="Erdos-Renyi prior with this many expected edges (implies the prior)")
    fit.add_argument("--size-penalty", type=float, default=0.0,
                     help="subtract this per parent from each node's log prior")
    fit.add_argument("--max-parents", type=int, help="at most this many parents per node")
    fit.add_argument("--forbid", nargs="*", default=[], metavar="A:B", help="forbidden edges")
    fit.add_argument("--require", nargs="*", default=[], metavar="A:B", help="required edges")
    fit.add_argument("--tiers", help='ordered tiers, e.g. "A,B;C,D" (no edge from C into A)')
    fit.add_argument("--discrete", nargs="*", default=[], metavar="COL",
                     help="treat these columns as discrete")
    fit.add_argument("--continuous", nargs="*", default=[], metavar="COL",
                     help="treat these columns as continuous")
    if design is not None:
        fit.add_argument("--design", help="an agent design (JSON) whose constraints to apply")
    fit.add_argument("--log", action="append", metavar="COL[,COL]",
                     help="fit the natural log of these continuous columns (positive values "
                          "only); recorded in the posterior file")
    fit.add_argument("--na-values", nargs="*", metavar="TOKEN",
                     help="cells read as missing (default: empty, NA, NaN, nan; not None)")
    fit.add_argument("--intervention-column", metavar="COL",
                     help="column naming each row's intervened nodes, ';'-separated "
                          "(empty: observational); not a variable")
    fit.add_argument("--burn-in", type=int,
                     help="MCMC iterations discarded first (default: as long as the sampling)")
    fit.add_argument("--thin", type=int, help="MCMC: keep one iteration in this many")
    fit.add_argument("--no-params", action="store_true",
                     help="skip the parameter draws (smaller files; no guard, plan or "
                          "quantitative audit then)")
    fit.add_argument("--n-chains", type=int, help="MCMC chains (run in parallel)")
    fit.add_argument("--scheduler", metavar="tcp://HOST:8786",
                     help="MCMC chains / bootstrap resamples as tasks on a Dask cluster "
                          "(pip install -e '.[dask]'); the same draws as here")
    fit.add_argument("--search-space", choices=["auto", *SEARCH_SPACES],
                     help="MCMC candidate parents (default auto: full while small, else hybrid)")
    fit.add_argument("--max-candidates", type=int, metavar="K",
                     help="MCMC on a restricted space: candidate parents per node (default "
                          "16 after expansion; order / partition at most 24)")
    fit.add_argument("--no-plus-one", action="store_true",
                     help="order MCMC on a restricted space: sample the candidate sets only "
                          "(default: a parent set may also hold one outsider)")
    fit.add_argument("--anneal", type=float,
                     help="order/partition MCMC: starting power of annealed burn-in (1: off)")
    fit.add_argument("--max-seconds", type=float,
                     help="MCMC: time budget; chains run until converged or this (default "
                          "600); gfn: training time budget (default 60)")
    fit.add_argument("--rhat-target", type=float,
                     help="MCMC: converged when split-R-hat of the log score <= this (1.05)")
    fit.add_argument("--ess-target", type=float,
                     help="MCMC: converged when the log score's ESS >= this (400)")
    fit.add_argument("--disagreement-tol", type=float,
                     help="MCMC: converged when chains' edge marginals differ <= this (0.1)")
    fit.add_argument("--strict", action="store_true",
                     help=f"exit {EXIT_NOT_CONVERGED} if the chains did not converge")
    fit.add_argument("--gfn-steps", type=int,
                     help="GFlowNet training steps, at most (default 100000)")
    fit.add_argument("--device", help="torch device for the GFlowNet: cpu or cuda")
    fit.add_argument("--save-sampler", help="save the trained GFlowNet sampler here")
    fit.add_argument("--quiet", action="store_true", help="no progress bars")
    fit.add_argument("--json", action="store_true", help="print a JSON summary")
    fit.set_defaults(handler=_cmd_fit, design_constraints=design)
    return fit


def _cmd_fit(args: argparse.Namespace) -> int:
    import causalpost as cp
    from causalpost.api import make_sampler

    _check_fit_outputs(args)
    kinds = {c: "discrete" for c in args.discrete}
    kinds.update({c: "continuous" for c in args.continuous})
    data = cp.load_csv(args.data, kinds=kinds or None,
                       intervention_column=args.intervention_column, na_values=args.na_values)
    logged = _log_names(args.log)
    if logged:
        from causalpost.transforms import log_columns

        data = log_columns(data, logged, option="--log")
    knowledge = cp.BackgroundKnowledge.from_strings(args.forbid, args.require, args.tiers)
    design_note = None
    if getattr(args, "design", None):
        design_knowledge, design_note = args.design_constraints(args.design, data.names)
        knowledge = knowledge.merge(design_knowledge)
    score_options = {}
    if not args.standardize:
        score_options["standardize"] = False
    if args.ess is not None:
        score_options["ess"] = args.ess
    for flag, value, low in (("--burn-in", args.burn_in, 0), ("--thin", args.thin, 1)):
        if value is not None and value < low:
            raise CausalpostError(f"{flag} must be >= {low}; got {value}")
    options = {"n_chains": args.n_chains, "scheduler": args.scheduler,
               "n_steps": args.gfn_steps, "device": args.device,
               "search_space": args.search_space, "anneal": args.anneal,
               "max_candidates": args.max_candidates,
               "max_seconds": args.max_seconds, "rhat_target": args.rhat_target,
               "ess_target": args.ess_target, "disagreement_tol": args.disagreement_tol,
               "burn_in": args.burn_in, "thin": args.thin,
               "plus_one": False if args.no_plus_one else None,
               "parameters": False if args.no_params else None}
    options = {k: v for k, v in options.items() if v is not None}
    fit_kwargs = dict(sampler=args.sampler, score=args.score, score_options=score_options or None,
                      prior=_prior(args, data.n_nodes), knowledge=knowledge,
                      max_parents=args.max_parents,
                      n_draws=args.n_draws, seed=args.seed, quiet=args.quiet, **options)
    sampler = make_sampler(n_nodes=data.n_nodes, **fit_kwargs)
    if args.sampler != "exact":
        from causalpost.api import check_memory

        check_memory(args.n_draws, data)
    save = getattr(sampler, "save", None)  # only the GFlowNet can be saved
    if args.save_sampler and save is None:
        raise CausalpostError("--save-sampler needs a sampler that can be saved (gfn)")
    if not args.json:  # before the work: how the columns were read, what the design imposes
        print(_columns_line(data))
        if design_note:
            print(design_note)
        sys.stdout.flush()
    posterior = sampler.fit(data).posterior_
    if args.save_sampler and save is not None:
        from causalpost._io import atomic_path

        with atomic_path(args.save_sampler) as tmp:
            save(tmp)
    posterior.info.update(data_file=Path(args.data).name, seed=args.seed)  # provenance
    if logged:
        posterior.info["transforms"] = {"log": logged}
    posterior.save(args.out)
    if args.json:
        print(_strict_json(_summary(posterior, 5)))
    else:
        print(f"wrote {args.out}: {posterior}")
        print(_transforms_line(posterior))
        print(_diagnostics_line(posterior))
        if (space := _space_line(posterior)) is not None:
            print(space)
    if not _summary(posterior, 1)["diagnostics"]["converged"]:
        budget = float(posterior.diagnostics.get("targets", {}).get("max_seconds", 600))
        more = max(2 * budget, 60.0)  # what the sampler's warning suggests, too
        print(f"causalpost: not converged; next: {_rerun(args.argv, more)}",
              file=sys.stderr)
        return EXIT_NOT_CONVERGED if args.strict else EXIT_OK
    return EXIT_OK


def _log_names(values: list[str] | None) -> list[str]:
    """The column names of every ``--log A,B`` given (in order, without repeats)."""
    names = [n.strip() for value in values or [] for n in value.split(",")]
    if values and not any(names):
        raise CausalpostError("--log needs column names, e.g. --log Raf,Mek")
    return list(dict.fromkeys(n for n in names if n))


def _prior(args: argparse.Namespace, n_nodes: int):
    """The graph prior the --prior / --expected-edges / --size-penalty flags ask for."""
    from causalpost.scores import GraphPrior

    if args.expected_edges is not None:
        if args.prior not in ("sparse", "erdos_renyi"):  # sparse is Erdos-Renyi too
            raise CausalpostError("--expected-edges sets the Erdos-Renyi prior; drop --prior "
                                  f"{args.prior}")
        return GraphPrior("erdos_renyi", expected_edges=args.expected_edges,
                          size_penalty=args.size_penalty)
    kind = cast("PriorKind", args.prior)  # argparse's choices: one of the kinds
    expected = float(n_nodes) if kind == "erdos_renyi" else None
    return GraphPrior(kind, expected_edges=expected, size_penalty=args.size_penalty)


def _columns_line(data) -> str:
    """Which columns were read as discrete / continuous (and the interventional rows)."""
    discrete = [n for n, k in zip(data.names, data.kinds) if k == "discrete"]
    continuous = [n for n, k in zip(data.names, data.kinds) if k == "continuous"]
    parts = [f"read {data.n_obs} rows x {data.n_nodes} columns"]
    if continuous:
        parts.append(f"continuous: {_names_shown(continuous, data.n_nodes)}")
    if discrete:
        parts.append(f"discrete (strings, booleans or integers with at most 10 levels): "
                     f"{_names_shown(discrete, data.n_nodes)}")
    if data.is_interventional:
        parts.append(f"{int(data.intervention.any(axis=1).sum())} interventional rows")
    return "; ".join(parts) + " (override with --discrete / --continuous)"


def _names_shown(names: list[str], n_nodes: int, most: int = 12) -> str:
    """The names, or on a wide table ``all N`` / the first few and how many more."""
    if len(names) <= most:
        return ", ".join(names)
    if len(names) == n_nodes:
        return f"all {n_nodes}"
    return f"{', '.join(names[:most])} and {len(names) - most} more"


def _rerun(argv: list[str], max_seconds: float) -> str:
    """The same command with ``--max-seconds`` set to ``max_seconds``."""
    import shlex

    out, skip = ["causalpost"], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--max-seconds":
            skip = True
        elif not arg.startswith("--max-seconds="):
            out.append(arg)
    return shlex.join([*out, "--max-seconds", f"{max_seconds:g}"])


def _check_fit_outputs(args: argparse.Namespace) -> None:
    """Refuse unwritable outputs, or outputs that are inputs, before any work."""
    from causalpost._io import check_output

    inputs = [args.data, getattr(args, "design", None)]
    check_output(args.out, "--out", inputs)
    if args.save_sampler:
        if Path(args.save_sampler).resolve() == Path(args.out).resolve():
            raise CausalpostError("--save-sampler and --out name the same file")
        check_output(args.save_sampler, "--save-sampler", inputs)
