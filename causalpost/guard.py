"""The harm guard: P(harm | do(action), context, data) over every plausible causal model.

Before an action is taken, the guard estimates the probability that it leads
to harm given the context and all the data, marginalising over the posterior's
causal models, and bounds it by the worst plausible one (Bengio et al. 2024;
Cohen & Hutter 2020). For each distinct graph G of the posterior,
``q(G) = P(harm | do(action), given; G)`` is averaged over that graph's
parameter draws (closed form for linear-Gaussian parameters, exact inference in
the mutilated network for discrete tables). Then

* ``marginal = sum_G P(G | D) q(G)``, the Bayes-optimal estimate, with a normal
  Monte Carlo interval whose standard error uses the posterior's effective
  sample size (MCMC draws are correlated); for an exact posterior (known
  weights, one parameter draw per graph) the importance-sampling variance
  ``sum_s w_s^2 (p_s - marginal)^2``;
* ``bound = max q(G)`` over the smallest set of most probable graphs covering
  ``1 - alpha`` of the mass (graphs tied with the last one included: the same
  credible set as the audit's conservative flag), with the witness graph
  attaining it and its probability;
* ``plausible = q(G*)``, ``G* = argmax_G P(G | D) q(G)``: the "cautious but
  plausible" theory of Bengio et al.;
* ``verdict``: ``"refuse"`` when ``marginal > threshold``; otherwise ``"allow"``
  when ``bound <= threshold``; otherwise ``"defer"``: the marginal is under the
  threshold but a plausible theory is not, the case an experiment should
  settle (``causalpost plan``). Refusal is checked first, so a marginal over
  the threshold is never allowed, even when it is carried by graphs outside
  the credible set.

References
----------
Bengio, Y., Cohen, M. K., Malkin, N., MacDermott, M., Fornasiere, D.,
Greiner, P. & Kaddar, Y. (2024). Can a Bayesian Oracle Prevent Harm from an
Agent? arXiv:2408.05284.
Cohen, M. K. & Hutter, M. (2020). Pessimism About Unknown Unknowns Inspires
Conservatism. COLT. arXiv:2006.08753.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from scipy.stats import norm
from tqdm.auto import tqdm

from causalpost._guard_discrete import check_before, discrete_probabilities
from causalpost._guard_gaussian import gaussian_probabilities
from causalpost._guard_parse import Problem, parse_problem
from causalpost._guard_report import GuardReport
from causalpost.errors import CausalpostError
from causalpost.posterior import Posterior
from causalpost.scores.draws import DiscreteDraws, LinearGaussianDraws

__all__ = ["GuardReport", "credible_size", "guard"]

# a progress bar over the distinct graphs of a discrete posterior from this many on
PROGRESS_MIN_GRAPHS = 2000


def credible_size(probs: np.ndarray, alpha: float) -> int:
    """Size of the smallest top set of graphs covering ``1 - alpha`` of the mass.

    Graphs tied in probability with the last one are included, so the set does
    not depend on how ties are ordered (the audit's conservative set).

    Parameters
    ----------
    probs : numpy.ndarray, shape (n_graphs,)
        Probabilities of the distinct graphs, in descending order.
    alpha : float

    Returns
    -------
    int

    Examples
    --------
    >>> credible_size(np.array([0.5, 0.3, 0.2]), 0.25)
    2
    >>> credible_size(np.array([0.4, 0.3, 0.3]), 0.5)
    3
    """
    cum = np.cumsum(probs)
    k = int(min(len(probs), np.searchsorted(cum, (1.0 - alpha) * cum[-1] - 1e-12) + 1))
    last = probs[k - 1]
    return int(k + np.count_nonzero(np.isclose(probs[k:], last, rtol=1e-9, atol=0.0)))


def guard(
    posterior: Posterior,
    action: str | Sequence[str] | Mapping[str, Any],
    harm: str | tuple,
    given: str | Sequence[str] | Mapping[str, Any] | None = None,
    *,
    threshold: float = 0.05,
    alpha: float = 0.05,
    observed: Literal["before", "after"] = "before",
    level: float = 0.95,
    quiet: bool = False,
) -> GuardReport:
    """Probability that an action leads to harm, over every causal model of a posterior.

    Parameters
    ----------
    posterior : Posterior
        With parameter draws (:attr:`Posterior.parameters`): linear-Gaussian or
        discrete tables; not modified.
    action : str, sequence of str or mapping
        ``{"Dose": 3.0}`` or ``"Dose=3"``; one node may take a grid,
        ``{"Dose": [0, 1, 2]}`` or ``"Dose=0:5:11"`` (one report row per value).
        Discrete nodes take level names.
    harm : str or tuple
        ``"Tox>2.5"``, ``"Tox<=1"``, ``"1<Tox<2.5"``, ``("Tox", ">", 2.5)``,
        ``("Tox", "in", (1, 2.5))``; discrete ``"Tox=high"``, ``"Tox=a,b"``,
        ``"Tox!=none"`` (comparisons need numeric level names).
    given : str, sequence of str or mapping, optional
        The context, ``{"Age": 70}`` or ``["Age=70"]``.
    threshold : float
        Largest acceptable probability of harm, in [0, 1].
    alpha : float
        The bound looks at the most probable graphs covering ``1 - alpha``, in (0, 1].
    observed : {"before", "after"}
        When the context is observed. ``"before"`` (a context known when the
        action is chosen): for a given node that the action can change, the
        linear-Gaussian guard computes the counterfactual; the discrete guard
        refuses (not identified). ``"after"``: conditioning in the mutilated model.
    level : float
        Coverage of the Monte Carlo interval of the marginal.
    quiet : bool
        No progress bar (one is shown for discrete posteriors from 2,000 distinct graphs).

    Returns
    -------
    GuardReport

    Raises
    ------
    CausalpostError
        For an unknown node, a harm node set by the action or given, a value
        outside a discrete node's levels, ``=`` on a continuous harm, a
        posterior without parameter draws, a given descendant of the action
        the method cannot condition on, a malformed expression or an
        out-of-range argument.

    References
    ----------
    Bengio et al. (2024). Can a Bayesian Oracle Prevent Harm from an Agent?
    arXiv:2408.05284.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost import Posterior
    >>> adj = np.array([[[0, 1], [0, 0]], [[0, 0], [1, 0]]])  # X -> Y, Y -> X
    >>> from causalpost.scores.draws import LinearGaussianDraws
    >>> params = LinearGaussianDraws(np.array([[[0, 1.0], [0, 0]], [[0, 0], [1.0, 0]]]),
    ...                              np.zeros((2, 2)), np.ones((2, 2))).to_params()
    >>> post = Posterior(["X", "Y"], adj, np.log([0.1, 0.9]), params, exact=True)
    >>> report = guard(post, {"X": 3.0}, "Y>2", threshold=0.2)
    >>> round(report.marginal, 3), round(report.bound, 3), report.verdict
    (0.105, 0.841, 'defer')
    """
    _check_arguments(posterior, threshold, alpha, observed, level)
    parameters = _parameters(posterior)
    kind = "discrete" if isinstance(parameters, DiscreteDraws) else "linear-gaussian"
    levels = posterior.info.get("levels") or [None] * posterior.n_nodes
    if kind == "discrete":
        levels = [lv if lv is None else [str(v) for v in lv] for lv in levels]
    else:
        levels = [None] * posterior.n_nodes
    problem = parse_problem(posterior.nodes, levels, action, harm, given)
    graphs, probs, inverse = posterior.unique_graphs()
    if isinstance(parameters, DiscreteDraws):
        if observed == "before":
            check_before(graphs, probs, posterior.nodes, problem.action_nodes, problem.given)
        per_draw = _discrete(parameters, problem, graphs, inverse, quiet)
    else:
        per_draw = gaussian_probabilities(parameters, problem.action_nodes,
                                          problem.action_values, problem.harm, problem.given,
                                          observed)
    weights = posterior.weights
    q = _per_graph(per_draw, weights, inverse, len(probs))
    marginal = np.clip(weights @ per_draw, 0.0, 1.0)
    lo, hi = _interval(posterior, weights, per_draw, marginal, level)
    k = credible_size(probs, alpha)
    return GuardReport.build(
        posterior=posterior, problem=problem, kind=kind, observed=observed,
        threshold=float(threshold), alpha=float(alpha), level=float(level),
        graphs=graphs, probs=probs, q=q, marginal=marginal, lo=lo, hi=hi,
        credible_set_size=k,
    )


def _check_arguments(posterior, threshold, alpha, observed, level) -> None:
    if not isinstance(posterior, Posterior):
        raise CausalpostError(f"expected a causalpost Posterior, got {type(posterior).__name__}")
    for label, value, low, closed in (("threshold", threshold, 0.0, True),
                                      ("alpha", alpha, 0.0, False),
                                      ("level", level, 0.0, False)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
            low <= value <= 1.0 if closed else low < value <= 1.0)
        if not ok or not np.isfinite(value):
            bracket = "[" if closed else "("
            raise CausalpostError(f"{label} must be in {bracket}{low:g}, 1]; got {value!r}")
    if level >= 1.0:
        raise CausalpostError(f"level must be in (0, 1); got {level!r}")
    if observed not in ("before", "after"):
        raise CausalpostError(f"observed must be 'before' or 'after'; got {observed!r}")


def _parameters(posterior: Posterior) -> LinearGaussianDraws | DiscreteDraws:
    parameters = posterior.parameters
    if parameters is None:
        raise CausalpostError("the posterior carries no parameter draws (linear-Gaussian "
                              "weights or discrete tables); fit it with parameters to guard "
                              "an action")
    if isinstance(parameters, DiscreteDraws) and not posterior.info.get("levels"):
        raise CausalpostError("the posterior does not record the levels of its discrete "
                              "nodes")
    return parameters


def _discrete(parameters: DiscreteDraws, problem: Problem, graphs, inverse,
              quiet) -> np.ndarray:
    out = np.empty((parameters.n_draws, problem.action_values.shape[0]))
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(graphs) + 1))
    bar = tqdm(range(len(graphs)), desc="guard", unit="graph",
               disable=quiet or len(graphs) < PROGRESS_MIN_GRAPHS)
    for g in bar:
        draws = order[bounds[g]:bounds[g + 1]]
        if draws.size:
            out[draws] = discrete_probabilities(
                parameters, graphs[g], draws, problem.action_nodes,
                problem.action_values, problem.harm, problem.given)
    return out


def _per_graph(per_draw, weights, inverse, n_graphs) -> np.ndarray:
    """q(G): the weighted mean over each graph's draws (plain mean where weights underflow)."""
    mass = np.bincount(inverse, weights=weights, minlength=n_graphs)
    count = np.bincount(inverse, minlength=n_graphs)
    q = np.empty((n_graphs, per_draw.shape[1]))
    for r in range(per_draw.shape[1]):
        total = np.bincount(inverse, weights=weights * per_draw[:, r], minlength=n_graphs)
        plain = np.bincount(inverse, weights=per_draw[:, r], minlength=n_graphs)
        q[:, r] = np.where(mass > 0, total / np.where(mass > 0, mass, 1.0), plain / count)
    return np.clip(q, 0.0, 1.0)


def _interval(posterior, weights, per_draw, marginal, level):
    """Normal Monte Carlo interval of the marginal.

    Monte Carlo draws: the weighted variance of the per-draw probabilities over
    an effective sample size, the smaller of the posterior's own and that of the
    per-draw harm probabilities as a series (per chain, when the posterior's
    diagnostics name ``n_chains`` and the draws split evenly into them): the
    chains' autocorrelation and disagreement widen the interval.
    Exact posteriors (known weights, one parameter draw per graph): the
    self-normalised importance-sampling variance ``sum_s w_s^2 (p_s - m)^2``,
    which also counts the spread between graphs and so errs on the wide side.
    """
    resid2 = (per_draw - marginal[None, :]) ** 2
    if posterior.exact:
        se = np.sqrt(weights**2 @ resid2)
    else:
        n_eff = np.minimum(_own_ess(posterior, per_draw), posterior.effective_sample_size)
        se = np.sqrt((weights @ resid2) / np.maximum(n_eff, 1.0))
    z = float(norm.ppf(0.5 + level / 2))
    return np.clip(marginal - z * se, 0.0, 1.0), np.clip(marginal + z * se, 0.0, 1.0)


def _own_ess(posterior: Posterior, per_draw: np.ndarray) -> np.ndarray:
    """Effective sample size of each column of ``per_draw`` as an MCMC series.

    Chains from the ``draw_chain`` diagnostic (each draw's chain) when present,
    else ``n_chains`` equal consecutive blocks; weighted or tiny posteriors count
    every draw.
    """
    from causalpost.samplers._diagnostics import ess

    n_draws = per_draw.shape[0]
    if np.ptp(posterior.weights) > 0 or n_draws < 8:
        return np.full(per_draw.shape[1], float(n_draws))
    chain = posterior.diagnostics.get("draw_chain")
    if chain is None or np.shape(chain) != (n_draws,):
        n_chains = int(posterior.diagnostics.get("n_chains", 1) or 1)
        if n_draws % n_chains or str(posterior.info.get("sampler", "")).startswith("bootstrap"):
            n_chains = 1
        chain = np.repeat(np.arange(n_chains), n_draws // n_chains)
    chain = np.asarray(chain)
    groups = [np.flatnonzero(chain == c) for c in np.unique(chain)]
    length = min(g.size for g in groups)
    if length < 4:
        return np.full(per_draw.shape[1], float(n_draws))
    series = np.stack([per_draw[g[:length]].T for g in groups], axis=1)  # (n_rows, chains, n)
    return np.asarray(ess(series), dtype=np.float64) * n_draws / (length * len(groups))
