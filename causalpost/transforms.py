"""Transforms of data columns before a fit, and the words that state them.

A transform changes what a posterior is *about*: a posterior fitted on
``log(Raf)`` describes the log-scale relations, and every later use of it
(plots, audits, experiment plans) must say so. :func:`log_columns` takes the
natural log of named continuous columns (refusing what has no log);
:func:`describe_transforms` names every transform a fit applied -- the ones
recorded under ``info["transforms"]`` and the BGe score's own
standardization -- for the fit summary, ``show`` and the audit's provenance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from causalpost.data import Dataset
from causalpost.errors import DataError, known_names

__all__ = ["apply_recorded", "describe_transforms", "log_columns"]


def log_columns(data: Dataset, columns: Sequence[str], *, option: str = "log") -> Dataset:
    """The table with the natural log of the named continuous columns.

    Parameters
    ----------
    data : Dataset
    columns : sequence of str
        Column names; repeats are ignored.
    option : str
        How errors name the request (the command line passes ``"--log"``).

    Returns
    -------
    Dataset
        A new table (``data`` is not modified); kinds, levels and the
        intervention mask unchanged.

    Raises
    ------
    DataError
        For an unknown column (with the closest names), a discrete column, or
        a column with a value <= 0 (naming the first such row, counting data
        rows from 1).

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost import from_numpy
    >>> data = from_numpy(np.array([[1.0, -2.0], [np.e, 0.5], [2.0, 1.0]]), ["A", "B"])
    >>> log_columns(data, ["A"]).values[:, 0].round(3).tolist()
    [0.0, 1.0, 0.693]
    >>> log_columns(data, ["B"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    causalpost.errors.DataError: log B: the log needs positive values, but row 1 has -2 (1 row ...
    """
    values = np.array(data.values, dtype=np.float64)
    for name in dict.fromkeys(columns):
        if name not in data.names:
            raise DataError(f"{option} {name}: no such column; the data has "
                            f"{known_names(name, data.names)}")
        j = data.names.index(name)
        if data.kinds[j] != "continuous":
            levels = data.levels[j] or ()
            shown = ", ".join(map(str, levels[:4])) + (", ..." if len(levels) > 4 else "")
            raise DataError(f"{option} {name}: {name} was read as discrete ({len(levels)} "
                            f"levels: {shown}); the log applies to continuous columns (if "
                            f"the levels are numbers, pass --continuous {name})")
        bad = np.flatnonzero(~(values[:, j] > 0))
        if bad.size:
            rows = f"{bad.size} row{'s' if bad.size > 1 else ''} <= 0 in all"
            raise DataError(f"{option} {name}: the log needs positive values, but row "
                            f"{bad[0] + 1} has {values[bad[0], j]:g} ({rows}); drop {name} "
                            "or shift it to positive values first")
        values[:, j] = np.log(values[:, j])
    return Dataset(values, data.names, data.kinds, data.levels, data.intervention)


def describe_transforms(info: Mapping[str, Any]) -> list[str]:
    """Every transform a fit applied, in words, from a posterior's ``info``.

    Parameters
    ----------
    info : mapping
        ``Posterior.info``: ``"transforms"`` (``{"log": [names]}``, written by
        ``causalpost fit --log``; absent in older files) and ``"score"``.

    Returns
    -------
    list of str
        E.g. ``["log(Raf)", "standardized (BGe)"]``; empty when the data were
        used as read.

    Examples
    --------
    >>> describe_transforms({"transforms": {"log": ["Raf"]},
    ...                      "score": {"name": "bge", "standardize": True}})
    ['log(Raf)', 'standardized (BGe)']
    >>> describe_transforms({"score": {"name": "bdeu"}})
    []
    """
    recorded = info.get("transforms") or {}
    out = [f"log({name})" for name in (recorded.get("log") or [])]
    score = info.get("score") or {}
    if isinstance(score, Mapping) and score.get("name") == "bge" and score.get("standardize"):
        out.append("standardized (BGe)")
    return out


def apply_recorded(data: Dataset, info: Mapping[str, Any], *, option: str = "--data") -> Dataset:
    """``data`` transformed as the fit recorded in ``info`` (a posterior's), e.g. its logs.

    So that the table given to ``plan`` or ``evaluate --data`` as read from the
    same CSV is the table the posterior was fitted on.

    Examples
    --------
    >>> import numpy as np
    >>> from causalpost import from_numpy
    >>> data = from_numpy(np.array([[1.0, 2.0], [np.e, 3.0], [2.0, 1.0]]), ["A", "B"])
    >>> apply_recorded(data, {"transforms": {"log": ["A"]}}).values[1].round(3).tolist()
    [1.0, 3.0]
    """
    names = (info.get("transforms") or {}).get("log") or []
    return log_columns(data, names, option=f"{option} (fitted with --log)") if names else data
