"""How each metric is shown to a person: units and sensible precision."""

from __future__ import annotations

import math

__all__ = ["format_value", "format_mean_ci", "format_diff", "UNITS", "LOWER_IS_BETTER", "HIGHER_IS_BETTER"]

_PERCENT = {
    "service_level",
    "abandonment_rate",
    "occupancy",
    "fcr",
    "repeat_contact_share",
    "failure_demand_share",
    "promises_kept_rate",
    "churn_rate_annual",
    "p_wait",
}
_SCORE = {"satisfaction_mean", "effort_mean"}
_COUNT = {
    "contacts_total",
    "promises_made",
    "customers_start",
    "customers_end",
    "customers_acquired",
    "customers_lost",
    "issues_total",
}
_MONEY = {"revenue", "cost_service", "cost_acquisition", "cost_total", "profit"}
_UNIT_MONEY = {"cost_per_contact", "cost_per_resolution"}

UNITS = {
    **{m: "%" for m in _PERCENT},
    **{m: "0-1" for m in _SCORE},
    **{m: "count" for m in _COUNT},
    **{m: "money" for m in _MONEY | _UNIT_MONEY},
    "asa_seconds": "s",
    "contacts_per_customer_year": "per year",
    "contacts_per_issue": "per issue",
    "transfers_per_contact": "per contact",
}
HIGHER_IS_BETTER = {
    "service_level",
    "fcr",
    "promises_kept_rate",
    "satisfaction_mean",
    "revenue",
    "profit",
    "customers_end",
}
LOWER_IS_BETTER = {
    "asa_seconds",
    "abandonment_rate",
    "contacts_per_issue",
    "repeat_contact_share",
    "failure_demand_share",
    "transfers_per_contact",
    "effort_mean",
    "churn_rate_annual",
    "customers_lost",
    "cost_service",
    "cost_acquisition",
    "cost_total",
    "cost_per_contact",
    "cost_per_resolution",
    "p_wait",
    "contacts_per_customer_year",
}


def format_value(metric: str, value: float, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if metric in _PERCENT:
        return f"{sign}{100 * value:.1f} %"
    if metric in _SCORE:
        return f"{sign}{value:.3f}"
    if metric in _COUNT or metric in _MONEY:
        return f"{sign}{value:,.0f}"
    if metric in _UNIT_MONEY or metric == "contacts_per_customer_year":
        return f"{sign}{value:.2f}"
    if metric == "asa_seconds":
        return f"{sign}{value:.1f} s"
    return f"{sign}{value:.3f}"


def _half(metric: str, half: float) -> str:
    if half is None or math.isnan(half):
        return ""
    text = format_value(metric, half).replace(" %", "").replace(" s", "")
    return f" ± {text}"


def format_mean_ci(metric: str, mean: float, half: float) -> str:
    return format_value(metric, mean) + _half(metric, half)


def format_diff(metric: str, mean: float, half: float) -> str:
    text = format_value(metric, mean, signed=True)
    if metric in _PERCENT and text.endswith(" %"):
        text = text[:-2] + " pp"  # a difference of shares is in percentage points
    return text + _half(metric, half)
