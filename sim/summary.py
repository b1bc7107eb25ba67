"""The named metrics of a run, computed from the daily accumulators.

Each metric is defined once, in :data:`sim.metric_table.METRIC_TABLE`; this
module gathers a measurement window's totals (:class:`Window`) and evaluates the
table on them, for all customers or one segment. Ratios whose denominator is
zero are NaN, and the Result says why in ``notes``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from .counters import CONTACTS, CUSTOMERS, ISSUES, PHONE, PROMISES, SELF_SERVICE, WORK
from .metric_table import METRIC_TABLE, METRICS, ratio
from .metrics import DAILY_FIELDS, Metrics
from .units import DAYS_PER_YEAR, FAILURE_REASONS, MINUTES_PER_YEAR, REASONS

__all__ = ["METRICS", "Window", "summarise", "nan_notes", "by_segment", "timeseries", "cost_breakdown"]


class Window:
    """Totals over the measurement window for a set of segments, and what the metrics derive from them.

    With ``all_segments`` False (one segment of several), pool-level quantities
    are not defined and shared costs are allocated: staff and training by the
    segment's share of front-line agent minutes, account managers by its share
    of their minutes, interventions by its share of customers.
    """

    def __init__(
        self,
        m: Metrics,
        start_day: int,
        end_day: int,
        segments: Sequence[int],
        economics,
        initial_customers: Sequence[float],
        all_segments: bool = True,
    ):
        self.m = m
        self.days = slice(start_day, end_day)
        self.start_day, self.end_day = start_day, end_day
        self.segs = list(segments)
        self.economics = economics
        self.initial_customers = initial_customers
        self.all_segments = all_segments
        self.totals = m.counts[self.days][:, self.segs, :].sum(axis=(0, 1))

    def c(self, index: int) -> float:
        """A counter's total, by its offset (``w.c(PHONE.offered)``)."""
        return float(self.totals[index])

    def seg_field(self, name: str) -> np.ndarray:
        """days-in-window array of a per-segment snapshot, summed over the segments."""
        return self.m.segment_field(name)[self.days][:, self.segs].sum(axis=1)

    def field(self, name: str) -> float:
        return float(self.m.field(name)[self.days].sum())

    # -- customers --------------------------------------------------------------------
    @cached_property
    def years(self) -> float:
        return (self.end_day - self.start_day) / DAYS_PER_YEAR

    @cached_property
    def customers(self) -> np.ndarray:
        return self.seg_field("customers")

    @cached_property
    def mean_customers(self) -> float:
        return float(self.customers.mean()) if self.customers.size else math.nan

    @cached_property
    def customers_start(self) -> float:
        if self.start_day > 0:
            return float(self.m.segment_field("customers")[self.start_day - 1, self.segs].sum())
        return float(sum(self.initial_customers[s] for s in self.segs))

    @cached_property
    def customers_end(self) -> float:
        return float(self.customers[-1]) if self.customers.size else math.nan

    @cached_property
    def satisfaction_mean(self) -> float:
        sat = self.seg_field("satisfaction_sum")
        customers = self.customers
        daily = np.divide(sat, customers, out=np.full_like(sat, np.nan), where=customers > 0)
        return float(np.nanmean(daily)) if np.isfinite(daily).any() else math.nan

    # -- contacts -------------------------------------------------------------------------
    @cached_property
    def contacts(self) -> float:
        return sum(self.c(getattr(CONTACTS, r)) for r in REASONS)

    @cached_property
    def failure_contacts(self) -> float:
        return sum(self.c(getattr(CONTACTS, r)) for r in FAILURE_REASONS)

    # -- pools --------------------------------------------------------------------------
    @cached_property
    def staffed_minutes(self) -> float:
        return self.field("staffed_minutes_front") + self.field("staffed_minutes_am")

    @cached_property
    def busy_minutes(self) -> float:
        return self.field("busy_minutes_front") + self.field("busy_minutes_am")

    # -- money ---------------------------------------------------------------------------
    @cached_property
    def costs(self) -> dict[str, float]:
        """Service costs by kind, allocated to the window's segments when they are not all."""
        staff = self.field("cost_staff")
        am = self.field("cost_account_managers")
        training = self.field("cost_training")
        interventions = self.field("cost_interventions")
        if not self.all_segments:
            everyone = Window(
                self.m, self.start_day, self.end_day, range(self.m.n_segments), self.economics, []
            )
            # staff cost follows the agent minutes a segment used; with no minutes in the window
            # (no demand at all) it is shared by customers instead, so segments still add up to the total
            cust_share = ratio(self.customers.sum(), everyone.customers.sum())
            cust_share = 0.0 if math.isnan(cust_share) else cust_share
            front_share = ratio(self.c(WORK.front_minutes), everyone.c(WORK.front_minutes))
            am_share = ratio(self.c(WORK.account_manager_minutes), everyone.c(WORK.account_manager_minutes))
            front_share = cust_share if math.isnan(front_share) else front_share
            am_share = cust_share if math.isnan(am_share) else am_share
            staff *= front_share
            training *= front_share
            am *= am_share
            interventions *= cust_share
        return {
            "staff": staff,
            "account_managers": am,
            "training": training,
            "interventions": interventions,
            "self_service": self.c(SELF_SERVICE.sessions) * self.economics.self_service_cost,
        }

    @cached_property
    def cost_service(self) -> float:
        c = self.costs
        return c["staff"] + c["account_managers"] + c["training"] + c["interventions"] + c["self_service"]

    @cached_property
    def cost_acquisition(self) -> float:
        return self.c(CUSTOMERS.acquired) * self.economics.acquisition_cost

    @cached_property
    def cost_total(self) -> float:
        return self.cost_service + self.cost_acquisition

    @cached_property
    def revenue(self) -> float:
        return float(self.seg_field("revenue").sum())

    @cached_property
    def profit(self) -> float:
        return self.economics.gross_margin * self.revenue - self.cost_total


def summarise(
    m: Metrics,
    start_day: int,
    end_day: int,
    segments: Sequence[int],
    economics,
    initial_customers: Sequence[float],
    all_segments: bool = True,
) -> dict[str, float]:
    """The metrics of ``segments`` over days [start_day, end_day), in the table's order."""
    w = Window(m, start_day, end_day, segments, economics, initial_customers, all_segments)
    return {
        spec.name: math.nan if (spec.pool_level and not all_segments) else spec.formula(w)
        for spec in METRIC_TABLE
    }


def nan_notes(summary: dict[str, float]) -> list[str]:
    """One note per NaN metric, saying why (from the metric table)."""
    return [
        f"{spec.name} is NaN: {spec.nan_reason or 'its denominator is zero in the window'}"
        for spec in METRIC_TABLE
        if isinstance(summary.get(spec.name), float) and math.isnan(summary[spec.name])
    ]


def cost_breakdown(m: Metrics, start_day: int, end_day: int, economics) -> dict[str, float]:
    """Where the money went over the window (all segments)."""
    w = Window(m, start_day, end_day, range(m.n_segments), economics, [])
    c = w.costs
    return {
        "staff": c["staff"],
        "account_managers": c["account_managers"],
        "training": c["training"],
        "self_service": c["self_service"],
        "interventions": c["interventions"],
        "acquisition": w.cost_acquisition,
        "revenue": w.revenue,
        "gross_margin": economics.gross_margin * w.revenue,
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

    def col(index: int) -> np.ndarray:
        return counts[:, index]

    by_reason = {r: col(getattr(CONTACTS, r)) for r in REASONS}
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
            "contacts": sum(by_reason[r] for r in REASONS),
            **{f"contacts_{r}": by_reason[r] for r in REASONS},
            "failure_demand": sum(by_reason[r] for r in FAILURE_REASONS),
            "self_service_sessions": col(SELF_SERVICE.sessions),
            "calls": col(PHONE.calls),
            "calls_offered": col(PHONE.offered),
            "calls_answered": col(PHONE.answered),
            "calls_abandoned": col(PHONE.abandoned),
            "calls_waited": col(PHONE.waited),
            "calls_within_target": col(PHONE.within_target),
            "wait_minutes_answered": col(PHONE.wait_minutes),
            "wait_minutes_abandoned": col(PHONE.abandoned_wait_minutes),
            "service_level": col(PHONE.within_target) / col(PHONE.offered),
            "asa_seconds": 60.0 * col(PHONE.wait_minutes) / col(PHONE.answered),
            "issues": col(ISSUES.arisen),
            "issues_resolved": col(ISSUES.resolved),
            "issues_given_up": col(ISSUES.given_up),
            "fcr": col(ISSUES.fcr) / col(ISSUES.arisen),
            "promises_made": col(PROMISES.made),
            "promises_broken": col(PROMISES.broken),
            "transfers": col(PHONE.transfers),
        }
    for name in DAILY_FIELDS:
        out[name] = m.field(name)
    staffed = m.field("staffed_minutes_front") + m.field("staffed_minutes_am")
    busy = m.field("busy_minutes_front") + m.field("busy_minutes_am")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["occupancy"] = busy / staffed
        out["queue_length_mean"] = m.field("queue_minutes") / (MINUTES_PER_YEAR / DAYS_PER_YEAR)
    out["churned"] = col(CUSTOMERS.churned)
    out["pruned"] = col(CUSTOMERS.pruned)
    out["acquired"] = col(CUSTOMERS.acquired)
    out["revenue"] = m.segment_field("revenue").sum(axis=1)
    return pd.DataFrame(out)
