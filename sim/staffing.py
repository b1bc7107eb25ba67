"""Workforce planning: how many agents each pool gets, and when that is revisited.

Forecasts are per queue, as a planner would make them:

* ``fresh``: the first contacts the customer base is expected to make, from the
  scenario's rates and the self-service push, sent where each segment's
  router sends a leg (:meth:`sim.routing.Router.part_queue`,
  :meth:`sim.routing.Router.life_event_legs`). It ignores repeats, redials,
  chases, transfers and call-backs: the planner who believes every call is new
  demand.
* ``observed``: each queue's measured arrivals (legs and call-backs) and handle
  time over the last ``forecast_window_days``, reviewed every ``review_days``.
  This is what a workforce-management system does, so repeat traffic that the
  supplier causes itself is staffed for (and paid for).

Each router turns queue forecasts into head counts for its pools: ``erlang_c``
mode sizes to the service-level target with
:func:`sim.erlang.agents_for_service_level`; ``fixed`` mode splits a fixed head
count in proportion to the fresh workload (:meth:`sim.routing.Router.fixed_agents`).
Because the desk and the forecast ask the same router, they cannot disagree.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from .units import GENERATED_REASONS, MINUTES_PER_DAY, MINUTES_PER_YEAR

if TYPE_CHECKING:
    from .context import RunContext
    from .desk import Desk
    from .pool import Pool, Queue

__all__ = ["fresh_forecast", "observed_forecast", "plan", "staff", "capped_mean"]

_R_LIFE = GENERATED_REASONS.index("life_event")


def capped_mean(mean: float, cv: float, cap: float | None, distribution: str) -> float:
    """E[min(W, cap)] for lognormal (mean, cv) or exponential (mean) work W."""
    if cap is None:
        return mean
    if distribution == "exponential":
        return mean * (1.0 - math.exp(-cap / mean))
    if cv == 0.0:
        return min(mean, cap)
    s2 = math.log1p(cv * cv)
    s = math.sqrt(s2)
    mu = math.log(mean) - s2 / 2.0
    z = (math.log(cap) - mu) / s
    return mean * float(ndtr(z - s)) + cap * (1.0 - float(ndtr(z)))


def fresh_forecast(sim: RunContext, desk: Desk, per_reason: np.ndarray) -> dict[Queue, tuple[float, float]]:
    """Expected first-contact phone arrivals per minute and mean handle minutes, per queue."""
    sc = sim.scenario
    pop = sim.pop
    n = pop.n
    seg = pop.segment[:n]
    alive = pop.alive[:n]
    hold = pop.holdings[:n]
    n_seg = len(sc.segments)
    n_prod = hold.shape[1]
    count = np.bincount(seg, alive.astype(float), minlength=n_seg)
    held = np.column_stack([np.bincount(seg, hold[:, p] * alive, minlength=n_seg) for p in range(n_prod)])
    holders = np.column_stack(
        [np.bincount(seg, (hold[:, p] > 0) & alive, minlength=n_seg) for p in range(n_prod)]
    )
    h = sc.handling
    ss = sc.channels.self_service
    channel = desk.self_service
    ss_share = channel.share
    work: dict[Queue, float] = {}
    rate: dict[Queue, float] = {}

    for r in range(len(GENERATED_REASONS)):
        attempt = channel.adoption if channel.pushed[r] else 0.0
        for s in range(n_seg):
            if count[s] == 0:
                continue
            router = desk.router_of[s]
            cap = router.terms.cap_minutes
            for p in range(n_prod):
                queue = router.part_queue(p)
                success = ss_share[p] if channel.eligible[r] else ss.ineligible_success
                phone = 1.0 - attempt * success
                minutes = capped_mean(desk.mean_work[r][p], h.cv, cap, h.distribution)
                if r == _R_LIFE:
                    # a life event touches every product held: one part per product
                    per_min = count[s] * sim.demand.life_rate * per_reason[r] / MINUTES_PER_YEAR
                    share = holders[s, p] / count[s]
                    work[queue] = work.get(queue, 0.0) + per_min * phone * share * (
                        minutes + h.wrap_up_minutes
                    )
                else:
                    per_min = held[s, p] * sim.demand.product_rate[p, r] * per_reason[r] / MINUTES_PER_YEAR
                    rate[queue] = rate.get(queue, 0.0) + per_min * phone
                    work[queue] = work.get(queue, 0.0) + per_min * phone * (minutes + h.wrap_up_minutes)
        if r == _R_LIFE:
            # legs of life events: one per queue the customer's products reach
            success = np.mean(
                [ss_share[p] if channel.eligible[r] else ss.ineligible_success for p in range(n_prod)]
            )
            for s in range(n_seg):
                if count[s] == 0:
                    continue
                per_min = count[s] * sim.demand.life_rate * per_reason[r] / MINUTES_PER_YEAR
                per_min *= 1.0 - attempt * success
                for queue, share in desk.router_of[s].life_event_legs(holders[s], count[s]):
                    rate[queue] = rate.get(queue, 0.0) + per_min * share
    out = {}
    for queue in desk.queues:
        lam = rate.get(queue, 0.0)
        out[queue] = (lam, work.get(queue, 0.0) / lam if lam > 0 else 0.0)
    return out


def observed_forecast(queue: Queue, window_days: int) -> tuple[float, float] | None:
    """Measured arrivals per minute and mean handle minutes over the last days, if any."""
    recent = list(queue.history)[-window_days:]
    if not recent:
        return None
    arrivals = sum(a for a, _, _ in recent)
    served = sum(s for _, s, _ in recent)
    busy = sum(b for _, _, b in recent)
    if served == 0:
        return None
    return arrivals / (len(recent) * MINUTES_PER_DAY), busy / served


def plan(
    sim: RunContext, desk: Desk, per_reason: np.ndarray
) -> tuple[dict[Pool, int], dict[Queue, tuple[float, float]]]:
    """Head count per pool for the policy's staffing levers, and the forecast (calls/min, AHT) per queue."""
    st = desk.policy.staffing
    agents: dict[Pool, int] = {}
    if st.mode == "fixed":
        used = fresh_forecast(sim, desk, per_reason)
        for router in desk.routers:
            agents.update(router.fixed_agents(st, used))
        return agents, used
    fresh: dict[Queue, tuple[float, float]] | None = None
    used = {}
    for queue in desk.queues:
        forecast = observed_forecast(queue, st.forecast_window_days) if st.forecast == "observed" else None
        if forecast is None:
            fresh = fresh if fresh is not None else fresh_forecast(sim, desk, per_reason)
            forecast = fresh[queue]
        used[queue] = forecast
    for router in desk.routers:
        agents.update(router.erlang_agents(st, used))
    return agents, used


def staff(sim: RunContext, desk: Desk, per_reason: np.ndarray) -> dict[str, int]:
    """Set every pool's head count for the policy's staffing levers; returns name -> agents."""
    agents, _ = plan(sim, desk, per_reason)
    for pool, n in agents.items():
        pool.set_capacity(int(n))
    return {pool.name: int(n) for pool, n in agents.items()}
