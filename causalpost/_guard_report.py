"""The result of a harm guard, and its JSON, Markdown and HTML forms.

``GuardReport.to_json()`` is exactly what ``causalpost guard --json`` prints::

    {"verdict": "allow" | "refuse" | "defer", "harm": "Tox>2.5",
     "given": {"Age": "70"}, "observed": "before", "threshold": t, "alpha": a,
     "kind": "linear-gaussian" | "discrete", "n_draws": S, "n_unique_graphs": U,
     "effective_sample_size": n | null, "credible_set_size": k,
     "safe_set": [{"Dose": 0.0}, ...],
     "actions": [{"action": {"Dose": 3.0}, "marginal": p, "interval": [lo, hi],
                  "bound": b, "witness": {"edges": [["A", "B"], ...], "probability": w},
                  "plausible": q, "plausible_graph": {"edges": [...], "probability": v},
                  "verdict": "defer"}, ...]}
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["GuardReport"]

_ADVICE = {
    "allow": "every plausible causal model keeps the harm probability within the threshold",
    "refuse": "the posterior probability of harm exceeds the threshold",
    "defer": ("the posterior probability of harm is within the threshold, but a plausible "
              "causal model is not; an experiment should settle it (see `causalpost plan`)"),
}


@dataclass(frozen=True, eq=False)
class GuardReport:
    """Harm probabilities of one action (or a grid of actions) under a posterior.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per action: a column per action node (the value), ``marginal``,
        ``lo``, ``hi`` (its Monte Carlo interval), ``bound``, ``witness`` (rank of
        the graph attaining it among the distinct graphs), ``witness_probability``,
        ``plausible``, ``plausible_graph`` (rank of G*), ``plausible_probability``
        and ``verdict``.
    q : numpy.ndarray, shape (n_unique_graphs, n_rows)
        ``q(G)`` of every distinct graph (ranked by probability) and action.
    graphs : numpy.ndarray, shape (n_unique_graphs, n_nodes, n_nodes)
    graph_probabilities : numpy.ndarray, shape (n_unique_graphs,)
    credible_set_size : int
        The bound is the maximum of ``q`` over the first ``credible_set_size`` graphs.
    """

    nodes: tuple[str, ...]
    action_nodes: tuple[str, ...]
    harm: str
    given: dict[str, Any]
    observed: str
    kind: str
    threshold: float
    alpha: float
    level: float
    rows: pd.DataFrame
    q: np.ndarray
    graphs: np.ndarray
    graph_probabilities: np.ndarray
    credible_set_size: int
    n_draws: int
    exact: bool
    effective_sample_size: float

    @classmethod
    def build(cls, *, posterior, problem, kind, observed, threshold, alpha, level, graphs,
              probs, q, marginal, lo, hi, credible_set_size) -> GuardReport:
        """Assemble the report from per-graph harm probabilities (used by :func:`guard`)."""
        k = credible_set_size
        witness = q[:k].argmax(axis=0)
        bound = q[:k].max(axis=0)
        star = (probs[:, None] * q).argmax(axis=0)
        plausible = q[star, np.arange(q.shape[1])]
        verdict = np.where(marginal > threshold, "refuse",
                           np.where(bound <= threshold, "allow", "defer"))
        names = tuple(posterior.nodes[j] for j in problem.action_nodes)
        table = {name: [lab[i] for lab in problem.action_labels] for i, name in enumerate(names)}
        for i, name in enumerate(names):  # continuous values as numbers, levels as text
            if kind != "discrete":
                table[name] = problem.action_values[:, i].tolist()
        rows = pd.DataFrame({
            **table,
            "marginal": marginal, "lo": lo, "hi": hi, "bound": bound, "witness": witness,
            "witness_probability": probs[witness], "plausible": plausible,
            "plausible_graph": star, "plausible_probability": probs[star], "verdict": verdict,
        })
        q, graphs, probs = q.view(), graphs.view(), probs.view()  # the posterior's cache
        for array in (q, graphs, probs):  # stays writable; the report's views do not
            array.setflags(write=False)
        return cls(
            nodes=posterior.nodes, action_nodes=names, harm=problem.harm.text,
            given=dict(problem.given_labels), observed=observed, kind=kind,
            threshold=threshold, alpha=alpha, level=level, rows=rows, q=q, graphs=graphs,
            graph_probabilities=probs, credible_set_size=int(k), n_draws=posterior.n_draws,
            exact=posterior.exact, effective_sample_size=float(posterior.effective_sample_size),
        )

    # ------------------------------------------------------------ summaries

    @property
    def table(self) -> pd.DataFrame:
        """A copy of :attr:`rows`."""
        return self.rows.copy()

    @property
    def verdict(self) -> str:
        """The worst verdict over the actions: ``refuse``, then ``defer``, then ``allow``."""
        found = set(self.rows["verdict"])
        return next(v for v in ("refuse", "defer", "allow") if v in found)

    @property
    def marginal(self) -> float:
        """The marginal of a single action (see :attr:`rows` for a grid)."""
        return float(self._single("marginal"))

    @property
    def interval(self) -> tuple[float, float]:
        """The Monte Carlo interval of the marginal of a single action."""
        return float(self._single("lo")), float(self._single("hi"))

    @property
    def bound(self) -> float:
        """The plausible worst case of a single action."""
        return float(self._single("bound"))

    @property
    def plausible(self) -> float:
        """q(G*) of a single action, G* = argmax P(G | D) q(G)."""
        return float(self._single("plausible"))

    @property
    def safe_set(self) -> list[dict[str, Any]]:
        """The actions whose verdict is ``allow``."""
        allowed = self.rows[self.rows["verdict"] == "allow"]
        return [{n: _plain(r[n]) for n in self.action_nodes} for _, r in allowed.iterrows()]

    @property
    def reason(self) -> str:
        """One sentence on the verdict."""
        if len(self.rows) > 1:
            return (f"{len(self.safe_set)} of {len(self.rows)} actions allowed; "
                    + _ADVICE[self.verdict] + " for some" * (self.verdict != "allow"))
        return _ADVICE[self.verdict]

    def graph_edges(self, rank: int) -> list[tuple[str, str]]:
        """Edges of the distinct graph of the given rank, as name pairs."""
        return [(self.nodes[i], self.nodes[j]) for i, j in np.argwhere(self.graphs[rank])]

    def _single(self, column: str):
        if len(self.rows) != 1:
            raise AttributeError(f"{column} of a grid of {len(self.rows)} actions: read "
                                 f"report.rows[{column!r}]")
        return self.rows[column].iloc[0]

    # ------------------------------------------------------------ formats

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``causalpost guard --json`` prints)."""
        ess = self.effective_sample_size
        return {
            "verdict": self.verdict, "reason": self.reason, "harm": self.harm,
            "given": {k: _plain(v) for k, v in self.given.items()}, "observed": self.observed,
            "threshold": self.threshold, "alpha": self.alpha, "level": self.level,
            "kind": self.kind, "n_draws": self.n_draws,
            "n_unique_graphs": int(len(self.graph_probabilities)),
            "effective_sample_size": ess if math.isfinite(ess) else None,
            "credible_set_size": self.credible_set_size, "safe_set": self.safe_set,
            "actions": [self._row_json(r) for r in range(len(self.rows))],
        }

    def _row_json(self, r: int) -> dict[str, Any]:
        row = self.rows.iloc[r]
        return {
            "action": {n: _plain(row[n]) for n in self.action_nodes},
            "marginal": float(row["marginal"]), "interval": [float(row["lo"]), float(row["hi"])],
            "bound": float(row["bound"]),
            "witness": self._graph_json(int(row["witness"])),
            "plausible": float(row["plausible"]),
            "plausible_graph": self._graph_json(int(row["plausible_graph"])),
            "verdict": str(row["verdict"]),
        }

    def _graph_json(self, rank: int) -> dict[str, Any]:
        return {"edges": [list(e) for e in self.graph_edges(rank)],
                "probability": float(self.graph_probabilities[rank])}

    def to_markdown(self) -> str:
        """A Markdown summary: the question, the verdict and one table row per action."""
        given = ", ".join(f"{k}={v}" for k, v in self.given.items()) or "nothing"
        lines = [
            f"# Harm guard: P({self.harm} | do(action), {given})", "",
            f"**Verdict: {self.verdict}** — {self.reason}.", "",
            f"Threshold {self.threshold:g}; bound over the {self.credible_set_size} most "
            f"probable of {len(self.graph_probabilities)} distinct graphs (covering "
            f"{1 - self.alpha:.0%} of the mass); {self.kind} parameters, {self.n_draws} draws; "
            f"context observed {self.observed} the action; "
            f"{self.level:.0%} Monte Carlo interval.", "",
            "| action | marginal | interval | bound | witness P(G) | plausible | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, row in self.rows.iterrows():
            act = ", ".join(f"{n}={_fmt(row[n])}" for n in self.action_nodes)
            lines.append(f"| {act} | {row['marginal']:.4f} | [{row['lo']:.4f}, {row['hi']:.4f}]"
                         f" | {row['bound']:.4f} | {row['witness_probability']:.3f} | "
                         f"{row['plausible']:.4f} | {row['verdict']} |")
        worst = int(self.rows["bound"].to_numpy().argmax())
        edges = ", ".join(f"{a}→{b}" for a, b in self.graph_edges(
            int(self.rows["witness"].iloc[worst]))) or "(no edges)"
        lines += ["", f"Witness of the largest bound: {edges}."]
        return "\n".join(lines) + "\n"

    def to_html(self, path: str | None = None) -> str:
        """A self-contained HTML page (the Markdown table and the plots, embedded as PNG)."""
        from causalpost._guard_plot import plot_guard_graphs, plot_guard_grid

        figures = [plot_guard_graphs(self, 0)]
        if len(self.rows) > 1:
            figures.append(plot_guard_grid(self))
        images = "".join(f'<img alt="guard plot" src="data:image/png;base64,{_png(f)}">'
                         for f in figures)
        table = self.rows.drop(columns=["witness", "plausible_graph"]).to_html(
            index=False, float_format=lambda v: f"{v:.4f}")
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Harm guard</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
            "</style></head><body>"
            f"<h1>Harm guard: P({html.escape(self.harm)} | do(action))</h1>"
            f"<p><b>Verdict: {self.verdict}</b> — {html.escape(self.reason)}.</p>"
            f"{table}{images}</body></html>"
        )
        if path is not None:
            from causalpost._io import write_text_atomic

            write_text_atomic(path, page)
        return page

    def plot(self, row: int = 0, **kwargs) -> Any:
        """q(G) of each graph against its probability; see :mod:`causalpost._guard_plot`."""
        from causalpost._guard_plot import plot_guard_graphs

        return plot_guard_graphs(self, row, **kwargs)

    def plot_grid(self, **kwargs) -> Any:
        """Marginal, interval and bound against the action value (a grid)."""
        from causalpost._guard_plot import plot_guard_grid

        return plot_guard_grid(self, **kwargs)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")
