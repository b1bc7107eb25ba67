"""Queues and agent pools: who waits, who serves, and the time-weighted statistics beside them.

A :class:`Queue` holds calls waiting for an agent; a :class:`Pool` is a group
of agents with the same skills, price and knowledge that takes calls from one
or more queues. Departmental and case-owner routing give each pool exactly one
queue; skills-based routing lets several pools serve a queue and a pool serve
several queues. Both run on a simpy Environment with callbacks, not a process
per caller.

Abandonment is settled lazily and exactly:

* a waiting call carries the time it gives up (``expire``) and the time its
  consequence is due (``consequence``: the redial, or the moment a customer
  stops waiting for a call-back);
* a call that reaches the head of the queue after ``expire`` has already hung
  up: it is skipped (in a queue, removing someone earlier or later changes no
  one else's service, so this is exact);
* one timer per queue fires at the earliest pending consequence, so the redial
  or give-up still happens at its exact time even if the call has not reached
  the head yet. Calls served in time never cost an event.

Beside the queue: waiting calls integrated over time (the measured mean queue
length, independent of the waits themselves, for Little's law) and per-day
tallies for an observed staffing forecast (arrivals, calls served, minutes of
work). Beside the pool: staffed agent-minutes and agent-minutes of work started.
Only state changes that involve a queue touch the integrals, so a call that is
answered at once costs no bookkeeping.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, Literal

import simpy

from .clock import scheduler

__all__ = ["Call", "Pool", "Queue", "PoolKind"]

_INF = float("inf")
#: What a pool is: the front line, or account managers (priced and counted apart).
PoolKind = Literal["front", "account_managers"]


class Call:
    """One queue entry: an inbound call leg, or a promised call-back to make.

    A call in service is also the event of its own end: it is scheduled with
    ``Environment.schedule``, which runs its ``callbacks`` (the desk's end of
    work) with the call itself, and reads ``_ok`` to see it did not fail. That
    saves an event object per call on the hot path (measured).
    """

    __slots__ = (
        "callbacks",
        "issue",
        "queue",
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
        queue: Queue,
        kind: Any,
        level: int,
        arrival: float,
        parts: list[int],
        misrouted: bool,
        visited: list[int],
        transfers: int,
    ):
        self.issue = issue
        #: where it waits; ``pool`` is the agents who took it (set when it starts)
        self.queue = queue
        self.pool: Pool | None = None
        #: the channel it belongs to (phone leg, call-back): it says what answering and expiring mean
        self.kind = kind
        self.level = level
        self.arrival = arrival
        self.expire = _INF
        self.consequence = _INF
        self.redial = False
        self.done = False
        self.parts = parts
        self.misrouted = misrouted
        #: the router's keys of the legs this contact has had (departments, skill groups)
        self.visited = visited
        self.transfers = transfers
        self.answered = _INF
        self.handle = 0.0
        self.capped = False
        #: the contact's reason label (first reason, repeat or chase), for the log
        self.reason = -1
        #: the handling of this leg ends with handing the call over to another queue
        self.more = False
        #: set when an agent takes it: what runs when the work ends
        self.callbacks: list | None = None

    #: read by ``Environment.step`` when the call's end fires: the end of work never fails
    _ok = True


class Queue:
    """Calls waiting for an agent: FIFO within priority levels, highest level first."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        n_levels: int,
        expire: Callable[[Call], None],
        products: tuple[int, ...] = (),
    ):
        self.env = env
        self._schedule = scheduler(env)
        self.name = name
        #: products a one-part leg arriving here concerns (the staffing forecast reads it)
        self.products = products
        #: pools whose agents take calls from this queue, in the router's order
        self.servers: list[Pool] = []
        #: more than one pool serves it (set by Pool.serve)
        self.shared = False
        self.waiting = 0
        self._levels = [deque() for _ in range(n_levels)]
        self._order = self._levels[::-1]  # highest level first
        self._expire = expire
        self._heap: list[tuple[float, int, Call]] = []
        self._timers: list[float] = []
        self._seq = 0
        self._t_wait = env.now
        self.wait_area = 0.0
        # per-day tallies for workforce planning (observed forecasts)
        self.day_arrivals = 0
        self.day_served = 0
        self.day_busy_minutes = 0.0
        self.history: deque[tuple[int, int, float]] = deque(maxlen=366)

    # -- statistics -----------------------------------------------------------------
    def _advance_wait(self, now: float) -> None:
        self.wait_area += self.waiting * (now - self._t_wait)
        self._t_wait = now

    def snapshot(self) -> float:
        """Caller-minutes spent waiting here up to now."""
        self._advance_wait(self.env.now)
        return self.wait_area

    def close_day(self) -> None:
        self.history.append((self.day_arrivals, self.day_served, self.day_busy_minutes))
        self.day_arrivals = self.day_served = 0
        self.day_busy_minutes = 0.0

    # -- flow ------------------------------------------------------------------------
    def offer(self, call: Call, now: float) -> bool:
        """Give the call to an idle agent at ``now`` (True), else leave it to the caller to ``enqueue``.

        With several pools serving the queue, the pool whose agent has been idle
        longest takes it. Before a call is queued its ``expire``/``consequence``
        must be set.
        """
        self.day_arrivals += 1
        if not self.shared:
            pool = self.servers[0]
            if pool.busy < pool.capacity:
                pool.take(call, now)
                return True
            return False
        best = None
        for pool in self.servers:
            if pool.busy < pool.capacity and (best is None or pool.idle_since[0] < best.idle_since[0]):
                best = pool
        if best is None:
            return False
        best.take(call, now)
        return True

    def enqueue(self, call: Call, now: float) -> None:
        self._advance_wait(now)
        self._levels[call.level].append(call)
        self.waiting += 1
        if call.consequence < _INF:
            self._seq += 1
            heappush(self._heap, (call.consequence, self._seq, call))
            self._arm(call.consequence)

    def head(self, now: float) -> Call | None:
        """The next live call (settling any that hung up on the way), without removing it."""
        for level in self._order:
            while level:
                call = level[0]
                if call.done:
                    level.popleft()  # already settled by the timer
                    continue
                if call.expire < now:
                    level.popleft()
                    self._settle_late(call, now)
                    continue
                return call
        return None

    def pop(self, now: float) -> Call | None:
        """Remove and return the next live call, or None."""
        self._advance_wait(now)
        for level in self._order:
            while level:
                call = level.popleft()
                if call.done:
                    continue  # already settled by the timer
                if call.expire < now:
                    self._settle_late(call, now)
                    continue
                self.waiting -= 1
                return call
        return None

    def take_head(self, call: Call, now: float) -> None:
        """Remove ``call``, the live head found by :meth:`head`, to serve it."""
        self._advance_wait(now)
        self._levels[call.level].popleft()
        self.waiting -= 1

    def _settle_late(self, call: Call, now: float) -> None:
        """A call found after its caller hung up at ``expire``: it was counted as waiting until now."""
        self.waiting -= 1
        self.wait_area -= now - call.expire
        call.done = True
        self._expire(call)

    @property
    def empty(self) -> bool:
        return self.waiting == 0

    # -- the consequence timer ---------------------------------------------------------
    def _arm(self, t: float) -> None:
        if not self._timers or t < self._timers[0]:
            heappush(self._timers, t)
            self._schedule(t - self.env.now, None, self._on_timer)

    def _on_timer(self, _due: Any) -> None:
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
        for pool in self.servers:
            pool.close_if_drained()


class Pool:
    """A group of agents with the same skills, knowledge and price, serving one or more queues.

    The router that builds a pool declares everything the handling of a call
    reads from it: the resolution chance per product (``k_pow``), the handle-time
    cap, the chance of promising a call-back, the share of promises kept and the
    price of a staffed minute.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        capacity: int,
        start: Callable[[Call, float], float],
        *,
        kind: PoolKind = "front",
        k_pow: list[float] | None = None,
        cap_minutes: float | None = None,
        offer_p: float = 0.0,
        keep_rate: float = 1.0,
        cost_per_min: float = 0.0,
    ):
        self.env = env
        self.name = name
        self.kind = kind
        self.capacity = capacity
        self.busy = 0
        self.draining = False
        #: queues this pool takes calls from, in the router's order (see :meth:`serve`)
        self.queues: list[Queue] = []
        #: it serves more than one queue
        self.several = False
        self._start = start
        #: resolution chance of a part of product p: knowledge ** complexity(p)
        self.k_pow = list(k_pow or [])
        #: a call reaching the cap ends unresolved; None: no cap
        self.cap = cap_minutes
        #: chance an unresolved call ends with a call-back promise
        self.offer_p = offer_p
        #: share of this pool's promises that go on the call-back list (the rest are forgotten)
        self.keep_rate = keep_rate
        self.cost_per_min = cost_per_min
        #: moments the idle agents became idle, oldest first (kept only when queues share pools)
        self.idle_since: deque[float] = deque()
        self.track_idle = False
        self._t_staffed = env.now
        self.staffed_area = 0.0
        #: agent-minutes of work started (a call counts on the day it starts)
        self.busy_minutes = 0.0

    # -- statistics -----------------------------------------------------------------
    def _advance_staffed(self, now: float) -> None:
        self.staffed_area += self.capacity * (now - self._t_staffed)
        self._t_staffed = now

    def snapshot(self) -> tuple[float, float]:
        """(work started, staffed) agent-minutes accumulated up to now."""
        self._advance_staffed(self.env.now)
        return self.busy_minutes, self.staffed_area

    def serve(self, queue: Queue) -> None:
        """Let this pool's agents take calls from ``queue`` (after the queues it serves already).

        Pools that share a queue compete for its calls by how long their agents idled.
        """
        self.queues.append(queue)
        queue.servers.append(self)
        self.several = len(self.queues) > 1
        queue.shared = len(queue.servers) > 1
        if queue.shared:
            for pool in queue.servers:
                pool.track_idle = True

    # -- flow ---------------------------------------------------------------------
    def take(self, call: Call, now: float) -> None:
        """An idle agent of this pool starts the call at ``now`` (the caller checked that one is idle).

        The start callback decides how many minutes of work the call is, schedules
        its end, and returns the minutes: they count as work started now.
        """
        self.busy += 1
        if self.track_idle:
            self.idle_since.popleft()
        call.done = True  # served: its timer, if any, must ignore it
        call.pool = self
        minutes = self._start(call, now)
        self.busy_minutes += minutes
        call.queue.day_busy_minutes += minutes

    def release(self, call: Call) -> None:
        """An agent finished ``call``; serve the next one."""
        self.busy -= 1
        call.queue.day_served += 1
        if self.track_idle and self.busy < self.capacity:
            self.idle_since.append(self.env.now)
        if self.several:
            if any(queue.waiting for queue in self.queues):
                self._dispatch()
        elif self.queues[0].waiting:
            self._dispatch()
        if self.draining:
            self.close_if_drained()

    def close_if_drained(self) -> None:
        """A draining pool stops being staffed (and paid) once nothing is left to do."""
        if self.draining and self.busy == 0 and self.capacity and all(q.waiting == 0 for q in self.queues):
            self.set_capacity(0)

    def set_capacity(self, agents: int) -> None:
        now = self.env.now
        self._advance_staffed(now)
        if self.track_idle:
            idle = max(0, agents - self.busy)
            while len(self.idle_since) > idle:
                self.idle_since.pop()  # the agents who became idle last go home first
            while len(self.idle_since) < idle:
                self.idle_since.append(now)
        self.capacity = agents
        self._dispatch()

    def drain(self) -> None:
        """Take no new calls from the router; close once the queues are empty."""
        self.draining = True
        self.close_if_drained()

    def _dispatch(self) -> None:
        queues = self.queues
        if not self.several:
            queue = queues[0]
            if not queue.waiting:
                return
            now = self.env.now
            while self.busy < self.capacity and queue.waiting:
                call = queue.pop(now)
                if call is None:
                    break
                self.take(call, now)
            return
        now = self.env.now
        while self.busy < self.capacity:
            best: Call | None = None
            source: Queue | None = None
            for queue in queues:
                if queue.waiting:
                    call = queue.head(now)
                    if call is not None and (
                        best is None
                        or call.level > best.level
                        or (call.level == best.level and call.arrival < best.arrival)
                    ):
                        best, source = call, queue
            if best is None:
                return
            source.take_head(best, now)
            self.take(best, now)
