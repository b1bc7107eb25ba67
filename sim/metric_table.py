"""Every headline metric, defined once: name, label, unit, direction, definition, formula, NaN reason.

The summary, ``by_segment``, the notes that explain a NaN, the formatting and
labels of tables and reports, and the README glossary are all derived from
:data:`METRIC_TABLE`. A formula reads the totals of a measurement window
(:class:`sim.summary.Window`): counters by their block name (``w.c(PHONE.offered)``)
and the window's derived quantities (``w.contacts``, ``w.cost_service`` ...).
Adding a metric is one entry here plus the code that counts what it needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .counters import CALLBACK, CONTACTS, CUSTOMERS, ISSUES, PHONE, PROMISES

__all__ = ["Metric", "METRIC_TABLE", "METRICS", "metric", "ratio", "Unit"]

#: How a value is shown: share (as %), seconds, count, money, money per unit, a 0-1 score, a rate.
Unit = Literal["share", "seconds", "count", "money", "money_per", "score", "rate"]


def ratio(a: float, b: float) -> float:
    """a / b, NaN when the denominator is zero (the Result's notes say why)."""
    return float(a) / float(b) if b else math.nan


@dataclass(frozen=True)
class Metric:
    """One headline metric of a run."""

    name: str
    #: for people: "First-contact resolution"
    label: str
    unit: Unit
    #: +1 higher is better, -1 lower is better, 0 neither (a size, not a goal)
    better: int
    #: the glossary's definition (README)
    definition: str
    #: the value from a measurement window's totals
    formula: Callable[[Any], float]
    #: why the value can be NaN (a ratio whose denominator is zero), or None
    nan_reason: str | None = None
    #: a property of the pools, not of customers: NaN per segment
    pool_level: bool = False
    #: for rates: the unit shown after the number ("per year")
    per: str = ""
    #: digits after the decimal point when shown (of the percentage, for shares)
    decimals: int | None = None

    @property
    def shown_decimals(self) -> int:
        if self.decimals is not None:
            return self.decimals
        return {"share": 1, "seconds": 1, "count": 0, "money": 0, "money_per": 2, "score": 3, "rate": 3}[
            self.unit
        ]


_DECIMALS = {"share": 1, "seconds": 1, "count": 0, "money": 0, "money_per": 2, "score": 3, "rate": 3}
_NO_OFFERED = "no calls were offered to a queue in the window"
_NO_ANSWERED = "no calls were answered in the window"
_NO_ISSUES = "no issues arose in the window"
_NO_CONTACTS = "there were no contacts in the window"

METRIC_TABLE: tuple[Metric, ...] = (
    Metric(
        "service_level",
        "Service level",
        "share",
        +1,
        "call legs answered within `channels.phone.service_level_seconds` / all call legs offered to a "
        "queue (abandoned ones included)",
        lambda w: ratio(w.c(PHONE.within_target), w.c(PHONE.offered)),
        _NO_OFFERED,
    ),
    Metric(
        "asa_seconds",
        "Average speed of answer",
        "seconds",
        -1,
        "mean wait of answered call legs, seconds",
        lambda w: 60.0 * ratio(w.c(PHONE.wait_minutes), w.c(PHONE.answered)),
        _NO_ANSWERED,
    ),
    Metric(
        "abandonment_rate",
        "Abandoned calls",
        "share",
        -1,
        "call legs abandoned in the queue / call legs offered",
        lambda w: ratio(w.c(PHONE.abandoned), w.c(PHONE.offered)),
        _NO_OFFERED,
    ),
    Metric(
        "occupancy",
        "Agent occupancy",
        "share",
        0,
        "agent-minutes of work (counted on the day it starts) / staffed agent-minutes, all pools",
        lambda w: ratio(w.busy_minutes, w.staffed_minutes),
        "no agent was staffed in the window",
        pool_level=True,
    ),
    Metric(
        "contacts_total",
        "Contacts",
        "count",
        0,
        "customer contacts on all channels: self-service sessions and phone calls (first, repeat, redial, "
        "chase)",
        lambda w: w.contacts,
    ),
    Metric(
        "contacts_per_customer_year",
        "Contacts per customer per year",
        "rate",
        -1,
        "contacts_total / (mean number of customers x years measured)",
        lambda w: ratio(w.contacts, w.mean_customers * w.years),
        per="per year",
        decimals=2,
    ),
    Metric(
        "fcr",
        "First-contact resolution",
        "share",
        +1,
        "issues resolved at their first contact (self-service or the first call with all its legs, before "
        "any promise) / issues that arose",
        lambda w: ratio(w.c(ISSUES.fcr), w.c(ISSUES.arisen)),
        _NO_ISSUES,
    ),
    Metric(
        "contacts_per_issue",
        "Contacts per issue",
        "rate",
        -1,
        "contacts_total / issues that arose",
        lambda w: ratio(w.contacts, w.c(ISSUES.arisen)),
        _NO_ISSUES,
        per="per issue",
    ),
    Metric(
        "repeat_contact_share",
        "Repeat contacts",
        "share",
        -1,
        "contacts with reason `repeat` (calling again, redials, calls after a failed self-service "
        "session) / contacts_total",
        lambda w: ratio(w.c(CONTACTS.repeat), w.contacts),
        _NO_CONTACTS,
    ),
    Metric(
        "failure_demand_share",
        "Failure demand",
        "share",
        -1,
        "contacts with reason `supplier_induced`, `repeat` or `chase` / contacts_total",
        lambda w: ratio(w.failure_contacts, w.contacts),
        _NO_CONTACTS,
    ),
    Metric(
        "transfers_per_contact",
        "Transfers per contact",
        "rate",
        -1,
        "transfers between departments / contacts_total",
        lambda w: ratio(w.c(PHONE.transfers), w.contacts),
        _NO_CONTACTS,
        per="per contact",
    ),
    Metric(
        "skill_mismatch_transfers",
        "Transfers for a missing skill",
        "count",
        -1,
        "transfers under skills routing because no agent group held every skill the issue needed",
        lambda w: w.c(PHONE.skill_mismatch_transfers),
    ),
    Metric(
        "promises_made",
        "Call-back promises",
        "count",
        0,
        "call-back promises made",
        lambda w: w.c(PROMISES.made),
    ),
    Metric(
        "promises_kept_rate",
        "Promises kept",
        "share",
        +1,
        "call-backs made before their deadline / (those + promises broken: forgotten or late)",
        lambda w: ratio(w.c(CALLBACK.made), w.c(CALLBACK.made) + w.c(PROMISES.broken)),
        "no promise came due in the window",
    ),
    Metric(
        "satisfaction_mean",
        "Satisfaction",
        "score",
        +1,
        "daily mean satisfaction of active customers, averaged over the days measured",
        lambda w: w.satisfaction_mean,
        "there were no customers in the window",
    ),
    Metric(
        "effort_mean",
        "Customer effort",
        "score",
        -1,
        "mean effort score (0-1) of issues judged (finished while still a customer)",
        lambda w: ratio(w.c(ISSUES.effort_sum), w.c(ISSUES.judged)),
        "no issue was finished and judged in the window",
    ),
    Metric(
        "churn_rate_annual",
        "Churn per year",
        "share",
        -1,
        "voluntary departures (churn hazard, or exit after an unresolved issue) / (mean customers x years)",
        lambda w: ratio(w.c(CUSTOMERS.churned), w.mean_customers * w.years),
        "there were no customers in the window",
    ),
    Metric(
        "customers_start",
        "Customers at the start",
        "count",
        0,
        "active customers at the start of the measured window",
        lambda w: w.customers_start,
    ),
    Metric(
        "customers_end",
        "Customers at the end",
        "count",
        +1,
        "active customers at the end",
        lambda w: w.customers_end,
    ),
    Metric(
        "customers_acquired",
        "Customers acquired",
        "count",
        0,
        "new customers acquired",
        lambda w: w.c(CUSTOMERS.acquired),
    ),
    Metric(
        "customers_lost",
        "Customers lost",
        "count",
        -1,
        "customers who left: voluntary departures plus customers pruned by the supplier",
        lambda w: w.c(CUSTOMERS.churned) + w.c(CUSTOMERS.pruned),
    ),
    Metric(
        "revenue",
        "Revenue",
        "money",
        +1,
        "revenue of active customers, accrued daily",
        lambda w: w.revenue,
    ),
    Metric(
        "cost_service",
        "Service cost",
        "money",
        -1,
        "staffed agents + account managers + training + self-service sessions + interventions",
        lambda w: w.cost_service,
    ),
    Metric(
        "cost_acquisition",
        "Acquisition cost",
        "money",
        -1,
        "customers acquired x acquisition_multiple x retention_cost_per_customer",
        lambda w: w.cost_acquisition,
    ),
    Metric(
        "cost_total",
        "Total cost",
        "money",
        -1,
        "cost_service + cost_acquisition",
        lambda w: w.cost_total,
    ),
    Metric(
        "profit",
        "Profit",
        "money",
        +1,
        "gross_margin x revenue - cost_total",
        lambda w: w.profit,
    ),
    Metric(
        "cost_per_contact",
        "Cost per contact",
        "money_per",
        -1,
        "cost_service / contacts_total",
        lambda w: ratio(w.cost_service, w.contacts),
        _NO_CONTACTS,
    ),
    Metric(
        "cost_per_resolution",
        "Cost per resolution",
        "money_per",
        -1,
        "cost_service / issues resolved",
        lambda w: ratio(w.cost_service, w.c(ISSUES.resolved)),
        "no issue was resolved in the window",
    ),
    Metric(
        "p_wait",
        "Calls that waited",
        "share",
        -1,
        "answered call legs that waited at all / answered call legs",
        lambda w: ratio(w.c(PHONE.waited), w.c(PHONE.answered)),
        _NO_ANSWERED,
    ),
    Metric(
        "issues_total",
        "Issues",
        "count",
        0,
        "issues that arose",
        lambda w: w.c(ISSUES.arisen),
    ),
)

#: The headline metric names, in the order they are reported.
METRICS: tuple[str, ...] = tuple(m.name for m in METRIC_TABLE)
_BY_NAME = {m.name: m for m in METRIC_TABLE}


def metric(name: str) -> Metric:
    """The table entry of a metric."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; metrics: {', '.join(METRICS)}") from None
