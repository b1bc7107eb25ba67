"""Write a report: ``DIR/report.html`` (self-contained) and every figure as ``DIR/*.png``.

The page has no scripts and loads nothing: CSS is inline and figures are inline
SVG with glyphs drawn as paths, so it opens from a USB stick without fonts or
network. Output is deterministic: the same results give the same file (a
fixed SVG hash salt, no dates in the figures or the page).
"""

from __future__ import annotations

import io
import json
import math
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

import sim

from .. import inputs
from ..formatting import HIGHER_IS_BETTER, LOWER_IS_BETTER, format_diff, format_mean_ci
from ..outputs import PNG_SOFTWARE, REPORT_PATTERNS, atomic_path, check_output_dir, is_ours, store_companions
from ..store import RUN_COLUMNS, Store, package_version
from . import figures
from .data import ReportData
from .narrative import paired, summary_sentences
from .template import TEMPLATE

__all__ = [
    "Figure",
    "comparison_report",
    "store_report",
    "sensitivity_report",
    "write_report",
    "comparison_rows",
]

_RC = {"svg.hashsalt": "custsim-report", "svg.fonttype": "path", "font.size": 9, **figures.PLAIN_TEXT}
_TABLE_PNG = "figure-01-comparison.png"


@dataclass
class Figure:
    id: str
    heading: str
    caption: str
    figure: Any  # matplotlib Figure


def _svg(fig) -> Markup:
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline SVG needs neither
    return Markup(text)


def _png(fig, path: Path) -> None:
    """The figure as PNG, written aside and renamed; its Software text marks it as a report's figure."""
    with atomic_path(path) as tmp, matplotlib.rc_context(_RC):
        fig.savefig(tmp, format="png", dpi=110, metadata={"Software": PNG_SOFTWARE})


def comparison_rows(
    summaries: pd.DataFrame, policies: Sequence[str], baseline: str, metrics: Sequence[str] = sim.METRICS
) -> list[dict[str, Any]]:
    """The comparison table: formatted means ± CI, best marks, paired differences and their certainty."""
    rows = []
    for metric in metrics:
        means, cells = [], []
        for p in policies:
            m, h = figures.ci(summaries.loc[summaries.policy == p, metric].to_numpy())
            means.append(float(m))
            cells.append(format_mean_ci(metric, float(m), float(h) if len(policies) else math.nan))
        best = [False] * len(policies)
        finite = [m for m in means if not math.isnan(m)]
        if (
            len(finite) > 1
            and len(set(finite)) > 1
            and (metric in HIGHER_IS_BETTER or metric in LOWER_IS_BETTER)
        ):
            target = max(finite) if metric in HIGHER_IS_BETTER else min(finite)
            best = [m == target for m in means]
        diffs, sure = [], []
        for p in policies:
            if p == baseline:
                continue
            d, h = paired(summaries, metric, p, baseline)
            diffs.append(format_diff(metric, d, h))
            sure.append(not (math.isnan(h) or abs(d) <= h))
        rows.append({"metric": metric, "cells": cells, "best": best, "diffs": diffs, "sure": sure})
    return rows


def _scenario_text(scenario: sim.Scenario) -> str:
    data = scenario.model_dump(mode="json")
    return json.dumps(data, indent=2, sort_keys=False)


def _provenance(scenario: sim.Scenario, extra: dict[str, Any]) -> list[tuple[str, str]]:
    items = {
        "scenario": scenario.name,
        "scenario content hash": scenario.content_hash(),
        "custsim version": package_version(),
        "python / numpy / simpy": f"{platform.python_version()} / {np.__version__} / "
        f"{__import__('simpy').__version__}",
        **{k: str(v) for k, v in extra.items()},
    }
    return list(items.items())


def _remove_old_figures(out: Path) -> None:
    """A report written into a directory replaces the figures of an earlier report there (and only those:
    a PNG without a report's mark is someone else's, and stays)."""
    for old in out.glob(REPORT_PATTERNS[1]):
        if is_ours(old, "png"):
            old.unlink()


def comparison_table(summaries: pd.DataFrame, policies: Sequence[str], baseline: str) -> dict[str, Any]:
    """The comparison table (figure 1) as the template and :func:`write_report` take it."""
    return {
        "header": [*policies, *[f"Δ {p}" for p in policies if p != baseline]],
        "rows": comparison_rows(summaries, policies, baseline),
        "policies": list(policies),
        "baseline": baseline,
    }


def write_report(
    out_dir: str | Path,
    title: str,
    subtitle: str,
    summary: list[str],
    scenario: sim.Scenario,
    figs: list[Figure],
    table: dict | None = None,
    notes: Sequence[str] = (),
    provenance: dict[str, Any] | None = None,
    force: bool = False,
) -> Path:
    """Render the page and the PNGs into ``out_dir``; returns the path of report.html.

    ``table`` (from :func:`comparison_table`) is figure 1, drawn as a PNG too.
    A report.html or figure PNG in ``out_dir`` that an earlier report did not
    write is refused (an :class:`~experiments.outputs.OutputError`) unless ``force``.
    """
    out = check_output_dir(out_dir, force=force)
    out.mkdir(parents=True, exist_ok=True)
    _remove_old_figures(out)
    if table:
        picture = figures.comparison_table_figure(table["rows"], table["policies"], table["baseline"])
        _png(picture, out / _TABLE_PNG)
    rendered = []
    for i, f in enumerate(figs, start=2 if table else 1):
        png = f"figure-{i:02d}-{f.id}.png"
        _png(f.figure, out / png)
        rendered.append(
            {"id": f.id, "heading": f.heading, "caption": f.caption, "png": png, "svg": _svg(f.figure)}
        )
    env = Environment(autoescape=True, keep_trailing_newline=True)
    html = env.from_string(TEMPLATE).render(
        title=title,
        subtitle=subtitle,
        summary=summary,
        table=table,
        figures=rendered,
        notes=list(notes),
        scenario_description=scenario.description or scenario.name,
        scenario_text=_scenario_text(scenario),
        provenance=_provenance(scenario, provenance or {}),
    )
    html = re.sub(r"[ \t]+\n", "\n", html)
    path = out / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


def comparison_report(
    data: ReportData, out_dir: str | Path, baseline: str | None = None, *, force: bool = False
) -> Path:
    """The full what-if report of a comparison: summary, table, seven figures, parameters, provenance."""
    sc = data.scenario
    policies = data.policies
    baseline = baseline or policies[0]
    summaries = data.summaries()
    series = data.series()
    target = sc.channels.phone.service_level_seconds
    table = comparison_table(summaries, policies, baseline)
    figs = [
        Figure(
            "paradox",
            "2. Fast answers, unhappy customers?",
            f"Share of calls answered within {target:g} seconds and the average wait, next to first-contact "
            "resolution, satisfaction and churn.",
            figures.paradox_chart(summaries, policies, target),
        ),
        Figure(
            "satisfaction",
            "3. Satisfaction over time",
            "Daily mean satisfaction of active customers per policy; the grey area is the warm-up, shaded "
            "spans are shocks and dashed lines policy switches.",
            figures.satisfaction_over_time(series, policies, sc),
        ),
        Figure(
            "customers",
            "4. Customers over time and survival by segment",
            "Active customers (acquisitions included), and the share of each segment's day-0 customers "
            "who are still customers.",
            figures.customers_and_survival(series, data.survival(), policies, sc),
        ),
        Figure(
            "contacts",
            "5. Contacts by reason",
            "Contacts per week by reason, averaged over replications; failure demand (supplier-induced, "
            "repeat, chase) in oranges and reds.",
            figures.contacts_by_reason(series, policies, sc),
        ),
        Figure(
            "money",
            "6. Costs, revenue and profit",
            "Costs in the measured window by kind, next to the gross margin on revenue "
            f"({sc.economics.currency}).",
            figures.cost_breakdown(data.costs(), summaries, policies, sc.economics.currency),
        ),
    ]
    measured = sc.horizon.days - sc.horizon.warmup_days
    subtitle = (
        f"Scenario {sc.name}: {sc.population.initial_customers:,} customers, {measured} days measured "
        f"after a {sc.horizon.warmup_days}-day warm-up; {data.reps} replications per policy on common "
        f"random numbers (seed {data.seed})."
    )
    summary = summary_sentences(summaries, policies, sc.name, target, data.reps)
    return write_report(
        out_dir,
        f"What-if report: {sc.name}",
        subtitle,
        summary,
        sc,
        figs,
        table,
        provenance={
            "policies": ", ".join(policies),
            "replications": data.reps,
            "root seed": data.seed,
            "baseline": baseline,
        },
        force=force,
    )


def store_report(
    store_path: str | Path,
    out_dir: str | Path,
    scenario: sim.Scenario | None = None,
    outputs: Sequence[str] = ("fcr", "satisfaction_mean", "churn_rate_annual", "profit"),
    baseline: str | None = None,
    *,
    force: bool = False,
) -> Path:
    """A report from a result store: its policies compared, and sweep plots if it varied anything.

    Policies are in the order the store's first sweep gave them (the first is the
    baseline unless ``baseline`` names another).

    A store keeps each run's summary, not its daily series: the time-series figures need
    ``custsim compare --report``.
    """
    outputs = inputs.metrics(outputs)
    check_output_dir(out_dir, inputs=store_companions(Path(store_path)), force=force)
    with Store(store_path, readonly=True) as store:
        table = store.table()
        if table.empty:
            raise ValueError(f"{store_path} has no finished runs")
        hashes = list(dict.fromkeys(table.scenario_hash))
        given = [p for d in store.sweeps().definition for p in json.loads(d).get("policies", [])]
        if scenario is None:
            try:
                scenario = store.scenario(hashes[0])
            except KeyError:
                # the parameters section must show the real scenario, never a made-up one
                raise ValueError(
                    f"{store_path} does not keep the scenario of its runs; give it (--scenario FILE)"
                ) from None
    names = list(dict.fromkeys(table.scenario_name))
    provenance_cols = {*RUN_COLUMNS, *sim.METRICS}
    params = [c for c in table.columns if c not in provenance_cols]
    present = set(table.policy)
    policies = list(dict.fromkeys([*(p for p in given if p in present), *sorted(present)]))
    if baseline is not None:
        baseline = inputs.baseline(policies, baseline)  # one of the store's policies
        policies = [baseline, *(p for p in policies if p != baseline)]
    table = table.rename(columns={"root_seed": "seed"})
    figs: list[Figure] = []
    varied = [p for p in params if table[p].nunique(dropna=True) > 1]
    if varied:
        figs.append(
            Figure(
                "sweep",
                "Sweep: outputs against the varied parameters",
                "Main effects: each output against each varied parameter, averaged over the other "
                "parameters, one line per policy, 95 % CI bands over replications.",
                figures.sweep_figure(table, varied, list(outputs), policies),
            )
        )
    summaries = table.groupby(["policy", "rep"], as_index=False)[list(sim.METRICS)].mean()
    baseline = policies[0]
    comparison = comparison_table(summaries, policies, baseline)
    figs.insert(
        0,
        Figure(
            "paradox",
            "Fast answers, unhappy customers?",
            "Speed of answer next to first-contact resolution, satisfaction and churn (all design "
            "points pooled per replication).",
            figures.paradox_chart(summaries, policies, scenario.channels.phone.service_level_seconds),
        ),
    )
    reps = int(summaries.groupby("policy").rep.nunique().min())
    summary = summary_sentences(
        summaries, policies, names[0], scenario.channels.phone.service_level_seconds, reps
    )
    notes = [
        "This report was made from a result store, which keeps each run's summary but not its daily series; "
        "`custsim compare SCENARIO --report DIR` adds satisfaction over time, survival, contacts by reason "
        "and the cost breakdown."
    ]
    if varied:
        notes.append(f"Varied: {', '.join(varied)}. The comparison table pools the design points.")
    return write_report(
        out_dir,
        f"Report from {Path(store_path).name}",
        f"{len(table)} runs of {', '.join(names)}; policies {', '.join(policies)}",
        summary,
        scenario,
        figs,
        comparison,
        notes,
        provenance={
            "store": Path(store_path).name,
            "scenario hashes": ", ".join(hashes),
            "package versions": ", ".join(sorted(set(table.package_version))),
        },
        force=force,
    )


def sensitivity_report(
    frame: pd.DataFrame, scenario: sim.Scenario, out_dir: str | Path, *, force: bool = False
) -> Path:
    """A report of a sensitivity analysis: the indices with their confidence intervals."""
    a = frame.attrs
    figs = [
        Figure(
            "sensitivity",
            "Sensitivity indices",
            "Indices with 95 % confidence intervals (bootstrap).",
            figures.sensitivity_figure(frame),
        )
    ]
    top = frame.loc[frame.groupby("output")["mu_star" if "mu_star" in frame else "ST"].idxmax()]
    summary = [
        f"For {o}, the parameter that matters most is {p}."
        for o, p in zip(top.output, top.parameter, strict=True)
    ]
    return write_report(
        out_dir,
        f"Sensitivity: {scenario.name}",
        f"{a.get('method', '')} analysis, {a.get('runs', '?')} runs, policy {a.get('policy', '')}",
        summary,
        scenario,
        figs,
        provenance=dict(a),
        force=force,
    )
