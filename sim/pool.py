"""An agent pool: agents, a priority queue, lazy abandonment, time-weighted statistics.

The pool runs on a simpy Environment but uses callbacks, not a process per
caller. Abandonment is settled lazily and exactly:

* a waiting call carries the time it gives up (``expire``) and the time its
  consequence is due (``consequence``: the redial, or the moment a customer
  stops waiting for a call-back);
* a call that reaches the head of the queue after ``expire`` has already hung
  up: it is skipped (in a queue, removing someone earlier or later changes no
  one else's service, so this is exact);
* one timer per pool fires at the earliest pending consequence, so the
  redial or give-up still happens at its exact time even if the call has not
  reached the head yet. Calls served in time never cost an event.

Beside the queue the pool keeps what workforce statistics need: waiting calls
integrated over time (the measured mean queue length, independent of the waits
themselves, for Little's law), staffed agent-minutes, and agent-minutes of work
started. Only state changes that involve a queue touch the integrals, so a call
that is answered at once costs no bookkeeping.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy

from .clock import scheduler

__all__ = ["Call", "Pool", "INBOUND", "CALLBACK"]

INBOUND, CALLBACK = 0, 1
_INF = float("inf")


class Call:
    """One queue entry: an inbound call leg, or a promised call-back to make."""

    __slots__ = (
        "issue",
        "pool",
        "kind",
        "level",
        "arrival",
        "expire",
        "consequence",
        "redial",
        "done",
        "parts",
        "misrouted",
        "visited",
        "transfers",
        "answered",
        "handle",
        "capped",
        "reason",
        "more",
    )

    def __init__(
        self,
        issue: Any,
        pool: Pool,
        kind: int,
        level: int,
        arrival: float,
        parts: list[int],
        misrouted: bool,
        visited: list[int],
        transfers: int,
    ):
        self.issue = issue
        self.pool = pool
        self.kind = kind
        self.level = level
        self.arrival = arrival
        self.expire = _INF
        self.consequence = _INF
        self.redial = False
        self.done = False
        self.parts = parts
        self.misrouted = misrouted
        self.visited = visited
        self.transfers = transfers
        self.answered = _INF
        self.handle = 0.0
        self.capped = False
        #: the contact's reason label (first reason, repeat or chase), for the log
        self.reason = -1
        #: departmental routing: other departments still to visit after this leg
        self.more = False


class Pool:
    """Agents serving calls from priority-ordered FIFO queues."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        n_levels: int,
        capacity: int,
        start: Callable[[Call], None],
        expire: Callable[[Call], None],
        account_managers: bool = False,
    ):
        self.env = env
        self._schedule = scheduler(env)
        self.name = name
        self.account_managers = account_managers
        self.capacity = capacity
        self.busy = 0
        self.waiting = 0
        self.draining = False
        self._queues = [deque() for _ in range(n_levels)]
        self._order = self._queues[::-1]  # highest level first
        self._start = start
        self._expire = expire
        self._heap: list[tuple[float, int, Call]] = []
        self._timers: list[float] = []
        self._seq = 0
        # time-weighted integrals
        self._t_wait = env.now
        self.wait_area = 0.0
        self._t_staffed = env.now
        self.staffed_area = 0.0
        #: agent-minutes of work started (a call counts on the day it starts)
        self.busy_minutes = 0.0
        # per-day tallies for workforce planning (observed forecasts)
        self.day_arrivals = 0
        self.day_served = 0
        self.day_busy_minutes = 0.0
        self.history: deque[tuple[int, int, float]] = deque(maxlen=366)

    # -- time-weighted statistics ---------------------------------------------------
    def _advance_wait(self, now: float) -> None:
        self.wait_area += self.waiting * (now - self._t_wait)
        self._t_wait = now

    def _advance_staffed(self, now: float) -> None:
        self.staffed_area += self.capacity * (now - self._t_staffed)
        self._t_staffed = now

    def snapshot(self) -> tuple[float, float, float]:
        """(work started, waiting, staffed) agent-minutes accumulated up to now."""
        now = self.env.now
        self._advance_wait(now)
        self._advance_staffed(now)
        return self.busy_minutes, self.wait_area, self.staffed_area

    def close_day(self) -> None:
        self.history.append((self.day_arrivals, self.day_served, self.day_busy_minutes))
        self.day_arrivals = self.day_served = 0
        self.day_busy_minutes = 0.0

    # -- flow ---------------------------------------------------------------------
    def offer(self, call: Call) -> bool:
        """Serve now if an agent is free (returns True), else queue the call.

        Before a call is queued its ``expire``/``consequence`` must be set.
        """
        self.day_arrivals += 1
        if self.busy < self.capacity:
            self.busy += 1
            call.done = True  # served: its timer, if any, must ignore it
            self._start(call)
            return True
        return False

    def enqueue(self, call: Call) -> None:
        self._advance_wait(self.env.now)
        self._queues[call.level].append(call)
        self.waiting += 1
        if call.consequence < _INF:
            self._seq += 1
            heappush(self._heap, (call.consequence, self._seq, call))
            self._arm(call.consequence)

    def started(self, handle_minutes: float) -> None:
        """An agent has just started ``handle_minutes`` of work."""
        self.busy_minutes += handle_minutes
        self.day_busy_minutes += handle_minutes

    def release(self) -> None:
        """An agent finished a call; serve the next one."""
        self.busy -= 1
        self.day_served += 1
        if self.waiting:
            self._dispatch()
        self._close_if_drained()

    def _close_if_drained(self) -> None:
        """A draining pool stops being staffed (and paid) once nothing is left to do."""
        if self.draining and self.busy == 0 and self.waiting == 0 and self.capacity:
            self.set_capacity(0)

    def set_capacity(self, agents: int) -> None:
        self._advance_staffed(self.env.now)
        self.capacity = agents
        if self.waiting:
            self._dispatch()

    def drain(self) -> None:
        """Take no new calls from the router; close once the queue is empty."""
        self.draining = True
        if self.busy == 0 and self.waiting == 0:
            self.set_capacity(0)

    def _dispatch(self) -> None:
        now = self.env.now
        self._advance_wait(now)
        while self.busy < self.capacity and self.waiting:
            call = self._pop(now)
            if call is None:
                break
            self.busy += 1
            call.done = True
            self._start(call)

    def _pop(self, now: float) -> Call | None:
        for q in self._order:
            while q:
                call = q.popleft()
                if call.done:
                    continue  # already settled by the timer
                self.waiting -= 1
                if call.expire < now:
                    # it hung up at ``expire`` but was counted as waiting until now
                    self.wait_area -= now - call.expire
                    call.done = True
                    self._expire(call)
                    continue
                return call
        return None

    # -- the consequence timer -------------------------------------------------------
    def _arm(self, t: float) -> None:
        if not self._timers or t < self._timers[0]:
            heappush(self._timers, t)
            self._schedule(t - self.env.now, None, self._on_timer)

    def _on_timer(self, _event: simpy.Event) -> None:
        heappop(self._timers)
        now = self.env.now
        heap = self._heap
        while heap and heap[0][0] <= now:
            call = heappop(heap)[2]
            if not call.done:
                self._advance_wait(now)
                self.wait_area -= now - call.expire  # waiting ended when it hung up
                call.done = True
                self.waiting -= 1
                self._expire(call)
        while heap and heap[0][2].done:
            heappop(heap)
        if heap:
            self._arm(heap[0][0])
        self._close_if_drained()
