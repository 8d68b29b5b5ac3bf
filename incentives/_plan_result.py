"""The result of :func:`incentives.plan.plan_experiments`: candidate experiments ranked
by expected information gain about an audit's verdict, and its JSON, Markdown and
figure forms (re-exported by :mod:`incentives.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["ExperimentPlan"]


@dataclass(frozen=True, eq=False)
class ExperimentPlan:
    """Candidate experiments ranked by expected information gain about an audit's verdict.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate, highest ``eig`` first: ``node``, ``eig``,
        ``eig_error``, ``p_decided``.
    rows : pandas.DataFrame
        Per candidate and protected audit row: ``candidate``, ``decision``,
        ``kind``, ``node``, ``probability`` (now), ``expected_after``, ``eig``.
    entropy_now : float
        Entropy (nats) of the joint state of the protected rows under the
        posterior now: the largest EIG any experiment can have.
    """

    design_name: str
    table: pd.DataFrame
    rows: pd.DataFrame = field(repr=False)
    entropy_now: float
    n_rows: int
    n_sims: int
    threshold: float
    n_graphs: int
    tail_mass: float

    def to_json(self) -> dict[str, Any]:
        """``{"candidates": [{"node", "eig", "eig_error", "p_decided", "rows": [...]}, ...]}``."""
        out = []
        for r in self.table.itertuples():
            mine = self.rows[self.rows["candidate"] == r.node]
            out.append({
                "node": str(r.node),
                "eig": float(r.eig),
                "eig_error": float(r.eig_error),
                "p_decided": float(r.p_decided),
                "rows": [
                    {"decision": str(x.decision), "kind": str(x.kind), "node": str(x.node),
                     "probability": float(x.probability),
                     "expected_after": float(x.expected_after), "eig": float(x.eig)}
                    for x in mine.itertuples()
                ],
            })
        return {"design": self.design_name, "entropy_now": self.entropy_now,
                "n_rows": self.n_rows, "n_sims": self.n_sims, "threshold": self.threshold,
                "n_graphs": self.n_graphs, "tail_mass": self.tail_mass, "candidates": out}

    def to_markdown(self) -> str:
        """A Markdown table of the candidates, best first."""
        lines = [
            f"# Which experiment would settle the audit of {self.design_name}", "",
            f"Entropy of the verdict-deciding rows now: {self.entropy_now:.3g} nats "
            f"(the most any experiment can remove). Each candidate: {self.n_rows} rows of "
            f"do(node), {self.n_sims} simulated experiments under plausible worlds.", "",
            "| intervene on | EIG (nats) | ± | P(decided after) |",
            "|---|---:|---:|---:|",
        ]
        for r in self.table.itertuples():
            lines.append(f"| {r.node} | {r.eig:.3g} | {r.eig_error:.2g} | {r.p_decided:.2f} |")
        return "\n".join(lines) + "\n"

    def plot(self, ax: Any = None) -> Any:
        """Horizontal bars of EIG per candidate with their Monte Carlo error; a Figure."""
        import matplotlib.pyplot as plt

        t = self.table.iloc[::-1]
        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 0.35 * len(t) + 1.2))
        else:
            fig = ax.figure
        ax.barh(t["node"], t["eig"], xerr=t["eig_error"], color="#4477aa")
        ax.axvline(self.entropy_now, color="grey", ls="--", lw=1, label="entropy now")
        ax.set_xlabel("expected information gain about the verdict (nats)")
        ax.set_title(f"{self.design_name}: which experiment would settle it")
        ax.legend(loc="lower right")
        fig.tight_layout()
        return fig
