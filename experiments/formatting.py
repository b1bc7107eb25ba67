"""How each metric is shown to a person: units and precision, from the metric table.

Every rule here reads :data:`sim.metric_table.METRIC_TABLE`: a share is shown in
percent (a difference of shares in percentage points), money with thousands
separators, a score with three decimals.
"""

from __future__ import annotations

import math

from sim.metric_table import METRIC_TABLE, metric

__all__ = ["format_value", "format_mean_ci", "format_diff", "UNITS", "LOWER_IS_BETTER", "HIGHER_IS_BETTER"]

_UNIT_LABEL = {
    "share": "%",
    "seconds": "s",
    "count": "count",
    "money": "money",
    "money_per": "money",
    "score": "0-1",
}
#: metric -> the unit a person reads ("%", "s", "per year" ...)
UNITS = {m.name: _UNIT_LABEL.get(m.unit, m.per) for m in METRIC_TABLE}
HIGHER_IS_BETTER = {m.name for m in METRIC_TABLE if m.better > 0}
LOWER_IS_BETTER = {m.name for m in METRIC_TABLE if m.better < 0}


def format_value(name: str, value: float, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    try:
        spec = metric(name)
    except KeyError:
        return f"{sign}{value:.3f}"
    digits = spec.shown_decimals
    if spec.unit == "share":
        return f"{sign}{100 * value:.{digits}f} %"
    if spec.unit == "seconds":
        return f"{sign}{value:.{digits}f} s"
    if spec.unit in ("count", "money"):
        return f"{sign}{value:,.{digits}f}"
    return f"{sign}{value:.{digits}f}"


def _half(name: str, half: float) -> str:
    if half is None or math.isnan(half):
        return ""
    text = format_value(name, half).replace(" %", "").replace(" s", "")
    return f" ± {text}"


def format_mean_ci(name: str, mean: float, half: float) -> str:
    return format_value(name, mean) + _half(name, half)


def format_diff(name: str, mean: float, half: float) -> str:
    text = format_value(name, mean, signed=True)
    if text.endswith(" %"):
        text = text[:-2] + " pp"  # a difference of shares is in percentage points
    return text + _half(name, half)
