"""What a report needs from each run, gathered on the workers.

A report tells a story over time, so it needs more than a run's summary: the
cost breakdown, a few daily series and how each segment's customers survive.
``collect`` runs the policies on common random numbers (replication r has the
same seed under every policy, as in ``experiments.compare``) and brings back
only these compact pieces; the full Results stay on the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import sim

from ..comparison import Comparison, compare
from ..resources import Estimate
from ..runs import RunSpec

__all__ = ["RunDetail", "ReportData", "collect", "report_detail", "SERIES"]

#: daily columns kept from each run's timeseries
SERIES = (
    "day",
    "warmup",
    "policy",
    "customers",
    "satisfaction_mean",
    "satisfaction_sd",
    "expectation_mean",
    *(f"contacts_{r}" for r in sim.REASONS),
    "failure_demand",
    "service_level",
    "asa_seconds",
    "churned",
)


@dataclass
class RunDetail:
    policy: str
    rep: int
    summary: dict[str, float]
    costs: dict[str, float]
    series: pd.DataFrame  # one row per day (SERIES columns, plus customers_<segment>)
    survival: pd.DataFrame  # day x segment: share of the day-0 customers still active


@dataclass
class ReportData:
    """Everything a comparison report draws from."""

    scenario: sim.Scenario
    policies: list[str]
    reps: int
    seed: int
    runs: list[RunDetail] = field(default_factory=list)
    comparison: Comparison | None = None  # the comparison of these very runs

    def summaries(self) -> pd.DataFrame:
        rows = [{"policy": r.policy, "rep": r.rep, "seed": self.seed, **r.summary} for r in self.runs]
        return pd.DataFrame(rows, columns=["policy", "rep", "seed", *sim.METRICS])

    def costs(self) -> pd.DataFrame:
        return pd.DataFrame([{"policy": r.policy, "rep": r.rep, **r.costs} for r in self.runs])

    def series(self) -> pd.DataFrame:
        return pd.concat([r.series.assign(rep=r.rep) for r in self.runs], ignore_index=True)

    def survival(self) -> pd.DataFrame:
        frames = [r.survival.assign(policy=r.policy, rep=r.rep) for r in self.runs]
        return pd.concat(frames, ignore_index=True)


def _survival(customers: pd.DataFrame, days: int, segments: Sequence[str]) -> pd.DataFrame:
    """Share of each segment's day-0 customers still active at the end of each day."""
    cohort = customers[customers.join_day == 0]
    out: dict[str, Any] = {"day": np.arange(days)}
    for seg in segments:
        exits = cohort.loc[cohort.segment == seg, "exit_day"].to_numpy(dtype=float)
        n = exits.size
        if n == 0:
            out[seg] = np.full(days, np.nan)
            continue
        gone = np.floor(exits[~np.isnan(exits)]).astype(int)
        left_by = np.cumsum(np.bincount(np.clip(gone, 0, days - 1), minlength=days))
        out[seg] = 1.0 - left_by / n
    return pd.DataFrame(out)


def report_detail(result: sim.Result, scenario: sim.Scenario, spec: RunSpec) -> RunDetail:
    """What a report draws from one run (a reducer: it runs on the worker, next to the Result)."""
    segments = list(scenario.segments)
    cols = [c for c in SERIES if c in result.timeseries] + [f"customers_{s}" for s in segments]
    series = result.timeseries[cols].rename(columns={"policy": "running_policy"})
    series.insert(0, "policy", spec.policy)  # the run's policy; running_policy changes at a switch
    survival = _survival(result.customers, scenario.horizon.days, segments)
    return RunDetail(spec.policy, spec.rep, dict(result.summary), dict(result.costs), series, survival)


def collect(
    scenario: sim.Scenario,
    policies: Sequence[str] | None = None,
    *,
    reps: int = 3,
    seed: int = 1,
    baseline: str | None = None,
    target_metric: str | None = None,
    target_half_width: float | None = None,
    max_reps: int = 50,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> ReportData:
    """Run every policy on common random numbers and keep the report's pieces of every run.

    The runs are those of :func:`experiments.compare` with the same arguments
    (with a target, as many replications as it takes), each run once:
    ``ReportData.comparison`` is that comparison.
    """
    comparison = compare(
        scenario,
        policies,
        reps=reps,
        seed=seed,
        baseline=baseline,
        target_metric=target_metric,
        target_half_width=target_half_width,
        max_reps=max_reps,
        reducer=report_detail,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        force=force,
        on_estimate=on_estimate,
    )
    return ReportData(
        scenario, comparison.policies, comparison.reps, int(seed), list(comparison.details), comparison
    )
