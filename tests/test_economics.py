"""sim.economics: lifetime value, acquisition cost, profit, prices; and the costs a run books."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.economics import Prices, acquisition_cost_per_customer, customer_lifetime_value, profit
from tests.conftest import small_utility


# -- customer lifetime value -------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.floats(-500.0, 500.0), st.floats(0.0, 0.97), st.floats(0.0, 0.3))
def test_clv_is_the_discounted_sum_of_expected_margins(margin, retention, discount):
    # the customer pays m at the end of year t if still there: probability r**t, discount (1 + i)**-t
    series = sum(margin * (retention / (1 + discount)) ** t for t in range(1, 3000))
    assert customer_lifetime_value(margin, retention, discount) == pytest.approx(series, rel=1e-9, abs=1e-9)


def test_clv_closed_form_values():
    assert customer_lifetime_value(100.0, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    assert customer_lifetime_value(100.0, 0.0, 0.1) == 0.0
    # without discounting: margin x expected number of paid years r / (1 - r)
    assert customer_lifetime_value(50.0, 0.75, 0.0) == pytest.approx(150.0)


def test_clv_matches_simulated_customers():
    rng = np.random.default_rng(3)
    r, i, m = 0.85, 0.08, 120.0
    years = rng.geometric(1 - r, 200_000) - 1  # years paid: stays t more years with probability r**t
    values = m * (1 - (1 + i) ** -years.astype(float)) / i  # an annuity of `years` payments
    se = values.std() / math.sqrt(values.size)
    assert abs(values.mean() - customer_lifetime_value(m, r, i)) <= 4 * se


@pytest.mark.parametrize(
    ("retention", "discount"), [(-0.1, 0.1), (1.1, 0.1), (1.0, 0.0), (0.5, -0.6), (math.nan, 0.1)]
)
def test_clv_outside_its_domain_is_a_value_error(retention, discount):
    with pytest.raises(ValueError, match="retention_rate"):
        customer_lifetime_value(100.0, retention, discount)


def test_clv_grows_with_retention_and_falls_with_discounting():
    values = [customer_lifetime_value(100.0, r, 0.08) for r in (0.5, 0.7, 0.9, 0.99)]
    assert values == sorted(values)
    assert customer_lifetime_value(100.0, 0.9, 0.2) < customer_lifetime_value(100.0, 0.9, 0.05)


# -- acquisition, profit, prices ----------------------------------------------------------------------
def test_acquisition_costs_a_multiple_of_retention():
    assert acquisition_cost_per_customer(6.5, 40.0) == pytest.approx(260.0)
    assert acquisition_cost_per_customer(0.0, 40.0) == 0.0


def test_profit_is_margin_on_revenue_minus_costs():
    assert profit(1000.0, 0.3, 200.0) == pytest.approx(100.0)
    assert profit(0.0, 0.3, 50.0) == -50.0


def test_prices_are_read_from_the_scenario(utility):
    changed = utility.override(
        {
            "economics.acquisition_multiple": 7.0,
            "economics.retention_cost_per_customer": 30.0,
            "economics.gross_margin": 0.25,
            "channels.self_service.cost_per_session": 0.9,
        }
    )
    prices = Prices.of(changed)
    assert prices == Prices(self_service_cost=0.9, acquisition_cost=210.0, gross_margin=0.25)
    with pytest.raises(AttributeError):
        prices.gross_margin = 0.5  # type: ignore[misc]


# -- what a run books --------------------------------------------------------------------------------
FIXED = {
    "policies.effectiveness.staffing.mode": "fixed",
    "policies.effectiveness.staffing.agents": 5,
    "policies.effectiveness.staffing.account_managers": 2,
    "policies.effectiveness.staffing.training_cost_per_agent_year": 3650.0,
    "economics.agent_cost_per_hour": 30.0,
    "economics.account_manager_cost_per_hour": 45.0,
}


@pytest.fixture(scope="module")
def fixed_run() -> tuple[sim.Scenario, sim.Result]:
    scenario = small_utility(customers=2000, days=40, warmup=10, **FIXED)
    return scenario, sim.run(scenario, "effectiveness", seed=3)


def test_agents_are_paid_for_staffed_time(fixed_run):
    _, result = fixed_run
    ts = result.timeseries
    assert (ts.agents_front == 5).all() and (ts.agents_am == 2).all()
    assert np.allclose(ts.cost_staff, 5 * 24 * 30.0)
    assert np.allclose(ts.cost_account_managers, 2 * 24 * 45.0)
    assert np.allclose(ts.cost_training, 5 * 3650.0 / 365.0)  # per staffed agent-year
    assert (ts.busy_minutes_front < ts.staffed_minutes_front).all()  # idle time is paid too


def test_a_policys_agent_cost_overrides_the_scenarios():
    scenario = small_utility(
        customers=500,
        days=5,
        warmup=1,
        **FIXED,
        **{"policies.effectiveness.staffing.agent_cost_per_hour": 50.0},
    )
    ts = sim.run(scenario, "effectiveness", seed=1).timeseries
    assert np.allclose(ts.cost_staff, 5 * 24 * 50.0)


def test_interventions_cost_per_active_customer_year(fixed_run):
    scenario, result = fixed_run
    (iv,) = scenario.policies["effectiveness"].interventions
    ts = result.timeseries
    assert np.allclose(ts.cost_interventions, iv.cost_per_customer_year * ts.customers / 365.0)


def test_summary_costs_add_up(fixed_run):
    scenario, result = fixed_run
    s, e, ts = result.summary, scenario.economics, result.timeseries
    window = ts[~ts.warmup]
    sessions = window.self_service_sessions.sum()
    service = (
        window.cost_staff.sum()
        + window.cost_account_managers.sum()
        + window.cost_training.sum()
        + window.cost_interventions.sum()
        + sessions * scenario.channels.self_service.cost_per_session
    )
    assert s["cost_service"] == pytest.approx(service)
    assert s["customers_acquired"] > 0
    assert s["cost_acquisition"] == pytest.approx(
        s["customers_acquired"] * e.acquisition_multiple * e.retention_cost_per_customer
    )
    assert s["cost_total"] == pytest.approx(s["cost_service"] + s["cost_acquisition"])
    assert s["profit"] == pytest.approx(e.gross_margin * s["revenue"] - s["cost_total"])
    costs = result.costs
    assert costs["acquisition"] == pytest.approx(s["cost_acquisition"])
    assert costs["gross_margin"] == pytest.approx(e.gross_margin * s["revenue"])


def test_revenue_accrues_daily_from_the_active_customers(fixed_run):
    _, result = fixed_run
    customers = result.customers
    active = customers[customers.status == "active"]
    assert result.timeseries.revenue.iloc[-1] == pytest.approx(active.revenue_per_year.sum() / 365.0)
