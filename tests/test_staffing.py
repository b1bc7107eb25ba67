"""sim.staffing: capped handle times, the head-count split, the forecasts per queue, and Erlang C sizing."""

from __future__ import annotations

import math
from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.erlang import mmc_metrics
from sim.model import Simulation
from sim.routing import split_agents as _split
from sim.staffing import capped_mean, fresh_forecast, observed_forecast, plan, staff
from sim.units import MINUTES_PER_DAY, MINUTES_PER_YEAR
from tests.conftest import busy_utility

# -- capped_mean ------------------------------------------------------------------------------------
MC = 400_000


@pytest.mark.parametrize(
    ("mean", "cv", "cap"), [(5.0, 0.8, 6.0), (5.0, 1.5, 2.0), (12.0, 0.3, 10.0), (3.0, 0.8, 30.0)]
)
def test_capped_mean_of_a_lognormal_matches_monte_carlo(mean, cv, cap):
    s2 = math.log1p(cv * cv)
    w = np.random.default_rng(1).lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), MC)
    capped = np.minimum(w, cap)
    se = capped.std() / math.sqrt(MC)
    assert abs(capped_mean(mean, cv, cap, "lognormal") - capped.mean()) <= 4 * se


@pytest.mark.parametrize(("mean", "cap"), [(5.0, 6.0), (5.0, 1.0), (2.0, 20.0)])
def test_capped_mean_of_an_exponential_matches_monte_carlo(mean, cap):
    capped = np.minimum(np.random.default_rng(2).exponential(mean, MC), cap)
    se = capped.std() / math.sqrt(MC)
    assert abs(capped_mean(mean, 0.8, cap, "exponential") - capped.mean()) <= 4 * se
    assert capped_mean(mean, 0.8, cap, "exponential") == pytest.approx(mean * (1 - math.exp(-cap / mean)))


def test_capped_mean_special_cases():
    assert capped_mean(5.0, 0.8, None, "lognormal") == 5.0
    assert capped_mean(5.0, 0.8, None, "exponential") == 5.0
    assert capped_mean(5.0, 0.0, 3.0, "lognormal") == 3.0  # deterministic work
    assert capped_mean(5.0, 0.0, 8.0, "lognormal") == 5.0
    assert capped_mean(5.0, 0.8, 1e9, "lognormal") == pytest.approx(5.0)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.1, 50.0),
    st.floats(0.05, 3.0),
    st.floats(0.05, 100.0),
    st.sampled_from(["lognormal", "exponential"]),
)
def test_capped_mean_is_below_mean_and_cap_and_grows_with_the_cap(mean, cv, cap, dist):
    m = capped_mean(mean, cv, cap, dist)
    assert 0.0 < m <= min(mean, cap) * (1 + 1e-12)
    assert capped_mean(mean, cv, cap * 1.5, dist) >= m * (1 - 1e-12)


# -- _split ----------------------------------------------------------------------------------------
def test_split_by_largest_remainder():
    pools = ["a", "b", "c"]
    # 10 agents, at least 1 each: 7 spare, quotas 3.5, 2.1, 1.4 -> 3 + 2 + 1, the extra to a (0.5)
    assert _split(10, np.array([5.0, 3.0, 2.0]), pools, 1) == {"a": 5, "b": 3, "c": 2}
    assert _split(3, np.array([5.0, 3.0, 2.0]), pools, 1) == {"a": 1, "b": 1, "c": 1}
    # no load anywhere: an even split
    assert _split(7, np.zeros(3), pools, 1) == {"a": 3, "b": 2, "c": 2}
    # a pool without load still gets the minimum
    assert _split(9, np.array([1.0, 0.0, 0.0]), pools, 2) == {"a": 5, "b": 2, "c": 2}


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 500),
    st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=8),
    st.integers(1, 5),
)
def test_split_sums_to_the_total_and_respects_the_minimum(total, loads, minimum):
    pools = [f"p{i}" for i in range(len(loads))]
    loads = np.array(loads)
    out = _split(total, loads, pools, minimum)
    n = np.array([out[p] for p in pools])
    assert (n >= minimum).all()
    assert n.sum() == max(total, minimum * len(pools))
    # each pool gets its quota rounded down or up (largest remainder)
    spare = max(0, total - minimum * len(pools))
    weights = loads if loads.sum() > 0 else np.ones(len(pools))
    quota = weights / weights.sum() * spare
    assert (n - minimum >= np.floor(quota) - 1e-9).all() and (n - minimum <= np.ceil(quota) + 1e-9).all()


# -- observed_forecast ---------------------------------------------------------------------------------
def pool_with(history) -> SimpleNamespace:
    return SimpleNamespace(history=deque(history, maxlen=366))


def test_observed_forecast_from_a_hand_made_history():
    pool = pool_with([(9999, 9999, 9999.0), (1440, 1000, 5000.0), (2880, 1400, 9000.0)])
    lam, aht = observed_forecast(pool, 2)  # the last two days only
    assert lam == pytest.approx((1440 + 2880) / (2 * MINUTES_PER_DAY))
    assert aht == pytest.approx((5000.0 + 9000.0) / (1000 + 1400))
    lam, aht = observed_forecast(pool, 28)  # a window longer than the history uses what there is
    assert lam == pytest.approx((9999 + 1440 + 2880) / (3 * MINUTES_PER_DAY))


def test_observed_forecast_needs_served_calls():
    assert observed_forecast(pool_with([]), 7) is None
    assert observed_forecast(pool_with([(10, 0, 0.0)]), 7) is None


# -- the fresh forecast ---------------------------------------------------------------------------------
RATES = {
    "usage": (2.0, 4.0, True),
    "incident": (1.0, 7.0, False),
    "life_event": (0.5, 6.0, False),
    "supplier_induced": (1.5, 5.0, True),
}


def one_product(push: str, cap: float | None = None, customers: int = 5000) -> sim.Scenario:
    return sim.Scenario.from_dict(
        {
            "horizon": {"days": 10},
            "population": {"initial_customers": customers, "acquisition": "none"},
            "products": {"line": {"complexity": 1.5, "self_service_share": 0.6}},
            "segments": {"all": {"share": 1.0, "portfolio": {1: 1.0}, "products": {"line": 1.0}}},
            "reasons": {
                r: {"rate_per_year": rate, "handle_minutes": h, "self_service_eligible": el}
                for r, (rate, h, el) in RATES.items()
            },
            "handling": {"cv": 0.8, "wrap_up_minutes": 0.5},
            "channels": {"self_service": {"adoption": 0.5, "ineligible_success": 0.1}},
            "policies": {
                "p": {
                    "routing": "case_owner",
                    "handle_cap_minutes": cap,
                    "self_service": {"push": push},
                    "staffing": {"mode": "erlang_c", "forecast": "fresh"},
                }
            },
            "default_policy": "p",
        }
    )


def prepared(scenario: sim.Scenario, policy: str | None = None, seed: int = 1) -> Simulation:
    simulation = Simulation(scenario, policy, seed=seed)
    simulation.prepare()
    return simulation


@pytest.mark.parametrize(("push", "cap"), [("none", None), ("all", None), ("eligible", 6.0)])
def test_fresh_forecast_of_a_one_product_base(push, cap):
    s = prepared(one_product(push, cap))
    forecast = fresh_forecast(s, s.desk, np.ones(4))
    (queue,) = forecast
    lam, aht = forecast[queue]
    n = 5000
    rate = work = 0.0
    for rate_per_year, handle, eligible in RATES.values():
        pushed = push == "all" or (push == "eligible" and eligible)
        phone = 1.0 - (0.5 * (0.6 if eligible else 0.1) if pushed else 0.0)
        per_min = n * rate_per_year / MINUTES_PER_YEAR * phone
        rate += per_min
        work += per_min * (capped_mean(handle * 1.5, 0.8, cap, "lognormal") + 0.5)
    assert lam == pytest.approx(rate, rel=1e-12)
    assert aht == pytest.approx(work / rate, rel=1e-12)


def test_fresh_forecast_scales_with_the_day_multipliers():
    s = prepared(one_product("none"))
    base = fresh_forecast(s, s.desk, np.ones(4))
    doubled = fresh_forecast(s, s.desk, np.full(4, 2.0))
    (queue,) = s.desk.queues
    assert doubled[queue][0] == pytest.approx(2 * base[queue][0])
    assert doubled[queue][1] == pytest.approx(base[queue][1])


# -- plan and staff ----------------------------------------------------------------------------------
def meets_target_minimally(
    lam: float, aht: float, agents: int, target: float, seconds: float, minimum: int
) -> None:
    sl = mmc_metrics(lam, aht, agents, seconds).service_level
    assert sl >= target
    if agents > minimum and agents - 1 > lam * aht:
        assert mmc_metrics(lam, aht, agents - 1, seconds).service_level < target


@pytest.mark.parametrize("policy", ["efficiency", "effectiveness", "segmented"])
def test_erlang_c_staffing_meets_the_target_per_pool(policy):
    s = prepared(busy_utility(customers=3000, days=30, warmup=5), policy)
    st_ = s.desk.policy.staffing
    assert st_.mode == "erlang_c"
    agents, used = plan(s, s.desk, np.ones(4))
    assert set(agents) == set(s.desk.pools)
    for pool in s.desk.pools:
        (queue,) = pool.queues  # one queue per pool under these routings
        lam, aht = used[queue]
        assert lam > 0 and aht > 0
        meets_target_minimally(
            lam, aht, agents[pool], st_.target_service_level, st_.target_seconds, st_.min_agents_per_pool
        )
    assert max(agents.values()) > 1  # the busy base needs real pools
    names = staff(s, s.desk, np.ones(4))
    assert names == {pool.name: agents[pool] for pool in s.desk.pools}
    assert all(pool.capacity == agents[pool] for pool in s.desk.pools)


def test_an_observed_forecast_uses_each_pools_history():
    scenario = busy_utility(
        customers=3000, days=30, warmup=5, **{"policies.efficiency.staffing.forecast_window_days": 2}
    )
    s = prepared(scenario, "efficiency")
    front = s.desk.front
    for i, queue in enumerate(front.queues):
        queue.history.extend(
            [(0, 0, 0.0), (2000 + 500 * i, 1900, 1900 * (4.0 + i)), (2200, 2000, 2000 * (4.0 + i))]
        )
    agents, used = plan(s, s.desk, np.ones(4))
    st_ = s.desk.policy.staffing
    for i, (queue, pool) in enumerate(zip(front.queues, front.pools, strict=True)):
        lam, aht = used[queue]
        assert lam == pytest.approx((2000 + 500 * i + 2200) / (2 * MINUTES_PER_DAY))
        assert aht == pytest.approx(4.0 + i)
        meets_target_minimally(
            lam, aht, agents[pool], st_.target_service_level, st_.target_seconds, st_.min_agents_per_pool
        )


def test_a_fresh_forecast_ignores_history():
    scenario = busy_utility(
        customers=3000, days=30, warmup=5, **{"policies.efficiency.staffing.forecast": "fresh"}
    )
    s = prepared(scenario, "efficiency")
    fresh = fresh_forecast(s, s.desk, np.ones(4))
    for queue in s.desk.front.queues:
        queue.history.append((10**6, 10**6, 10**7))
    _, used = plan(s, s.desk, np.ones(4))
    assert used == fresh


@pytest.mark.parametrize(("policy", "total"), [("efficiency", 11), ("effectiveness", 6), ("efficiency", 2)])
def test_fixed_staffing_splits_the_head_count(policy, total):
    scenario = busy_utility(
        customers=3000,
        days=30,
        warmup=5,
        **{
            f"policies.{policy}.staffing.mode": "fixed",
            f"policies.{policy}.staffing.agents": total,
            f"policies.{policy}.staffing.account_managers": 3,
        },
    )
    s = prepared(scenario, policy)
    names = staff(s, s.desk, np.ones(4))
    front = [names[p.name] for p in s.desk.front.pools]
    assert sum(front) == max(total, len(front)) and min(front) >= 1
    if len(s.desk.routers) > 1:
        assert names["account_managers"] == 3
    # the split follows the forecast workload
    fresh = fresh_forecast(s, s.desk, np.ones(4))
    loads = np.array([fresh[q][0] * fresh[q][1] for q in s.desk.front.queues])
    assert front == [v for v in _split(total, loads, list(range(len(loads))), 1).values()]
