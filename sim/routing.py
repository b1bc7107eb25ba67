"""Routing rules: where each leg of a contact waits, what follows a leg, who owns a promise.

A :class:`Router` builds the queues and agent pools of one family of agents
(the front line, or account managers) and answers the desk's three questions:

* ``first_leg(issue)`` / ``next_leg(issue, visited)``: the queue a leg of a
  contact joins and the products (parts) it is about; ``next_leg`` is a
  transfer, or None when the contact has nowhere left to go;
* ``hands_over(call)``: whether handling this leg ends with handing the call on
  (the agent spends ``handling.transfer_minutes`` on it);
* ``promise(issue)``: the queue that owns a call-back promise, and its parts.

The staffing forecast asks the same router where the legs of fresh demand go
(``Queue.products``, :meth:`Router.life_event_legs`) and how queue workloads
become head counts (:meth:`Router.fixed_agents`, :meth:`Router.erlang_agents`),
so the desk and the forecast cannot disagree. A new rule is a subclass
registered in :data:`ROUTERS`; the desk has no case for any rule.

A leg is ``(queue, parts, misrouted, key)``: ``key`` identifies the leg to the
router (a department, a set of products) and is kept in the contact's
``visited`` list so that a contact never visits the same place twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from .counters import N_COUNTERS, PHONE
from .erlang import agents_for_service_level
from .pool import Call, Pool, PoolKind, Queue

if TYPE_CHECKING:
    from .issue import Issue
    from .policy import Policy, Staffing
    from .scenario import Scenario

__all__ = [
    "Leg",
    "Routing",
    "queue_levels",
    "PoolTerms",
    "Router",
    "OnePoolRouter",
    "DepartmentalRouter",
    "SkillsRouter",
    "ROUTERS",
    "departments_of",
    "split_agents",
]

Leg = tuple[Queue, list[int], bool, int]
#: ``forecast[queue] = (arrivals per minute, mean handle minutes)``
Forecast = dict[Queue, tuple[float, float]]


def departments_of(scenario: Scenario) -> tuple[list[str], list[int]]:
    """Department names (in product order) and each product's department index."""
    names: list[str] = []
    of: list[int] = []
    for name, prod in scenario.products.items():
        dept = prod.department or name
        if dept not in names:
            names.append(dept)
        of.append(names.index(dept))
    return names, of


@dataclass(frozen=True)
class PoolTerms:
    """What the agents of a router's pools are like: knowledge, cap, promises, price."""

    kind: PoolKind
    knowledge: float
    cap_minutes: float | None
    offer_p: float
    keep_rate: float
    cost_per_hour: float


@dataclass(frozen=True)
class Wiring:
    """What a router needs from the desk to build its queues and pools."""

    env: simpy.Environment
    scenario: Scenario
    policy: Policy
    complexity: Sequence[float]
    n_levels: int
    start: Callable[[Call, float], float]
    expire: Callable[[Call], None]
    #: the run's hot counter list (a router may count what only it knows)
    counters: list[float]
    #: uniform draws for routing decisions (misrouting)
    u_route: Iterator[float]


# raw queue levels: low call-backs, segment priorities 0..9, urgent bypass, high call-backs
_L_CALLBACK_LOW, _L_SEGMENT, _L_URGENT, _L_CALLBACK_HIGH = 0, 1, 11, 12


def queue_levels(policy: Policy, segments: Sequence[str]) -> tuple[list[int], list[int], int, int]:
    """Priority levels of a policy's queues, numbered consecutively from the lowest used.

    Returns each segment's level, each segment's level for an urgent issue (the
    bypass level if the policy has one, else the segment's own), the level of
    call-back work, and the number of levels. Highest first: call-backs with
    ``callback_priority = "high"``, the urgent bypass, segments by ``priority``
    (0..9), call-backs with ``"low"``.
    """
    seg_raw = [_L_SEGMENT + policy.priority.get(s, 0) for s in segments]
    cb_raw = _L_CALLBACK_HIGH if policy.promises.callback_priority == "high" else _L_CALLBACK_LOW
    used = sorted({*seg_raw, cb_raw, _L_URGENT})
    index = {raw: i for i, raw in enumerate(used)}
    seg_level = [index[r] for r in seg_raw]
    urgent_level = [index[_L_URGENT] if policy.bypass else level for level in seg_level]
    return seg_level, urgent_level, index[cb_raw], len(used)


@dataclass(frozen=True)
class Routing:
    """Where each segment's contacts go, and at what priority they wait."""

    #: the router of each segment (account managers for their segments, else the front line)
    router_of: list[Router]
    seg_level: list[int]
    urgent_level: list[int]
    callback_level: int


class Router(ABC):
    """One routing rule over its own queues and pools; subclasses say where legs go."""

    def __init__(self, wiring: Wiring, terms: PoolTerms):
        self.wiring = wiring
        self.terms = terms
        self.kind = terms.kind
        self.n_products = len(wiring.scenario.products)
        self.queues: list[Queue] = []
        self.pools: list[Pool] = []

    # -- building -------------------------------------------------------------------
    def _new_queue(self, name: str, products: Sequence[int]) -> Queue:
        w = self.wiring
        queue = Queue(w.env, name, w.n_levels, w.expire, tuple(products))
        self.queues.append(queue)
        return queue

    def _new_pool(self, name: str, queues: Sequence[Queue]) -> Pool:
        w, t = self.wiring, self.terms
        pool = Pool(
            w.env,
            name,
            0,
            w.start,
            kind=t.kind,
            k_pow=[t.knowledge**c for c in w.complexity],
            cap_minutes=t.cap_minutes,
            offer_p=t.offer_p,
            keep_rate=t.keep_rate,
            cost_per_min=t.cost_per_hour / 60.0,
        )
        for queue in queues:
            pool.serve(queue)
        self.pools.append(pool)
        return pool

    # -- the desk's questions ------------------------------------------------------------
    @abstractmethod
    def first_leg(self, issue: Issue) -> Leg:
        """The first leg of a contact about ``issue``."""

    @abstractmethod
    def promise(self, issue: Issue) -> tuple[Queue, list[int], int]:
        """The queue that owns a call-back promise on ``issue``, the parts it is about, its key."""

    def next_leg(self, issue: Issue, visited: list[int]) -> Leg | None:
        """The transfer after a leg that left parts unanswered, or None (no transfers by default)."""
        return None

    def hands_over(self, call: Call) -> bool:
        """Whether handling this leg ends with handing the call over to another queue."""
        return False

    # -- the staffing forecast's questions ------------------------------------------------
    def part_queue(self, product: int) -> Queue:
        """The queue a one-part leg about ``product`` waits in (no misrouting)."""
        for queue in self.queues:
            if product in queue.products:
                return queue
        raise ValueError(f"product {product} reaches no queue of this router")

    def life_event_legs(self, holders: np.ndarray, customers: float) -> Iterator[tuple[Queue, float]]:
        """Legs per life event, per queue: a life event touches every product held, so a queue
        gets a leg when the customer holds a product it serves. ``holders[p]`` customers of the
        segment's ``customers`` hold product p; their sum over the queue's products, as a share
        capped at one leg, is the planner's estimate."""
        for queue in self.queues:
            products = list(queue.products)
            share = min(1.0, holders[products].sum() / customers) if products else 0.0
            yield queue, share

    def fixed_agents(self, staffing: Staffing, forecast: Forecast) -> dict[Pool, int]:
        """Head counts of the ``fixed`` staffing mode."""
        if self.kind == "account_managers":
            return {pool: staffing.account_managers for pool in self.pools}
        loads = np.array([forecast[q][0] * forecast[q][1] for q in self.queues])
        return split_agents(staffing.agents, loads, self.pools, staffing.min_agents_per_pool)

    def erlang_agents(self, staffing: Staffing, forecast: Forecast) -> dict[Pool, int]:
        """Head counts for the Erlang C target, one queue per pool."""
        return {
            pool: _erlang(forecast[queue], staffing)
            for queue, pool in zip(self.queues, self.pools, strict=True)
        }


def _erlang(forecast: tuple[float, float], st: Staffing) -> int:
    lam, aht = forecast
    if lam <= 0 or aht <= 0:
        return st.min_agents_per_pool
    return agents_for_service_level(
        lam, aht, st.target_service_level, st.target_seconds, min_agents=st.min_agents_per_pool
    )


def split_agents(total: int, loads: np.ndarray, pools: Sequence[Pool], minimum: int) -> dict[Pool, int]:
    """Largest-remainder split of ``total`` agents by load, at least ``minimum`` each."""
    k = len(pools)
    if loads.sum() <= 0:
        loads = np.ones(k)
    spare = max(0, total - minimum * k)
    exact = loads / loads.sum() * spare
    n = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - n))[: spare - n.sum()]:
        n[i] += 1
    return {pool: int(minimum + n[i]) for i, pool in enumerate(pools)}


class OnePoolRouter(Router):
    """One pool and one queue that handle every product of an issue in a single leg.

    ``case_owner`` routing for the front line, and the account managers' pool.
    """

    def __init__(self, wiring: Wiring, terms: PoolTerms):
        super().__init__(wiring, terms)
        name = "general" if terms.kind == "front" else terms.kind
        self.queue = self._new_queue(name, range(self.n_products))
        self.pool = self._new_pool(name, [self.queue])

    def first_leg(self, issue: Issue) -> Leg:
        return self.queue, issue.pending[:], False, -1

    def promise(self, issue: Issue) -> tuple[Queue, list[int], int]:
        return self.queue, list(issue.pending), -1


class DepartmentalRouter(Router):
    """A queue and a pool per department; a leg per department the issue touches, in turn.

    A first leg is misrouted with ``misroute_p`` to a department the issue does
    not touch (not when an urgent issue may bypass); each later leg is a
    transfer to the next department with an unanswered part.
    """

    def __init__(self, wiring: Wiring, terms: PoolTerms):
        super().__init__(wiring, terms)
        names, self.dept_of = departments_of(wiring.scenario)
        for d, name in enumerate(names):
            queue = self._new_queue(name, [p for p in range(self.n_products) if self.dept_of[p] == d])
            self._new_pool(name, [queue])
        self.misroute_p = wiring.policy.misroute_p
        self.bypass = wiring.policy.bypass
        self.u_route = wiring.u_route

    def first_leg(self, issue: Issue) -> Leg:
        return self._route(issue, [])

    def next_leg(self, issue: Issue, visited: list[int]) -> Leg | None:
        return self._route(issue, visited)

    def _route(self, issue: Issue, visited: list[int]) -> Leg | None:
        """The first department with an unanswered part this contact has not visited yet."""
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
        bypassed = issue.urgent and self.bypass
        if not visited and self.misroute_p > 0.0 and not bypassed and next(self.u_route) < self.misroute_p:
            mine = {dept_of[p] for p in pending}
            wrong = [d for d in range(len(self.queues)) if d not in mine]
            if wrong:
                d = wrong[int(next(self.u_route) * len(wrong))]
                return self.queues[d], [], True, d
        parts = [pending[0]] if len(pending) == 1 else [p for p in pending if dept_of[p] == dept]
        return self.queues[dept], parts, False, dept

    def hands_over(self, call: Call) -> bool:
        visited = call.visited
        dept_of = self.dept_of
        here = call.queue
        return any(
            dept_of[p] not in visited and self.queues[dept_of[p]] is not here for p in call.issue.pending
        )

    def promise(self, issue: Issue) -> tuple[Queue, list[int], int]:
        """The department of the first unanswered part owns the promise."""
        dept = self.dept_of[issue.pending[0]]
        return self.queues[dept], [p for p in issue.pending if self.dept_of[p] == dept], dept


class SkillsRouter(Router):
    """Skills-based routing: agent groups with skill sets (products); a leg goes to an agent who
    has every skill it needs.

    A leg about products P waits in the queue of the groups that hold all of P
    (one queue per distinct set of eligible groups, so agents of several groups
    share it); an idle agent of an eligible group takes it at once, the group
    idle longest first, and a freed agent takes the highest-priority,
    longest-waiting call among the queues it can serve. If no group holds
    every skill the issue needs, the leg goes to the group that covers most of
    its parts and the rest is **transferred** afterwards: the only transfers
    under this rule, counted as ``phone.skill_mismatch_transfers``. A leg's key
    is the bit mask of its parts; a contact never offers a part twice.

    Staffing: ``fixed`` mode gives each group its ``agents``. ``erlang_c`` mode
    is an approximation: each queue's forecast load is split equally over its
    eligible groups and each group is sized by Erlang C on its share, as if the
    groups did not help one another (conservative where skills overlap).
    """

    def __init__(self, wiring: Wiring, terms: PoolTerms):
        super().__init__(wiring, terms)
        sc = wiring.scenario
        products = list(sc.products)
        groups = wiring.policy.skills.groups
        self.group_names = list(groups)
        self.group_agents = [g.agents for g in groups.values()]
        self.skills = [
            frozenset(range(len(products)) if "*" in g.skills else (products.index(s) for s in g.skills))
            for g in groups.values()
        ]
        # a leg about parts P can go to the groups that hold every skill of P: the intersection of
        # the groups of each part. One queue per distinct non-empty such set: the sets of single
        # products, closed under intersection (a handful, whatever the number of products).
        self._groups_of = [
            frozenset(g for g, s in enumerate(self.skills) if p in s) for p in range(len(products))
        ]
        sets = list(dict.fromkeys(self._groups_of))
        i = 0
        while i < len(sets):
            for other in sets[:i]:
                both = sets[i] & other
                if both and both not in sets:
                    sets.append(both)
            i += 1
        self._queue_of_groups: dict[frozenset[int], Queue] = {}
        for eligible in sets:
            name = "+".join(self.group_names[g] for g in sorted(eligible))
            served = [p for p in range(len(products)) if self._groups_of[p] == eligible]
            self._queue_of_groups[eligible] = self._new_queue(name, served)
        #: parts mask -> the groups that hold every skill those parts need (possibly none)
        self._eligible: dict[int, frozenset[int]] = {}
        for g, name in enumerate(self.group_names):
            self._new_pool(name, [q for eligible, q in self._queue_of_groups.items() if g in eligible])
        self.counters = wiring.counters

    def _eligible_for(self, parts: list[int]) -> tuple[frozenset[int], int]:
        """The groups holding every skill ``parts`` need, and the parts' bit mask."""
        mask = 0
        for p in parts:
            mask |= 1 << p
        eligible = self._eligible.get(mask)
        if eligible is None:
            eligible = self._eligible[mask] = frozenset.intersection(*(self._groups_of[p] for p in parts))
        return eligible, mask

    def _leg(self, parts: list[int]) -> Leg:
        """The queue for ``parts`` if one group holds every skill they need, else for the parts of
        the group that holds most of them (the first such group)."""
        eligible, mask = self._eligible_for(parts)
        if not eligible:
            best = max(range(len(self.skills)), key=lambda g: len(self.skills[g].intersection(parts)))
            parts = [p for p in parts if p in self.skills[best]]
            eligible, mask = self._eligible_for(parts)
        return self._queue_of_groups[eligible], list(parts), False, mask

    def first_leg(self, issue: Issue) -> Leg:
        return self._leg(issue.pending)

    def promise(self, issue: Issue) -> tuple[Queue, list[int], int]:
        queue, parts, _, key = self._leg(issue.pending)
        return queue, parts, key

    def next_leg(self, issue: Issue, visited: list[int]) -> Leg | None:
        offered = 0
        for key in visited:
            offered |= key
        rest = [p for p in issue.pending if not (offered >> p) & 1]
        if not rest:
            return None
        self.counters[issue.seg * N_COUNTERS + PHONE.skill_mismatch_transfers] += 1
        return self._leg(rest)

    def hands_over(self, call: Call) -> bool:
        offered = 0
        for key in call.visited:
            offered |= key
        return any(not (offered >> p) & 1 for p in call.issue.pending)

    def fixed_agents(self, staffing: Staffing, forecast: Forecast) -> dict[Pool, int]:
        return dict(zip(self.pools, self.group_agents, strict=True))

    def erlang_agents(self, staffing: Staffing, forecast: Forecast) -> dict[Pool, int]:
        rate = dict.fromkeys(self.pools, 0.0)
        work = dict.fromkeys(self.pools, 0.0)
        for queue in self.queues:
            lam, aht = forecast[queue]
            for pool in queue.servers:
                rate[pool] += lam / len(queue.servers)
                work[pool] += lam * aht / len(queue.servers)
        return {
            pool: _erlang((rate[pool], work[pool] / rate[pool] if rate[pool] > 0 else 0.0), staffing)
            for pool in self.pools
        }


#: routing lever value -> the front line's router
ROUTERS: dict[str, type[Router]] = {
    "departmental": DepartmentalRouter,
    "case_owner": OnePoolRouter,
    "skills": SkillsRouter,
}
