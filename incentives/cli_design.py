"""``causalpost fit --design``: what an agent design imposes on the world model.

The ``fit`` subcommand lives in :mod:`causalpost.cli`, which never imports
this package; the command-line layer (:mod:`causalpost_cli`) hands it
:func:`design_constraints` to read the ``--design`` file.
"""

from __future__ import annotations

from collections.abc import Sequence

from causalpost.knowledge import BackgroundKnowledge
from incentives._design_knowledge import describe
from incentives.design import Design

__all__ = ["design_constraints"]


def design_constraints(path: str, names: Sequence[str]) -> tuple[BackgroundKnowledge, str]:
    """The exact edge constraints of the design at ``path`` over the data's columns.

    Parameters
    ----------
    path : str
        A design JSON file.
    names : sequence of str
        The data's column names.

    Returns
    -------
    (BackgroundKnowledge, str)
        The constraints, and one line saying what the design imposes (printed by ``fit``).

    Raises
    ------
    IncentiveError
        For an unreadable design or one that does not fit the data's columns.

    Examples
    --------
    >>> from causalpost.datasets import datasets_dir
    >>> path = datasets_dir() / "designs" / "recommender.json"
    >>> names = ["Age", "History", "Rec", "Clicks", "Opinion", "TimeOnSite"]
    >>> knowledge, note = design_constraints(str(path), names)
    >>> sorted(knowledge.required)[:2]
    [('Age', 'Rec'), ('History', 'Rec')]
    """
    design = Design.load(path)
    return design.background_knowledge(list(names)), describe(design, list(names))
