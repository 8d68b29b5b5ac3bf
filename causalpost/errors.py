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


class FragileDataWarning(UserWarning):
    """A data table where some scores rest on the prior alone (collinear columns)."""
