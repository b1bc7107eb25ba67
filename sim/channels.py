"""Channels: the ways a contact happens. Self-service, the phone, and call-back work.

Each channel has a name (the ``channel`` column of the contact log), a block of
counters (:mod:`sim.counters`) and the part of a contact that is its own:

* :class:`SelfService` — a session with no queue; it resolves the issue or
  sends the customer to the phone (a channel switch);
* :class:`Phone` — a call: a leg per queue the router sends it to; a waiting
  caller may hang up, and redial;
* :class:`Callback` — a promise to call back: call-back work waits in the
  owning queue until the deadline, or was forgotten.

Phone legs and call-backs are both *agent work* (a :class:`sim.pool.Call`):
the desk's handling (:meth:`sim.desk.Desk.start`, :meth:`sim.desk.Desk.end`)
serves them alike and asks the call's channel (``call.kind``) for what
differs: what counts as answered, and what a timed-out entry means. A new
channel is a class here (plus its section of the scenario schema).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .counters import CALLBACK, CONTACTS, N_COUNTERS, PHONE, PROMISES, SELF_SERVICE
from .pool import Call, Queue
from .units import GENERATED_REASONS, MINUTES_PER_HOUR, REASONS

if TYPE_CHECKING:
    from .context import RunContext
    from .issue import Issue
    from .policy import Policy
    from .routing import Routing

__all__ = ["Channel", "SelfService", "Phone", "Callback"]

R_REPEAT = REASONS.index("repeat")
_NC = N_COUNTERS
_INF = math.inf
# the offsets the hot path adds to, read once from the counter blocks
_CONTACTS, _SESSIONS, _CALLS, _OFFERED = CONTACTS.offset, SELF_SERVICE.sessions, PHONE.calls, PHONE.offered
_ANSWERED, _WAITED, _WAIT_MIN, _WITHIN = PHONE.answered, PHONE.waited, PHONE.wait_minutes, PHONE.within_target


class Channel:
    """What every channel has: its name, the run, the routing of the policy, the hot counters."""

    name = ""

    def __init__(self, run: RunContext, routing: Routing, policy: Policy):
        self.sim = run
        self.routing = routing
        self.cur = run.metrics.cur

    def answered(self, call: Call, now: float) -> None:
        """An agent starts work on an entry of this channel (queued channels only)."""

    def expire(self, call: Call) -> None:
        """An entry of this channel timed out in its queue (queued channels only)."""


class SelfService(Channel):
    """The web/app: no queue; resolves with the product of the parts' self-service shares."""

    name = "self_service"

    def __init__(self, run: RunContext, routing: Routing, policy: Policy):
        super().__init__(run, routing, policy)
        sc = run.scenario
        ss = sc.channels.self_service
        self.session_minutes = ss.session_minutes
        self.session_cost = ss.cost_per_session
        self.ineligible_success = ss.ineligible_success
        self.adoption = ss.adoption
        self.share = [p.self_service_value() for p in sc.products.values()]
        #: per generated reason: self-service can resolve it at all
        self.eligible = [getattr(sc.reasons, r).self_service_eligible for r in GENERATED_REASONS]
        push = policy.self_service.push
        #: per generated reason: the policy sends new issues here first
        self.pushed = [push == "all" or (push == "eligible" and e) for e in self.eligible]
        self.track_cost = policy.pruning.enabled
        self.u_self = run.u_self_service

    def contact(self, issue: Issue) -> None:
        sim = self.sim
        now = sim.env.now
        issue.contacts += 1
        issue.sessions += 1
        cur = self.cur
        base = issue.seg * _NC
        cur[base + _CONTACTS + issue.reason] += 1
        cur[base + _SESSIONS] += 1
        if self.track_cost:
            sim.pop.cost_to_serve[issue.cust] += self.session_cost
        if self.eligible[issue.reason]:
            p = 1.0
            for part in issue.pending:
                p *= self.share[part]
        else:
            p = self.ineligible_success ** len(issue.pending)
        resolved = next(self.u_self) < p
        if sim.log is not None:
            sim.log_contact(
                issue,
                issue.reason,
                self.name,
                "",
                now,
                now,
                now + self.session_minutes,
                "resolved" if resolved else "unresolved",
                0,
                0.0,
            )
        if resolved:
            issue.pending.clear()
            sim.resolve(issue, first_contact=issue.contacts == 1)
        else:
            issue.switches += 1
            sim.retry(issue, R_REPEAT, self.session_minutes, random_delay=False)


class Phone(Channel):
    """A customer's call: legs in the queues its segment's router picks; patience and redials."""

    name = "phone"

    def __init__(self, run: RunContext, routing: Routing, policy: Policy):
        super().__init__(run, routing, policy)
        sc = run.scenario
        r = sc.response
        self.redial_p = r.redial_p
        self.redial_delay = r.redial_delay_minutes
        self.max_attempts = r.max_attempts if r.max_attempts is not None else 1 << 60
        self.target_min = sc.channels.phone.service_level_seconds / 60.0
        self.transfer_minutes = sc.handling.transfer_minutes
        self.seg_patience = [
            math.inf if s.patience_minutes is None else s.patience_minutes for s in sc.segments.values()
        ]
        self.e_patience = run.e_patience
        self.u_decide = run.u_decide

    def contact(self, issue: Issue, reason: int) -> None:
        """The customer dials: the first leg goes where the segment's router sends it."""
        issue.contacts += 1
        issue.calls += 1
        cur = self.cur
        base = issue.seg * _NC
        cur[base + _CONTACTS + reason] += 1
        cur[base + _CALLS] += 1
        queue, parts, misrouted, key = self.routing.router_of[issue.seg].first_leg(issue)
        self.leg(issue, [key], 0, queue, parts, misrouted, reason)

    def leg(
        self,
        issue: Issue,
        visited: list[int],
        transfers: int,
        queue: Queue,
        parts: list[int],
        misrouted: bool,
        reason: int,
    ) -> None:
        """Offer one call leg to a queue; if nobody is free, it waits (and may hang up)."""
        routing = self.routing
        sim = self.sim
        now = sim.env.now
        seg = issue.seg
        level = routing.urgent_level[seg] if issue.urgent else routing.seg_level[seg]
        call = Call(issue, queue, self, level, now, parts, misrouted, visited, transfers)
        call.reason = reason
        if not misrouted and len(issue.pending) > len(parts) and self.transfer_minutes:
            call.more = routing.router_of[seg].hands_over(call)
        self.cur[seg * _NC + _OFFERED] += 1
        if queue.offer(call, now):
            return
        patience = self.seg_patience[seg]
        if patience < _INF:
            call.expire = now + patience * next(self.e_patience)
            if issue.contacts < self.max_attempts and next(self.u_decide) < self.redial_p:
                call.redial = True
                call.consequence = call.expire + sim.delay(self.redial_delay)
            else:
                call.consequence = call.expire
        queue.enqueue(call, now)

    def answered(self, call: Call, now: float) -> None:
        issue = call.issue
        wait = now - call.arrival
        cur = self.cur
        base = issue.seg * _NC
        cur[base + _ANSWERED] += 1
        if wait > 0.0:
            cur[base + _WAITED] += 1
            cur[base + _WAIT_MIN] += wait
        if wait <= self.target_min:
            cur[base + _WITHIN] += 1
        issue.wait_minutes += wait
        issue.waits += 1

    def expire(self, call: Call) -> None:
        """A caller hung up at ``call.expire``: they redial later, or give up."""
        sim = self.sim
        issue = call.issue
        base = issue.seg * _NC
        sim.metrics.add_at(call.expire, base + PHONE.abandoned)
        sim.metrics.add_at(call.expire, base + PHONE.abandoned_wait_minutes, call.expire - call.arrival)
        issue.wait_minutes += call.expire - call.arrival
        issue.waits += 1
        if sim.log is not None:
            sim.log_contact(
                issue,
                call.reason,
                self.name,
                call.queue.name,
                call.arrival,
                _INF,
                call.expire,
                "abandoned",
                call.transfers,
                0.0,
            )
        if issue.closed:
            return
        if call.redial:
            sim.schedule_contact(issue, R_REPEAT, max(0.0, call.consequence - sim.env.now))
        else:
            sim.give_up(issue)


class Callback(Channel):
    """Promised call-backs: work queued in the owning queue, or forgotten; broken at the deadline."""

    name = "callback"

    def __init__(self, run: RunContext, routing: Routing, policy: Policy):
        super().__init__(run, routing, policy)
        self.deadline_min = policy.promises.deadline_hours * MINUTES_PER_HOUR
        self.u_promise = run.u_promise

    def promise(self, issue: Issue) -> None:
        """Promise a call-back; the segment's router says which queue owns it. A kept promise
        queues call-back work there, due by the deadline."""
        sim = self.sim
        now = sim.env.now
        issue.promises += 1
        self.cur[issue.seg * _NC + PROMISES.made] += 1
        router = self.routing.router_of[issue.seg]
        queue, parts, key = router.promise(issue)
        if next(self.u_promise) < router.terms.keep_rate:
            call = Call(issue, queue, self, self.routing.callback_level, now, parts, False, [key], 0)
            call.reason = issue.reason
            call.expire = call.consequence = now + self.deadline_min
            if not queue.offer(call, now):
                queue.enqueue(call, now)
        else:  # forgotten: nobody will call; the customer notices at the deadline
            sim.schedule_promise_broken(self.deadline_min, issue)

    def answered(self, call: Call, now: float) -> None:
        self.cur[call.issue.seg * _NC + CALLBACK.made] += 1

    def expire(self, call: Call) -> None:
        """Not started by the deadline: the promise is broken."""
        self.sim.promise_broken(call.issue)
