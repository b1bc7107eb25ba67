"""Streaming accumulators: what happened, per day and per segment.

The event loop adds to a flat Python list (``cur``) indexed by
``segment * N_COUNTERS + counter``; once a day the list is flushed into a NumPy
array ``days x segments x counters``. Memory is therefore proportional to the
horizon in days and never to the number of contacts. Population snapshots and
pool time-averages are stored per day alongside. ``sim.summary`` turns the
window's totals into the named metrics.
"""

from __future__ import annotations

import numpy as np

from .units import MINUTES_PER_DAY, REASONS

__all__ = ["Metrics", "COUNTERS", "DAILY_FIELDS", "SEGMENT_DAILY_FIELDS"]

#: Per-segment event counters (per day). Contacts by reason come first.
COUNTERS = (
    *(f"contacts_{r}" for r in REASONS),
    "self_service_sessions",  # contacts on the self-service channel
    "calls",  # phone contacts: the customer dialled (first, repeat, redial, chase)
    "offered",  # inbound call legs offered to a queue (transfers are legs too)
    "answered",
    "answered_within_target",
    "answered_after_waiting",
    "wait_minutes_answered",
    "abandoned",
    "wait_minutes_abandoned",  # minutes callers waited before hanging up
    "transfers",
    "callbacks_made",  # promised call-backs an agent made (promise kept)
    "promises_made",
    "promises_broken",  # forgotten, or not called back before the deadline
    "issues",  # issues created (by creation day)
    "issues_fcr",  # of those, resolved at their first contact (by creation day)
    "issues_resolved",  # by finishing day
    "issues_given_up",  # by finishing day, incl. issues of customers who left
    "issues_judged",  # finished issues the customer judged (still a customer)
    "effort_sum",
    "experience_sum",
    "handle_minutes_front",
    "handle_minutes_am",
    "churned",  # voluntary departures (hazard, or exit after an unresolved issue)
    "exits_after_unresolved",
    "pruned",  # let go by the supplier
    "acquired",
    "products_dropped",
)
_IDX = {name: i for i, name in enumerate(COUNTERS)}
N_COUNTERS = len(COUNTERS)

# Constants the hot loop uses as plain globals (cheaper than attribute lookups).
C_CONTACTS = 0  # + reason index
C_SELF_SERVICE = _IDX["self_service_sessions"]
C_CALLS = _IDX["calls"]
C_OFFERED = _IDX["offered"]
C_ANSWERED = _IDX["answered"]
C_WITHIN = _IDX["answered_within_target"]
C_WAITED = _IDX["answered_after_waiting"]
C_WAIT_SUM = _IDX["wait_minutes_answered"]
C_ABANDONED = _IDX["abandoned"]
C_WAIT_ABANDONED = _IDX["wait_minutes_abandoned"]
C_TRANSFERS = _IDX["transfers"]
C_CALLBACKS = _IDX["callbacks_made"]
C_PROMISES = _IDX["promises_made"]
C_BROKEN = _IDX["promises_broken"]
C_ISSUES = _IDX["issues"]
C_FCR = _IDX["issues_fcr"]
C_RESOLVED = _IDX["issues_resolved"]
C_GIVEN_UP = _IDX["issues_given_up"]
C_JUDGED = _IDX["issues_judged"]
C_EFFORT = _IDX["effort_sum"]
C_EXPERIENCE = _IDX["experience_sum"]
C_HANDLE_FRONT = _IDX["handle_minutes_front"]
C_HANDLE_AM = _IDX["handle_minutes_am"]
C_CHURNED = _IDX["churned"]
C_EXIT_UNRESOLVED = _IDX["exits_after_unresolved"]
C_PRUNED = _IDX["pruned"]
C_ACQUIRED = _IDX["acquired"]
C_DROPS = _IDX["products_dropped"]

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
        """days x segments array of one counter."""
        return self.counts[:, :, _IDX[name]]

    def field(self, name: str) -> np.ndarray:
        return self.daily[:, DAILY_FIELDS.index(name)]

    def segment_field(self, name: str) -> np.ndarray:
        return self.segment_daily[:, :, SEGMENT_DAILY_FIELDS.index(name)]
