"""Exception types raised for bad input.

Every error a user can cause derives from :class:`CausalpostError`, a
``ValueError``, so the command line can turn it into a one-line message and
exit code 2 instead of a traceback.
"""

from __future__ import annotations

__all__ = [
    "CausalpostError",
    "ChainDisagreementWarning",
    "DataError",
    "FragileDataWarning",
    "GraphError",
    "GraphTooLargeError",
    "NotFittedError",
    "known_names",
]


class CausalpostError(ValueError):
    """Base class of every input error raised by causalpost."""


class DataError(CausalpostError):
    """A data table that cannot be used: NaN, constant column, bad file, ..."""


class GraphError(CausalpostError):
    """A graph or background knowledge that is invalid: a cycle, an unknown node, ..."""


class GraphTooLargeError(CausalpostError):
    """The graph has more nodes than the chosen sampler can handle."""


class NotFittedError(CausalpostError, AttributeError):
    """A sampler's result was requested before ``fit`` was called."""


class ChainDisagreementWarning(UserWarning):
    """Chains of one sampler disagree on some edge marginal by more than a tolerance."""


class SearchSpaceWarning(UserWarning):
    """A restricted search space leaves more posterior mass outside than ``boundary_tol``."""


class FragileDataWarning(UserWarning):
    """A data table where some scores rest on the prior alone (collinear columns)."""


def known_names(name: str, names, most: int = 12) -> str:
    """The names an unknown ``name`` could have meant, for a one-line error.

    The list itself while it is short, else its first ``most`` entries and how
    many more; and the closest names (case or a typo) when there are any.

    Examples
    --------
    >>> known_names("int", ["Raf", "Mek", "INT"])
    "['Raf', 'Mek', 'INT']; did you mean 'INT'?"
    >>> known_names("X", [f"N{i}" for i in range(20)], most=2)
    "['N0', 'N1'] and 18 more"
    """
    import difflib

    names = [str(n) for n in names]
    shown = repr(names) if len(names) <= most else f"{names[:most]!r} and {len(names) - most} more"
    lower = {n.lower(): n for n in names}
    close = [lower[str(name).lower()]] if str(name).lower() in lower else []
    close += [n for n in difflib.get_close_matches(str(name), names, n=3, cutoff=0.6)
              if n not in close]
    if close:
        shown += "; did you mean " + " or ".join(map(repr, close[:3])) + "?"
    return shown
