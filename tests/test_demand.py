"""sim.demand: Poisson issues per customer and reason, common random numbers, shocks, interventions.

Counts are compared with rate x holdings x days within four Poisson standard
errors (sqrt of the expected count); per-customer counts must be Poisson too
(variance / mean = 1 within its standard error sqrt(2 / (n - 1))).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.demand import Demand, reason_multipliers
from sim.policy import Intervention
from sim.population import CHURNED, Population
from sim.rng import Streams
from sim.units import DAYS_PER_YEAR, GENERATED_REASONS, MINUTES_PER_DAY

USAGE, INCIDENT, LIFE, SUPPLIER = range(4)
RATES = {"usage": 36.5, "incident": 18.25, "life_event": 7.3, "supplier_induced": 10.95}  # per year
MULT = {"a": {}, "b": {"incident": 2.0, "usage": 0.0}, "c": {"supplier_induced": 0.5}}


def demand_scenario(customers: int = 3000, **changes) -> sim.Scenario:
    base = sim.Scenario.from_dict(
        {
            "horizon": {"days": 400},
            "population": {"initial_customers": customers, "acquisition": "none"},
            "products": {name: {"rate_multipliers": m} for name, m in MULT.items()},
            "segments": {
                "one": {"share": 0.6, "portfolio": {1: 1.0}, "products": {"a": 0.5, "b": 0.3, "c": 0.2}},
                "many": {
                    "share": 0.4,
                    "portfolio": {2: 0.5, 4: 0.5},
                    "products": {"a": 0.4, "b": 0.4, "c": 0.2},
                },
            },
            "reasons": {
                name: {
                    "rate_per_year": rate,
                    "handle_minutes": 5.0,
                    "urgent_share": 0.3 if name == "incident" else 0.0,
                }
                for name, rate in RATES.items()
            },
        }
    )
    return base.override(changes) if changes else base


def build(
    customers: int = 3000, seed: int = 1, scenario: sim.Scenario | None = None
) -> tuple[Population, Demand]:
    scenario = scenario or demand_scenario(customers)
    streams = Streams(seed)
    pop = Population(scenario, streams)
    demand = Demand(scenario, pop, streams)
    demand.add_customers(pop.add(customers, 0.0))
    return pop, demand


def collect(demand: Demand, days: range, per_reason=None) -> dict[str, np.ndarray]:
    parts: dict[str, list] = {
        "day": [],
        "time": [],
        "customer": [],
        "reason": [],
        "product": [],
        "urgent": [],
    }
    for day in days:
        m = (
            np.ones(4)
            if per_reason is None
            else np.asarray(per_reason(day) if callable(per_reason) else per_reason)
        )
        issues = demand.day(day, m)
        parts["day"].append(np.full(len(issues), day))
        parts["time"].append(issues.time_min)
        parts["customer"].append(issues.customer)
        parts["reason"].append(issues.reason)
        parts["product"].append(issues.product)
        parts["urgent"].append(issues.urgent)
    return {k: np.concatenate(v) for k, v in parts.items()}


def expected_counts(pop: Population, days: float, alive: np.ndarray | None = None) -> np.ndarray:
    """rate x holdings x days per reason (life events: per customer)."""
    names = pop.product_names
    hold = pop.holdings[: pop.n] if alive is None else pop.holdings[: pop.n][alive]
    out = np.zeros(4)
    for r, reason in enumerate(GENERATED_REASONS):
        if reason == "life_event":
            out[r] = RATES[reason] * hold.shape[0]
        else:
            mult = np.array([MULT[p].get(reason, 1.0) for p in names])
            out[r] = RATES[reason] * float((hold * mult).sum())
    return out * days / DAYS_PER_YEAR


def poisson_ok(observed: float, expected: float) -> bool:
    return abs(observed - expected) <= 4.0 * math.sqrt(expected)


@pytest.fixture(scope="module")
def month() -> tuple[Population, dict[str, np.ndarray]]:
    pop, demand = build()
    return pop, collect(demand, range(30))


# -- counts, times, products ------------------------------------------------------------------------
def test_counts_per_reason_match_rate_times_holdings_times_days(month):
    pop, ev = month
    expected = expected_counts(pop, 30)
    for r in range(4):
        assert poisson_ok(int((ev["reason"] == r).sum()), expected[r]), GENERATED_REASONS[r]


def test_counts_per_product_follow_the_product_multipliers(month):
    pop, ev = month
    names = pop.product_names
    for r, reason in enumerate(GENERATED_REASONS):
        if reason == "life_event":
            assert (ev["product"][ev["reason"] == r] == -1).all()
            continue
        for j, name in enumerate(names):
            got = int(((ev["reason"] == r) & (ev["product"] == j)).sum())
            exp = (
                RATES[reason]
                * MULT[name].get(reason, 1.0)
                * pop.holdings[: pop.n, j].sum()
                * 30
                / DAYS_PER_YEAR
            )
            if exp == 0:
                assert got == 0, (reason, name)
            else:
                assert poisson_ok(got, exp), (reason, name)


def test_an_issue_concerns_a_product_the_customer_holds(month):
    pop, ev = month
    sel = ev["product"] >= 0
    assert (pop.holdings[ev["customer"][sel], ev["product"][sel]] > 0).all()


def test_times_fall_within_their_day_and_are_sorted(month):
    _, ev = month
    for day in range(30):
        t = ev["time"][ev["day"] == day]
        assert (t >= day * MINUTES_PER_DAY).all() and (t < (day + 1) * MINUTES_PER_DAY).all()
        assert (np.diff(t) >= 0).all()
    # and are uniform within the day (a homogeneous Poisson process)
    frac = (ev["time"] % MINUTES_PER_DAY) / MINUTES_PER_DAY
    assert stats.kstest(frac, "uniform").pvalue > 1e-3


def test_per_customer_counts_are_poisson(month):
    pop, ev = month
    a = pop.product_names.index("a")
    only_a = np.flatnonzero((pop.n_products[: pop.n] == 1) & (pop.holdings[: pop.n, a] == 1))
    counts = np.bincount(ev["customer"][ev["reason"] == USAGE], minlength=pop.n)[only_a]
    mean = RATES["usage"] * 30 / DAYS_PER_YEAR
    assert abs(counts.mean() - mean) <= 4 * math.sqrt(mean / counts.size)
    assert abs(counts.var(ddof=1) / counts.mean() - 1.0) <= 4 * math.sqrt(2.0 / (counts.size - 1))


def test_urgent_share_per_reason(month):
    _, ev = month
    inc = ev["reason"] == INCIDENT
    n = int(inc.sum())
    assert abs(ev["urgent"][inc].mean() - 0.3) <= 4 * math.sqrt(0.3 * 0.7 / n)
    assert not ev["urgent"][~inc].any()


# -- common random numbers --------------------------------------------------------------------------
def events_of(ev: dict[str, np.ndarray], customers: np.ndarray) -> list[tuple]:
    m = np.isin(ev["customer"], customers)
    return sorted(
        zip(
            ev["customer"][m].tolist(),
            ev["time"][m].tolist(),
            ev["reason"][m].tolist(),
            ev["product"][m].tolist(),
            ev["urgent"][m].tolist(),
            strict=True,
        )
    )


def test_a_customer_gets_the_same_issues_whatever_the_other_customers():
    _, small = build(customers=200, seed=3)
    _, large = build(customers=900, seed=3)
    a, b = collect(small, range(40)), collect(large, range(40))
    ids = np.arange(200)
    assert events_of(a, ids) == events_of(b, ids)
    assert len(events_of(a, np.array([7]))) > 0
    assert len(events_of(a, ids)) > 500


def test_a_shock_on_one_reason_leaves_the_other_reasons_alone():
    _, plain = build(customers=500, seed=4)
    _, shocked = build(customers=500, seed=4)
    a = collect(plain, range(30))
    b = collect(shocked, range(30), per_reason=[1.0, 1.0, 1.0, 3.0])
    for r in (USAGE, INCIDENT, LIFE):
        ma, mb = a["reason"] == r, b["reason"] == r
        assert np.array_equal(a["customer"][ma], b["customer"][mb])
        assert np.array_equal(a["time"][ma], b["time"][mb])
    pop = Population(demand_scenario(500), Streams(4))
    pop.add(500, 0.0)
    assert poisson_ok(int((b["reason"] == SUPPLIER).sum()), 3 * expected_counts(pop, 30)[SUPPLIER])


def test_a_different_seed_gives_different_issues():
    _, one = build(customers=300, seed=1)
    _, two = build(customers=300, seed=2)
    assert events_of(collect(one, range(10)), np.arange(300)) != events_of(
        collect(two, range(10)), np.arange(300)
    )


# -- rate changes ---------------------------------------------------------------------------------
def test_refresh_after_a_rate_increase_keeps_the_process_poisson_at_the_new_rate():
    pop, demand = build(customers=3000, seed=5)
    collect(demand, range(10))
    everyone = np.arange(pop.n)
    pop.holdings[: pop.n] *= 3
    demand.refresh(everyone)
    ev = collect(demand, range(10, 40))
    expected = expected_counts(pop, 30)
    for r in range(4):
        assert poisson_ok(int((ev["reason"] == r).sum()), expected[r]), GENERATED_REASONS[r]
    a = pop.product_names.index("a")
    only_a = np.flatnonzero((pop.n_products[: pop.n] == 1) & (pop.holdings[: pop.n, a] == 3))
    counts = np.bincount(ev["customer"][ev["reason"] == USAGE], minlength=pop.n)[only_a]
    mean = 3 * RATES["usage"] * 30 / DAYS_PER_YEAR
    assert abs(counts.mean() - mean) <= 4 * math.sqrt(mean / counts.size)
    assert abs(counts.var(ddof=1) / counts.mean() - 1.0) <= 4 * math.sqrt(2.0 / (counts.size - 1))


def test_refresh_after_a_rate_decrease_and_departures():
    pop, demand = build(customers=3000, seed=6)
    collect(demand, range(5))
    gone = np.arange(0, pop.n, 3)
    pop.leave(gone, 5 * MINUTES_PER_DAY, CHURNED)
    c = pop.product_names.index("c")
    pop.holdings[: pop.n, c] = 0  # every customer gives up product c
    demand.refresh(np.arange(pop.n))
    ev = collect(demand, range(5, 35))
    assert not np.isin(ev["customer"], gone).any()
    assert not (ev["product"] == c).any()
    expected = expected_counts(pop, 30, alive=pop.alive[: pop.n])
    for r in range(4):
        assert poisson_ok(int((ev["reason"] == r).sum()), expected[r]), GENERATED_REASONS[r]


def test_a_zero_multiplier_produces_no_issues_and_pauses_the_clock():
    pop, demand = build(customers=2000, seed=7)
    paused = collect(demand, range(10), per_reason=[1.0, 0.0, 1.0, 0.0])
    assert not np.isin(paused["reason"], [INCIDENT, SUPPLIER]).any()
    assert (paused["reason"] == USAGE).sum() > 0
    resumed = collect(demand, range(10, 40))
    expected = expected_counts(pop, 30)
    for r in (INCIDENT, SUPPLIER):
        assert poisson_ok(int((resumed["reason"] == r).sum()), expected[r])


def test_a_shock_multiplies_the_count():
    pop, demand = build(customers=2000, seed=8)
    ev = collect(demand, range(30), per_reason=[0.5, 1.0, 2.5, 1.0])
    expected = expected_counts(pop, 30)
    assert poisson_ok(int((ev["reason"] == USAGE).sum()), 0.5 * expected[USAGE])
    assert poisson_ok(int((ev["reason"] == LIFE).sum()), 2.5 * expected[LIFE])


# -- reason_multipliers ----------------------------------------------------------------------------
def shocks_scenario() -> sim.Scenario:
    return demand_scenario(10).override(
        {
            "timeline.shocks": [
                {"start_day": 10, "days": 5, "reason": "supplier_induced", "multiplier": 3.0},
                {"start_day": 12, "days": 10, "reason": "supplier_induced", "multiplier": 0.5},
                {"start_day": 0, "days": 2, "reason": "usage", "multiplier": 0.0},
            ]
        }
    )


def test_reason_multipliers_of_shocks():
    sc = shocks_scenario()
    expected_si = {9: 1.0, 10: 3.0, 11: 3.0, 12: 1.5, 14: 1.5, 15: 0.5, 21: 0.5, 22: 1.0}
    for day, value in expected_si.items():
        m = reason_multipliers(sc, [], day)
        assert m[SUPPLIER] == pytest.approx(value, abs=1e-15), day
        assert m[INCIDENT] == 1.0 and m[LIFE] == 1.0
    assert reason_multipliers(sc, [], 0)[USAGE] == 0.0 and reason_multipliers(sc, [], 1)[USAGE] == 0.0
    assert reason_multipliers(sc, [], 2)[USAGE] == 1.0


def test_reason_multipliers_of_a_ramping_intervention():
    sc = demand_scenario(10)
    iv = Intervention(reason="supplier_induced", reduction=0.6, start_day=20, ramp_days=10)
    values = np.array([reason_multipliers(sc, [iv], d)[SUPPLIER] for d in range(60)])
    assert (values[:20] == 1.0).all()  # not started
    assert values[30:] == pytest.approx(0.4, abs=1e-15)  # fully ramped: 1 - reduction
    ramp = values[19:31]
    steps = -np.diff(ramp)
    # a linear ramp: equal steps of reduction / ramp_days until the floor
    nonzero = steps[steps > 1e-12]
    assert nonzero.size == 10 and np.allclose(nonzero, 0.06, rtol=0, atol=1e-12)
    assert (np.diff(values) <= 1e-15).all()
    # other reasons untouched
    assert all(reason_multipliers(sc, [iv], d)[USAGE] == 1.0 for d in range(60))


def test_an_intervention_without_ramp_acts_at_once_and_stacks_with_shocks():
    sc = shocks_scenario()
    iv = Intervention(reason="supplier_induced", reduction=0.5, start_day=11, ramp_days=0)
    assert reason_multipliers(sc, [iv], 10)[SUPPLIER] == pytest.approx(3.0)
    assert reason_multipliers(sc, [iv], 11)[SUPPLIER] == pytest.approx(1.5)
    assert reason_multipliers(sc, [iv], 13)[SUPPLIER] == pytest.approx(0.75)
    assert reason_multipliers(sc, [iv], 30)[SUPPLIER] == pytest.approx(0.5)
    two = [iv, Intervention(reason="supplier_induced", reduction=0.5, start_day=11, ramp_days=0)]
    assert reason_multipliers(sc, two, 30)[SUPPLIER] == pytest.approx(0.25)
