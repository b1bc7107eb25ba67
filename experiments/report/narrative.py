"""The report's opening paragraph, written from the numbers: who wins what, by how much, how surely."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.metric_table import metric as metric_spec

from ..formatting import format_diff, format_value

__all__ = ["paired", "summary_sentences", "best_policy"]


def _direction(name: str) -> int:
    """+1 where higher is better, -1 where lower is (the metric table); +1 for a size."""
    return metric_spec(name).better or +1


def paired(summaries: pd.DataFrame, metric: str, policy: str, baseline: str) -> tuple[float, float]:
    """Mean and 95 % half-width of the per-replication difference policy - baseline."""
    a = summaries[summaries.policy == policy].set_index("rep")[metric]
    b = summaries[summaries.policy == baseline].set_index("rep")[metric]
    d = (a - b).dropna().to_numpy()
    if d.size == 0:
        return math.nan, math.nan
    if d.size == 1:
        return float(d[0]), math.nan
    return float(d.mean()), float(stdtrit(d.size - 1, 0.975) * d.std(ddof=1) / math.sqrt(d.size))


def best_policy(summaries: pd.DataFrame, metric: str, policies: Sequence[str]) -> str:
    """The policy with the best mean (highest, or lowest for metrics where lower is better)."""
    sign = _direction(metric)
    means = {p: summaries.loc[summaries.policy == p, metric].mean() for p in policies}
    return max(means, key=lambda p: -math.inf if np.isnan(means[p]) else sign * means[p])


def _versus(summaries: pd.DataFrame, metric: str, winner: str, policies: Sequence[str]) -> str:
    """'(+15.6 pp ± 0.1 against efficiency; +1.2 pp ± 0.1 against segmented)' with uncertainty flags."""
    parts = []
    for other in policies:
        if other == winner:
            continue
        d, h = paired(summaries, metric, winner, other)
        sure = not (math.isnan(h) or abs(d) <= h)
        parts.append(f"{format_diff(metric, d, h)} against {other}" + ("" if sure else ", not significant"))
    return "; ".join(parts)


def _surely_better(summaries: pd.DataFrame, metric: str, winner: str, other: str) -> bool:
    """The winner beats ``other`` on ``metric`` and the 95 % interval of the paired difference excludes 0."""
    d, h = paired(summaries, metric, winner, other)
    return not math.isnan(h) and _direction(metric) * d > h


def _mean(summaries: pd.DataFrame, metric: str, policy: str) -> float:
    return float(summaries.loc[summaries.policy == policy, metric].mean())


def summary_sentences(
    summaries: pd.DataFrame, policies: Sequence[str], scenario_name: str, target_seconds: float, reps: int
) -> list[str]:
    """The plain-language summary, one sentence per theme."""
    if len(policies) < 2:
        p = policies[0]
        return [
            f"{scenario_name} under {p}: "
            f"{format_value('service_level', _mean(summaries, 'service_level', p))} "
            f"of calls answered within {target_seconds:g} s, first-contact resolution "
            f"{format_value('fcr', _mean(summaries, 'fcr', p))}, churn "
            f"{format_value('churn_rate_annual', _mean(summaries, 'churn_rate_annual', p))} a year, profit "
            f"{format_value('profit', _mean(summaries, 'profit', p))} (means of {reps} replications)."
        ]
    s = []
    fast = best_policy(summaries, "service_level", policies)
    s.append(
        f"{fast} answers fastest: "
        f"{format_value('service_level', _mean(summaries, 'service_level', fast))} of "
        f"calls within {target_seconds:g} seconds ({_versus(summaries, 'service_level', fast, policies)})."
    )
    judged = []
    for metric, words in (
        ("fcr", "resolves the most issues at the first contact"),
        ("satisfaction_mean", "has the most satisfied customers"),
        ("churn_rate_annual", "loses the fewest customers"),
        ("failure_demand_share", "causes the least failure demand"),
    ):
        w = best_policy(summaries, metric, policies)
        judged.append(
            f"{w} {words} ({format_value(metric, _mean(summaries, metric, w))}; "
            f"{_versus(summaries, metric, w, policies)})"
        )
    s.append("On what customers judge, " + "; ".join(judged) + ".")
    rich = best_policy(summaries, "profit", policies)
    cheap = best_policy(summaries, "cost_per_resolution", policies)
    in_profit = _mean(summaries, "profit", rich) >= 0
    profit_words = "makes the most profit" if in_profit else "loses the least money"
    s.append(
        f"On money, {rich} {profit_words} "
        f"({format_value('profit', _mean(summaries, 'profit', rich))}; "
        f"{_versus(summaries, 'profit', rich, policies)}) and {cheap} resolves issues most cheaply "
        f"({format_value('cost_per_resolution', _mean(summaries, 'cost_per_resolution', cheap))} each)."
    )
    liked = best_policy(summaries, "satisfaction_mean", policies)
    if (
        fast != liked
        and _surely_better(summaries, "service_level", fast, liked)
        and _surely_better(summaries, "satisfaction_mean", liked, fast)
    ):
        s.append(
            f"The fastest desk is not the one customers prefer: {liked} answers more slowly and satisfies "
            "more, beyond the uncertainty of both differences; speed of answer is not what they judge."
        )
    elif fast != liked:
        s.append(
            f"{fast} answers fastest and {liked} satisfies most, but with {reps} replications at least one "
            "of those differences is within its uncertainty: run more replications before drawing the lesson."
        )
    s.append(
        f"Differences are paired over {reps} replications on common random numbers, with 95 % confidence "
        "intervals; a difference whose interval includes zero is marked not significant."
    )
    return s
