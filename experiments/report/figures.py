"""The report's figures: readable by a non-specialist, with units, legends and uncertainty.

Every function returns a matplotlib ``Figure`` built with the object-oriented
API (no pyplot, no global state). Bands and error bars are 95 % confidence
intervals over replications (Student t); the light band around satisfaction
is the spread of customers (mean +- one standard deviation).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from scipy.special import stdtrit

import sim
from sim.metric_table import metric as metric_spec
from sim.units import FAILURE_REASONS, REASONS

__all__ = [
    "POLICY_COLOURS",
    "paradox_chart",
    "satisfaction_over_time",
    "customers_and_survival",
    "contacts_by_reason",
    "cost_breakdown",
    "comparison_table_figure",
    "sweep_figure",
    "sensitivity_figure",
    "ci",
]

POLICY_COLOURS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]
REASON_COLOURS = {
    "usage": "#9ecae1",
    "incident": "#4292c6",
    "life_event": "#08519c",
    "supplier_induced": "#fdae6b",
    "repeat": "#e6550d",
    "chase": "#a63603",
}
REASON_LABELS = {
    "usage": "usage",
    "incident": "incident",
    "life_event": "life event",
    "supplier_induced": "supplier-induced (failure)",
    "repeat": "repeat (failure)",
    "chase": "chase (failure)",
}


#: names are the user's: "$x^$" is a policy called that, not mathematics to typeset (or to fail on)
PLAIN_TEXT = {"text.parse_math": False}


def _plain_text(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure with mathtext off, so every label is shown as written."""

    @functools.wraps(draw)
    def plain(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(PLAIN_TEXT):
            return draw(*args, **kwargs)

    return plain


def colour(i: int) -> str:
    return POLICY_COLOURS[i % len(POLICY_COLOURS)]


def ci(values: Sequence[float] | np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean, 95 % half-width) over ``axis`` (replications); half-width 0 for a single value."""
    x = np.asarray(values, dtype=float)
    n = x.shape[axis]
    mean = np.nanmean(x, axis=axis)
    if n < 2:
        return mean, np.zeros_like(mean)
    half = stdtrit(n - 1, 0.975) * np.nanstd(x, axis=axis, ddof=1) / math.sqrt(n)
    return mean, half


def _timeline(ax, scenario: sim.Scenario, label: bool = True) -> None:
    """Shade the warm-up, the shocks, and mark policy switches."""
    warm = scenario.horizon.warmup_days
    if warm:
        ax.axvspan(
            0, warm, color="#dddddd", alpha=0.5, lw=0, label="warm-up (not measured)" if label else None
        )
    for i, shock in enumerate(scenario.timeline.shocks):
        ax.axvspan(
            shock.start_day,
            shock.start_day + shock.days,
            color="#fdd0a2",
            alpha=0.5,
            lw=0,
            label=(
                f"shock: {shock.reason.replace('_', '-')} x{shock.multiplier:g}" if label and i < 3 else None
            ),
        )
    for i, switch in enumerate(scenario.timeline.switches):
        ax.axvline(
            switch.day,
            color="black",
            ls="--",
            lw=1,
            label=(f"switch to {switch.policy} (day {switch.day})" if label and i < 3 else None),
        )


@_plain_text
def paradox_chart(summaries: pd.DataFrame, policies: Sequence[str], target_seconds: float) -> Figure:
    """Speed of answer next to what customers judge: the 92 %-in-10-seconds paradox on one picture."""
    panels = [
        ("service_level", f"Answered within {target_seconds:g} s", 100.0, "% of calls"),
        ("asa_seconds", "Average wait", 1.0, "seconds"),
        ("fcr", "Resolved at first contact", 100.0, "% of issues"),
        ("satisfaction_mean", "Satisfaction", 1.0, "score 0-1 (axis zoomed)"),
        ("churn_rate_annual", "Customers leaving", 100.0, "% per year"),
    ]
    fig = Figure(figsize=(13, 4.4), layout="constrained")
    axes = fig.subplots(1, len(panels))
    for k, (ax, (metric, title, scale, unit)) in enumerate(zip(axes, panels, strict=True)):
        higher = metric_spec(metric).better > 0
        means, halves = [], []
        for p in policies:
            m, h = ci(summaries.loc[summaries.policy == p, metric].to_numpy() * scale)
            means.append(float(m))
            halves.append(float(h))
        x = np.arange(len(policies))
        colours = [colour(i) for i in range(len(policies))]
        if metric == "satisfaction_mean":  # small differences on a 0-1 scale: dots, not truncated bars
            for xi, m, h, c in zip(x, means, halves, colours, strict=True):
                ax.errorbar(xi, m, yerr=h, fmt="o", ms=9, color=c, capsize=5, lw=2)
            spread = max(max(means) - min(means), max(halves), 0.005)
            ax.set_ylim(min(means) - 2.5 * spread, max(means) + 2.5 * spread)
            ax.set_xlim(-0.6, len(policies) - 0.4)
        else:
            ax.bar(x, means, yerr=halves, capsize=4, color=colours)
            ax.set_ylim(0, max(m + h for m, h in zip(means, halves, strict=True)) * 1.18 or 1.0)
        for xi, m, h in zip(x, means, halves, strict=True):
            ax.annotate(
                f"{m:.3g}",
                (xi, m + h),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 3),
                textcoords="offset points",
            )
        ax.set_xticks(x, policies, rotation=20, ha="right")
        better = "higher is better" if higher else "lower is better"
        ax.set_title(f"{title}\n({better})", fontsize=10, color="#555" if k < 2 else "black")
        ax.set_ylabel(unit)
    fig.suptitle("Speed of answer (grey titles) next to what customers judge (black titles)", fontsize=11)
    return fig


@_plain_text
def satisfaction_over_time(series: pd.DataFrame, policies: Sequence[str], scenario: sim.Scenario) -> Figure:
    """Daily mean satisfaction per policy (with its CI), the spread of customers, and the timeline."""
    fig = Figure(figsize=(12, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    _timeline(top, scenario)
    _timeline(bottom, scenario, label=False)
    for i, p in enumerate(policies):
        s = series[series.policy == p]
        wide = s.pivot(index="day", columns="rep", values="satisfaction_mean")
        m, h = ci(wide.to_numpy(), axis=1)
        days = wide.index.to_numpy()
        top.fill_between(days, m - h, m + h, color=colour(i), alpha=0.3, lw=0)
        top.plot(days, m, color=colour(i), lw=1.6, label=p)
        sd = s.pivot(index="day", columns="rep", values="satisfaction_sd").mean(axis=1)
        bottom.plot(sd.index, sd.to_numpy(), color=colour(i), lw=1.3, label=p)
    top.set_ylabel("mean satisfaction (0-1)")
    top.set_title("Mean satisfaction of active customers (band: 95 % CI over replications)", fontsize=10)
    top.legend(loc="best", fontsize=8, ncol=2)
    bottom.set_ylabel("spread (sd)")
    bottom.set_title("Spread: standard deviation of satisfaction across customers", fontsize=10)
    bottom.set_xlabel("day")
    bottom.set_xlim(0, series.day.max())
    return fig


@_plain_text
def customers_and_survival(
    series: pd.DataFrame, survival: pd.DataFrame, policies: Sequence[str], scenario: sim.Scenario
) -> Figure:
    """Active customers over time, and how each segment's starting customers survive."""
    segments = list(scenario.segments)
    fig = Figure(figsize=(4 + 3.2 * len(segments), 4.2), layout="constrained")
    axes = fig.subplots(1, 1 + len(segments), squeeze=False)[0]
    ax = axes[0]
    _timeline(ax, scenario, label=False)
    for i, p in enumerate(policies):
        wide = series[series.policy == p].pivot(index="day", columns="rep", values="customers")
        m, h = ci(wide.to_numpy(), axis=1)
        ax.fill_between(wide.index, m - h, m + h, color=colour(i), alpha=0.3, lw=0)
        ax.plot(wide.index, m, color=colour(i), label=p)
    ax.set_title("Active customers", fontsize=10)
    ax.set_xlabel("day")
    ax.set_ylabel("customers")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.05)
    ax.legend(fontsize=8, loc="lower left")
    for ax, seg in zip(axes[1:], segments, strict=True):
        for i, p in enumerate(policies):
            wide = survival[survival.policy == p].pivot(index="day", columns="rep", values=seg)
            m, h = ci(100 * wide.to_numpy(), axis=1)
            ax.fill_between(wide.index, m - h, m + h, color=colour(i), alpha=0.3, lw=0)
            ax.plot(wide.index, m, color=colour(i), label=p)
        ax.set_title(f"Survival: {seg} customers of day 0", fontsize=10)
        ax.set_xlabel("day")
        ax.set_ylabel("% still customers")
    fig.suptitle(
        "Customers over time and survival by segment (bands: 95 % CI over replications)", fontsize=11
    )
    return fig


@_plain_text
def contacts_by_reason(series: pd.DataFrame, policies: Sequence[str], scenario: sim.Scenario) -> Figure:
    """Weekly contacts by reason, stacked, failure demand (reds) on top of value demand (blues)."""
    fig = Figure(figsize=(4.2 * len(policies), 4.2), layout="constrained")
    axes = fig.subplots(1, len(policies), sharey=True, squeeze=False)[0]
    order = [r for r in REASONS if r not in FAILURE_REASONS] + list(FAILURE_REASONS)
    for ax, p in zip(axes, policies, strict=True):
        s = series[series.policy == p].groupby("day")[[f"contacts_{r}" for r in order]].mean()
        full_weeks = len(s) // 7
        s = s.iloc[: full_weeks * 7]  # a last, partial week would look like a collapse
        weekly = s.groupby(s.index // 7).sum()
        weeks = weekly.index.to_numpy() * 7
        ax.stackplot(
            weeks,
            *[weekly[f"contacts_{r}"].to_numpy() for r in order],
            colors=[REASON_COLOURS[r] for r in order],
            lw=0,
        )
        share = weekly[[f"contacts_{r}" for r in FAILURE_REASONS]].sum(axis=1) / weekly.sum(axis=1)
        ax.set_title(
            f"{p}: failure demand {100 * np.nanmean(share[weeks >= scenario.horizon.warmup_days]):.0f} %",
            fontsize=10,
        )
        ax.set_xlabel("day")
        for shock in scenario.timeline.shocks:
            ax.axvspan(
                shock.start_day, shock.start_day + shock.days, fill=False, hatch="//", ec="#a63603", lw=0
            )
    axes[0].set_ylabel("contacts per week")
    handles = [Patch(color=REASON_COLOURS[r], label=REASON_LABELS[r]) for r in order]
    fig.legend(handles=handles, loc="outside lower center", ncol=6, fontsize=8)
    fig.suptitle(
        "Contacts per week by reason: value demand (blues) and failure demand the supplier causes "
        "itself (oranges and reds)",
        fontsize=11,
    )
    return fig


_COST_PARTS = [
    ("staff", "agents"),
    ("account_managers", "account managers"),
    ("training", "training"),
    ("self_service", "self-service"),
    ("interventions", "failure-demand programmes"),
    ("acquisition", "acquiring customers"),
]


@_plain_text
def cost_breakdown(
    costs: pd.DataFrame, summaries: pd.DataFrame, policies: Sequence[str], currency: str
) -> Figure:
    """Where the money goes per policy, stacked, next to the gross margin; profit on top."""
    fig = Figure(figsize=(max(7, 2.6 * len(policies) + 3), 4.8), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(policies))
    width = 0.38
    bottom = np.zeros(len(policies))
    palette = ["#6baed6", "#3182bd", "#9ecae1", "#c6dbef", "#fd8d3c", "#e6550d"]
    for (key, label), col in zip(_COST_PARTS, palette, strict=True):
        vals = np.array([costs.loc[costs.policy == p, key].mean() for p in policies]) / 1e6
        ax.bar(x - width / 2, vals, width, bottom=bottom, color=col, label=label)
        bottom += vals
    margin = np.array([costs.loc[costs.policy == p, "gross_margin"].mean() for p in policies]) / 1e6
    ax.bar(x + width / 2, margin, width, color="#74c476", label="gross margin on revenue")
    for i, p in enumerate(policies):
        m, h = ci(summaries.loc[summaries.policy == p, "profit"].to_numpy() / 1e6)
        ax.annotate(
            f"profit {float(m):,.2f} M\n(± {float(h):,.2f})",
            (x[i], max(bottom[i], margin[i])),
            ha="center",
            va="bottom",
            fontsize=9,
            xytext=(0, 4),
            textcoords="offset points",
        )
    ax.set_xticks(x, policies)
    ax.set_ylabel(f"million {currency} in the measured window")
    ax.set_ylim(0, max(bottom.max(), margin.max()) * 1.25)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    ax.set_title(
        "Cost and margin per policy: left bar = costs (stacked), right bar = gross margin; "
        "profit = margin - costs",
        fontsize=10,
    )
    return fig


@_plain_text
def comparison_table_figure(rows: list[dict], policies: Sequence[str], baseline: str) -> Figure:
    """The comparison table as a picture (the HTML report has the same table as text)."""
    header = ["metric", *policies, *[f"Δ {p} vs {baseline}" for p in policies if p != baseline]]
    cells = [[r["metric"], *r["cells"], *r["diffs"]] for r in rows]
    fig = Figure(figsize=(min(2.4 + 2.1 * (len(header) - 1), 18), 0.26 * (len(cells) + 1) + 0.6))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.92))
    ax.axis("off")
    table = ax.table(cellText=cells, colLabels=header, bbox=(0, 0, 1, 1), cellLoc="right", colLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(8.5)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("#dddddd")
        if r == 0:
            cell.set_text_props(weight="bold")
        elif c == 0:
            cell.set_text_props(ha="left")
        elif 1 <= c <= len(policies) and rows[r - 1]["best"][c - 1]:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#e5f5e0")
        elif c > len(policies) and not rows[r - 1]["sure"][c - len(policies) - 1]:
            cell.set_text_props(color="#999999")
    fig.suptitle(
        "Each headline metric per policy: mean ± 95 % CI; Δ = paired difference vs the baseline "
        "(grey: not significant); best value shaded",
        fontsize=10,
        y=0.99,
    )
    return fig


@_plain_text
def sweep_figure(
    table: pd.DataFrame, params: Sequence[str], outputs: Sequence[str], policies: Sequence[str]
) -> Figure:
    """Each output against each varied parameter, one line per policy, 95 % CI bands.

    For a multi-factor design the other factors are averaged over (a main-effect plot).
    """
    fig = Figure(figsize=(3.6 * len(params) + 1, 2.8 * len(outputs) + 0.8), layout="constrained")
    axes = fig.subplots(len(outputs), len(params), squeeze=False)
    for r, output in enumerate(outputs):
        for c, param in enumerate(params):
            ax = axes[r][c]
            for i, p in enumerate(policies):
                sub = table[table.policy == p]
                g = sub.groupby([param, "rep"])[output].mean().unstack("rep")
                if g.empty:
                    continue
                m, h = ci(g.to_numpy(), axis=1)
                xs = g.index.to_numpy(dtype=float)
                ax.fill_between(xs, m - h, m + h, color=colour(i), alpha=0.25, lw=0)
                ax.plot(xs, m, marker="o", ms=3, color=colour(i), label=p)
            if r == len(outputs) - 1:
                ax.set_xlabel(param)
            if c == 0:
                ax.set_ylabel(output)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(
        "Sweep: each output against each varied parameter (other parameters averaged); "
        "bands: 95 % CI over replications",
        fontsize=11,
    )
    return fig


@_plain_text
def sensitivity_figure(frame: pd.DataFrame) -> Figure:
    """Sensitivity indices with their 95 % confidence intervals, one panel per output."""
    outputs = list(dict.fromkeys(frame.output))
    morris = "mu_star" in frame
    fig = Figure(
        figsize=(10, 2.2 + 1.4 * len(outputs) * max(1, frame.parameter.nunique() / 3)), layout="constrained"
    )
    axes = fig.subplots(len(outputs), 1, squeeze=False)[:, 0]
    for ax, output in zip(axes, outputs, strict=True):
        sub = frame[frame.output == output]
        y = np.arange(len(sub))
        if morris:
            ax.barh(y, sub.mu_star, xerr=sub.mu_star_conf, capsize=3, color="#3182bd", label="mu* (effect)")
            ax.set_xlabel("mean absolute elementary effect (mu*), in the output's units")
        else:
            ax.barh(y - 0.2, sub.ST, 0.4, xerr=sub.ST_conf, capsize=3, color="#3182bd", label="total (ST)")
            ax.barh(
                y + 0.2, sub.S1, 0.4, xerr=sub.S1_conf, capsize=3, color="#9ecae1", label="first order (S1)"
            )
            ax.set_xlabel("share of the output's variance")
        ax.set_yticks(y, sub.parameter)
        ax.set_title(output, fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("Sensitivity: which parameters move which outputs (error bars: 95 % CI)", fontsize=11)
    return fig
