"""The sampler contract, declared once (scikit-learn's estimator contract).

A sampler is a dataclass whose fields are its parameters: keyword-only, each
declared once with :func:`param` (default, numpydoc type, one doc paragraph and
a check), stored unchanged by the generated ``__init__`` (no logic there).
:meth:`Sampler.fit` is the one flow every sampler shares: convert the data once
(:func:`~causalpost.samplers._common.as_dataset`), check every parameter, run
the sampler's own ``_fit``, and keep the result in ``posterior_``.

A subclass declares only the parameters it adds (or redeclares one whose
default differs), and :func:`documented` writes the ``Parameters`` section of
its docstring from the declarations, so ``help()`` and IDEs see one signature
and one text per parameter. A new parameter (e.g. ``scheduler``) is one
``param(...)`` line in the class that takes it.
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from causalpost.data import Dataset
from causalpost.errors import CausalpostError
from causalpost.knowledge import BackgroundKnowledge
from causalpost.posterior import Posterior
from causalpost.samplers._common import as_dataset, check_fitted
from causalpost.scores import GraphPrior

__all__ = ["Check", "Sampler", "documented", "in_range", "integer", "one_of", "param"]

Check = Callable[[str, Any], None]
"""A parameter check: called as ``check(name, value)``, raises a one-line CausalpostError."""

S = TypeVar("S", bound="Sampler")
T = TypeVar("T", bound=type)


def param(default: Any, doc: str, *, kind: str, check: Check | None = None) -> Any:
    """Declare a sampler parameter (a dataclass field with its documentation and check).

    Parameters
    ----------
    default : object
        The value ``__init__`` stores when the parameter is not given (immutable).
    doc : str
        One paragraph for the docstring's ``Parameters`` section.
    kind : str
        Its numpydoc type, e.g. ``"int, optional"``.
    check : callable, optional
        ``check(name, value)`` raising :class:`~causalpost.errors.CausalpostError`;
        run by :meth:`Sampler.fit` before any work.
    """
    return field(default=default, metadata={"doc": doc, "kind": kind, "check": check})


# ---- checks: one line naming the parameter and its value -------------------------------


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.number)


def integer(low: int, *, optional: bool = False) -> Check:
    """An integer at least ``low`` (1: positive, 0: non-negative), or None if ``optional``."""
    word = "positive" if low == 1 else "non-negative"

    def check(name: str, value: Any) -> None:
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            tail = " or None" if optional else ""
            raise CausalpostError(f"{name} must be a {word} integer{tail}, got {value!r}")

    return check


def in_range(low: float, high: float, bounds: str = "(]", *, noun: str = "") -> Check:
    """A finite number in the interval ``low, high`` with ``bounds`` open ``(`` or closed ``[``.

    ``noun="a number "`` words the error as "must be a number in (0, 1]".
    """
    def check(name: str, value: Any) -> None:
        ok = _is_number(value) and not math.isnan(value)
        if ok:
            ok = (low < value if bounds[0] == "(" else low <= value) and (
                value < high if bounds[1] == ")" else value <= high) and math.isfinite(value)
        if not ok:
            raise CausalpostError(f"{name} must be {noun}in {bounds[0]}{low:g}, {high:g}"
                                  f"{bounds[1]}, got {value!r}")

    return check


def boolean(name: str, value: Any) -> None:
    """A check: True or False (not 0, 1 or a string)."""
    if not isinstance(value, bool | np.bool_):
        raise CausalpostError(f"{name} must be True or False, got {value!r}")


def one_of(*choices: str) -> Check:
    """One of the given strings."""
    words = [repr(c) for c in choices]
    listed = " or ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]

    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise CausalpostError(f"{name} must be {listed}, got {value!r}")

    return check


# ---- documentation from the declarations ------------------------------------------------

_SECTION = re.compile(r"^( *)(Attributes|Raises|Warns|References|Examples)\n\1-{3,}$",
                      re.MULTILINE)


def parameters_section(cls: type, indent: str = "") -> str:
    """The numpydoc ``Parameters`` section of a sampler class, from its declarations."""
    lines = [f"{indent}Parameters", f"{indent}----------"]
    for f in _params(cls):
        kind = f.metadata.get("kind", "")
        lines.append(f"{indent}{f.name} : {kind}" if kind else f"{indent}{f.name}")
        doc = f.metadata.get("doc", "")
        if doc:
            lines.extend(textwrap.wrap(doc, 88 - len(indent), initial_indent=indent + "    ",
                                       subsequent_indent=indent + "    ",
                                       break_on_hyphens=False))
    return "\n".join(lines) + "\n"


def documented(cls: T) -> T:
    """Write the declared parameters into ``cls.__doc__`` (before its Attributes /
    Raises / References / Examples section), and the sections a family of samplers
    shares (``_doc_sections``, numpydoc text without indentation) before its Examples."""
    doc = cls.__doc__ or ""
    match = _SECTION.search(doc)
    indent = "    " if match is None else match.group(1)
    shared = textwrap.indent(getattr(cls, "_doc_sections", "").strip(), indent)
    head = parameters_section(cls, indent) + ("\n" + shared + "\n" if shared else "")
    if match is None:
        cls.__doc__ = doc.rstrip() + "\n\n" + head
    elif match.group(2) == "Examples":
        cls.__doc__ = doc[: match.start()] + head + "\n" + doc[match.start():]
    else:
        examples = doc.find(f"{indent}Examples\n{indent}--------")
        at = examples if examples >= 0 else len(doc)
        section = parameters_section(cls, indent) + "\n"
        tail = shared + "\n\n" if shared else ""
        cls.__doc__ = (doc[: match.start()] + section + doc[match.start(): at] + tail
                       + doc[at:])
    return cls


def _params(obj: Any) -> list[Field[Any]]:
    return [f for f in fields(obj) if f.init]


# ---- the base class ---------------------------------------------------------------------


@dataclass(kw_only=True, eq=False, repr=False)
class Sampler:
    """What every sampler shares: the score, prior, knowledge and seed parameters,
    ``fit(data) -> self`` and the fitted ``posterior_``.

    Subclasses are ``@documented @dataclass(kw_only=True, eq=False, repr=False)`` and
    implement ``_fit(data, begin) -> Posterior``.
    """

    name = "sampler"

    score: str | None = param(
        None, "The local score; default BGe for continuous data, BDeu for discrete.",
        kind='{"bge", "bdeu"}, optional')
    score_options: dict[str, Any] | None = param(
        None, 'Hyperparameters of the score (e.g. ``{"standardize": False}`` for BGe, '
        '``{"ess": 10}`` for BDeu).', kind="dict, optional")
    prior: GraphPrior | str | None = param(
        None, 'Graph prior: a GraphPrior, "sparse" (the default, also None: Erdos-Renyi, one '
        'expected edge per node, each edge at most 1/2, so uniform up to 5 nodes; '
        '``benchmarks/RESULTS_priors.md``), "uniform" over DAGs, "erdos_renyi" (one expected '
        'edge per node) or "fair".', kind="GraphPrior or str, optional")
    knowledge: BackgroundKnowledge | None = param(
        None, "Forbidden / required edges and tiers, honoured by every draw.",
        kind="BackgroundKnowledge, optional")
    max_parents: int | None = param(
        None, "Most parents a node may have (default: no cap).", kind="int, optional")
    seed: int | np.random.Generator | None = param(
        None, "The only source of randomness: the same seed gives the same draws.",
        kind="int or numpy.random.Generator, optional")
    parameters: bool = param(
        True, "Attach one conjugate parameter draw per graph.", kind="bool")
    quiet: bool = param(False, "Silence the progress bar.", kind="bool")

    _posterior: Posterior | None = field(default=None, init=False, repr=False)

    # ---- the contract -----------------------------------------------------------------

    def fit(self: S, data: Dataset | pd.DataFrame) -> S:
        """Learn the posterior of ``data`` into ``posterior_``.

        Parameters
        ----------
        data : Dataset or pandas.DataFrame

        Returns
        -------
        self

        Raises
        ------
        CausalpostError
            For data that is neither a Dataset nor a DataFrame, or a bad parameter
            (one line naming it); see the class for the sampler's own errors.
        """
        begin = time.monotonic()
        dataset = as_dataset(data)
        self._check_params()
        posterior = self._fit(dataset, begin)
        seed = getattr(self, "seed", None)  # recorded for the provenance of reports
        if isinstance(seed, int) and not isinstance(seed, bool):
            posterior.info.setdefault("seed", int(seed))
        self._posterior = posterior
        return self

    def _fit(self, data: Dataset, begin: float) -> Posterior:
        raise NotImplementedError  # pragma: no cover

    @property
    def posterior_(self) -> Posterior:
        """The fitted posterior (a NotFittedError before ``fit``)."""
        return check_fitted(self)

    @property
    def diagnostics_(self) -> Any:
        """The fitted posterior's diagnostics."""
        return self.posterior_.diagnostics

    # ---- parameters -------------------------------------------------------------------

    def _check_params(self) -> None:
        """Run every declared check (subclasses add checks across parameters)."""
        for f in _params(self):
            check = f.metadata.get("check")
            if check is not None:
                check(f.name, getattr(self, f.name))

    def get_params(self) -> dict[str, Any]:
        """The parameters as given (scikit-learn's ``get_params``, without nesting)."""
        return {f.name: getattr(self, f.name) for f in _params(self)}

    def set_params(self: S, **params: Any) -> S:
        """Change parameters by name; returns the sampler.

        Raises
        ------
        CausalpostError
            For a name the sampler does not take.
        """
        known = {f.name for f in _params(self)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise CausalpostError(f"{type(self).__name__} does not take option(s) {unknown}")
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        changed = []
        for f in _params(self):
            value = getattr(self, f.name)
            if f.default is MISSING or value is not f.default and value != f.default:
                changed.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"
