"""Workforce planning: how many agents each pool gets, and when that is revisited.

Two forecasts, as a planner would make them:

* ``fresh``: the first contacts the customer base is expected to make, per pool,
  from the scenario's rates, the self-service push and the routing. It ignores
  repeats, redials, chases, transfers and call-backs: the planner who believes
  every call is new demand.
* ``observed``: each pool's measured arrivals (legs and call-backs) and handle
  time over the last ``forecast_window_days``, reviewed every ``review_days``.
  This is what a workforce-management system does, so repeat traffic that the
  supplier causes itself is staffed for (and paid for).

``erlang_c`` mode sizes each pool to the service-level target with
:func:`sim.erlang.agents_for_service_level`; ``fixed`` mode splits a fixed head
count over the front-line pools in proportion to their fresh workload.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from .erlang import agents_for_service_level
from .units import GENERATED_REASONS, MINUTES_PER_DAY, MINUTES_PER_YEAR

if TYPE_CHECKING:
    from .desk import Desk
    from .model import Simulation
    from .pool import Pool

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


def fresh_forecast(sim: Simulation, desk: Desk, per_reason: np.ndarray) -> dict[Pool, tuple[float, float]]:
    """Expected first-contact phone arrivals per minute and mean handle minutes, per pool."""
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
    work: dict[Pool, float] = {}
    rate: dict[Pool, float] = {}

    def add(pool: Pool, per_min: float, minutes: float) -> None:
        rate[pool] = rate.get(pool, 0.0) + per_min
        work[pool] = work.get(pool, 0.0) + per_min * (minutes + h.wrap_up_minutes)

    for r in range(len(GENERATED_REASONS)):
        pushed = desk.push_all or (desk.push_eligible and desk.eligible[r])
        attempt = desk.adoption if pushed else 0.0
        for s in range(n_seg):
            if count[s] == 0:
                continue
            if desk.am_seg[s]:
                pool_of = [desk.am_pool] * n_prod
            elif desk.general is not None:
                pool_of = [desk.general] * n_prod
            else:
                pool_of = [desk.front[desk.dept_of[p]] for p in range(n_prod)]
            for p in range(n_prod):
                success = desk.ss_share[p] if desk.eligible[r] else desk.ineligible_success
                phone = 1.0 - attempt * success
                cap = pool_of[p].cap
                minutes = capped_mean(desk.mean_work[r][p], h.cv, cap, h.distribution)
                if r == _R_LIFE:
                    # a life event touches every product held: one part per product
                    per_min = count[s] * sim.demand.life_rate * per_reason[r] / MINUTES_PER_YEAR
                    share = holders[s, p] / count[s]
                    work[pool_of[p]] = work.get(pool_of[p], 0.0) + per_min * phone * share * (
                        minutes + h.wrap_up_minutes
                    )
                else:
                    per_min = held[s, p] * sim.demand.product_rate[p, r] * per_reason[r] / MINUTES_PER_YEAR
                    add(pool_of[p], per_min * phone, minutes)
        if r == _R_LIFE:
            # legs of life events: one per pool the customer's products touch
            success = np.mean(
                [desk.ss_share[p] if desk.eligible[r] else desk.ineligible_success for p in range(n_prod)]
            )
            for s in range(n_seg):
                if count[s] == 0:
                    continue
                per_min = count[s] * sim.demand.life_rate * per_reason[r] / MINUTES_PER_YEAR
                per_min *= 1.0 - attempt * success
                if desk.am_seg[s] or desk.general is not None:
                    pool = desk.am_pool if desk.am_seg[s] else desk.general
                    rate[pool] = rate.get(pool, 0.0) + per_min
                else:
                    for d, pool in enumerate(desk.front):
                        in_d = [p for p in range(n_prod) if desk.dept_of[p] == d]
                        share = min(1.0, holders[s, in_d].sum() / count[s]) if in_d else 0.0
                        rate[pool] = rate.get(pool, 0.0) + per_min * share
    out = {}
    for pool in desk.pools:
        lam = rate.get(pool, 0.0)
        out[pool] = (lam, work.get(pool, 0.0) / lam if lam > 0 else 0.0)
    return out


def observed_forecast(pool: Pool, window_days: int) -> tuple[float, float] | None:
    """Measured arrivals per minute and mean handle minutes over the last days, if any."""
    recent = list(pool.history)[-window_days:]
    if not recent:
        return None
    arrivals = sum(a for a, _, _ in recent)
    served = sum(s for _, s, _ in recent)
    busy = sum(b for _, _, b in recent)
    if served == 0:
        return None
    return arrivals / (len(recent) * MINUTES_PER_DAY), busy / served


def plan(
    sim: Simulation, desk: Desk, per_reason: np.ndarray
) -> tuple[dict[Pool, int], dict[Pool, tuple[float, float]]]:
    """Head count per pool for the policy's staffing levers, and the forecast (calls/min, AHT) it used."""
    st = desk.policy.staffing
    fresh: dict[Pool, tuple[float, float]] | None = None
    agents: dict[Pool, int] = {}
    used: dict[Pool, tuple[float, float]] = {}
    if st.mode == "fixed":
        fresh = fresh_forecast(sim, desk, per_reason)
        loads = np.array([fresh[p][0] * fresh[p][1] for p in desk.front])
        agents.update(_split(st.agents, loads, desk.front, st.min_agents_per_pool))
        if desk.am_pool is not None:
            agents[desk.am_pool] = st.account_managers
        used = dict(fresh)
    else:
        for pool in desk.pools:
            forecast = observed_forecast(pool, st.forecast_window_days) if st.forecast == "observed" else None
            if forecast is None:
                fresh = fresh if fresh is not None else fresh_forecast(sim, desk, per_reason)
                forecast = fresh[pool]
            used[pool] = forecast
            lam, aht = forecast
            if lam <= 0 or aht <= 0:
                agents[pool] = st.min_agents_per_pool
            else:
                agents[pool] = agents_for_service_level(
                    lam, aht, st.target_service_level, st.target_seconds, min_agents=st.min_agents_per_pool
                )
    return agents, used


def staff(sim: Simulation, desk: Desk, per_reason: np.ndarray) -> dict[str, int]:
    """Set every pool's head count for the policy's staffing levers; returns name -> agents."""
    agents, _ = plan(sim, desk, per_reason)
    for pool, n in agents.items():
        pool.set_capacity(int(n))
    return {pool.name: int(n) for pool, n in agents.items()}


def _split(total: int, loads: np.ndarray, pools: list[Pool], minimum: int) -> dict[Pool, int]:
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
