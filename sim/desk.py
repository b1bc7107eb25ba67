"""The contact centre under one policy: channels, routers, and the handling of agent work.

A ``Desk`` is built for the running policy. It holds

* the **channels** (:mod:`sim.channels`): self-service, the phone, call-backs;
* the **routers** (:mod:`sim.routing`): the front line's rule (departments, one
  case-owner pool) and, for chosen segments, the account managers' pool; each
  segment's contacts go to its router, which owns the queues and pools;
* the **handling** of agent work, the same for a phone leg and a call-back:
  :meth:`start` (work per product part ~ lognormal or exponential with mean
  ``reason.handle_minutes x complexity``, ``x (1 + anger (n - 1))`` on the
  n-th call, a handle-time cap that ends the call unresolved) and :meth:`end`
  (each part resolved with ``knowledge ** complexity``, less per transfer;
  then the issue is resolved, transferred to the router's next leg, promised a
  call-back, or left for the customer to try again).

"Life of a contact" in docs/model.md walks through these steps in order.
Everything is callbacks on the simpy Environment; no process per contact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simpy.events import NORMAL

from .channels import Callback, Channel, Phone, SelfService
from .counters import N_COUNTERS, PHONE, WORK
from .issue import Issue
from .policy import Policy
from .pool import Call, Pool, Queue
from .routing import ROUTERS, OnePoolRouter, PoolTerms, Router, Routing, Wiring, queue_levels
from .units import GENERATED_REASONS, REASONS

if TYPE_CHECKING:
    from .context import RunContext

__all__ = ["Desk"]

R_REPEAT = REASONS.index("repeat")
_NC = N_COUNTERS


class Desk:
    """Channels, routers and handling of one policy; the run feeds it contacts."""

    def __init__(self, sim: RunContext, policy_name: str):
        self.sim = sim
        sc = sim.scenario
        pol: Policy = sc.policies[policy_name]
        self.policy_name = policy_name
        self.policy = pol
        segs = list(sc.segments)
        complexity = [p.complexity_value() for p in sc.products.values()]
        seg_level, urgent_level, callback_level, n_levels = queue_levels(pol, segs)
        self.cur = sim.metrics.cur

        wiring = Wiring(
            sim.env, sc, pol, complexity, n_levels, self.start, self.expire, self.cur, sim.u_route
        )
        econ = sc.economics
        agent_cost = pol.staffing.agent_cost_per_hour
        front = PoolTerms(
            "front",
            pol.knowledge,
            pol.handle_cap_minutes,
            pol.promises.offer_p,
            pol.promises.keep_rate,
            econ.agent_cost_per_hour if agent_cost is None else agent_cost,
        )
        self.front: Router = ROUTERS[pol.routing](wiring, front)
        self.routers: list[Router] = [self.front]
        am_segments = set(pol.account_managers.segments)
        am_router = None
        if am_segments:
            am = pol.account_managers
            terms = PoolTerms(
                "account_managers", am.knowledge, None, 1.0, am.keep_rate, econ.account_manager_cost_per_hour
            )
            am_router = OnePoolRouter(wiring, terms)
            self.routers.append(am_router)
        #: the router each segment's contacts go to, and the priority levels of the queues
        self.routing = Routing(
            [am_router if s in am_segments else self.front for s in segs],
            seg_level,
            urgent_level,
            callback_level,
        )
        self.router_of = self.routing.router_of
        self.pools: list[Pool] = [p for r in self.routers for p in r.pools]
        self.queues: list[Queue] = [q for r in self.routers for q in r.queues]

        self.self_service = SelfService(sim, self.routing, pol)
        self.phone = Phone(sim, self.routing, pol)
        self.callback = Callback(sim, self.routing, pol)
        self.channels: tuple[Channel, ...] = (self.self_service, self.phone, self.callback)

        # handling: levers and parameters as plain attributes for the hot path
        rs = sc.reasons
        self.mean_work = [[getattr(rs, r).handle_minutes * c for c in complexity] for r in GENERATED_REASONS]
        h = sc.handling
        self.anger = h.anger
        self.misroute_minutes = h.misroute_minutes
        self.transfer_minutes = h.transfer_minutes
        self.wrap_up = h.wrap_up_minutes
        self.keep_loss = 1.0 - pol.transfer_resolution_loss
        self.work_counter = {"front": WORK.front_minutes, "account_managers": WORK.account_manager_minutes}
        self.track_cost = pol.pruning.enabled
        self.u_resolve = sim.u_resolve
        self.u_promise = sim.u_promise
        self.work_factor = sim.work_factor
        self.log_on = sim.log is not None
        self._end_cb = self.end
        self._schedule = sim.env.schedule  # the end of every piece of agent work: the hot path

    # -- contacts ---------------------------------------------------------------------
    def first_contact(self, issue: Issue) -> None:
        """A new issue: self-service first if the policy pushes it there, else the phone."""
        ss = self.self_service
        if ss.pushed[issue.reason] and next(ss.u_self) < ss.adoption:
            ss.contact(issue)
        else:
            self.phone.contact(issue, issue.reason)

    def contact_again(self, issue: Issue, reason: int) -> None:
        """The customer calls again (repeat, redial or chase), if still open and a customer."""
        if issue.closed:
            return
        if not self.sim.alive_view[issue.cust]:
            self.sim.lose(issue)
            return
        self.phone.contact(issue, reason)

    # -- handling ----------------------------------------------------------------------
    def start(self, call: Call, now: float) -> float:
        """An agent takes the call (or starts the call-back) at ``now``; returns the minutes of work."""
        sim = self.sim
        call.answered = now
        call.kind.answered(call, now)
        issue = call.issue
        pool = call.pool
        if not sim.alive_view[issue.cust]:
            minutes = 0.0  # the customer left while waiting: nothing to do
        elif call.misrouted:
            minutes = self.misroute_minutes + self.transfer_minutes
        else:
            work = 0.0
            mean = self.mean_work[issue.reason]
            factor = self.work_factor
            for p in call.parts:
                work += mean[p] * next(factor)
            minutes = work * (1.0 + self.anger * (issue.calls - 1))
            cap = pool.cap
            if cap is not None and minutes > cap:
                minutes = cap
                call.capped = True
            if call.more:
                minutes += self.transfer_minutes
        minutes += self.wrap_up
        call.handle = minutes
        call.callbacks = [self._end_cb]
        self._schedule(call, NORMAL, minutes)  # the call is the event of its own end
        return minutes

    def end(self, call: Call) -> None:
        """The agent is done: resolved, transferred, promised a call-back, or left to try again."""
        pool = call.pool
        pool.release(call)
        sim = self.sim
        issue = call.issue
        base = issue.seg * _NC
        cur = self.cur
        cur[base + self.work_counter[pool.kind]] += call.handle
        if self.track_cost:
            sim.pop.cost_to_serve[issue.cust] += call.handle * pool.cost_per_min
        if issue.closed:
            return
        if not sim.alive_view[issue.cust]:
            if self.log_on:
                self._log(call, "lost")
            sim.lose(issue)
            return
        if not call.misrouted and not call.capped:
            k_pow = pool.k_pow
            keep = self.keep_loss**call.transfers if call.transfers else 1.0
            pending = issue.pending
            for p in call.parts:
                if next(self.u_resolve) < k_pow[p] * keep:
                    pending.remove(p)
        if not issue.pending:
            if self.log_on:
                self._log(call, "resolved")
            first = issue.contacts == 1 and issue.promises == 0 and call.kind is self.phone
            sim.resolve(issue, first_contact=first)
            return
        route = self.router_of[issue.seg].next_leg(issue, call.visited)
        if route is not None:
            if self.log_on:
                self._log(call, "transferred")
            issue.transfers += 1
            cur[base + PHONE.transfers] += 1
            queue, parts, misrouted, key = route
            call.visited.append(key)
            self.phone.leg(issue, call.visited, call.transfers + 1, queue, parts, misrouted, call.reason)
            return
        promise_p = pool.offer_p
        if promise_p > 0.0 and next(self.u_promise) < promise_p:
            if self.log_on:
                self._log(call, "promised")
            self.callback.promise(issue)
        else:
            if self.log_on:
                self._log(call, "unresolved")
            sim.retry(issue, R_REPEAT, sim.repeat_delay_min, random_delay=True)

    def expire(self, call: Call) -> None:
        """A queued entry's time ran out: its channel says what that means."""
        call.kind.expire(call)

    def _log(self, call: Call, outcome: str) -> None:
        self.sim.log_contact(
            call.issue,
            call.reason,
            call.kind.name,
            call.pool.name,
            call.arrival,
            call.answered,
            self.sim.env.now,
            outcome,
            call.transfers,
            call.handle,
        )

    # -- a policy switch ---------------------------------------------------------------------
    def drain(self) -> None:
        """Take no new contacts; every pool closes once its queues are empty."""
        for pool in self.pools:
            pool.drain()
