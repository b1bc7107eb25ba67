"""Streaming accumulators: what happened, per day and per segment.

The event loop adds to a flat Python list (``cur``) indexed by
``segment * N_COUNTERS + offset`` (offsets from the named blocks of
:mod:`sim.counters`); once a day the list is flushed into a NumPy array
``days x segments x counters``. Memory is therefore proportional to the
horizon in days and never to the number of contacts. Population snapshots and
pool time-averages are stored per day alongside. ``sim.summary`` turns the
window's totals into the named metrics.
"""

from __future__ import annotations

import numpy as np

from .counters import COUNTERS, N_COUNTERS, counter_index
from .units import MINUTES_PER_DAY

__all__ = ["Metrics", "COUNTERS", "DAILY_FIELDS", "SEGMENT_DAILY_FIELDS"]

#: Per-day values that are not per segment (pools, costs).
DAILY_FIELDS = (
    "staffed_minutes_front",
    "staffed_minutes_am",
    "busy_minutes_front",
    "busy_minutes_am",
    "queue_minutes",  # integral of callers waiting (time-average queue x day)
    "agents_front",  # staffed agents at the end of the day
    "agents_am",
    "cost_staff",
    "cost_account_managers",
    "cost_training",
    "cost_interventions",
    "supplier_induced_multiplier",
)
#: Per-day, per-segment population snapshots (at the end of the day).
SEGMENT_DAILY_FIELDS = ("customers", "satisfaction_sum", "satisfaction_sq_sum", "expectation_sum", "revenue")


class Metrics:
    """Counters per day and segment, flushed from a hot Python list once a day."""

    def __init__(self, days: int, n_segments: int):
        self.days = days
        self.n_segments = n_segments
        self.counts = np.zeros((days, n_segments, N_COUNTERS))
        self.daily = np.zeros((days, len(DAILY_FIELDS)))
        self.segment_daily = np.zeros((days, n_segments, len(SEGMENT_DAILY_FIELDS)))
        self.policy_by_day: list[str] = [""] * days
        self._zeros = [0.0] * (n_segments * N_COUNTERS)
        #: the current day's counters; its identity never changes (flush zeroes it in place)
        self.cur: list[float] = list(self._zeros)
        self.day = 0

    def add_at(self, t_min: float, index: int, value: float = 1.0) -> None:
        """Add to the day of time ``t_min`` (which may be a day already flushed)."""
        day = int(t_min // MINUTES_PER_DAY)
        if day == self.day:
            self.cur[index] += value
        elif 0 <= day < self.days:
            seg, k = divmod(index, N_COUNTERS)
            self.counts[day, seg, k] += value

    def flush(self) -> None:
        """Close the current day: move the hot list into the day's row."""
        if self.day < self.days:
            self.counts[self.day] += np.asarray(self.cur).reshape(self.n_segments, N_COUNTERS)
        # zero in place: the event loop holds on to this very list
        self.cur[:] = self._zeros
        self.day += 1

    def set_daily(self, day: int, field: str, value: float) -> None:
        self.daily[day, DAILY_FIELDS.index(field)] = value

    def add_daily(self, day: int, field: str, value: float) -> None:
        if 0 <= day < self.days:
            self.daily[day, DAILY_FIELDS.index(field)] += value

    def set_segment_daily(self, day: int, field: str, values: np.ndarray) -> None:
        self.segment_daily[day, :, SEGMENT_DAILY_FIELDS.index(field)] = values

    # -- reading ------------------------------------------------------------
    def counter(self, name: str) -> np.ndarray:
        """days x segments array of one counter, by its ``"<block>.<counter>"`` name."""
        return self.counts[:, :, counter_index(name)]

    def field(self, name: str) -> np.ndarray:
        return self.daily[:, DAILY_FIELDS.index(name)]

    def segment_field(self, name: str) -> np.ndarray:
        return self.segment_daily[:, :, SEGMENT_DAILY_FIELDS.index(name)]
