"""The contact centre under one policy: routing, handling, transfers, promises.

A ``Desk`` owns the pools a policy needs (one per department, or one general
pool, plus account managers) and turns contacts into call legs:

* **routing** — ``departmental``: a leg per department the issue touches, in
  turn, each a transfer that queues again and loses some resolution chance; a
  first leg may be misrouted. ``case_owner``: one leg handles every product.
  Account-manager segments go to their own pool (no cap, kept promises).
* **handling** — work per product part ~ lognormal (or exponential) with mean
  ``reason.handle_minutes x product complexity``; the n-th call on an issue
  needs ``x (1 + anger (n - 1))``; a handle-time cap ends the call unresolved;
  otherwise each part is resolved with ``knowledge ** complexity``.
* **promises** — an unresolved call may end with a call-back promise: kept ones
  queue as call-back work (behind or ahead of inbound calls); forgotten ones,
  and those not started before the deadline, are broken and get chased.

Everything is callbacks on the simpy Environment; no process per contact.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .clock import scheduler
from .issue import Issue
from .metrics import (
    C_ABANDONED,
    C_ANSWERED,
    C_CALLBACKS,
    C_CALLS,
    C_HANDLE_AM,
    C_HANDLE_FRONT,
    C_OFFERED,
    C_PROMISES,
    C_SELF_SERVICE,
    C_TRANSFERS,
    C_WAIT_ABANDONED,
    C_WAIT_SUM,
    C_WAITED,
    C_WITHIN,
    N_COUNTERS,
)
from .policy import Policy
from .pool import CALLBACK, INBOUND, Call, Pool
from .units import GENERATED_REASONS, MINUTES_PER_HOUR, REASONS

if TYPE_CHECKING:
    from .model import Simulation

__all__ = ["Desk", "departments_of"]

R_REPEAT = REASONS.index("repeat")
R_CHASE = REASONS.index("chase")
_NC = N_COUNTERS
_INF = math.inf
# raw queue levels: low call-backs, segment priorities 0..9, urgent bypass, high call-backs
_L_CALLBACK_LOW, _L_SEGMENT, _L_URGENT, _L_CALLBACK_HIGH = 0, 1, 11, 12


def departments_of(scenario) -> tuple[list[str], list[int]]:
    """Department names (in product order) and each product's department index."""
    names: list[str] = []
    of: list[int] = []
    for name, prod in scenario.products.items():
        dept = prod.department or name
        if dept not in names:
            names.append(dept)
        of.append(names.index(dept))
    return names, of


class Desk:
    """Pools and routing of one policy; the Simulation feeds it contacts."""

    def __init__(self, sim: Simulation, policy_name: str):
        self.sim = sim
        sc = sim.scenario
        pol: Policy = sc.policies[policy_name]
        self.policy_name = policy_name
        self.policy = pol
        env = sim.env
        segs = list(sc.segments)
        products = list(sc.products.values())
        self.complexity = [p.complexity_value() for p in products]
        self.ss_share = [p.self_service_value() for p in products]
        self.dept_names, self.dept_of = departments_of(sc)
        econ = sc.economics

        # queue levels actually used, mapped to consecutive indices
        am_segments = set(pol.account_managers.segments)
        seg_raw = [_L_SEGMENT + pol.priority.get(s, 0) for s in segs]
        cb_raw = _L_CALLBACK_HIGH if pol.promises.callback_priority == "high" else _L_CALLBACK_LOW
        used = sorted({*seg_raw, cb_raw, _L_URGENT})
        index = {raw: i for i, raw in enumerate(used)}
        self.seg_level = [index[r] for r in seg_raw]
        self.urgent_level = index[_L_URGENT] if pol.bypass else None
        self.callback_level = index[cb_raw]
        n_levels = len(used)

        def make_pool(
            name: str, knowledge: float, keep: float, cap: float | None, cost_per_hour: float, am: bool
        ) -> Pool:
            pool = Pool(env, name, n_levels, 0, self._start, self._expire, account_managers=am)
            pool.k_pow = [knowledge**c for c in self.complexity]
            pool.keep_rate = keep
            pool.cap = cap
            pool.cost_per_min = cost_per_hour / MINUTES_PER_HOUR
            pool.handle_counter = C_HANDLE_AM if am else C_HANDLE_FRONT
            return pool

        agent_cost = pol.staffing.agent_cost_per_hour
        agent_cost = econ.agent_cost_per_hour if agent_cost is None else agent_cost
        cap = pol.handle_cap_minutes
        if pol.routing == "departmental":
            self.front = [
                make_pool(d, pol.knowledge, pol.promises.keep_rate, cap, agent_cost, False)
                for d in self.dept_names
            ]
            self.general = None
        else:
            self.general = make_pool("general", pol.knowledge, pol.promises.keep_rate, cap, agent_cost, False)
            self.front = [self.general]
        self.am_pool = None
        if am_segments:
            am = pol.account_managers
            self.am_pool = make_pool(
                "account_managers", am.knowledge, am.keep_rate, None, econ.account_manager_cost_per_hour, True
            )
        self.pools = self.front + ([self.am_pool] if self.am_pool else [])
        self.am_seg = [s in am_segments for s in segs]
        #: the one pool a segment's contacts go to (None: departmental routing)
        self.seg_pool = [self.am_pool if self.am_seg[i] else self.general for i in range(len(segs))]
        self.track_cost = pol.pruning.enabled
        self._end_cb = self._end
        self._schedule = scheduler(env)  # the end of every call leg: the hot path

        # levers and parameters as plain attributes for the hot path
        rs = sc.reasons
        self.mean_work = [
            [getattr(rs, r).handle_minutes * c for c in self.complexity] for r in GENERATED_REASONS
        ]
        self.eligible = [getattr(rs, r).self_service_eligible for r in GENERATED_REASONS]
        self.push_all = pol.self_service.push == "all"
        self.push_eligible = pol.self_service.push == "eligible"
        self.pushed = [self.push_all or (self.push_eligible and e) for e in self.eligible]
        ss = sc.channels.self_service
        self.adoption = ss.adoption
        self.session_minutes = ss.session_minutes
        self.session_cost = ss.cost_per_session
        self.ineligible_success = ss.ineligible_success
        h = sc.handling
        self.anger = h.anger
        self.misroute_minutes = h.misroute_minutes
        self.transfer_minutes = h.transfer_minutes
        self.wrap_up = h.wrap_up_minutes
        self.misroute_p = pol.misroute_p if self.general is None else 0.0
        self.keep_loss = 1.0 - pol.transfer_resolution_loss
        self.offer_p = pol.promises.offer_p
        self.deadline_min = pol.promises.deadline_hours * MINUTES_PER_HOUR
        r = sc.response
        self.redial_p = r.redial_p
        self.redial_delay = r.redial_delay_minutes
        self.max_attempts = r.max_attempts if r.max_attempts is not None else 1 << 60
        self.target_min = sc.channels.phone.service_level_seconds / 60.0
        # the hot path's shared state, looked up once
        self.cur = sim.metrics.cur
        self.log_on = sim.log is not None
        self.u_self = sim.u_self_service
        self.u_route = sim.u_route
        self.u_resolve = sim.u_resolve
        self.u_promise = sim.u_promise
        self.u_decide = sim.u_decide
        self.e_patience = sim.e_patience
        self.work_factor = sim.work_factor
        self.seg_patience = [
            np.inf if s.patience_minutes is None else s.patience_minutes for s in sc.segments.values()
        ]

    # -- contacts ---------------------------------------------------------------------
    def first_contact(self, issue: Issue) -> None:
        """A new issue: self-service first if the policy pushes it there, else the phone."""
        if self.pushed[issue.reason] and next(self.u_self) < self.adoption:
            self._self_service(issue)
        else:
            self._dial(issue, issue.reason)

    def _self_service(self, issue: Issue) -> None:
        sim = self.sim
        now = sim.env.now
        issue.contacts += 1
        issue.sessions += 1
        cur = self.cur
        base = issue.seg * _NC
        cur[base + issue.reason] += 1
        cur[base + C_SELF_SERVICE] += 1
        if self.track_cost:
            sim.pop.cost_to_serve[issue.cust] += self.session_cost
        if self.eligible[issue.reason]:
            p = 1.0
            for part in issue.pending:
                p *= self.ss_share[part]
        else:
            p = self.ineligible_success ** len(issue.pending)
        resolved = next(self.u_self) < p
        if sim.log is not None:
            sim.log_contact(
                issue,
                issue.reason,
                "self_service",
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

    def phone_contact(self, issue: Issue, reason: int) -> None:
        """The customer calls again (repeat, redial or chase), if still open and a customer."""
        if issue.closed:
            return
        if not self.sim.alive_view[issue.cust]:
            self.sim.lose(issue)
            return
        self._dial(issue, reason)

    def _dial(self, issue: Issue, reason: int) -> None:
        issue.contacts += 1
        issue.calls += 1
        cur = self.cur
        base = issue.seg * _NC
        cur[base + reason] += 1
        cur[base + C_CALLS] += 1
        pool = self.seg_pool[issue.seg]
        if pool is not None:
            self._leg(issue, [-1], 0, pool, issue.pending[:], False, reason)
        else:
            pool, parts, misrouted, dept = self._route(issue, [])
            self._leg(issue, [dept], 0, pool, parts, misrouted, reason)

    def _route(self, issue: Issue, visited: list[int]) -> tuple[Pool, list[int], bool, int] | None:
        """Departmental routing: (pool, parts, misrouted, department) of a contact's next leg.

        The next department is the first one with an unanswered part that this
        contact has not visited yet; None when there is none.
        """
        dept_of = self.dept_of
        pending = issue.pending
        if len(pending) == 1:  # the common case: one product, one department
            dept = dept_of[pending[0]]
            if dept in visited:
                return None
        else:
            for p in pending:
                dept = dept_of[p]
                if dept not in visited:
                    break
            else:
                return None
        bypassed = issue.urgent and self.urgent_level is not None
        if not visited and self.misroute_p > 0.0 and not bypassed and next(self.u_route) < self.misroute_p:
            mine = {dept_of[p] for p in issue.pending}
            wrong = [d for d in range(len(self.front)) if d not in mine]
            if wrong:
                d = wrong[int(next(self.u_route) * len(wrong))]
                return self.front[d], [], True, d
        parts = [pending[0]] if len(pending) == 1 else [p for p in pending if dept_of[p] == dept]
        return self.front[dept], parts, False, dept

    def _leg(
        self,
        issue: Issue,
        visited: list[int],
        transfers: int,
        pool: Pool,
        parts: list[int],
        misrouted: bool,
        reason: int,
    ) -> None:
        """Offer one call leg to a pool; if nobody is free, it waits (and may hang up)."""
        sim = self.sim
        now = sim.env.now
        seg = issue.seg
        level = self.urgent_level if (issue.urgent and self.urgent_level is not None) else self.seg_level[seg]
        call = Call(issue, pool, INBOUND, level, now, parts, misrouted, visited, transfers)
        call.reason = reason
        if not misrouted and len(issue.pending) > len(parts) and self.transfer_minutes:
            call.more = self._more_departments(call)
        self.cur[seg * _NC + C_OFFERED] += 1
        if pool.offer(call):
            return
        patience = self.seg_patience[seg]
        if patience < _INF:
            call.expire = now + patience * next(self.e_patience)
            if issue.contacts < self.max_attempts and next(self.u_decide) < self.redial_p:
                call.redial = True
                call.consequence = call.expire + sim.delay(self.redial_delay)
            else:
                call.consequence = call.expire
        pool.enqueue(call)

    # -- service ------------------------------------------------------------------------
    def _start(self, call: Call) -> None:
        """An agent takes the call (or starts the call-back)."""
        sim = self.sim
        env = sim.env
        now = env.now
        call.done = True
        call.answered = now
        issue = call.issue
        if call.kind == INBOUND:
            wait = now - call.arrival
            cur = self.cur
            base = issue.seg * _NC
            cur[base + C_ANSWERED] += 1
            if wait > 0.0:
                cur[base + C_WAITED] += 1
                cur[base + C_WAIT_SUM] += wait
            if wait <= self.target_min:
                cur[base + C_WITHIN] += 1
            issue.wait_minutes += wait
            issue.waits += 1
        else:
            self.cur[issue.seg * _NC + C_CALLBACKS] += 1
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
            cap = call.pool.cap
            if cap is not None and minutes > cap:
                minutes = cap
                call.capped = True
            if call.more:
                minutes += self.transfer_minutes
        minutes += self.wrap_up
        call.handle = minutes
        pool = call.pool  # Pool.started, inlined: this runs for every call leg
        pool.busy_minutes += minutes
        pool.day_busy_minutes += minutes
        self._schedule(minutes, call, self._end_cb)

    def _more_departments(self, call: Call) -> bool:
        """Departments this contact still has to visit after the current leg."""
        visited = call.visited
        dept_of = self.dept_of
        here = call.pool
        return any(
            dept_of[p] not in visited and self.front[dept_of[p]] is not here for p in call.issue.pending
        )

    def _end(self, event) -> None:
        call: Call = event._value
        pool = call.pool
        pool.release()
        sim = self.sim
        issue = call.issue
        base = issue.seg * _NC
        cur = self.cur
        cur[base + pool.handle_counter] += call.handle
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
            first = issue.contacts == 1 and issue.promises == 0 and call.kind == INBOUND
            sim.resolve(issue, first_contact=first)
            return
        route = self._route(issue, call.visited) if self.seg_pool[issue.seg] is None else None
        if route is not None:
            if self.log_on:
                self._log(call, "transferred")
            issue.transfers += 1
            cur[base + C_TRANSFERS] += 1
            pool, parts, misrouted, dept = route
            call.visited.append(dept)
            self._leg(issue, call.visited, call.transfers + 1, pool, parts, misrouted, call.reason)
            return
        promise_p = 1.0 if pool.account_managers else self.offer_p
        if promise_p > 0.0 and next(self.u_promise) < promise_p:
            if self.log_on:
                self._log(call, "promised")
            self._promise(issue, pool)
        else:
            if self.log_on:
                self._log(call, "unresolved")
            sim.retry(issue, R_REPEAT, sim.repeat_delay_min, random_delay=True)

    def _log(self, call: Call, outcome: str) -> None:
        sim = self.sim
        if sim.log is not None:
            channel = "phone" if call.kind == INBOUND else "callback"
            reason = call.reason if call.kind == INBOUND else call.issue.reason
            sim.log_contact(
                call.issue,
                reason,
                channel,
                call.pool.name,
                call.arrival,
                call.answered,
                sim.env.now,
                outcome,
                call.transfers,
                call.handle,
            )

    # -- promises and abandonment ---------------------------------------------------------
    def _promise(self, issue: Issue, pool: Pool) -> None:
        """Promise a call-back. Under departmental routing the department of the first
        unanswered part owns it; a kept promise queues call-back work there."""
        sim = self.sim
        now = sim.env.now
        issue.promises += 1
        self.cur[issue.seg * _NC + C_PROMISES] += 1
        deadline = now + self.deadline_min
        if pool is self.am_pool or pool is self.general:
            owner, parts, dept = pool, list(issue.pending), -1
        else:
            dept = self.dept_of[issue.pending[0]]
            owner = self.front[dept]
            parts = [p for p in issue.pending if self.dept_of[p] == dept]
        if next(self.u_promise) < owner.keep_rate:
            call = Call(issue, owner, CALLBACK, self.callback_level, now, parts, False, [dept], 0)
            call.reason = issue.reason
            call.expire = call.consequence = deadline
            if not owner.offer(call):
                owner.enqueue(call)
        else:  # forgotten: nobody will call; the customer notices at the deadline
            sim.env.timeout(self.deadline_min, issue).callbacks.append(sim.promise_broken_event)

    def _expire(self, call: Call) -> None:
        """A queued call's time ran out: a caller hung up, or a call-back came too late."""
        sim = self.sim
        issue = call.issue
        if call.kind == CALLBACK:
            sim.promise_broken(issue)
            return
        sim.metrics.add_at(call.expire, issue.seg * _NC + C_ABANDONED)
        sim.metrics.add_at(call.expire, issue.seg * _NC + C_WAIT_ABANDONED, call.expire - call.arrival)
        issue.wait_minutes += call.expire - call.arrival
        issue.waits += 1
        if sim.log is not None:
            sim.log_contact(
                issue,
                call.reason,
                "phone",
                call.pool.name,
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

    # -- staffing hooks ---------------------------------------------------------------------
    def drain(self) -> None:
        for pool in self.pools:
            pool.drain()
