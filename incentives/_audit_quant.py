"""Quantitative incentive risk of an audit: VoI and VoC of protected nodes across draws.

Used by :func:`incentives.audit.audit` when the posterior carries
linear-Gaussian parameters (``weights``, ``intercept``, ``noise_var``). A
draw's CID gets the learned weights, intercepts and noise variances of the
data columns, plus two documented defaults the design file cannot express:

* every design edge ``D -> X`` from a decision into a data column has weight 1;
* every utility is the negative squared error ``U = -(c + sum_p b_p p)^2`` of a
  linear predictor of its parents: ``b_p = 1``, ``c = 0`` for a utility that is
  not a data column; the learned regression of the column for one that is
  (a linear utility is unbounded in a real-valued decision, so the values would
  be infinite).

Values are computed on draws chosen by weight (with replacement), so the mean
and quantiles estimate the posterior distribution of each value. VoI is only
defined for nodes that are not descendants of the decision in that draw; the
count ``n`` says on how many draws each value was defined.

References
----------
Everitt et al. (2021). Agent Incentives: A Causal Perspective, definitions of
VoI and VoC. arXiv:2102.01685.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from causalpost.posterior import Posterior
from causalpost.scores.draws import LinearGaussianDraws
from incentives.cid import CID
from incentives.design import Design
from incentives.errors import CIDError, IncentiveError
from incentives.gaussian import LinearGaussianParams, Quadratic
from incentives.quantitative import quantitative_voc, quantitative_voi

__all__ = ["quantitative_risk"]

_COLUMNS = ["measure", "decision", "node", "n", "n_refused", "mean", "q05", "q50", "q95"]


def _params(post: Posterior, draws: LinearGaussianDraws, s: int, cid: CID,
            design: Design) -> LinearGaussianParams:
    names = post.nodes
    index = {v: i for i, v in enumerate(names)}
    w = draws.weights[s]
    weights, utilities = {}, {}
    for a, b in cid.edges:
        if cid.role(b) != "chance":
            continue
        weights[a, b] = float(w[index[a], index[b]]) if a in index else 1.0
    for u in cid.utilities:
        parents = cid.parents(u)
        if u in index:
            coef = np.array([w[index[p], index[u]] if p in index else 1.0 for p in parents])
            c = float(draws.intercept[s, index[u]])
        else:
            coef, c = np.ones(len(parents)), 0.0
        utilities[u] = Quadratic.make(parents, -np.outer(coef, coef), -2 * c * coef, -c * c)
    chance = [v for v in cid.chance if v in index]
    return LinearGaussianParams(
        weights,
        utilities,
        {v: float(draws.intercept[s, index[v]]) for v in chance},
        {v: float(draws.noise_var[s, index[v]]) for v in chance},
    )


def quantitative_risk(
    post: Posterior, design: Design, n_draws: int, seed: int | np.random.Generator | None
) -> tuple[pd.DataFrame | None, str]:
    """Distribution across the posterior of the VoI and VoC of each protected node.

    Returns
    -------
    table : pandas.DataFrame or None
        Columns ``measure`` (``"voi"`` / ``"voc"``), ``decision`` (``"*"`` for
        VoC, which does not depend on the decision), ``node``, ``n`` (draws
        where the value is defined), ``n_refused`` (draws where the solver
        refused it, e.g. no sufficient recall once the node is made a decision;
        an infinite VoC of an unbounded utility counts as refused), ``mean``,
        ``q05``, ``q50``, ``q95``; ``None`` when not computed.
    note : str
        Why it was not computed, or the defaults used.
    """
    if n_draws <= 0 or not design.protected:
        return None, "not computed (no protected nodes, or n_quantitative = 0)"
    gaussian = post.parameters
    if not isinstance(gaussian, LinearGaussianDraws):
        return None, (
            "not computed: needs linear-Gaussian parameters (weights, intercept, "
            "noise_var); discrete tables carry no effect of the agent's decision"
        )
    rng = np.random.default_rng(seed)
    draws = rng.choice(post.n_draws, size=n_draws, p=post.weights)
    values: dict[tuple[str, str, str], list[float]] = {}
    for s in draws:
        try:
            cid = design.compose(post.adjacency[s], post.nodes)
        except CIDError:
            continue
        params = _params(post, gaussian, int(s), cid, design)
        for x in design.protected:
            _add(values, ("voc", "*", x), quantitative_voc, cid, params, x)
            for d in design.decision_names:
                if x != d and x not in cid.descendants(d):
                    _add(values, ("voi", d, x), quantitative_voi, cid, params, d, x)
    rows = []
    for (measure, d, x), vals in sorted(values.items()):
        v = np.asarray(vals)
        ok = v[~np.isnan(v)]
        stats = [ok.mean(), *np.quantile(ok, [0.05, 0.5, 0.95])] if ok.size else [np.nan] * 4
        rows.append((measure, d, x, ok.size, v.size - ok.size, *stats))
    note = (
        f"{n_draws} draws chosen by weight; defaults: decision -> column weight 1, "
        "utility U = -(linear predictor of its parents)^2"
    )
    return pd.DataFrame(rows, columns=_COLUMNS), note


def _add(
    values: dict, key: tuple[str, str, str], compute: Callable[..., float], *args: object
) -> None:
    try:
        value = max(float(compute(*args)), 0.0)
    except IncentiveError:  # e.g. no sufficient recall once the node is made a decision
        value = np.nan
    values.setdefault(key, []).append(value if np.isfinite(value) else np.nan)
