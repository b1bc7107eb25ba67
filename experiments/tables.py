"""Rich tables for the command line: metrics as rows, readable in 120 columns."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

import sim

from .comparison import Comparison
from .formatting import HIGHER_IS_BETTER, LOWER_IS_BETTER, format_diff, format_mean_ci, format_value

__all__ = [
    "summary_table",
    "comparison_table",
    "sweep_table",
    "sensitivity_table",
    "short_names",
    "validation_table",
    "validation_markdown",
]

#: the metrics a sweep's overview shows (every metric is in the store and its export)
SWEEP_METRICS = ("fcr", "satisfaction_mean", "churn_rate_annual", "cost_total", "profit")


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)


def summary_table(result: sim.Result, seed: int) -> Table:
    """One run's summary: a metric per row."""
    table = _table(f"{result.scenario} — policy {result.policy}, seed {seed}")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for metric in sim.METRICS:
        table.add_row(metric, format_value(metric, result.summary[metric]))
    return table


def _best(metric: str, means: list[float], policies: list[str]) -> set[str]:
    """The policy (or tied policies) with the best mean, for metrics with a clear direction."""
    values = [m for m in means if not math.isnan(m)]
    if len(values) < 2 or len(set(values)) == 1:
        return set()
    if metric in HIGHER_IS_BETTER:
        target = max(values)
    elif metric in LOWER_IS_BETTER:
        target = min(values)
    else:
        return set()
    return {p for p, m in zip(policies, means, strict=True) if m == target}


def comparison_table(c: Comparison, title: str) -> Table:
    """Metrics as rows; a column per policy (mean ± CI), then one per other policy (Δ vs baseline ± CI)."""
    policies = c.policies
    table = _table(title)
    table.add_column("metric", no_wrap=True)
    for p in policies:
        table.add_column(f"{p}\n(baseline)" if p == c.baseline else f"{p}\n", justify="right")
    others = [p for p in policies if p != c.baseline]
    for p in others:
        table.add_column(f"{p}\nΔ vs baseline", justify="right")
    for metric in c.means.index:
        means = [c.means.loc[metric, (p, "mean")] for p in policies]
        best = _best(metric, means, policies)
        cells = []
        for p, m in zip(policies, means, strict=True):
            text = format_mean_ci(metric, m, c.means.loc[metric, (p, "half_width")])
            cells.append(Text(text, style="bold") if p in best else text)
        for p in others:
            d, h = c.differences.loc[metric, (p, "mean")], c.differences.loc[metric, (p, "half_width")]
            text = format_diff(metric, d, h)
            significant = not (math.isnan(h) or math.isnan(d)) and abs(d) > h
            cells.append(text if significant else Text(text, style="dim"))
        table.add_row(metric, *cells)
    return table


def short_names(paths: Sequence[str]) -> dict[str, str]:
    """The shortest dotted suffix that tells each path apart (``staffing.agents`` for a long path)."""
    out = {}
    for path in paths:
        parts = path.split(".")
        for k in range(1, len(parts) + 1):
            tail = ".".join(parts[-k:])
            if sum(1 for p in paths if p == tail or p.endswith("." + tail)) == 1:
                out[path] = tail
                break
        else:
            out[path] = path
    return out


def sweep_table(table: pd.DataFrame, params: Sequence[str], title: str, max_rows: int = 40) -> Table:
    """Means over replications per design point and policy, for a few headline metrics."""
    shown = (
        table.groupby(["point", "policy", *params], dropna=False, sort=False)[list(SWEEP_METRICS)]
        .mean()
        .reset_index()
        .sort_values(["point"], kind="stable")
    )
    names = short_names(list(params))
    out = _table(title)
    out.add_column("point", justify="right")
    out.add_column("policy")
    for p in params:
        out.add_column(names[p], justify="right")
    for m in SWEEP_METRICS:
        out.add_column(m, justify="right")
    for row in shown.head(max_rows).itertuples(index=False):
        values = list(row)
        cells = [str(values[0]), str(values[1])]
        cells += [f"{v:.4g}" if isinstance(v, float) else str(v) for v in values[2 : 2 + len(params)]]
        cells += [format_value(m, v) for m, v in zip(SWEEP_METRICS, values[2 + len(params) :], strict=True)]
        out.add_row(*cells)
    if len(shown) > max_rows:
        out.caption = f"first {max_rows} of {len(shown)} rows"
    return out


def sensitivity_table(frame: pd.DataFrame, columns: Sequence[str], title: str) -> Table:
    """One row per (output, parameter): the indices and their 95 % intervals."""
    out = _table(title)
    out.add_column("output")
    out.add_column("parameter")
    for c in columns:
        out.add_column(c, justify="right")
    for row in frame.to_dict(orient="records"):
        out.add_row(row["output"], row["parameter"], *[f"{row[c]:.4g}" for c in columns])
    return out


def _theory_text(row: dict) -> str:
    sign = {"equal": "", "above": "> ", "below": "< "}[row["expect"]]
    return f"{sign}{row['theory']:.4g}"


def _simulated_text(row: dict) -> str:
    return f"{row['simulated']:.4g} ± {row['half_width']:.2g}"


def validation_table(frame: pd.DataFrame, title: str) -> Table:
    """One row per check, grouped by case: theory, simulated ± 95 % half-width, tolerance, verdict."""
    out = _table(title)
    for name, justify in (("quantity", "left"), ("theory", "right"), ("simulated ± 95 %", "right")):
        out.add_column(name, justify=justify)
    out.add_column("tolerance", justify="right")
    out.add_column("", no_wrap=True)
    out.add_column("note", style="dim")
    case = None
    for row in frame.to_dict(orient="records"):
        if row["case"] != case:
            case = row["case"]
            out.add_row(Text(case, style="bold"), end_section=False)
        verdict = Text("pass", style="green") if row["passed"] else Text("FAIL", style="bold red")
        out.add_row(
            "  " + row["quantity"],
            _theory_text(row),
            _simulated_text(row),
            f"{row['tolerance']:.2g}",
            verdict,
            row["note"] or "",
        )
    return out


def validation_markdown(frame: pd.DataFrame) -> str:
    """The same table as Markdown, for docs/validation.md."""
    lines = [
        "| case | quantity | theory | simulated ± 95 % | tolerance | result |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in frame.to_dict(orient="records"):
        verdict = "pass" if row["passed"] else "**FAIL**"
        quantity = row["quantity"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(
            f"| {row['case']} | {quantity} | {_theory_text(row)} | {_simulated_text(row)} "
            f"| {row['tolerance']:.2g} | {verdict} |"
        )
    return "\n".join(lines) + "\n"
