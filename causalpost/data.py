"""The data table a structure posterior is learned from.

A :class:`Dataset` holds ``n_obs`` rows of ``n_nodes`` columns, the column
(node) names and each column's kind: ``"continuous"`` (real values) or
``"discrete"`` (a few unordered levels, stored as integer codes
``0 .. arity - 1`` with the level names kept beside them). Loaders validate
the table once, so every score and sampler downstream can trust it; each
problem is reported in one line naming the column.

This module holds the loaders and the detection of each column's kind; the
:class:`Dataset` class itself lives in :mod:`causalpost._dataset` and is
re-exported here.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from causalpost._dataset import Dataset
from causalpost.errors import DataError, FragileDataWarning, known_names

__all__ = ["Dataset", "Kind", "from_numpy", "from_pandas", "load_csv"]

Kind = Literal["continuous", "discrete"]
_KINDS = ("continuous", "discrete")
MAX_DISCRETE_LEVELS = 10
_DELIMITERS = (",", ";", "\t", "|")
DEFAULT_NA_VALUES = ("", "NA", "NaN", "nan")
MAX_ABS_VALUE = 1e100  # beyond this a column's variance (and its parameters) overflow


def load_csv(
    path: str | Path,
    kinds: Mapping[str, str] | None = None,
    max_levels: int = MAX_DISCRETE_LEVELS,
    sep: str | None = None,
    intervention_column: str | None = None,
    na_values: Sequence[str] | None = None,
) -> Dataset:
    """Read a CSV file with a header row of node names.

    Parameters
    ----------
    path : str or Path
        A regular file (not a FIFO or device), UTF-8 with or without a byte
        order mark. Read as text with pandas; never unpickled.
    kinds : mapping of str to {"continuous", "discrete"}, optional
        Overrides the detected kind of the named columns.
    max_levels : int
        Integer columns with at most this many distinct values are discrete.
    sep : str, optional
        The delimiter. By default detected from the header row: a comma, or
        else a semicolon, tab or ``|`` when that splits the header into more
        columns (so a semicolon-separated file is never read as one column).
    intervention_column : str, optional
        A column naming, per row, the nodes intervened on (perfect interventions),
        separated by ``;``; empty means observational. It is not a variable. See
        :func:`from_pandas`.
    na_values : sequence of str, optional
        Cells read as missing (and then refused). Default :data:`DEFAULT_NA_VALUES`:
        empty, ``NA``, ``NaN``, ``nan`` -- not pandas' longer list, in which
        ``None`` or ``null`` would turn a category of discrete data into a gap.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For a missing, unreadable, non-regular or empty file, duplicate or empty
        column names, and every problem listed in :func:`from_pandas`.
    """
    from causalpost._io import check_input_file

    path = check_input_file(path, "data", DataError)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc}") from None
    sep = _delimiter(first) if sep is None else sep
    header = next(csv.reader([first], delimiter=sep), None)
    if not header:
        raise DataError(f"{str(path)!r} is empty: expected a header row of node names")
    _check_names([h.strip() for h in header])
    try:
        frame = pd.read_csv(path, sep=sep, skipinitialspace=True, encoding="utf-8-sig",
                            keep_default_na=False,
                            na_values=list(DEFAULT_NA_VALUES if na_values is None else na_values))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as exc:
        raise DataError(f"cannot parse {str(path)!r} as CSV: {str(exc).splitlines()[0]}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return from_pandas(frame, kinds=kinds, max_levels=max_levels,
                       intervention_column=intervention_column)


def _delimiter(header_line: str) -> str:
    """The delimiter that splits a header row into the most columns (comma first)."""
    counts = {sep: len(next(csv.reader([header_line], delimiter=sep), []))
              for sep in _DELIMITERS}
    if counts[","] > 1:
        return ","
    best = max(_DELIMITERS, key=lambda sep: counts[sep])
    return best if counts[best] > 1 else ","


def from_numpy(
    values: np.ndarray,
    names: Sequence[str] | None = None,
    kinds: Mapping[str, str] | None = None,
    max_levels: int = MAX_DISCRETE_LEVELS,
    intervention: np.ndarray | None = None,
) -> Dataset:
    """Build a :class:`Dataset` from a 2-D array; names default to X0, X1, ...

    ``intervention`` is an optional bool mask of the array's shape (see
    :class:`Dataset`).

    Raises
    ------
    DataError
        If ``values`` is not 2-D, the names do not match, or any check of
        :func:`from_pandas` fails.
    """
    array = np.asarray(values)
    if array.ndim != 2:
        raise DataError(f"expected a 2-D table (rows x nodes), got an array of shape {array.shape}")
    if names is None:
        names = [f"X{j}" for j in range(array.shape[1])]
    if len(names) != array.shape[1]:
        raise DataError(f"{len(names)} names given for {array.shape[1]} columns")
    _check_names(list(names))
    return from_pandas(pd.DataFrame(array, columns=list(names)), kinds, max_levels,
                       intervention=intervention)


def from_pandas(
    frame: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    max_levels: int = MAX_DISCRETE_LEVELS,
    intervention_column: str | None = None,
    intervention: np.ndarray | None = None,
) -> Dataset:
    """Validate a DataFrame and turn it into a :class:`Dataset`.

    Strings, booleans, categoricals and integer columns with at most
    ``max_levels`` distinct values are discrete; other numbers continuous.

    Interventional rows (perfect interventions with known targets) are given
    either by ``intervention_column``, a column holding per row the names of
    the intervened nodes separated by ``;`` (empty or missing: observational;
    the column is dropped from the variables), or by ``intervention``, a bool
    mask of shape (rows, variables).

    Raises
    ------
    DataError
        NaN or infinite values, a constant column, fewer than 2 rows,
        text in a numeric column, duplicate or empty names, unknown names
        or kinds in ``kinds``; a missing intervention column, a target that is
        not a column, a node intervened on in all but fewer than 2 rows.

    Examples
    --------
    >>> import pandas as pd
    >>> data = from_pandas(pd.DataFrame({"A": [0.1, 0.5, 0.3], "B": ["x", "y", "x"]}))
    >>> data.kinds, data.levels[1]
    (('continuous', 'discrete'), ('x', 'y'))
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if intervention_column is not None:
        if intervention is not None:
            raise DataError("give intervention_column or an intervention mask, not both")
        frame, intervention = _split_intervention_column(frame, intervention_column)
    names = [str(c) for c in frame.columns]
    _check_names(names)
    if frame.shape[0] < 2:
        raise DataError(f"the table has {frame.shape[0]} row(s); at least 2 are needed")
    kinds = dict(kinds or {})
    for name, kind in kinds.items():
        if name not in names:
            raise DataError(f"kinds names unknown column {name!r}; columns are "
                            f"{known_names(name, names)}")
        if kind not in _KINDS:
            raise DataError(f"column {name!r}: unknown kind {kind!r}, expected one of {_KINDS}")
    columns: list[np.ndarray] = []
    col_kinds: list[str] = []
    col_levels: list[tuple[str, ...] | None] = []
    for position, name in enumerate(names):
        series = frame.iloc[:, position]  # by position: labels may be integers, not names
        kind = kinds.get(name) or _detect_kind(name, series, max_levels)
        if kind == "continuous":
            columns.append(_continuous_column(name, series))
            col_levels.append(None)
        else:
            codes, levels = _discrete_column(name, series)
            columns.append(codes)
            col_levels.append(levels)
        col_kinds.append(kind)
    values = np.column_stack(columns).astype(np.float64)
    if intervention is not None:
        intervention = np.asarray(intervention)
        if intervention.dtype != bool:
            raise DataError(f"the intervention mask must be boolean; got {intervention.dtype}")
    data = Dataset(values, tuple(names), tuple(col_kinds), tuple(col_levels), intervention)
    data.check_interventions()
    _warn_if_fragile(data)
    return data


def _warn_if_fragile(data: Dataset) -> None:
    """Warn (:class:`FragileDataWarning`) where the scores of some edges rest on the
    prior alone: two continuous columns that are (nearly) collinear."""
    n_obs = data.values.shape[0]
    continuous = [j for j, kind in enumerate(data.kinds) if kind == "continuous"]
    if len(continuous) < 2 or n_obs < 10 or n_obs * len(continuous) ** 2 > 10**10:
        return  # a few rows are always nearly collinear: nothing to say
    x = data.values[:, continuous]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    corr = np.abs(x.T @ x) / n_obs
    np.fill_diagonal(corr, 0.0)
    i, j = np.unravel_index(np.argmax(corr), corr.shape)
    if corr[i, j] > 1 - 1e-8:
        warnings.warn(
            f"columns {data.names[continuous[i]]!r} and {data.names[continuous[j]]!r} are "
            f"collinear (|r| = {min(corr[i, j], 1.0):.10g}): the scores of their edges rest on "
            "the prior; drop one of them", FragileDataWarning, stacklevel=3)


def _split_intervention_column(
    frame: pd.DataFrame, column: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The variables without the intervention column, and the parsed bool mask."""
    labels = [str(c) for c in frame.columns]
    if column not in labels:
        raise DataError(f"intervention column {column!r} is not in the table; columns are "
                        f"{known_names(column, labels)}")
    position = labels.index(column)
    cells = frame.iloc[:, position]
    rest = frame.drop(columns=frame.columns[position])
    names = [str(c) for c in rest.columns]
    index = {name: j for j, name in enumerate(names)}
    mask = np.zeros((len(frame), len(names)), dtype=bool)
    for r, cell in enumerate(cells.tolist()):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            continue
        for target in str(cell).split(";"):
            target = target.strip()
            if not target:
                continue
            if target not in index:
                raise DataError(f"intervention column {column!r}, data row {r + 1}: target "
                                f"{target!r} is not a column; columns are "
                                f"{known_names(target, names)}")
            mask[r, index[target]] = True
    return rest, mask


def _check_names(names: list[str]) -> None:
    if not names:
        raise DataError("the table has no columns")
    for position, name in enumerate(names):
        if not name.strip() or name.startswith("Unnamed:"):
            raise DataError(f"column {position + 1} has an empty name")
    seen = set()
    for name in names:
        if name in seen:
            raise DataError(f"duplicate column name {name!r}")
        seen.add(name)


def _detect_kind(name: str, series: pd.Series, max_levels: int) -> str:
    if isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(series):
        return "discrete"
    if pd.api.types.is_integer_dtype(series):
        return "discrete" if series.nunique() <= max_levels else "continuous"
    if pd.api.types.is_numeric_dtype(series):
        return "continuous"
    numeric = pd.to_numeric(series, errors="coerce")
    parsed = numeric.notna() | series.isna()
    if parsed.all():
        return "continuous"
    if parsed.mean() >= 0.5:  # mostly numbers: a typo, not a categorical column
        bad = series[~parsed].iloc[0]
        row = int(np.flatnonzero(~parsed.to_numpy())[0]) + 1
        raise DataError(f"column {name!r}: non-numeric value {bad!r} in data row {row}")
    return "discrete"


def _continuous_column(name: str, series: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & series.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataError(
            f"column {name!r}: non-numeric value {series[bad].iloc[0]!r} in data row {row} "
            "of a continuous column"
        )
    values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0]) + 1
        raise DataError(f"column {name!r}: {values[row - 1]} (NaN or inf) in data row {row}")
    if np.ptp(values) == 0:
        raise DataError(f"column {name!r} is constant ({values[0]}); drop it")
    largest = float(np.max(np.abs(values)))
    if largest > MAX_ABS_VALUE:
        raise DataError(
            f"column {name!r}: values up to {largest:.3g} are too large for float64 scores "
            f"(the variance overflows); rescale the column below {MAX_ABS_VALUE:.0e}")
    spread = float(np.ptp(values))
    if spread < 1 / MAX_ABS_VALUE:
        raise DataError(
            f"column {name!r}: values vary by only {spread:.3g}, too little for float64 "
            "scores (the variance underflows); rescale the column")
    return values


def _discrete_column(name: str, series: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0]) + 1
        raise DataError(f"column {name!r}: missing value in data row {row}")
    if pd.api.types.is_float_dtype(series) and not np.isfinite(series.to_numpy()).all():
        raise DataError(f"column {name!r}: infinite value in a discrete column")
    uniques = pd.unique(series)
    try:
        uniques = sorted(uniques)
    except TypeError:
        uniques = sorted(uniques, key=str)
    if len(uniques) < 2:
        raise DataError(f"column {name!r} is constant ({uniques[0]!r}); drop it")
    lookup = {value: code for code, value in enumerate(uniques)}
    codes = np.array([lookup[v] for v in series.to_numpy()], dtype=np.float64)
    return codes, tuple(str(v) for v in uniques)
