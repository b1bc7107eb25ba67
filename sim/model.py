"""One run of one scenario under one policy: ``run(scenario, policy, seed) -> Result``.

The Simulation wires the parts onto one simpy Environment:

* a **day tick** at every midnight closes the day's books, applies the
  timeline (policy switches), runs the vectorised population step (forgetting,
  drift, churn clocks, acquisition, pruning), revisits staffing and generates
  the next day's issues;
* an **arrival feeder** walks through the day's issues, one event each;
* the **desk** (the running policy's pools and routing) handles contacts with
  callbacks; what a customer does next (retry, redial, chase) is scheduled here
  so that after a policy switch it reaches the new desk.
"""

from __future__ import annotations

import math
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
import simpy

from .checks import day_zero_warnings
from .clock import scheduler
from .counters import CUSTOMERS, ISSUES, N_COUNTERS, PROMISES
from .demand import Demand, reason_multipliers
from .desk import Desk
from .economics import Prices
from .issue import Issue
from .metrics import Metrics
from .population import CHURNED, EXIT_UNRESOLVED, PRUNED, Population
from .response import CustomerResponse
from .result import CONTACT_COLUMNS, Result
from .rng import Streams, batches
from .scenario import Scenario
from .staffing import staff
from .summary import by_segment, cost_breakdown, nan_notes, summarise, timeseries
from .units import DAYS_PER_YEAR, MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_YEAR, REASONS

__all__ = ["Simulation", "run", "preflight"]

_NC = N_COUNTERS
# the offsets the hot path adds to, read once from the counter blocks
_ARISEN, _RESOLVED, _FCR = ISSUES.arisen, ISSUES.resolved, ISSUES.fcr
_JUDGED, _EFFORT, _EXPERIENCE = ISSUES.judged, ISSUES.effort_sum, ISSUES.experience_sum
R_CHASE = REASONS.index("chase")
_STATUS = {0: "active", CHURNED: "churned", EXIT_UNRESOLVED: "left_after_unresolved", PRUNED: "pruned"}


def _version() -> str:
    try:
        return metadata.version("custsim")
    except metadata.PackageNotFoundError:
        return "unknown"


class Simulation:
    """The state of one run. Use :func:`run` unless you need to step it yourself."""

    def __init__(
        self,
        scenario: Scenario,
        policy: str | None = None,
        seed: int | np.random.SeedSequence | np.random.Generator = 1,
        record_contacts: bool = False,
    ):
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a sim.Scenario, got {type(scenario).__name__}")
        policy = scenario.default_policy if policy is None else policy
        if policy not in scenario.policies:
            raise ValueError(f"unknown policy {policy!r}; this scenario has: {', '.join(scenario.policies)}")
        self.scenario = scenario
        self.seed = seed
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.pop = Population(scenario, self.streams)
        self.demand = Demand(scenario, self.pop, self.streams)
        self.days = scenario.horizon.days
        self.metrics = Metrics(self.days, len(scenario.segments))
        self.cur = self.metrics.cur  # the hot list (stable identity)
        self._day_start = 0.0  # minute at which the current day began
        self.alive_view = self.pop.alive_view
        self.response = CustomerResponse(scenario, self.pop.satisfaction_view, self.pop.expectation_view)
        self.prices = Prices.of(scenario)
        self.log: list[tuple] | None = [] if record_contacts else None
        #: every issue, kept only when contacts are recorded (Result.issues)
        self.issue_log: list[Issue] | None = [] if record_contacts else None

        g = self.streams.generator
        self.u_route = batches(g("routing").random)
        self.u_resolve = batches(g("resolution").random)
        self.u_promise = batches(g("promises").random)
        self.u_decide = batches(g("decisions").random)
        self.u_self_service = batches(g("self_service").random)
        self.u_response = batches(g("response").random)
        self.e_patience = batches(g("patience").standard_exponential)
        self._e_delay = batches(g("delays").standard_exponential)
        handling = g("handling")
        h = scenario.handling
        if h.distribution == "exponential":
            self.work_factor = batches(handling.standard_exponential)
        else:
            s2 = math.log1p(h.cv**2)
            sd = math.sqrt(s2)
            self.work_factor = batches(lambda n: np.exp(sd * handling.standard_normal(n) - s2 / 2.0))
        self._acquisition = g("acquisition")

        r = scenario.response
        self.fixed_delays = r.delays == "fixed"
        self.repeat_delay_min = r.repeat_delay_hours * MINUTES_PER_HOUR
        self.chase_delay_min = r.chase_delay_hours * MINUTES_PER_HOUR
        self.retry_p = r.retry_p
        self.max_attempts = r.max_attempts if r.max_attempts is not None else 1 << 60
        c = scenario.churn
        self.exit_p = c.exit_after_unresolved if c.enabled else 0.0

        self.policy = policy  # the policy the run starts with
        self.policy_name = policy  # the policy running now (switches change it)
        self.desk = Desk(self, policy)
        #: every pool and queue of every desk the run had (a policy switch adds a desk)
        self.all_pools = list(self.desk.pools)
        self.all_queues = list(self.desk.queues)
        self._switches = {sw.day: sw.policy for sw in scenario.timeline.switches}
        self._issue_seq = 0
        self._departed = 0  # departures since the last tick (replace_churn)
        self._day_issues: tuple[list, ...] | None = None
        self._next = 0
        self._areas: dict[int, tuple[float, float]] = {}
        self._waits: dict[int, float] = {}
        self.staffing_log: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._per_reason = np.ones(4)
        self.initial_by_segment: list[float] = []
        self._feed_cb = self._feed
        self._contact_due_cb = self._contact_due
        self._schedule = scheduler(self.env)  # the next arrival: the hot path
        self._prepared = False
        self.warnings: list[str] = []
        self._scripted: list[tuple[float, int, tuple[int, int, bool]]] = []

    # -- draws ------------------------------------------------------------------------
    def delay(self, mean_min: float) -> float:
        """A customer's delay before acting again: exponential, or exactly the mean."""
        if mean_min <= 0.0:
            return 0.0
        return mean_min if self.fixed_delays else mean_min * next(self._e_delay)

    # -- scripted demand ---------------------------------------------------------------
    def add_issue(
        self, at_min: float, customer: int, reason: str, product: str | None = None, urgent: bool = False
    ) -> None:
        """Schedule one issue by hand (before :meth:`run`), on top of the random demand.

        ``reason`` is a generated reason (usage, incident, life_event,
        supplier_induced); ``product`` names the product it concerns (None for a
        life event, which touches every product the customer holds). Useful for
        traces and for scripted what-ifs such as a mailing that triggers calls.
        """
        import numbers

        from .units import GENERATED_REASONS

        if reason not in GENERATED_REASONS:
            raise ValueError(f"reason must be one of {', '.join(GENERATED_REASONS)}, got {reason!r}")
        if reason == "life_event" and product is not None:
            raise ValueError("a life event touches every product: leave product=None")
        products = list(self.scenario.products)
        if reason != "life_event" and product not in products:
            raise ValueError(f"product must be one of {', '.join(products)}, got {product!r}")
        real = isinstance(at_min, numbers.Real) and not isinstance(at_min, bool)
        if not real or not 0 <= at_min < self.days * MINUTES_PER_DAY:
            raise ValueError(f"at_min must be a time within the horizon (minutes), got {at_min!r}")
        if isinstance(customer, bool) or not isinstance(customer, numbers.Integral) or customer < 0:
            raise ValueError(f"customer must be a customer number >= 0, got {customer!r}")
        if not isinstance(urgent, bool):
            raise ValueError(f"urgent must be True or False, got {urgent!r}")
        customer = int(customer)
        code = (GENERATED_REASONS.index(reason), -1 if product is None else products.index(product), urgent)
        self._scripted.append((at_min, customer, code))

    def _scripted_due(self, event: simpy.Event) -> None:
        customer, (reason, product, urgent) = event.value
        pop = self.pop
        if customer >= pop.n or not pop.alive_view[customer]:
            return
        if product >= 0 and pop.holdings[customer, product] == 0:
            raise ValueError(f"customer {customer} does not hold product {product} (scripted issue)")
        seg = int(pop.segment[customer])
        pending = [product] if product >= 0 else np.flatnonzero(pop.holdings[customer]).tolist()
        self._issue_seq += 1
        issue = Issue(self._issue_seq, customer, seg, reason, self.env.now, pending, urgent)
        if self.issue_log is not None:
            self.issue_log.append(issue)
        self.cur[seg * _NC + ISSUES.arisen] += 1
        self.desk.first_contact(issue)

    # -- issue lifecycle (called by the desk) ---------------------------------------------
    def resolve(self, issue: Issue, first_contact: bool) -> None:
        """The issue is answered: count it, and let the customer judge it (one call: hot path)."""
        issue.closed = True
        issue.resolved = True
        cur = self.cur
        base = issue.seg * _NC
        cur[base + _RESOLVED] += 1
        if first_contact:
            if issue.created >= self._day_start:
                cur[base + _FCR] += 1
            else:
                self.metrics.add_at(issue.created, base + _FCR)
        if self.alive_view[issue.cust]:
            q, effort = self.response.judge_issue(issue, True)
            cur[base + _JUDGED] += 1
            cur[base + _EFFORT] += effort
            cur[base + _EXPERIENCE] += q

    def give_up(self, issue: Issue) -> None:
        if issue.closed:
            return
        issue.closed = True
        self.cur[issue.seg * _NC + ISSUES.given_up] += 1
        self._judge(issue, False)

    def lose(self, issue: Issue) -> None:
        """The customer left while the issue was open: it ends unresolved, unjudged."""
        if issue.closed:
            return
        issue.closed = True
        self.cur[issue.seg * _NC + ISSUES.given_up] += 1

    def _judge(self, issue: Issue, resolved: bool) -> None:
        cust = issue.cust
        pop = self.pop
        if not pop.alive_view[cust]:
            return
        q, effort = self.response.judge_issue(issue, resolved)
        cur = self.cur
        base = issue.seg * _NC
        cur[base + ISSUES.judged] += 1
        cur[base + ISSUES.effort_sum] += effort
        cur[base + ISSUES.experience_sum] += q
        if not resolved and self.exit_p > 0.0 and next(self.u_response) < self.exit_p:
            self._depart(np.array([cust]), EXIT_UNRESOLVED)

    def retry(self, issue: Issue, reason: int, delay_min: float, random_delay: bool) -> None:
        """After an unresolved contact the customer tries again, or gives up."""
        if issue.contacts >= self.max_attempts or next(self.u_decide) >= self.retry_p:
            self.give_up(issue)
            return
        self.schedule_contact(issue, reason, self.delay(delay_min) if random_delay else delay_min)

    def schedule_contact(self, issue: Issue, reason: int, delay_min: float) -> None:
        """The customer contacts the supplier again after ``delay_min`` (0: now), via the running desk."""
        if delay_min <= 0.0:
            self.desk.contact_again(issue, reason)
        else:
            self._schedule(delay_min, (issue, reason), self._contact_due_cb)

    def _contact_due(self, due) -> None:
        issue, reason = due.value
        self.desk.contact_again(issue, reason)

    def schedule_promise_broken(self, delay_min: float, issue: Issue) -> None:
        """A forgotten promise: the customer notices at the deadline."""
        self._schedule(delay_min, issue, self._promise_broken_due)

    def _promise_broken_due(self, due) -> None:
        self.promise_broken(due.value)

    def promise_broken(self, issue: Issue) -> None:
        """Forgotten, or not called back in time: a penalty now, a chase later."""
        if issue.closed:
            return
        issue.broken += 1
        self.cur[issue.seg * _NC + PROMISES.broken] += 1
        if self.pop.alive[issue.cust]:
            self.response.promise_broken(issue.cust)
        if issue.contacts >= self.max_attempts:
            self.give_up(issue)
            return
        issue.chases += 1
        self.schedule_contact(issue, R_CHASE, self.delay(self.chase_delay_min))

    def log_contact(
        self,
        issue: Issue,
        reason: int,
        channel: str,
        pool: str,
        arrival: float,
        answered: float,
        end: float,
        outcome: str,
        transfers: int,
        handle: float,
    ) -> None:
        wait = (answered if answered < math.inf else end) - arrival if channel != "self_service" else 0.0
        self.log.append(
            (
                issue.cust,
                issue.seg,
                issue.id,
                reason,
                issue.urgent,
                channel,
                pool,
                arrival,
                answered if answered < math.inf else math.nan,
                end,
                wait,
                handle,
                outcome,
                issue.contacts,
                transfers,
            )
        )

    def open_issues(self) -> int:
        """Issues arisen and not yet resolved or given up (exact: from the counters)."""
        n_seg = self.metrics.n_segments
        totals = self.metrics.counts.sum(axis=(0, 1)) + np.asarray(self.cur).reshape(n_seg, _NC).sum(axis=0)
        return int(round(totals[ISSUES.arisen] - totals[ISSUES.resolved] - totals[ISSUES.given_up]))

    # -- population ---------------------------------------------------------------------
    def _bind_views(self) -> None:
        """Re-point the event loop at the population's arrays (they move when it grows)."""
        self.alive_view = self.pop.alive_view
        self.response.bind(self.pop.satisfaction_view, self.pop.expectation_view)

    def _depart(self, ids: np.ndarray, cause: int) -> None:
        if ids.size == 0:
            return
        now = self.env.now
        self.pop.leave(ids, now, cause)
        self.demand.refresh(ids)
        counter = {CHURNED: CUSTOMERS.churned, EXIT_UNRESOLVED: CUSTOMERS.churned, PRUNED: CUSTOMERS.pruned}[
            cause
        ]
        # departures found at a midnight tick count on the new day: the previous day's
        # end-of-day customer count still includes them, so the books balance day by day
        t = now
        for seg, n in enumerate(np.bincount(self.pop.segment[ids], minlength=self.metrics.n_segments)):
            if n:
                self.metrics.add_at(t, seg * _NC + counter, float(n))
                if cause == EXIT_UNRESOLVED:
                    self.metrics.add_at(t, seg * _NC + CUSTOMERS.exits_after_unresolved, float(n))
        self._departed += int(ids.size)

    def _acquire(self, count: int) -> None:
        if count <= 0:
            return
        ids = self.pop.add(count, self.env.now)
        self._bind_views()
        self.demand.add_customers(ids)
        for seg, n in enumerate(np.bincount(self.pop.segment[ids], minlength=self.metrics.n_segments)):
            if n:
                self.cur[seg * _NC + CUSTOMERS.acquired] += float(n)

    def _population_step(self, day: int) -> None:
        sc = self.scenario
        pop = self.pop
        pop.relax(1.0)
        leaving, dropping = pop.churn_step(1.0)
        self._depart(leaving, CHURNED)
        if dropping.size:
            self.demand.refresh(dropping)
            for seg, n in enumerate(np.bincount(pop.segment[dropping], minlength=self.metrics.n_segments)):
                if n:
                    self.metrics.add_at(self.env.now, seg * _NC + CUSTOMERS.products_dropped, float(n))
        pruning = self.desk.policy.pruning
        if pruning.enabled and day % pruning.review_days == 0:
            alive = pop.alive_ids()
            gone = pop.prune_candidates(
                alive,
                self.env.now,
                pruning.review_days,
                pruning.min_tenure_days,
                pruning.cost_to_margin_ratio,
                sc.economics.gross_margin,
            )
            self._depart(gone, PRUNED)
            pop.cost_to_serve[: pop.n] = 0.0
        mode = sc.population.acquisition
        if mode == "replace_churn":
            self._acquire(self._departed)
        elif mode == "fixed_rate":
            self._acquire(int(self._acquisition.poisson(sc.population.acquisition_per_year / DAYS_PER_YEAR)))
        self._departed = 0

    # -- the day ------------------------------------------------------------------------
    def _tick(self, _event: simpy.Event | None = None) -> None:
        day = int(round(self.env.now / MINUTES_PER_DAY))
        self._day_start = day * MINUTES_PER_DAY
        if day > 0:
            self._close_day(day - 1)
            self._population_step(day)
        if day in self._switches and self._switches[day] != self.policy_name:
            self._switch(self._switches[day])
        per_reason = reason_multipliers(self.scenario, self.desk.policy.interventions, day)
        self._per_reason = per_reason
        st = self.desk.policy.staffing
        if day == 0 or day % st.review_days == 0:
            agents = staff(self, self.desk, per_reason)
            self.staffing_log.append({"day": day, "policy": self.policy_name, **agents})
        issues = self.demand.day(day, per_reason)
        self._day_issues = (
            issues.time_min.tolist(),
            issues.customer.tolist(),
            issues.reason.tolist(),
            issues.product.tolist(),
            issues.urgent.tolist(),
            self.pop.segment[issues.customer].tolist(),
        )
        self._next = 0
        if len(issues):
            self.env.timeout(issues.time_min[0] - self.env.now).callbacks.append(self._feed_cb)
        if day + 1 < self.days:
            self.env.timeout(MINUTES_PER_DAY * (day + 1) - self.env.now).callbacks.append(self._tick)

    def _feed(self, _event: simpy.Event) -> None:
        """New issues arise: every issue due now, then wait for the next one."""
        times, cust, reason, product, urgent, segment = self._day_issues
        i = self._next
        now = self.env.now
        n = len(times)
        alive = self.pop.alive_view
        cur = self.cur
        first_contact = self.desk.first_contact
        holdings = self.pop.holdings
        seq = self._issue_seq
        issue_log = self.issue_log
        while True:
            c = cust[i]
            if alive[c]:
                p = product[i]
                seg = segment[i]
                seq += 1
                issue = Issue(
                    seq,
                    c,
                    seg,
                    reason[i],
                    now,
                    [p] if p >= 0 else np.flatnonzero(holdings[c]).tolist(),
                    urgent[i],
                )
                cur[seg * _NC + _ARISEN] += 1
                self._issue_seq = seq
                if issue_log is not None:
                    issue_log.append(issue)
                first_contact(issue)
            i += 1
            if i >= n:
                break
            if times[i] > now:
                self._schedule(times[i] - now, None, self._feed_cb)
                break
        self._next = i

    def _switch(self, policy: str) -> None:
        self.desk.drain()
        self.policy_name = policy  # the policy running now (switches change it)
        self.desk = Desk(self, policy)
        self.all_pools.extend(self.desk.pools)
        self.all_queues.extend(self.desk.queues)

    def _close_day(self, day: int) -> None:
        m = self.metrics
        m.flush()
        m.policy_by_day[day] = self.policy_name
        front_staffed = front_busy = am_staffed = am_busy = queue = 0.0
        agents_front = agents_am = 0
        cost_front = cost_am = 0.0
        for pool in self.all_pools:
            busy, staffed = pool.snapshot()
            b0, s0 = self._areas.get(id(pool), (0.0, 0.0))
            self._areas[id(pool)] = (busy, staffed)
            db, ds = busy - b0, staffed - s0
            if pool.kind == "account_managers":
                am_staffed += ds
                am_busy += db
                agents_am += pool.capacity
                cost_am += ds * pool.cost_per_min
            else:
                front_staffed += ds
                front_busy += db
                agents_front += pool.capacity
                cost_front += ds * pool.cost_per_min
        for q in self.all_queues:
            wait = q.snapshot()
            queue += wait - self._waits.get(id(q), 0.0)
            self._waits[id(q)] = wait
            q.close_day()
        for name, value in (
            ("staffed_minutes_front", front_staffed),
            ("staffed_minutes_am", am_staffed),
            ("busy_minutes_front", front_busy),
            ("busy_minutes_am", am_busy),
            ("queue_minutes", queue),
            ("agents_front", agents_front),
            ("agents_am", agents_am),
            ("cost_staff", cost_front),
            ("cost_account_managers", cost_am),
            ("supplier_induced_multiplier", self._per_reason[3]),
        ):
            m.set_daily(day, name, value)
        policy = self.desk.policy
        m.set_daily(
            day,
            "cost_training",
            policy.staffing.training_cost_per_agent_year * front_staffed / MINUTES_PER_YEAR,
        )
        pop = self.pop
        s = pop.satisfaction[: pop.n]
        m.set_segment_daily(day, "customers", pop.count_by_segment)
        m.set_segment_daily(day, "satisfaction_sum", pop.segment_sum(s))
        m.set_segment_daily(day, "satisfaction_sq_sum", pop.segment_sum(s * s))
        m.set_segment_daily(day, "expectation_sum", pop.segment_sum(pop.expectation))
        m.set_segment_daily(day, "revenue", pop.revenue_by_segment / DAYS_PER_YEAR)
        customers = float(pop.count_by_segment.sum())
        iv_cost = sum(iv.cost_per_customer_year for iv in policy.interventions if day >= iv.start_day)
        m.set_daily(day, "cost_interventions", iv_cost * customers / DAYS_PER_YEAR)

    # -- running ------------------------------------------------------------------------
    def prepare(self) -> list[str]:
        """Build day 0 (the initial customers) and return the preflight warnings. Idempotent."""
        if self._prepared:
            return list(self.warnings)
        sc = self.scenario
        ids = self.pop.add(sc.population.initial_customers, 0.0)
        self._bind_views()
        self.demand.add_customers(ids)
        self.initial_by_segment = np.bincount(self.pop.segment[ids], minlength=len(sc.segments)).tolist()
        self.warnings = day_zero_warnings(self, self.desk)
        self._prepared = True
        return list(self.warnings)

    def run(self) -> Result:
        self.prepare()
        self._tick()
        for at_min, customer, code in self._scripted:
            self.env.timeout(at_min, (customer, code)).callbacks.append(self._scripted_due)
        self.env.run(until=self.days * MINUTES_PER_DAY)
        self._close_day(self.days - 1)
        return self._result()

    def _result(self) -> Result:
        sc = self.scenario
        m = self.metrics
        start, end = sc.horizon.warmup_days, sc.horizon.days
        seg_names = list(sc.segments)
        summary = summarise(m, start, end, range(len(seg_names)), self.prices, self.initial_by_segment)
        notes = [f"warning: {w}" for w in self.warnings] + nan_notes(summary)
        pop = self.pop
        n = pop.n
        customers = pd.DataFrame(
            {
                "customer": np.arange(n),
                "segment": pd.Categorical.from_codes(pop.segment[:n], seg_names),
                "products": pop.n_products[:n],
                "revenue_per_year": pop.revenue_per_year[:n],
                "join_day": pop.join_min[:n] / MINUTES_PER_DAY,
                "exit_day": pop.exit_min[:n] / MINUTES_PER_DAY,
                "status": [_STATUS[int(x)] for x in pop.status[:n]],
                "satisfaction": pop.satisfaction[:n],
                "expectation": pop.expectation[:n],
                **{f"holds_{name}": pop.holdings[:n, j] for j, name in enumerate(sc.products)},
            }
        )
        contacts = issues = None
        if self.issue_log is not None:
            issues = _issue_table(self.issue_log, seg_names)
        if self.log is not None:
            contacts = pd.DataFrame.from_records(self.log, columns=list(CONTACT_COLUMNS))
            contacts["segment"] = pd.Categorical.from_codes(contacts["segment"], seg_names)
            contacts["reason"] = pd.Categorical.from_codes(contacts["reason"], list(REASONS))
        target_min = sc.channels.phone.service_level_seconds / 60.0
        return Result(
            scenario=sc.name,
            policy=self.policy,
            seed=self.seed if isinstance(self.seed, (int, np.integer)) else repr(self.seed),
            summary=summary,
            by_segment=by_segment(m, start, end, seg_names, self.prices, self.initial_by_segment),
            timeseries=timeseries(m, seg_names, start, target_min),
            customers=customers,
            costs=cost_breakdown(m, start, end, self.prices),
            contacts=contacts,
            issues=issues,
            open_issues=self.open_issues(),
            notes=notes,
            provenance={
                "package_version": _version(),
                "scenario_hash": sc.content_hash(),
                "scenario": sc.name,
                "policy": self.policy,
                "seed": self.seed if isinstance(self.seed, (int, np.integer)) else repr(self.seed),
                "staffing": self.staffing_log,
                "warnings": list(self.warnings),
            },
        )


def _issue_table(issues: list[Issue], segments: list[str]) -> pd.DataFrame:
    """One row per issue: what it was, what the customer went through, how it ended."""
    frame = pd.DataFrame.from_records(
        [
            (
                i.id,
                i.cust,
                i.seg,
                i.reason,
                i.created / MINUTES_PER_DAY,
                i.urgent,
                "resolved" if i.resolved else ("given_up" if i.closed else "open"),
                i.contacts,
                i.calls,
                i.sessions,
                i.transfers,
                i.promises,
                i.broken,
                i.chases,
                i.wait_minutes,
            )
            for i in issues
        ],
        columns=[
            "issue",
            "customer",
            "segment",
            "reason",
            "created_day",
            "urgent",
            "status",
            "contacts",
            "calls",
            "sessions",
            "transfers",
            "promises",
            "broken_promises",
            "chases",
            "wait_minutes",
        ],
    )
    frame["segment"] = pd.Categorical.from_codes(frame["segment"], segments)
    frame["reason"] = pd.Categorical.from_codes(frame["reason"], list(REASONS))
    return frame


def run(
    scenario: Scenario,
    policy: str | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator = 1,
    record_contacts: bool = False,
) -> Result:
    """Run ``scenario`` under ``policy`` (default: the scenario's default_policy) with ``seed``."""
    return Simulation(scenario, policy, seed, record_contacts).run()


def preflight(scenario: Scenario, policy: str | None = None) -> list[str]:
    """Warnings for running ``scenario`` under ``policy``, before running it (builds day 0 only)."""
    return Simulation(scenario, policy, seed=0).prepare()
