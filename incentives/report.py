"""The result of an audit, and its JSON, Markdown and HTML forms.

:class:`AuditReport` holds the per (decision, kind, node) table built by
:func:`incentives.audit.audit`. ``to_json`` gives exactly the object printed
by ``causalpost audit --json``::

    {"verdict": "pass" | "fail", "threshold": t, "n_draws": S,
     "n_unique_graphs": U, "invalid_fraction": f,
     "reasons": ["one sentence per cause of a failing verdict", ...],
     "excluded_fraction": e, "unevaluable_fraction": u, "no_recall_fraction": r,
     "evaluable_fraction": v, "min_evaluable": m,
     "incentives": [{"decision": "Rec", "kind": "ici", "node": "Opinion",
                     "probability": p, "interval": [lo, hi],
                     "conservative": true, "protected": true,
                     "witness": {"edges": [["A", "B"], ...], "probability": q} | null},
                    ...]}

Probabilities are conditional on the design's premise: graphs that
contradict it (``excluded_fraction``) are dropped and the rest renormalised
(see :mod:`incentives.audit`). ``protected`` is true for the rows that
decide the verdict: a protected node and one of the design's kinds.
``to_html`` writes a self-contained page with the risk bars and the diagram
coloured by risk, embedded as PNG images (rendered by :mod:`incentives._report_html`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from incentives._report_html import render_html
from incentives.sets import KIND_LABELS

if TYPE_CHECKING:
    from incentives.design import Design

__all__ = ["AuditReport"]


@dataclass(frozen=True, eq=False)
class AuditReport:
    """Incentive risks of one design under one posterior (see :func:`incentives.audit.audit`).

    Attributes
    ----------
    verdict : {"pass", "fail"}
    table : pandas.DataFrame
        One row per (decision, kind, node): ``probability``, ``lo``, ``hi``,
        ``conservative``, ``protected``, ``witness`` (rank of the witness graph
        among the distinct graphs, -1 if none) and ``witness_probability``.
        A copy is returned on each access (``rows`` holds the original).
    reasons : tuple of str
        One sentence per cause of a ``"fail"`` verdict (a guarded row over the
        threshold or flagged, or too little evaluable mass); empty on a pass.
    excluded_fraction : float
        Mass of graphs that contradict the design (a cycle through a decision):
        dropped, the rest renormalised.
    unevaluable_fraction : float
        Mass of graphs that could not be evaluated (a cyclic world graph, a
        utility with children): added to every upper end.
    no_recall_fraction : float
        Mass of graphs without sufficient recall (VoI / RI / VoC undetermined).
    invalid_fraction : float
        The sum of the three.
    converged : bool or None
        Whether the sampler met its convergence targets (True for an exact
        posterior, None when the posterior does not say). When chains
        disagree, every interval is widened to hold each chain's own estimate
        (column ``chain_spread``: the largest minus the smallest).
    quantitative : pandas.DataFrame or None
        Distribution of the quantitative VoI / VoC of protected nodes.
    """

    design: Design
    nodes: tuple[str, ...]
    threshold: float
    alpha: float
    verdict: str
    n_draws: int
    n_unique_graphs: int
    n_evaluated: int
    exact: bool
    effective_sample_size: float
    excluded_fraction: float
    unevaluable_fraction: float
    no_recall_fraction: float
    unevaluated_fraction: float
    min_evaluable: float
    converged: bool | None
    credible_set_size: int
    rows: pd.DataFrame = field(repr=False)
    reasons: tuple[str, ...] = field(repr=False)
    witness_edges: dict[int, tuple[tuple[str, str], ...]] = field(repr=False)
    quantitative_rows: pd.DataFrame | None = field(repr=False)
    quantitative_note: str = field(repr=False)
    map_edges: tuple[tuple[str, str], ...] = field(repr=False)
    paths: dict[int, list[list[str]]] = field(default_factory=dict, repr=False)
    hinges: dict[int, list[dict]] = field(default_factory=dict, repr=False)
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """The per (decision, kind, node) table (a copy)."""
        return self.rows.copy()

    @property
    def quantitative(self) -> pd.DataFrame | None:
        """Mean and quantiles of the VoI / VoC of protected nodes across draws (a copy)."""
        return None if self.quantitative_rows is None else self.quantitative_rows.copy()

    @property
    def invalid_fraction(self) -> float:
        """Mass of graphs excluded, unevaluable or without sufficient recall."""
        return self.excluded_fraction + self.unevaluable_fraction + self.no_recall_fraction

    @property
    def evaluable_fraction(self) -> float:
        """Share of the mass the design does not exclude that could be evaluated (the floor's
        measure)."""
        gone = self.excluded_fraction + self.unevaluable_fraction + self.unevaluated_fraction
        kept = 1.0 - self.excluded_fraction
        return max(0.0, 1.0 - gone) / kept if kept > 0 else 0.0

    @property
    def guarded(self) -> pd.DataFrame:
        """The rows that decide the verdict (protected node, listed kind)."""
        t = self.table
        return t[t["protected"]].reset_index(drop=True)

    def undecided_rows(self) -> pd.DataFrame:
        """Guarded rows whose probability is neither below ``threshold`` nor above
        ``1 - threshold``: what an experiment could settle (most uncertain first)."""
        t = self.guarded
        t = t[(t["probability"] > self.threshold) & (t["probability"] < 1 - self.threshold)]
        return t.iloc[np.argsort(np.abs(t["probability"].to_numpy() - 0.5), kind="stable")]

    def risk(self) -> dict[str, float]:
        """Per node, its largest incentive probability over decisions and the design's kinds."""
        t = self.table
        t = t[t["kind"].isin(self.design.kinds)]
        return {
            str(k): float(v) for k, v in t.groupby("node", sort=False)["probability"].max().items()
        }

    # -- JSON -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready object printed by ``causalpost audit --json`` (module docstring)."""
        rows = []
        for position, r in enumerate(self.table.itertuples()):
            witness = None
            if r.witness >= 0:
                witness = {
                    "edges": [list(e) for e in self.witness_edges[int(r.witness)]],
                    "probability": float(r.witness_probability),
                }
            rows.append(
                {
                    "decision": str(r.decision),
                    "kind": str(r.kind),
                    "node": str(r.node),
                    "probability": float(r.probability),
                    "interval": [float(r.lo), float(r.hi)],
                    "conservative": bool(r.conservative),
                    "protected": bool(r.protected),
                    "witness": witness,
                    "paths": self.paths.get(position, []),
                    "hinge_edges": self.hinges.get(position, []),
                }
            )
        return {
            "verdict": self.verdict,
            "threshold": self.threshold,
            "n_draws": self.n_draws,
            "n_unique_graphs": self.n_unique_graphs,
            "invalid_fraction": float(self.invalid_fraction),
            "incentives": rows,
            "reasons": list(self.reasons),
            "excluded_fraction": float(self.excluded_fraction),
            "unevaluable_fraction": float(self.unevaluable_fraction),
            "no_recall_fraction": float(self.no_recall_fraction),
            "evaluable_fraction": float(self.evaluable_fraction),
            "min_evaluable": self.min_evaluable,
            "converged": self.converged,
            "provenance": self.provenance,
        }

    # -- Markdown ---------------------------------------------------------------------

    def _summary_lines(self) -> list[str]:
        ess = (
            "exact"
            if math.isinf(self.effective_sample_size)
            else f"{self.effective_sample_size:.0f}"
        )
        lines = [
            f"**Verdict: {self.verdict.upper()}** (threshold {self.threshold:g} on the upper end "
            f"of each interval; conservative set covers {1 - self.alpha:.0%} of the mass, "
            f"{self.credible_set_size} graph(s)).",
            f"Posterior: {self.n_draws} draws, {self.n_unique_graphs} distinct graphs "
            f"({self.n_evaluated} evaluated), effective sample size {ess}.",
            f"Excluded (the decision would influence what it observes; the rest renormalised): "
            f"{self.excluded_fraction:.4g} of the mass; unevaluable (added to every upper end): "
            f"{self.unevaluable_fraction:.4g}; without sufficient recall: "
            f"{self.no_recall_fraction:.4g}; not evaluated (tail): "
            f"{self.unevaluated_fraction:.2g}.",
        ]
        if self.reasons:
            lines.append("Why it fails: " + " ".join(f"({i}) {r}." for i, r in
                                                      enumerate(self.reasons, 1)))
        open_rows = self.undecided_rows()
        if len(open_rows):
            r = open_rows.iloc[0]
            lines.append(
                f"The verdict hinges on structure the data leave open: P({r.kind} on {r.node}) "
                f"= {r.probability:.3g}, neither ruled out nor certain; `causalpost plan` "
                "ranks the experiments that would settle it."
            )
        if self.converged is False:
            spread = float(self.rows["chain_spread"].max())
            lines.append(
                "Warning: the posterior did not converge (its chains disagree; incentive "
                f"probabilities differ by up to {spread:.3g} between chains, and the intervals "
                "are widened to hold every chain's estimate); fit longer (--max-seconds)."
            )
        if self.unevaluable_fraction > 0:
            lines.append(
                "Warning: part of the posterior cannot be evaluated under the design (a "
                "utility column with children, or a cyclic graph); fit with "
                "`causalpost fit --design` to apply its constraints."
            )
        return lines

    def headline(self) -> list[str]:
        """Three lines for a human: the verdict, the deciding row, the edge it hinges on."""
        g = self.guarded
        lines = [f"{self.design.name}: {self.verdict.upper()} (threshold {self.threshold:g}, "
                 f"{self.n_draws} draws, converged: {self.converged})"]
        if not len(g):
            return lines + ["no protected rows", "nothing hinges on an edge"]
        position = self._deciding_position()
        r = self.rows.iloc[position]
        lines.append(f"deciding row: {r['decision']} {r['kind']} on {r['node']}: "
                     f"p = {r['probability']:.3g} [{r['lo']:.3g}, {r['hi']:.3g}]"
                     + (", conservative flag" if r["conservative"] else ""))
        hinge = next(iter(self.hinges.get(position) or []), None)
        if hinge is None:
            lines.append("it hinges on no uncertain edge")
        else:
            a, b = hinge["edge"]
            lines.append(f"it hinges on {a} -> {b} (P = {hinge['p_edge']:.2f}): "
                         f"p = {hinge['p_if_present']:.3g} with it, "
                         f"{hinge['p_if_absent']:.3g} without")
        return lines

    def _deciding_position(self) -> int:
        """The protected row that decides the verdict: the highest upper end."""
        t = self.rows
        positions = np.flatnonzero(t["protected"].to_numpy())
        return int(positions[np.argmax(t["hi"].to_numpy()[positions])])

    def _why_lines(self) -> list[str]:
        """Per protected row with positive probability: its paths and hinge edges."""
        out = []
        for position in np.flatnonzero(self.rows["protected"].to_numpy()):
            r = self.rows.iloc[position]
            paths = self.paths.get(int(position), [])
            hinges = self.hinges.get(int(position), [])
            if not paths and not hinges:
                continue
            out.append(f"- **{r['decision']} {r['kind']} on {r['node']}** "
                       f"(p = {r['probability']:.3g})")
            for path in paths:
                out.append(f"  - path in the witness graph: {' → '.join(path)}")
            for h in hinges:
                out.append(f"  - hinges on {h['edge'][0]} → {h['edge'][1]} "
                           f"(P = {h['p_edge']:.2f}): {h['p_if_present']:.3g} if present, "
                           f"{h['p_if_absent']:.3g} if absent")
        return out

    def _provenance_lines(self) -> list[str]:
        p = self.provenance
        if not p:
            return ["(not recorded)"]
        sha = p.get("data_sha256")
        return [
            f"- data: {p.get('data_file') or '(not recorded)'}, {p.get('n_obs')} rows × "
            f"{len(p.get('nodes') or [])} columns, sha256 {sha[:16] + '…' if sha else '-'}",
            f"- score: {p.get('score')}; prior: {p.get('prior')}",
            f"- transforms: {', '.join(p.get('transforms') or []) or 'none (the columns as read)'}",
            f"- sampler: {p.get('sampler')}, seed {p.get('seed')}, {p.get('n_draws')} draws; "
            f"diagnostics: {p.get('diagnostics')}",
            f"- causalpost {p.get('version')}, audited at {p.get('audited_at')}",
        ]

    def to_markdown(self, all_rows: bool = False) -> str:
        """A Markdown summary: verdict, guarded rows, other incentives found, quantitative risk.

        Parameters
        ----------
        all_rows : bool
            List every row, not only guarded ones and those with positive probability.
        """
        d = self.design
        out = [f"# Incentive audit: {d.name}", "", *self._summary_lines(), ""]
        t = self.table
        out += ["## Protected nodes", ""]
        out += _md_table(t[t["protected"]]) if t["protected"].any() else ["(none)"]
        rest = t if all_rows else t[~t["protected"] & ((t["probability"] > 0) | t["conservative"])]
        out += ["", "## Other incentives", "", *(_md_table(rest) if len(rest) else ["(none)"])]
        why = self._why_lines()
        if why:
            out += ["", "## Why", "", *why]
        out += ["", "## How to read this", "", *(f"- {line}" for line in DEFINITIONS)]
        out += ["", "## Provenance", "", *self._provenance_lines()]
        out += ["", "## Quantitative risk", "", self.quantitative_note, ""]
        q = self.quantitative
        if q is not None and len(q):
            out.append("| measure | decision | node | n | refused | mean | 5% | 50% | 95% |")
            out.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
            for r in q.itertuples():
                out.append(
                    f"| {r.measure} | {r.decision} | {r.node} | {r.n} | {r.n_refused} | "
                    f"{r.mean:.4g} | "
                    f"{r.q05:.4g} | {r.q50:.4g} | {r.q95:.4g} |"
                )
        return "\n".join(out) + "\n"

    # -- HTML -------------------------------------------------------------------------

    def to_html(self, path: str | os.PathLike[str] | None = None, plan: Any = None) -> str:
        """A self-contained HTML page (plots embedded as PNG); written to ``path`` if given.

        Parameters
        ----------
        path : path-like, optional
        plan : incentives.plan.ExperimentPlan, optional
            Adds a "what would settle this" section: the experiments ranked by
            expected information gain about the verdict.

        Returns
        -------
        str
            The page.
        """
        return render_html(self, self._summary_lines()[1:], self._why_lines(),
                           list(DEFINITIONS), self._provenance_lines(), path, plan)


DEFINITIONS = (
    f"VoI ({KIND_LABELS['voi']}): observing the node before deciding could raise the "
    "agent's expected utility.",
    f"RI ({KIND_LABELS['ri']}): the optimal decision depends on the node, so the agent "
    "responds to it.",
    f"VoC ({KIND_LABELS['voc']}): setting the node could raise the agent's expected utility.",
    f"ICI ({KIND_LABELS['ici']}): the agent would want to influence the node as a "
    "means to its utility (a path decision → node → utility).",
    "probability: the posterior mass of the world graphs whose diagram admits the "
    "incentive, renormalised over the graphs the design does not exclude.",
    "interval: the sampler's own Monte Carlo error (Jeffreys, from the effective sample "
    "size; widened to every chain's estimate when chains disagree; plus the mass that could "
    "not be evaluated); zero width for an exact posterior.",
    "conservative flag: some graph among the most probable ones covering 1 - alpha of the "
    "mass admits the incentive — any plausible model that admits it raises the flag.",
    "excluded / unevaluable mass: graphs in which the decision would influence what it "
    "observes are excluded (the design's premise); graphs that cannot be evaluated (a "
    "utility with children) count towards every upper end and the flag.",
    "how to read this: the design passes when, for every protected node and kind, the upper "
    "end is at most the threshold and the conservative flag is down; 'Why' shows the paths "
    "that create a failing incentive and the uncertain edges it hinges on.",
)


def _md_table(rows: pd.DataFrame) -> list[str]:
    out = [
        "| decision | kind | node | probability | interval | conservative | witness p |",
        "|---|---|---|---:|---|---|---:|",
    ]
    for r in rows.itertuples():
        wp = "-" if r.witness < 0 else f"{r.witness_probability:.4g}"
        out.append(
            f"| {r.decision} | {r.kind} | {r.node} | {r.probability:.4g} | "
            f"[{r.lo:.4g}, {r.hi:.4g}] | {'yes' if r.conservative else 'no'} | {wp} |"
        )
    return out

