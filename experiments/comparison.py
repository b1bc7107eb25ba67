"""Comparisons: means with confidence intervals, and paired differences against a baseline.

Because every policy runs on the same random numbers in replication r, the
difference ``x[policy, r] - x[baseline, r]`` cancels most of the noise the
policies share; its confidence interval is usually far narrower than the
intervals of the two means. Intervals are Student-t with reps - 1 degrees of
freedom.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit

import sim

from . import inputs
from .replication import ordered, run_replications, table
from .resources import DETAIL_BYTES_PER_DAY, PARENT_BYTES_PER_RUN, Estimate, preflight
from .runs import Reducer

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
    details: list[Any] = field(default_factory=list)  # what a reducer kept of each run, as ``runs``

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
    level = inputs.level(level)
    policies = list(dict.fromkeys(runs["policy"]))
    baseline = inputs.baseline(policies, baseline)
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
    *,
    reps: int = 3,
    seed: int = 1,
    baseline: str | None = None,
    target_metric: str | None = None,
    target_half_width: float | None = None,
    max_reps: int = 50,
    level: float = 0.95,
    reducer: Reducer | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> Comparison:
    """Replicate ``policies`` on common random numbers and compare them against ``baseline``.

    ``baseline`` defaults to the first policy. With ``target_metric`` and
    ``target_half_width`` the comparison is sequential: replications are added,
    ``reps`` at a time, until the half-width of every paired difference of that
    metric (of the mean, if there is only one policy) is at or below the target,
    or ``max_reps`` is reached; only the new replications run in each round.
    With a ``reducer`` (see :mod:`experiments.runs`), ``Comparison.details``
    holds what it kept of every run, in the order of ``runs``: each replication
    runs once, whatever else is wanted from it. A job too big for this machine
    is refused before it starts unless ``force``; ``on_estimate`` hears the
    estimate of a long one.
    """
    names = inputs.policies(scenario, policies)
    base = inputs.baseline(names, baseline)
    reps = inputs.count(reps, what="reps")
    seed = inputs.seed(seed)
    level = inputs.level(level)
    if (target_metric is None) != (target_half_width is None):
        raise inputs.ArgumentError(
            "target_metric", "give target_half_width with it, or neither", target_metric
        )
    if target_metric is not None:
        inputs.metrics([target_metric], what="target_metric")
        if not target_half_width > 0:
            raise inputs.ArgumentError("target_half_width", "must be > 0", target_half_width)
        max_reps = inputs.count(max_reps, what="max_reps", least=reps)
    most = max_reps if target_metric is not None else reps
    preflight(
        scenario,
        names,
        most * len(names),
        workers=workers,
        scheduler=scheduler,
        parent_bytes_per_run=PARENT_BYTES_PER_RUN
        + (DETAIL_BYTES_PER_DAY * scenario.horizon.days if reducer else 0),
        force=force,
        on_estimate=on_estimate,
    )
    run = functools.partial(
        run_replications,
        scenario,
        names,
        seed=seed,
        reducer=reducer,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )
    outcomes = run(range(reps))
    result = _comparison(outcomes, names, base, level)
    done = reps
    while (
        target_metric is not None
        and done < max_reps
        and not _reached(result, target_metric, target_half_width)
    ):
        more = range(done, min(done + reps, max_reps))
        outcomes = ordered([*outcomes, *run(more)], names)
        done = more.stop
        result = _comparison(outcomes, names, base, level)
    return result


def _comparison(outcomes: list, names: list[str], baseline: str, level: float) -> Comparison:
    result = comparison_from_runs(table(outcomes), baseline, level)
    result.details = [o.detail for o in outcomes]
    return result


def _reached(result: Comparison, metric: str, half_width: float) -> bool:
    """Is every paired difference (or the single mean) of ``metric`` as precise as asked?"""
    if len(result.policies) == 1:
        widths = result.means.loc[metric].xs("half_width", level=1)
    else:
        widths = result.differences.loc[metric].xs("half_width", level=1).drop(result.baseline)
    return bool(len(widths)) and bool((widths <= half_width).all())
