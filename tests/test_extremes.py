"""Extreme but valid input gives sane numbers: rates in [0, 1], and no NaN without a reason."""

from __future__ import annotations

import math

import pytest

import sim
from tests.conftest import busy_utility, small_utility

RATES = (
    "service_level",
    "abandonment_rate",
    "occupancy",
    "fcr",
    "repeat_contact_share",
    "failure_demand_share",
    "promises_kept_rate",
    "p_wait",
    "satisfaction_mean",
    "effort_mean",
)
ZERO_RATES = {
    f"reasons.{r}.rate_per_year": 0.0 for r in ("usage", "incident", "life_event", "supplier_induced")
}


def check_sane(result: sim.Result) -> None:
    s = result.summary
    for k in RATES:
        assert math.isnan(s[k]) or 0.0 <= s[k] <= 1.0, (k, s[k])
    for k, v in s.items():
        assert not math.isinf(v), k
        if math.isnan(v):
            assert any(note.startswith(f"{k} is NaN: ") for note in result.notes), (k, result.notes)
    assert all(v >= 0 for v in result.costs.values())
    assert (result.customers.satisfaction.between(0, 1)).all()


@pytest.mark.parametrize("policy", ["efficiency", "effectiveness", "segmented"])
def test_zero_demand(policy):
    result = sim.run(small_utility(customers=500, days=30, warmup=2, **ZERO_RATES), policy, seed=1)
    s = result.summary
    assert s["contacts_total"] == 0 and s["issues_total"] == 0
    assert math.isnan(s["fcr"]) and "fcr is NaN: no issues arose in the window" in result.notes
    check_sane(result)


def test_one_customer():
    result = sim.run(small_utility(customers=1, days=60, warmup=1), "efficiency", seed=4)
    assert result.summary["customers_start"] == 1
    check_sane(result)


def test_thousands_of_agents():
    sc = busy_utility(
        **{"policies.efficiency.staffing.mode": "fixed", "policies.efficiency.staffing.agents": 5000}
    )
    result = sim.run(sc, "efficiency", seed=2)
    s = result.summary
    assert s["service_level"] == 1.0 and s["asa_seconds"] == 0.0 and s["abandonment_rate"] == 0.0
    assert s["occupancy"] < 0.01
    check_sane(result)


@pytest.mark.parametrize("patience", [1e-6, 1e-3, 1e4])
def test_patience_at_the_extremes(patience):
    changes = {f"segments.{s}.patience_minutes": patience for s in ("incidental", "multi", "portfolio")}
    sc = busy_utility(
        **changes, **{"policies.efficiency.staffing.mode": "fixed", "policies.efficiency.staffing.agents": 4}
    )
    result = sim.run(sc, "efficiency", seed=3)
    s = result.summary
    if patience < 1e-2:
        assert s["abandonment_rate"] > 0.2  # everyone who has to wait at all hangs up
        assert s["service_level"] == pytest.approx(1 - s["abandonment_rate"], abs=1e-9)
    else:
        assert s["abandonment_rate"] < 0.01
    check_sane(result)


def test_no_staff_budget_and_free_everything():
    free = {
        "economics.agent_cost_per_hour": 0.0,
        "economics.account_manager_cost_per_hour": 0.0,
        "channels.self_service.cost_per_session": 0.0,
        "economics.retention_cost_per_customer": 0.0,
        "economics.gross_margin": 0.0,
    }
    result = sim.run(small_utility(customers=800, days=40, warmup=5, **free), "effectiveness", seed=1)
    s = result.summary
    assert s["cost_total"] == pytest.approx(s["cost_service"]) and s["cost_acquisition"] == 0.0
    check_sane(result)


def test_everyone_leaves_at_once():
    sc = small_utility(
        customers=300, days=60, warmup=5, **{"churn.base_per_year": 1000.0, "population.acquisition": "none"}
    )
    result = sim.run(sc, "efficiency", seed=1)
    assert result.summary["customers_end"] == 0
    assert (result.customers.status != "active").all()
    check_sane(result)


def test_a_ten_year_horizon_runs_and_keeps_daily_rows():
    result = sim.run(small_utility(customers=200, days=3650, warmup=30), "efficiency", seed=1)
    assert len(result.timeseries) == 3650
    check_sane(result)
