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

from .replication import check_policies, replicate, run_replications

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
    """Replications of several policies and what they say.

    ``means`` and ``differences`` are indexed by metric, with columns
    ``(policy, "mean")`` and ``(policy, "half_width")``; a difference is the
    policy minus the baseline, paired by replication (the baseline's own is 0).
    """

    runs: pd.DataFrame
    means: pd.DataFrame
    differences: pd.DataFrame
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
    """Means, intervals and paired differences from a table of runs (as :func:`replicate` returns).

    Differences pair the runs of a policy and of the baseline by replication
    number; a replication where either is NaN drops out of that metric's pair.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
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
    level: float = 0.95,
) -> Comparison:
    """Replicate ``policies`` on common random numbers and compare them against ``baseline``.

    ``baseline`` defaults to the first policy. With ``target_metric`` and
    ``target_half_width`` the comparison is sequential: replications are added,
    ``reps`` at a time, until the half-width of every paired difference of that
    metric (of the mean, if there is only one policy) is at or below the target,
    or ``max_reps`` is reached; only the new replications run in each round.
    """
    names = check_policies(scenario, policies)
    base = names[0] if baseline is None else baseline
    if base not in names:
        raise ValueError(f"baseline {base!r} is not among the compared policies: {', '.join(names)}")
    if (target_metric is None) != (target_half_width is None):
        raise ValueError("give both target_metric and target_half_width, or neither")
    if target_metric is not None:
        if target_metric not in sim.METRICS:
            raise ValueError(f"unknown metric {target_metric!r}; metrics: {', '.join(sim.METRICS)}")
        if not target_half_width > 0:
            raise ValueError(f"target_half_width must be > 0, got {target_half_width}")
        if max_reps < reps:
            raise ValueError(f"max_reps ({max_reps}) must be >= reps ({reps})")
    runs = replicate(scenario, names, reps, seed, workers, scheduler, progress)
    result = comparison_from_runs(runs, base, level)
    done = reps
    while (
        target_metric is not None
        and done < max_reps
        and not _reached(result, target_metric, target_half_width)
    ):
        more = range(done, min(done + reps, max_reps))
        extra = run_replications(scenario, names, more, seed, workers, scheduler, progress)
        runs = pd.concat([runs, extra]).pipe(_in_order, names)
        done = more.stop
        result = comparison_from_runs(runs, base, level)
    return result


def _in_order(runs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(names)}
    runs = runs.assign(_order=runs["policy"].map(order)).sort_values(["_order", "rep"])
    return runs.drop(columns="_order").reset_index(drop=True)


def _reached(result: Comparison, metric: str, half_width: float) -> bool:
    """Is every paired difference (or the single mean) of ``metric`` as precise as asked?"""
    if len(result.policies) == 1:
        widths = result.means.loc[metric].xs("half_width", level=1)
    else:
        widths = result.differences.loc[metric].xs("half_width", level=1).drop(result.baseline)
    return bool(len(widths)) and bool((widths <= half_width).all())
