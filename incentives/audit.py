"""Audit an agent design under a whole posterior over world models.

Each graph of a structure posterior, completed by a :class:`~incentives.design.Design`,
is one causal influence diagram. For every decision, node and kind of
incentive (``voi``, ``ri``, ``voc``, ``ici``) the audit reports

* the posterior probability that the diagram admits the incentive, computing
  the criteria once per *distinct* graph and summing its weights;
* an interval for the sampler's Monte Carlo error: the Jeffreys interval
  ``Beta(k + 1/2, n - k + 1/2)`` with ``n`` the effective sample size and
  ``k = p n`` (Brown, Cai & DasGupta 2001), widened to contain ``p``; zero
  width for an exact posterior;
* the conservative flag: whether any graph in the smallest set of most
  probable graphs covering ``1 - alpha`` of the mass admits it (graphs tied
  in probability with the last one are included, so the set does not depend
  on how ties are ordered);
* the witness: the most probable graph that admits it, with its probability.

Graphs the design cannot be checked on are never counted as admitting
nothing (that would let an audit pass on what it did not check). The rule,
per distinct world graph:

* **excluded** -- the composed diagram has a cycle through a decision: the
  decision would influence what it observes, which contradicts the design's
  own premise that observations precede the decision. Such graphs are not
  world models *of this design*; they are dropped and every probability is
  renormalised over the rest (``excluded_fraction`` reports the mass): the
  posterior conditioned on the design's premise, exactly (the design's
  background knowledge deliberately does not impose it edge by edge).
* **unevaluable** -- the world graph itself is cyclic, or a utility that is a
  data column has children in it. Such a graph could admit anything: its
  (renormalised) mass is added to the upper end of every interval and raises
  the conservative flag of every row when the graph is in the credible set
  (``unevaluable_fraction``).
* **undetermined** -- the diagram lacks sufficient recall, so VoI, RI and VoC
  are undefined: counted as unevaluable for those kinds only
  (``no_recall_fraction``).

When the *evaluable* share (the mass of graphs that could be evaluated, out
of the mass the design does not exclude) is below ``min_evaluable`` (default
0.5), the verdict is ``"fail"`` whatever the rows say, and ``reasons`` says
why: the answer would rest on a minority of the posterior. Excluded graphs do
not count against it -- they are ruled out by the user's own premise (and
their mass is reported) -- but if every graph is excluded the audit refuses
with an error. An exact posterior of more
than 50,000 graphs (an enumeration of 6 nodes holds 3.8 million) is evaluated
from its most probable graph down until the mass left is at most ``tail``
(default 1e-9); that mass is added to every upper end, so the bound stays
rigorous and the interval's width is at most ``tail``. Smaller exact
posteriors are evaluated whole: zero-width intervals.

The verdict is ``"fail"`` when, for a protected node and one of the design's
kinds, the upper end exceeds ``threshold`` or the conservative flag is raised,
or when the evaluable mass is below ``min_evaluable``; ``reasons`` lists each
cause in one sentence.

References
----------
Everitt, Carey, Langlois, Ortega & Legg (2021). Agent Incentives: A Causal
Perspective. AAAI. arXiv:2102.01685.
Brown, Cai & DasGupta (2001). Interval Estimation for a Binomial Proportion.
Statistical Science 16(2), 101-133. doi:10.1214/ss/1009213286.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from causalpost.guard import credible_size
from causalpost.posterior import Posterior
from incentives._audit_graphs import (
    EXCLUDED,
    NO_RECALL,
    UNEVALUABLE,
    VALID,
    distinct_graphs,
    evaluate_graphs,
    row_frame,
)
from incentives._audit_quant import quantitative_risk
from incentives._audit_summary import (
    converged,
    per_chain_probabilities,
    provenance,
    verdict_reasons,
)
from incentives._explain import hinge_edges, incentive_paths
from incentives.design import Design, DesignError
from incentives.report import AuditReport

__all__ = ["audit", "compare", "jeffreys_interval", "AuditReport"]

def jeffreys_interval(
    p: np.ndarray, n: float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Jeffreys interval for proportions ``p`` estimated from ``n`` effective draws.

    Parameters
    ----------
    p : numpy.ndarray
        Estimated proportions in [0, 1].
    n : float
        Effective sample size; ``inf`` gives the zero-width interval ``[p, p]``.
    level : float

    Returns
    -------
    lo, hi : numpy.ndarray
        Quantiles ``(1 -+ level) / 2`` of ``Beta(k + 1/2, n - k + 1/2)``, ``k = p n``;
        ``lo = 0`` at ``p = 0``, ``hi = 1`` at ``p = 1``, and always ``lo <= p <= hi``.

    References
    ----------
    Brown, Cai & DasGupta (2001). Interval Estimation for a Binomial Proportion.
    Statistical Science 16(2). doi:10.1214/ss/1009213286.

    Examples
    --------
    >>> lo, hi = jeffreys_interval(np.array([0.0, 0.5]), 100)
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([0.0, 0.403], [0.025, 0.597])
    """
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    if not np.isfinite(n):
        return p.copy(), p.copy()
    n = max(float(n), 1.0)
    k = p * n
    tail = (1.0 - level) / 2
    lo = np.where(p <= 0, 0.0, beta_dist.ppf(tail, k + 0.5, n - k + 0.5))
    hi = np.where(p >= 1, 1.0, beta_dist.ppf(1 - tail, k + 0.5, n - k + 0.5))
    return np.minimum(lo, p), np.maximum(hi, p)


def audit(
    posterior: Posterior,
    design: Design,
    threshold: float = 0.05,
    alpha: float = 0.05,
    *,
    tail: float | None = None,
    n_quantitative: int = 200,
    min_evaluable: float = 0.5,
    seed: int | np.random.Generator | None = 0,
    quiet: bool = False,
    n_jobs: int | None = 1,
    scheduler: object = None,
) -> AuditReport:
    """Audit ``design`` under every world model of ``posterior``.

    Parameters
    ----------
    posterior : causalpost.Posterior
        Graphs over the data columns the design refers to; not modified.
    design : Design
    threshold : float
        Largest acceptable probability of a guarded incentive, in [0, 1].
    alpha : float
        The conservative flag looks at the most probable graphs covering ``1 - alpha``.
    tail : float, optional
        Exact posteriors only: the least probable graphs holding at most this
        mass are not evaluated; their mass is added to every upper end. Must be
        smaller than ``alpha``; 0 evaluates every graph. Default: 0 up to
        50,000 distinct graphs, 1e-9 above.
    n_quantitative : int
        Draws (chosen by weight) for the quantitative VoI / VoC of protected
        nodes, when the posterior carries linear-Gaussian parameters; 0 skips it.
    min_evaluable : float
        Smallest share of evaluable graphs in the mass the design does not
        exclude (see the module docstring) for which the audit may pass; below
        it the verdict is ``"fail"``. In [0, 1].
    seed : int or numpy.random.Generator, optional
        For choosing those draws.
    quiet : bool
        No progress bar (one is shown from 20,000 distinct graphs on).
    n_jobs : int, optional
        Workers evaluating blocks of distinct graphs (-1: every core); the
        report is identical whatever the number.
    scheduler : str or dask.distributed.Client, optional
        Run the blocks on a Dask cluster instead (:mod:`causalpost.parallel`).

    Returns
    -------
    AuditReport

    Raises
    ------
    DesignError
        If the design names nodes the posterior does not have, an argument is
        out of range, or every graph of the posterior contradicts the design
        (all excluded: there is nothing to renormalise over).

    References
    ----------
    Everitt et al. (2021). Agent Incentives: A Causal Perspective. arXiv:2102.01685.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost import Posterior
    >>> design = Design.from_json({"decisions": {"D": {"observes": [], "affects": ["X"]}},
    ...     "utilities": {"U": {"parents": ["Y"]}}, "protected": ["X"], "kinds": ["ici"]})
    >>> post = Posterior(["X", "Y"], np.array([[[0, 1], [0, 0]], [[0, 0], [1, 0]]]),
    ...                  np.log([0.75, 0.25]), exact=True)
    >>> report = audit(post, design)
    >>> report.verdict
    'fail'
    >>> row = report.table.query("kind == 'ici' and node == 'X'").iloc[0]
    >>> float(row.probability), bool(row.conservative)
    (0.75, True)
    """
    for label, value, low in (
        ("threshold", threshold, 0.0),
        ("alpha", alpha, 1e-12),
        ("min_evaluable", min_evaluable, 0.0),
    ):
        if not low <= float(value) <= 1.0:
            raise DesignError(f"{label} must be in [{low:g}, 1]; got {value!r}")
    design.check(posterior.nodes)
    if tail is not None and not 0.0 <= tail < alpha:
        raise DesignError(f"tail must be in [0, alpha={alpha:g}); got {tail!r}")
    names = posterior.nodes
    graphs, probs, tail = distinct_graphs(posterior, tail)
    if tail >= alpha:
        raise DesignError(f"tail={tail:g} must be smaller than alpha={alpha:g}")
    n_eval = len(graphs)
    nodes, admits, undetermined, status = evaluate_graphs(graphs, design, names, quiet, n_jobs,
                                                    scheduler)
    weights = probs[:n_eval]
    unevaluated = float(probs[n_eval:].sum())
    excluded = float(weights[status == EXCLUDED].sum())
    kept_mass = 1.0 - excluded
    if kept_mass <= 1e-12:
        raise DesignError(
            "every graph of the posterior contradicts the design: in each, what a decision "
            "affects is upstream of what it observes, so nothing can be audited; check the "
            "design's observes / affects against the data"
        )
    chain_p = per_chain_probabilities(posterior, admits, status)
    kept = np.flatnonzero(status != EXCLUDED)
    # conditional on the design's premise: renormalise over the graphs that do not contradict it
    cond = weights[kept] / kept_mass
    admits, undetermined = admits[kept], undetermined[kept]
    p = np.clip(cond @ admits, 0.0, 1.0)  # float sums of weights can overshoot 1 by ~1e-15
    lo, hi = jeffreys_interval(p, posterior.effective_sample_size * kept_mass)
    spread = np.zeros_like(p)
    if chain_p is not None:  # chains that disagree widen the interval to every chain's estimate
        lo, hi = np.minimum(lo, chain_p.min(axis=0)), np.maximum(hi, chain_p.max(axis=0))
        spread = chain_p.max(axis=0) - chain_p.min(axis=0)
    hi = np.minimum(1.0, hi + cond @ undetermined + unevaluated / kept_mass)
    k = min(credible_size(np.concatenate([cond, probs[n_eval:] / kept_mass]), alpha), len(kept))
    conservative = (admits[:k] | undetermined[:k]).any(axis=0)
    has_witness = admits.any(axis=0)
    witness = np.where(has_witness, kept[admits.argmax(axis=0)], -1)
    table = row_frame(design, nodes).assign(
        probability=p,
        lo=lo,
        hi=hi,
        conservative=conservative,
        witness=witness,
        witness_probability=np.where(has_witness, weights[witness] / kept_mass, np.nan),
        chain_spread=spread,
    )
    unevaluable = float(weights[status == UNEVALUABLE].sum())
    # excluded graphs are ruled out by the design's premise, not unchecked: the floor is
    # on the share of the rest that could be evaluated
    evaluable = max(0.0, 1.0 - excluded - unevaluable - unevaluated) / kept_mass
    reasons = verdict_reasons(table, threshold, alpha, evaluable, min_evaluable, excluded,
                              unevaluable)
    witness_cids = {int(rank): design.compose(graphs[rank], names)
                    for rank in np.unique(witness[witness >= 0])}
    witness_edges = {rank: tuple(cid.edges) for rank, cid in witness_cids.items()}
    explained = np.flatnonzero(table["protected"].to_numpy())
    hinges = hinge_edges(graphs[kept], cond, admits, names, explained.tolist())
    paths = {}
    for r in explained:
        if witness[r] >= 0:
            row = table.iloc[r]
            paths[int(r)] = incentive_paths(witness_cids[int(witness[r])], row["decision"],
                                            row["kind"], row["node"])
    quant, note = quantitative_risk(posterior, design, n_quantitative, seed)
    return AuditReport(
        design=design,
        nodes=nodes,
        threshold=float(threshold),
        alpha=float(alpha),
        verdict="fail" if reasons else "pass",
        n_draws=posterior.n_draws,
        n_unique_graphs=len(probs),
        n_evaluated=n_eval,
        exact=posterior.exact,
        effective_sample_size=posterior.effective_sample_size,
        excluded_fraction=excluded,
        unevaluable_fraction=unevaluable,
        no_recall_fraction=float(weights[status == NO_RECALL].sum()),
        unevaluated_fraction=unevaluated,
        min_evaluable=float(min_evaluable),
        converged=converged(posterior),
        credible_set_size=k,
        rows=table,
        reasons=reasons,
        witness_edges=witness_edges,
        quantitative_rows=quant,
        quantitative_note=note,
        map_edges=_map_edges(graphs, status, design, names),
        paths=paths,
        hinges=hinges,
        provenance=provenance(posterior),
    )


def _map_edges(
    graphs: np.ndarray, status: np.ndarray, design: Design, names: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """Edges of the most probable valid composed diagram (for drawing), or of the design."""
    valid = np.flatnonzero((status == VALID) | (status == NO_RECALL))
    if valid.size:
        return tuple(design.compose(graphs[valid[0]], names).edges)
    nodes, added, _ = design.layout(names)
    return tuple((nodes[i], nodes[j]) for i, j in np.argwhere(added))


def compare(
    posterior: Posterior,
    designs: Sequence[Design],
    threshold: float = 0.05,
    alpha: float = 0.05,
    **options: object,
) -> pd.DataFrame:
    """The guarded risks of several designs side by side.

    Parameters
    ----------
    posterior : causalpost.Posterior
    designs : sequence of Design
        Designs with distinct names.
    threshold, alpha, **options
        As :func:`audit` (``n_quantitative`` defaults to 0 here).

    Returns
    -------
    pandas.DataFrame
        Index: ``(node, kind)`` over every design's protected nodes and kinds;
        columns: ``(design name, field)`` for fields ``probability``, ``lo``,
        ``hi`` and ``conservative`` (the largest over the design's decisions;
        NaN where a design does not guard that node and kind), then
        ``(design name, "verdict")`` repeating the design's verdict and
        ``(design name, "evaluable")`` its evaluable mass (a design fails when
        that is below ``min_evaluable``, see :func:`audit`).

    Raises
    ------
    DesignError
        On repeated design names, or as :func:`audit`.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost import Posterior
    >>> post = Posterior(["X", "Y"], np.array([[[0, 1], [0, 0]]]), exact=True)
    >>> spec = {"utilities": {"U": {"parents": ["Y"]}}, "protected": ["X"], "kinds": ["ici"]}
    >>> a = Design.from_json({**spec, "name": "a",
    ...                       "decisions": {"D": {"observes": [], "affects": ["X"]}}})
    >>> b = Design.from_json({**spec, "name": "b",
    ...                       "decisions": {"D": {"observes": [], "affects": ["Y"]}}})
    >>> compare(post, [a, b]).loc[("X", "ici"), (slice(None), "probability")].tolist()
    [1.0, 0.0]
    """
    labels = [d.name for d in designs]
    if len(set(labels)) != len(labels):
        raise DesignError(f"designs to compare need distinct names; got {labels}")
    options.setdefault("n_quantitative", 0)
    parts = {}
    for design in designs:
        report = audit(posterior, design, threshold, alpha, **options)  # type: ignore[arg-type]
        rows = report.table[report.table["protected"]]
        agg = rows.groupby(["node", "kind"], sort=False).agg(
            probability=("probability", "max"),
            lo=("lo", "max"),
            hi=("hi", "max"),
            conservative=("conservative", "any"),
        )
        agg["verdict"] = report.verdict
        agg["evaluable"] = report.evaluable_fraction
        parts[design.name] = agg
    return pd.concat(parts, axis=1)
