"""The named metrics of a run, computed from the daily accumulators.

Every definition lives here and in the README's glossary. Ratios whose
denominator is zero (no calls offered, no issues) are NaN, and the Result says
why in ``notes``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .metrics import COUNTERS, DAILY_FIELDS, Metrics
from .units import DAYS_PER_YEAR, FAILURE_REASONS, MINUTES_PER_YEAR, REASONS

__all__ = ["METRICS", "summarise", "by_segment", "timeseries", "cost_breakdown"]

#: The headline metrics, in the order they are reported.
METRICS = (
    "service_level",
    "asa_seconds",
    "abandonment_rate",
    "occupancy",
    "contacts_total",
    "contacts_per_customer_year",
    "fcr",
    "contacts_per_issue",
    "repeat_contact_share",
    "failure_demand_share",
    "transfers_per_contact",
    "promises_made",
    "promises_kept_rate",
    "satisfaction_mean",
    "effort_mean",
    "churn_rate_annual",
    "customers_start",
    "customers_end",
    "customers_acquired",
    "customers_lost",
    "revenue",
    "cost_service",
    "cost_acquisition",
    "cost_total",
    "profit",
    "cost_per_contact",
    "cost_per_resolution",
    "p_wait",
    "issues_total",
)


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else math.nan


class _Window:
    """Totals over the measurement window for a set of segments."""

    def __init__(self, m: Metrics, start_day: int, end_day: int, segments: Sequence[int]):
        self.m = m
        self.days = slice(start_day, end_day)
        self.start_day, self.end_day = start_day, end_day
        self.segs = list(segments)
        self.totals = m.counts[self.days][:, self.segs, :].sum(axis=(0, 1))

    def c(self, name: str) -> float:
        return float(self.totals[COUNTERS.index(name)])

    def seg_field(self, name: str) -> np.ndarray:
        """days-in-window array of a per-segment snapshot, summed over the segments."""
        return self.m.segment_field(name)[self.days][:, self.segs].sum(axis=1)

    def field(self, name: str) -> float:
        return float(self.m.field(name)[self.days].sum())


def summarise(
    m: Metrics,
    start_day: int,
    end_day: int,
    segments: Sequence[int],
    economics,
    initial_customers: Sequence[float],
    all_segments: bool = True,
) -> dict[str, float]:
    """The metrics of ``segments`` over days [start_day, end_day).

    Pool-level quantities (occupancy) and shared costs (staff, training,
    interventions) are allocated to segments by their share of agent minutes
    (staff) and of customers (interventions) when ``all_segments`` is False.
    """
    w = _Window(m, start_day, end_day, segments)
    everyone = _Window(m, start_day, end_day, range(m.n_segments))
    years = (end_day - start_day) / DAYS_PER_YEAR
    customers = w.seg_field("customers")
    mean_customers = float(customers.mean()) if customers.size else math.nan
    contacts = sum(w.c(f"contacts_{r}") for r in REASONS)
    failure = sum(w.c(f"contacts_{r}") for r in FAILURE_REASONS)

    staff = w.field("cost_staff")
    am = w.field("cost_account_managers")
    training = w.field("cost_training")
    interventions = w.field("cost_interventions")
    if not all_segments:
        # staff cost follows the agent minutes a segment used; with no minutes in the window
        # (no demand at all) it is shared by customers instead, so segments still add up to the total
        cust_share = _ratio(customers.sum(), everyone.seg_field("customers").sum())
        cust_share = 0.0 if math.isnan(cust_share) else cust_share
        front_share = _ratio(w.c("handle_minutes_front"), everyone.c("handle_minutes_front"))
        am_share = _ratio(w.c("handle_minutes_am"), everyone.c("handle_minutes_am"))
        front_share = cust_share if math.isnan(front_share) else front_share
        am_share = cust_share if math.isnan(am_share) else am_share
        staff *= front_share
        training *= front_share
        am *= am_share
        interventions *= cust_share
    self_service = w.c("self_service_sessions") * economics.self_service_cost
    cost_service = staff + am + training + interventions + self_service
    cost_acquisition = w.c("acquired") * economics.acquisition_cost
    cost_total = cost_service + cost_acquisition
    revenue = float(w.seg_field("revenue").sum())
    sat = w.seg_field("satisfaction_sum")
    daily_mean = np.divide(sat, customers, out=np.full_like(sat, np.nan), where=customers > 0)
    if start_day > 0:
        start = float(m.segment_field("customers")[start_day - 1, w.segs].sum())
    else:
        start = float(sum(initial_customers[s] for s in w.segs))
    staffed = w.field("staffed_minutes_front") + w.field("staffed_minutes_am")
    busy = w.field("busy_minutes_front") + w.field("busy_minutes_am")
    lost = w.c("churned") + w.c("pruned")
    return {
        "service_level": _ratio(w.c("answered_within_target"), w.c("offered")),
        "asa_seconds": 60.0 * _ratio(w.c("wait_minutes_answered"), w.c("answered")),
        "abandonment_rate": _ratio(w.c("abandoned"), w.c("offered")),
        "occupancy": _ratio(busy, staffed) if all_segments else math.nan,
        "contacts_total": contacts,
        "contacts_per_customer_year": _ratio(contacts, mean_customers * years),
        "fcr": _ratio(w.c("issues_fcr"), w.c("issues")),
        "contacts_per_issue": _ratio(contacts, w.c("issues")),
        "repeat_contact_share": _ratio(w.c("contacts_repeat"), contacts),
        "failure_demand_share": _ratio(failure, contacts),
        "transfers_per_contact": _ratio(w.c("transfers"), contacts),
        "promises_made": w.c("promises_made"),
        "promises_kept_rate": _ratio(w.c("callbacks_made"), w.c("callbacks_made") + w.c("promises_broken")),
        "satisfaction_mean": float(np.nanmean(daily_mean)) if np.isfinite(daily_mean).any() else math.nan,
        "effort_mean": _ratio(w.c("effort_sum"), w.c("issues_judged")),
        "churn_rate_annual": _ratio(w.c("churned"), mean_customers * years),
        "customers_start": start,
        "customers_end": float(customers[-1]) if customers.size else math.nan,
        "customers_acquired": w.c("acquired"),
        "customers_lost": lost,
        "revenue": revenue,
        "cost_service": cost_service,
        "cost_acquisition": cost_acquisition,
        "cost_total": cost_total,
        "profit": economics.gross_margin * revenue - cost_total,
        "cost_per_contact": _ratio(cost_service, contacts),
        "cost_per_resolution": _ratio(cost_service, w.c("issues_resolved")),
        "p_wait": _ratio(w.c("answered_after_waiting"), w.c("answered")),
        "issues_total": w.c("issues"),
    }


def cost_breakdown(m: Metrics, start_day: int, end_day: int, economics) -> dict[str, float]:
    """Where the money went over the window (all segments)."""
    w = _Window(m, start_day, end_day, range(m.n_segments))
    return {
        "staff": w.field("cost_staff"),
        "account_managers": w.field("cost_account_managers"),
        "training": w.field("cost_training"),
        "self_service": w.c("self_service_sessions") * economics.self_service_cost,
        "interventions": w.field("cost_interventions"),
        "acquisition": w.c("acquired") * economics.acquisition_cost,
        "revenue": float(w.seg_field("revenue").sum()),
        "gross_margin": economics.gross_margin * float(w.seg_field("revenue").sum()),
    }


def by_segment(
    m: Metrics,
    start_day: int,
    end_day: int,
    names: Sequence[str],
    economics,
    initial_customers: Sequence[float],
) -> pd.DataFrame:
    rows = {
        name: summarise(m, start_day, end_day, [i], economics, initial_customers, all_segments=False)
        for i, name in enumerate(names)
    }
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(METRICS)]
    frame.index.name = "segment"
    return frame


def timeseries(m: Metrics, segment_names: Sequence[str], warmup_days: int, target_min: float) -> pd.DataFrame:
    """One row per day: population, satisfaction, contacts by reason, queues, staff, costs."""
    days = np.arange(m.days)
    counts = m.counts.sum(axis=1)
    col = {name: counts[:, i] for i, name in enumerate(COUNTERS)}
    customers_by_seg = m.segment_field("customers")
    customers = customers_by_seg.sum(axis=1)
    s_sum = m.segment_field("satisfaction_sum").sum(axis=1)
    s_sq = m.segment_field("satisfaction_sq_sum").sum(axis=1)
    e_sum = m.segment_field("expectation_sum").sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_mean = s_sum / customers
        s_sd = np.sqrt(np.maximum(s_sq / customers - s_mean**2, 0.0))
        out = {
            "day": days,
            "warmup": days < warmup_days,
            "policy": m.policy_by_day,
            "customers": customers,
            **{f"customers_{n}": customers_by_seg[:, i] for i, n in enumerate(segment_names)},
            "satisfaction_mean": s_mean,
            "satisfaction_sd": s_sd,
            "expectation_mean": e_sum / customers,
            "contacts": sum(col[f"contacts_{r}"] for r in REASONS),
            **{f"contacts_{r}": col[f"contacts_{r}"] for r in REASONS},
            "failure_demand": sum(col[f"contacts_{r}"] for r in FAILURE_REASONS),
            "self_service_sessions": col["self_service_sessions"],
            "calls": col["calls"],
            "calls_offered": col["offered"],
            "calls_answered": col["answered"],
            "calls_abandoned": col["abandoned"],
            "calls_waited": col["answered_after_waiting"],
            "calls_within_target": col["answered_within_target"],
            "wait_minutes_answered": col["wait_minutes_answered"],
            "wait_minutes_abandoned": col["wait_minutes_abandoned"],
            "service_level": col["answered_within_target"] / col["offered"],
            "asa_seconds": 60.0 * col["wait_minutes_answered"] / col["answered"],
            "issues": col["issues"],
            "issues_resolved": col["issues_resolved"],
            "issues_given_up": col["issues_given_up"],
            "fcr": col["issues_fcr"] / col["issues"],
            "promises_made": col["promises_made"],
            "promises_broken": col["promises_broken"],
            "transfers": col["transfers"],
        }
    for name in DAILY_FIELDS:
        out[name] = m.field(name)
    staffed = m.field("staffed_minutes_front") + m.field("staffed_minutes_am")
    busy = m.field("busy_minutes_front") + m.field("busy_minutes_am")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["occupancy"] = busy / staffed
        out["queue_length_mean"] = m.field("queue_minutes") / (MINUTES_PER_YEAR / DAYS_PER_YEAR)
    out["churned"] = col["churned"]
    out["pruned"] = col["pruned"]
    out["acquired"] = col["acquired"]
    out["revenue"] = m.segment_field("revenue").sum(axis=1)
    return pd.DataFrame(out)
