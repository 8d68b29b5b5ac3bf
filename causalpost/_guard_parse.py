"""Parse and check the action, harm event and context of a harm guard.

The command line writes them as short expressions; Python callers may pass
the same strings or plain values:

* action: ``"Dose=3"``, a grid ``"Dose=0:5:11"`` (11 evenly spaced values,
  ends included), a list ``"Dose=1,2.5,4"``; a discrete node takes level names
  (``"Treat=yes"``, ``"Treat=no,yes"``). In Python ``{"Dose": 3.0}`` or
  ``{"Dose": [0, 1, 2]}``. At most one node of an action may take a grid.
* harm: ``"Tox>2.5"`` (also ``>=``, ``<``, ``<=``), a range ``"1<Tox<2.5"``,
  and for a discrete node ``"Tox=high"``, ``"Tox=high,severe"`` or
  ``"Tox!=none"``; comparisons on a discrete node need numeric level names.
  In Python also a tuple ``("Tox", ">", 2.5)`` or ``("Tox", "in", (1, 2.5))``.
* given: ``"Age=70"``; in Python ``{"Age": 70}``.

Everything a user can get wrong raises :class:`~causalpost.errors.CausalpostError`
with a one-line message naming the expression.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalpost.errors import CausalpostError

__all__ = ["Harm", "Problem", "parse_problem"]

_CMP = re.compile(r"^\s*(?P<node>[^<>=!]+?)\s*(?P<op>>=|<=|!=|>|<|=)\s*(?P<value>.+?)\s*$")
_RANGE = re.compile(
    r"^\s*(?P<lo>[^<>=!]+?)\s*(?P<op1><=|<)\s*(?P<node>[^<>=!]+?)\s*(?P<op2><=|<)"
    r"\s*(?P<hi>[^<>=!]+?)\s*$"
)
_MAX_GRID = 10_000


@dataclass(frozen=True)
class Harm:
    """A harm event on one node: an interval of a continuous node or a set of levels.

    ``lo < x < hi`` for a continuous node (open or closed makes no difference
    to a probability); ``levels`` (codes of the harmful levels) for a discrete one.
    """

    node: int
    text: str
    lo: float = -math.inf
    hi: float = math.inf
    levels: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Problem:
    """A checked guard question, in node indices and numeric values (codes if discrete)."""

    action_nodes: tuple[int, ...]
    action_values: np.ndarray  # (n_rows, n_action_nodes), codes for discrete nodes
    action_labels: list[tuple[Any, ...]]  # the values as the user wrote them, per row
    harm: Harm
    given: dict[int, float]
    given_labels: dict[str, Any]


def parse_problem(
    nodes: Sequence[str],
    levels: Sequence[Sequence[str] | None],
    action: str | Sequence[str] | Mapping[str, Any],
    harm: str | tuple,
    given: str | Sequence[str] | Mapping[str, Any] | None,
) -> Problem:
    """Check ``action``, ``harm`` and ``given`` against the posterior's nodes and levels."""
    index = {name: i for i, name in enumerate(nodes)}
    act = _mapping(action, "action", allow_grid=True)
    if not act:
        raise CausalpostError("the action sets no node; write it as NODE=VALUE")
    giv = _mapping(given, "given", allow_grid=False) if given is not None else {}
    columns: list[list[float]] = []
    labels: list[list[Any]] = []
    for name, raw in act.items():
        j = _node(name, index, "action")
        raws = raw if isinstance(raw, list) else [raw]
        labels.append(raws)
        columns.append([_value(v, j, nodes, levels, "action") for v in raws])
    if sum(len(c) > 1 for c in columns) > 1:
        raise CausalpostError("only one action node may take a grid of values")
    action_nodes = tuple(index[name] for name in act)
    n_rows = max(len(c) for c in columns)
    values = np.array([[c[r] if len(c) > 1 else c[0] for c in columns] for r in range(n_rows)],
                      dtype=np.float64)
    row_labels = [tuple(lab[r] if len(lab) > 1 else lab[0] for lab in labels)
                  for r in range(n_rows)]
    event = _harm(harm, index, nodes, levels)
    given_idx: dict[int, float] = {}
    for name, raw in giv.items():
        j = _node(name, index, "given")
        if j in action_nodes:
            raise CausalpostError(f"node {name!r} is both set by the action and given")
        if j == event.node:
            raise CausalpostError(f"node {name!r} is both the harm node and given")
        given_idx[j] = _value(raw, j, nodes, levels, "given")
    if event.node in action_nodes:
        raise CausalpostError(f"the harm node {nodes[event.node]!r} is set by the action")
    return Problem(action_nodes, values, row_labels, event, given_idx, dict(giv))


def _mapping(spec, what: str, *, allow_grid: bool) -> dict[str, Any]:
    if isinstance(spec, Mapping):
        out = {}
        for name, value in spec.items():
            if isinstance(value, (list, tuple, np.ndarray)):
                if not allow_grid:
                    raise CausalpostError(f"{what} {name!r} takes one value, got a list")
                value = list(np.asarray(value).tolist()) if isinstance(value, np.ndarray) \
                    else list(value)
                if not value:
                    raise CausalpostError(f"{what} {name!r} has an empty list of values")
            out[str(name)] = value
        return out
    items = [spec] if isinstance(spec, str) else list(spec)
    out = {}
    for text in items:
        if not isinstance(text, str) or text.count("=") != 1 or any(c in text for c in "<>!"):
            raise CausalpostError(f"malformed {what} {text!r}: write NODE=VALUE")
        name, value = (part.strip() for part in text.split("="))
        if not name or not value:
            raise CausalpostError(f"malformed {what} {text!r}: write NODE=VALUE")
        if name in out:
            raise CausalpostError(f"{what} names node {name!r} twice")
        out[name] = _grid(value, text) if allow_grid else value
    return out


def _grid(value: str, text: str):
    """``a:b:n`` -> n values from a to b; ``a,b,c`` -> a list; else the value itself."""
    if ":" in value:
        parts = value.split(":")
        try:
            start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise CausalpostError(f"malformed grid in {text!r}: write START:STOP:NUM") from None
        if len(parts) != 3 or not 1 <= num <= _MAX_GRID or not np.isfinite([start, stop]).all():
            raise CausalpostError(f"malformed grid in {text!r}: write START:STOP:NUM, "
                                  f"1 <= NUM <= {_MAX_GRID}")
        return np.linspace(start, stop, num).tolist()
    if "," in value:
        parts = [p.strip() for p in value.split(",")]
        if not all(parts):
            raise CausalpostError(f"malformed list in {text!r}: an empty value")
        return parts
    return value


def _node(name: str, index: Mapping[str, int], what: str) -> int:
    if name not in index:
        raise CausalpostError(f"unknown node {name!r} in {what}; nodes: {', '.join(index)}")
    return index[name]


def _value(raw, j: int, nodes, levels, what: str) -> float:
    """A continuous value as a float, a discrete one as its level code."""
    lv = levels[j]
    if lv is not None:
        text = _level_text(raw)
        if text not in lv:
            raise CausalpostError(f"{what} value {raw!r} is not a level of {nodes[j]!r}; "
                                  f"levels: {', '.join(map(str, lv))}")
        return float(list(lv).index(text))
    value = _number(raw)
    if value is None:
        raise CausalpostError(f"{what} value {raw!r} of continuous node {nodes[j]!r} "
                              "is not a finite number")
    return value


def _level_text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _number(raw) -> float | None:
    if isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _harm(harm, index, nodes, levels) -> Harm:
    if isinstance(harm, tuple):
        if len(harm) != 3:
            raise CausalpostError(f"malformed harm {harm!r}: write (NODE, OP, VALUE)")
        name, op, value = harm
        text = f"{name}{op}{value}"
        if op == "in":
            try:
                lo, hi = value
            except (TypeError, ValueError):
                raise CausalpostError(f"malformed harm {harm!r}: 'in' takes (LO, HI)") from None
            return _harm_range(str(name), lo, "<", hi, "<", text, index, nodes, levels)
        if op not in (">", ">=", "<", "<=", "=", "!=", "=="):
            raise CausalpostError(f"malformed harm {harm!r}: unknown operator {op!r}")
        return _harm_compare(str(name), "=" if op == "==" else op, value, text, index, nodes,
                             levels)
    if not isinstance(harm, str):
        raise CausalpostError(f"harm must be a string like 'Tox>2.5' or a tuple, got {harm!r}")
    match = _RANGE.match(harm)
    if match:
        return _harm_range(match["node"], match["lo"], match["op1"], match["hi"], match["op2"],
                           harm, index, nodes, levels)
    match = _CMP.match(harm)
    if not match:
        raise CausalpostError(f"malformed harm {harm!r}: write NODE>VALUE, NODE<VALUE, "
                              "LO<NODE<HI or NODE=LEVEL")
    value = match["value"]
    if match["op"] in ("=", "!="):
        value = [p.strip() for p in value.split(",")]
    return _harm_compare(match["node"], match["op"], value, harm, index, nodes, levels)


def _harm_compare(name, op, value, text, index, nodes, levels) -> Harm:
    j = _node(name.strip(), index, "harm")
    lv = levels[j]
    if op in ("=", "!="):
        if lv is None:
            raise CausalpostError(f"harm {text!r}: a continuous node has probability 0 of "
                                  "equalling a value; use <, > or a range")
        wanted = value if isinstance(value, list) else [value]
        codes = {int(_value(v, j, nodes, levels, "harm")) for v in wanted}
        if op == "!=":
            codes = set(range(len(lv))) - codes
        return Harm(j, text, levels=tuple(sorted(codes)))
    number = _number(value)
    if number is None:
        raise CausalpostError(f"malformed harm {text!r}: {value!r} is not a finite number")
    if op in (">", ">="):
        return _interval(j, text, number, math.inf, op == ">=", True, lv, nodes)
    return _interval(j, text, -math.inf, number, True, op == "<=", lv, nodes)


def _harm_range(name, lo, op1, hi, op2, text, index, nodes, levels) -> Harm:
    j = _node(str(name).strip(), index, "harm")
    a, b = _number(lo), _number(hi)
    if a is None or b is None or not a < b:
        raise CausalpostError(f"malformed harm range {text!r}: needs finite LO < HI")
    return _interval(j, text, a, b, op1 == "<=", op2 == "<=", levels[j], nodes)


def _interval(j, text, lo, hi, lo_closed, hi_closed, lv, nodes) -> Harm:
    if lv is None:
        return Harm(j, text, lo=lo, hi=hi)
    numeric = [_number(v) for v in lv]
    if any(v is None for v in numeric):
        raise CausalpostError(f"harm {text!r}: the levels of discrete node {nodes[j]!r} are not "
                              "numbers, so only NODE=LEVEL or NODE!=LEVEL apply")
    codes = tuple(k for k, v in enumerate(numeric)
                  if (v > lo or (lo_closed and v == lo)) and (v < hi or (hi_closed and v == hi)))
    return Harm(j, text, levels=codes)
