"""The HTML page of an audit (:meth:`incentives.report.AuditReport.to_html`).

A self-contained page: the verdict, the risk bars and the diagram coloured by risk
(embedded as PNG images), the table, the report's own lines (why, how to read this,
provenance) and, given a plan, the experiments that would settle the verdict.
"""

from __future__ import annotations

import base64
import html
import io
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incentives.report import AuditReport

__all__ = ["render_html"]


def render_html(report: AuditReport, summary: list[str], why: list[str],
                definitions: list[str], provenance: list[str],
                path: str | os.PathLike[str] | None = None, plan: Any = None) -> str:
    """The page of ``report``, written to ``path`` if given; ``summary``, ``why``,
    ``definitions`` and ``provenance`` are the report's lines (Markdown, as in
    :meth:`~incentives.report.AuditReport.to_markdown`), ``plan`` an optional
    :class:`incentives.plan.ExperimentPlan`."""
    figures = _figures(report)
    t = report.table
    shown = t[t["protected"] | (t["probability"] > 0) | t["conservative"]]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Incentive audit: {html.escape(report.design.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        ".fail{color:#b00}.pass{color:#070}</style></head><body>",
        f"<h1>Incentive audit: {html.escape(report.design.name)}</h1>",
        f"<h2 class='{report.verdict}'>Verdict: {report.verdict.upper()}</h2>",
        *(
            f"<p>{html.escape(line.replace('**', '').replace('`', ''))}</p>"
            for line in summary
        ),
        *(
            f"<img alt='{html.escape(k)}' src='data:image/png;base64,{v}'>"
            for k, v in figures.items()
        ),
        "<h2>Incentives</h2>",
        shown.drop(columns=["witness"]).to_html(index=False, float_format="%.4g"),
        *(["<h2>Why</h2>", _html_list(why)] if why else []),
        "<h2>How to read this</h2>",
        _html_list([f"- {line}" for line in definitions]),
        "<h2>Provenance</h2>",
        _html_list(provenance),
        "<h2>Quantitative risk</h2>",
        f"<p>{html.escape(report.quantitative_note)}</p>",
    ]
    q = report.quantitative
    if q is not None and len(q):
        parts.append(q.to_html(index=False, float_format="%.4g"))
    if plan is not None:
        best = plan.table.iloc[0]
        parts += [
            "<h2>What would settle this</h2>",
            f"<p>The verdict-deciding rows hold {plan.entropy_now:.3g} nats of uncertainty. "
            f"Of the single-node interventions ({plan.n_rows} rows each, simulated under "
            f"every plausible world model), intervening on <b>{html.escape(str(best.node))}"
            f"</b> would remove {best.eig:.3g} ± {best.eig_error:.2g} nats in expectation "
            f"and decide every guarded row with probability {best.p_decided:.2f}.</p>",
            plan.table.to_html(index=False, float_format="%.4g"),
        ]
    parts.append("</body></html>")
    page = "\n".join(parts)
    if path is not None:
        from causalpost._io import write_text_atomic

        write_text_atomic(path, page)
    return page


def _html_list(lines: list[str]) -> str:
    items = "".join(
        f"<li>{html.escape(line.lstrip('- ').replace('**', ''))}</li>" for line in lines
    )
    return f"<ul>{items}</ul>"


def _figures(report: AuditReport) -> dict[str, str]:
    """Base64 PNGs of the risk bars and the diagram; empty if the plots are unavailable."""
    try:
        from incentives.plot import plot_cid, plot_risk
    except ImportError:  # pragma: no cover - plotting is optional
        return {}
    t = report.table
    t = t[t["kind"].isin(report.design.kinds)]
    shown = t[t["protected"] | (t["probability"] > 0) | t["conservative"]]
    figs = {}
    if len(shown):
        figs["incentive risk"] = plot_risk(shown, report.threshold)
    d = report.design
    figs["diagram coloured by risk"] = plot_cid(
        report.map_edges,
        d.decision_names,
        d.utility_names,
        # only the protected nodes decide the verdict: the others are "not assessed", so an
        # unprotected node never looks more alarming than a failing protected one
        {node: value for node, value in report.risk().items() if node in d.protected},
        title=f"{d.name}: most probable diagram, protected nodes coloured by incentive risk",
    )
    out = {}
    for name, fig in figs.items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        out[name] = base64.b64encode(buffer.getvalue()).decode("ascii")
    return out
