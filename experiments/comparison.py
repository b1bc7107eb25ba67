"""Comparisons: means with confidence intervals, and paired differences against a baseline.

Because every policy runs on the same random numbers in replication r, the
difference ``x[policy, r] - x[baseline, r]`` cancels most of the noise the
policies share; its confidence interval is usually far narrower than the
intervals of the two means. Intervals are Student-t with reps - 1 degrees of
freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit

import sim

from .replication import check_policies, replicate

__all__ = ["Comparison", "compare", "mean_ci", "comparison_from_runs"]


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """(mean, half-width of the ``level`` Student-t interval); NaNs are dropped."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    half = stdtrit(x.size - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(half)


@dataclass
class Comparison:
    """Replications of several policies and what they say."""

    runs: pd.DataFrame  # one row per (policy, rep)
    means: pd.DataFrame  # index metric; columns (policy, "mean" | "half_width")
    differences: pd.DataFrame  # index metric; columns (policy, "mean" | "half_width"), vs baseline
    baseline: str
    reps: int
    level: float = 0.95

    @property
    def policies(self) -> list[str]:
        return list(dict.fromkeys(self.runs["policy"]))

    def tidy(self) -> pd.DataFrame:
        """One row per (metric, policy): mean, half_width, diff, diff_half_width."""
        rows = []
        for metric in self.means.index:
            for p in self.policies:
                rows.append(
                    {
                        "metric": metric,
                        "policy": p,
                        "mean": self.means.loc[metric, (p, "mean")],
                        "half_width": self.means.loc[metric, (p, "half_width")],
                        "diff_vs_baseline": self.differences.loc[metric, (p, "mean")],
                        "diff_half_width": self.differences.loc[metric, (p, "half_width")],
                    }
                )
        return pd.DataFrame(rows)


def comparison_from_runs(
    runs: pd.DataFrame, baseline: str | None = None, level: float = 0.95, metrics: Sequence[str] = sim.METRICS
) -> Comparison:
    policies = list(dict.fromkeys(runs["policy"]))
    baseline = policies[0] if baseline is None else baseline
    if baseline not in policies:
        raise ValueError(f"baseline {baseline!r} is not among the compared policies: {', '.join(policies)}")
    wide = {p: runs[runs.policy == p].set_index("rep").sort_index() for p in policies}
    cols = pd.MultiIndex.from_product([policies, ["mean", "half_width"]])
    mean_frame = pd.DataFrame(np.nan, index=list(metrics), columns=cols)
    diff_frame = pd.DataFrame(np.nan, index=list(metrics), columns=cols)
    for p in policies:
        for metric in metrics:
            mean_frame.loc[metric, [(p, "mean"), (p, "half_width")]] = mean_ci(wide[p][metric], level)
            paired = wide[p][metric] - wide[baseline][metric]
            diff = mean_ci(paired, level) if p != baseline else (0.0, 0.0)
            diff_frame.loc[metric, [(p, "mean"), (p, "half_width")]] = diff
    reps = int(runs.groupby("policy")["rep"].nunique().min())
    return Comparison(runs, mean_frame, diff_frame, baseline, reps, level)


def compare(
    scenario: sim.Scenario,
    policies: Sequence[str] | None = None,
    reps: int = 3,
    seed: int = 1,
    baseline: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    target_metric: str | None = None,
    target_half_width: float | None = None,
    max_reps: int = 50,
) -> Comparison:
    """Replicate ``policies`` on common random numbers and compare them against ``baseline``.

    With ``target_metric`` and ``target_half_width``, replications are added (in
    rounds of ``reps``) until every paired difference of that metric has a 95 %
    half-width at or below the target, or ``max_reps`` is reached.
    """
    names = check_policies(scenario, policies)
    base = names[0] if baseline is None else baseline
    if base not in names:
        raise ValueError(f"baseline {base!r} is not among the compared policies: {', '.join(names)}")
    if (target_metric is None) != (target_half_width is None):
        raise ValueError("give both target_metric and target_half_width, or neither")
    if target_metric is not None and target_metric not in sim.METRICS:
        raise ValueError(f"unknown metric {target_metric!r}; metrics: {', '.join(sim.METRICS)}")
    runs = replicate(scenario, names, reps, seed, workers, scheduler, progress)
    result = comparison_from_runs(runs, base)
    while target_metric is not None and result.reps < max_reps:
        widths = result.differences.loc[target_metric].xs("half_width", level=1).drop(base)
        if len(widths) and (widths <= target_half_width).all():
            break
        more = min(reps, max_reps - result.reps)
        extra = replicate(scenario, names, result.reps + more, seed, workers, scheduler, progress)
        runs = extra  # replications are keyed by number: the first ones are identical
        result = comparison_from_runs(runs, base)
    return result
