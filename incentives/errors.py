"""Exceptions raised by :mod:`incentives`.

Every error is a :class:`ValueError` subclass whose message is one line that
names the culprit (the node, edge, cycle or key at fault), so that command-line
tools can print it as is.
"""

from __future__ import annotations

__all__ = ["IncentiveError", "CIDError", "InsufficientRecallError", "ParameterError"]


class IncentiveError(ValueError):
    """Base class of all errors raised by :mod:`incentives`."""


class CIDError(IncentiveError):
    """A causal influence diagram, or a query about one, is malformed.

    Raised for a cycle, an unknown node, a node with two roles, a utility with
    children, empty decisions or utilities, a non-string node name, or a query
    that names a node or decision the diagram does not have.
    """


class InsufficientRecallError(IncentiveError):
    """The diagram lacks sufficient recall, so the criterion is undefined.

    Value of information, response incentives and value of control are only
    characterised graphically for diagrams whose relevance graph over decisions
    is acyclic (Koller & Milch 2003).
    """


class ParameterError(IncentiveError):
    """Parameters given for a quantitative computation do not fit the diagram."""
