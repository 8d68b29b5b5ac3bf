"""The validated data table, :class:`Dataset` (its loaders are in :mod:`causalpost.data`).

A :class:`Dataset` holds ``n_obs`` rows of ``n_nodes`` columns, the column
(node) names and each column's kind: ``"continuous"`` (real values) or
``"discrete"`` (a few unordered levels, stored as integer codes
``0 .. arity - 1`` with the level names kept beside them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from causalpost.errors import DataError, known_names

__all__ = ["Dataset"]

@dataclass(frozen=True)
class Dataset:
    """A validated data table.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_obs, n_nodes)
        Float values; discrete columns hold integer codes ``0 .. arity - 1``.
    names : tuple of str
        Node names, one per column.
    kinds : tuple of {"continuous", "discrete"}
        The kind of each column.
    levels : tuple
        For each discrete column the level names (code ``k`` is ``levels[k]``);
        ``None`` for continuous columns.
    intervention : numpy.ndarray of bool, shape (n_obs, n_nodes), optional
        ``intervention[r, j]``: row r was produced by a perfect (hard)
        intervention on node j with a known target. ``None``: every row is
        observational. Scores use, for node j, only the rows that did not
        intervene on j (:meth:`kept_rows`).
    """

    values: np.ndarray
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    levels: tuple[tuple[str, ...] | None, ...]
    intervention: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.values.setflags(write=False)
        if self.intervention is not None:
            given = np.asarray(self.intervention)
            if given.shape != self.values.shape:
                raise DataError(f"the intervention mask must have shape {self.values.shape} "
                                f"(rows x nodes); got {given.shape}")
            mask = given.astype(bool)
            if not mask.any():
                # every row observational: the plain table
                object.__setattr__(self, "intervention", None)
            else:
                mask.setflags(write=False)
                object.__setattr__(self, "intervention", mask)

    def check_interventions(self) -> None:
        """Raise ``DataError`` when a node has fewer than 2 rows that did not intervene on it."""
        if self.intervention is None:
            return
        left = self.n_obs - self.intervention.sum(axis=0)
        few = np.flatnonzero(left < 2)
        if few.size:
            j = int(few[0])
            raise DataError(
                f"node {self.names[j]!r} is intervened on in {int(self.intervention[:, j].sum())}"
                f" of {self.n_obs} rows; its score needs at least 2 rows that did not intervene "
                "on it")

    @property
    def is_interventional(self) -> bool:
        """Whether any row intervened on any node."""
        return self.intervention is not None

    def kept_rows(self, node: int) -> np.ndarray:
        """Rows that did not intervene on ``node`` (bool, (n_obs,)): the rows its score uses."""
        if self.intervention is None:
            return np.ones(self.n_obs, dtype=bool)
        return ~self.intervention[:, node]

    @property
    def n_obs(self) -> int:
        """Number of rows."""
        return int(self.values.shape[0])

    @property
    def n_nodes(self) -> int:
        """Number of columns (nodes)."""
        return int(self.values.shape[1])

    @property
    def arities(self) -> tuple[int, ...]:
        """Number of levels of each discrete column (0 for continuous ones)."""
        return tuple(0 if lv is None else len(lv) for lv in self.levels)

    @property
    def kind(self) -> str:
        """``"continuous"``, ``"discrete"`` or ``"mixed"``."""
        kinds = set(self.kinds)
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def codes(self) -> np.ndarray:
        """Integer codes of an all-discrete table, shape (n_obs, n_nodes)."""
        self.require_kind("discrete", "integer codes")
        return self.values.astype(np.int64)

    def index(self, name: str) -> int:
        """Column index of node ``name``; raises ``DataError`` if unknown."""
        try:
            return self.names.index(name)
        except ValueError:
            raise DataError(f"unknown node {name!r}; the data has "
                            f"{known_names(name, self.names)}") from None

    def require_kind(self, kind: str, user: str) -> None:
        """Raise ``DataError`` unless every column is of ``kind``."""
        wrong = [n for n, k in zip(self.names, self.kinds) if k != kind]
        if wrong:
            raise DataError(
                f"{user} needs {kind} columns only, but column {wrong[0]!r} is "
                f"{self.kinds[self.names.index(wrong[0])]} ({len(wrong)} such column(s)); "
                f"pass kinds= to override the detection (command line: --{kind} COL ...)"
                + ("" if kind == "discrete" or len(wrong) < len(self.names) else
                   ", or use the score of discrete data (score='bdeu', --score bdeu)")
            )

    def to_pandas(self) -> pd.DataFrame:
        """The table as a DataFrame with level names restored."""
        columns = {}
        for j, name in enumerate(self.names):
            col = self.values[:, j]
            lv = self.levels[j]
            columns[name] = col if lv is None else np.asarray(lv, dtype=object)[col.astype(int)]
        return pd.DataFrame(columns)

    def subset(self, rows: np.ndarray) -> Dataset:
        """The same table restricted to ``rows`` (e.g. a bootstrap resample)."""
        mask = None if self.intervention is None else np.array(self.intervention[rows])
        return Dataset(np.array(self.values[rows]), self.names, self.kinds, self.levels, mask)

    def append(self, other: Dataset) -> Dataset:
        """This table with the rows of ``other`` (same columns, kinds and levels) below it.

        The intervention masks are stacked (observational rows have none), so an
        experiment's rows can be added to the data they extend.

        Raises
        ------
        DataError
            If the columns, kinds or discrete levels differ.
        """
        if not isinstance(other, Dataset):
            raise DataError(f"can only append a Dataset; got {type(other).__name__}")
        for label, mine, theirs in (("columns", self.names, other.names),
                                    ("kinds", self.kinds, other.kinds),
                                    ("levels", self.levels, other.levels)):
            if tuple(mine) != tuple(theirs):
                raise DataError(f"cannot append a table with other {label}: {list(theirs)} "
                                f"instead of {list(mine)}")
        masks = [np.zeros(t.values.shape, dtype=bool) if t.intervention is None
                 else np.asarray(t.intervention) for t in (self, other)]
        return Dataset(np.vstack([self.values, other.values]), self.names, self.kinds,
                       self.levels, np.vstack(masks))

    def fingerprint(self) -> str:
        """sha256 of the names, values and intervention mask: identifies the fitted data."""
        digest = hashlib.sha256()
        digest.update("\x1f".join(self.names).encode())
        digest.update(np.ascontiguousarray(self.values, dtype=np.float64).tobytes())
        if self.intervention is not None:
            digest.update(np.packbits(self.intervention).tobytes())
        return digest.hexdigest()

    def intervention_labels(self) -> list[str]:
        """Per row, the intervened nodes joined by ``;`` (empty: observational)."""
        if self.intervention is None:
            return [""] * self.n_obs
        return [";".join(self.names[j] for j in np.flatnonzero(row)) for row in self.intervention]
