"""One entry point for every sampler: :func:`fit`."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from causalpost.data import Dataset, from_pandas
from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.posterior import Posterior
from causalpost.samplers import get_sampler
from causalpost.scores import GraphPrior

__all__ = ["fit", "make_sampler"]


def fit(
    data: Dataset,
    *,
    sampler: str = "exact",
    score: str | None = None,
    score_options: dict | None = None,
    prior: GraphPrior | str | None = None,
    knowledge: BackgroundKnowledge | None = None,
    max_parents: int | None = None,
    n_draws: int | None = None,
    seed: int | np.random.Generator | None = None,
    quiet: bool = False,
    **sampler_options,
) -> Posterior:
    """Learn a posterior over DAGs and their parameters from a data table.

    Parameters
    ----------
    data : Dataset or pandas.DataFrame
    sampler : str
        ``"exact"`` (enumeration, <= 6 nodes) or another registered sampler
        (see ``causalpost.samplers.SAMPLERS``).
    score : {"bge", "bdeu"}, optional
        Default by data kind.
    score_options : dict, optional
        E.g. ``{"standardize": False}`` for BGe, ``{"ess": 10}`` for BDeu.
    prior : GraphPrior or {"uniform", "erdos_renyi"}, optional
    knowledge : BackgroundKnowledge, optional
        Forbidden / required edges and tiers, honoured by every sampler.
    max_parents : int, optional
    n_draws : int, optional
        Number of draws for Monte Carlo samplers (ignored by ``exact``).
    seed : int or numpy.random.Generator, optional
    quiet : bool
        Silence progress bars.
    **sampler_options
        Passed to the sampler's constructor.

    Returns
    -------
    Posterior

    Examples
    --------
    >>> import numpy as np, causalpost as cp
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200); y = 2 * x + rng.normal(size=200)
    >>> post = cp.fit(cp.from_numpy(np.c_[x, y], ["X", "Y"]), seed=0)
    >>> bool(post.edge_probs.loc["X", "Y"] + post.edge_probs.loc["Y", "X"] > 0.99)
    True
    """
    if isinstance(data, pd.DataFrame):
        data = from_pandas(data)
    sampler_obj = make_sampler(
        sampler, score=score, score_options=score_options, prior=prior, knowledge=knowledge,
        max_parents=max_parents, n_draws=n_draws, seed=seed, quiet=quiet, **sampler_options)
    return sampler_obj.fit(data).posterior_


def make_sampler(
    sampler: str = "exact",
    *,
    n_draws: int | None = None,
    **options,
):
    """An unfitted sampler by name, with its options checked (what :func:`fit` uses).

    Use it to keep the sampler object, e.g. to save a trained GFlowNet.

    Parameters
    ----------
    sampler : str
        A name registered in ``causalpost.samplers.SAMPLERS``.
    n_draws : int, optional
        Passed on only to samplers that take it (``exact`` does not).
    **options
        Constructor options (score, prior, knowledge, seed, quiet, ...).

    Raises
    ------
    CausalpostError
        For an unknown sampler, ``n_draws < 1`` or an option the sampler does not take.

    Examples
    --------
    >>> make_sampler("exact", seed=0)._posterior is None
    True
    """
    cls = get_sampler(sampler)
    accepted = inspect.signature(cls).parameters
    if n_draws is not None:
        if n_draws < 1:
            raise CausalpostError(f"n_draws must be >= 1, got {n_draws}")
        if "n_draws" in accepted:
            options["n_draws"] = n_draws
    unknown = sorted(k for k in options if k not in accepted)
    if unknown:
        raise CausalpostError(f"sampler {sampler!r} does not take option(s) {unknown}")
    return cls(**options)
