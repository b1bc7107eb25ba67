"""Every shipped scenario file loads, tells its story in its opening comment, and runs."""

from __future__ import annotations

import pytest

import sim
from tests.conftest import SCENARIOS

FILES = sorted(SCENARIOS.glob("*.toml"))
REQUIRED = {
    "utility_callcentre.toml",
    "bank_portfolio.toml",
    "electronics_brand.toml",
    "made_to_measure.toml",
    "public_service.toml",
    "telecom_process_change.toml",
}


def test_the_required_scenarios_are_shipped():
    assert {f.name for f in FILES} >= REQUIRED


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_opens_with_its_story(path):
    head = path.read_text(encoding="utf-8").split("\n\n")[0:4]
    text = "\n".join(head)
    assert text.startswith("# "), "the file opens with a comment"
    for part in ("Story:", "Seed claim", "What to look at:"):
        assert part in path.read_text(encoding="utf-8").split("\nname =")[0], part


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_runs_under_every_policy(path):
    scenario = sim.load_scenario(path)
    assert scenario.name == path.stem
    # the same mechanisms on a smaller population and a shorter horizon
    small = scenario.override(
        {
            "population.initial_customers": min(scenario.population.initial_customers, 3000),
            "horizon.days": 90,
            "horizon.warmup_days": 15,
            "timeline.shocks": [
                s.model_dump() | {"start_day": min(s.start_day, 40)} for s in scenario.timeline.shocks
            ],
        }
    )
    for policy in small.policies:
        result = sim.run(small, policy, seed=1)
        s = result.summary
        assert s["issues_total"] > 0
        assert s["contacts_total"] >= s["issues_total"] * 0.9
        assert 0.0 <= s["service_level"] <= 1.0


def test_public_service_citizens_cannot_leave():
    scenario = sim.load_scenario(SCENARIOS / "public_service.toml").override(
        {"population.initial_customers": 3000, "horizon.days": 90, "horizon.warmup_days": 10}
    )
    for policy in ("efficiency", "effectiveness"):
        s = sim.run(scenario, policy, seed=2).summary
        assert s["churn_rate_annual"] == 0.0 and s["customers_lost"] == 0.0
        assert s["revenue"] == 0.0 and s["profit"] == -s["cost_total"]


def test_telecom_shock_triples_supplier_induced_contacts():
    scenario = sim.load_scenario(SCENARIOS / "telecom_process_change.toml")
    shock = scenario.timeline.shocks[0]
    assert (shock.reason, shock.multiplier, shock.days) == ("supplier_induced", 3.0, 60)
    small = scenario.override({"population.initial_customers": 5000})
    ts = sim.run(small, "efficiency", seed=1).timeseries  # no intervention: the multiplier is the shock alone
    window = slice(shock.start_day, shock.start_day + shock.days - 1)
    assert (ts.supplier_induced_multiplier.loc[window] == 3.0).all()
    assert (ts.supplier_induced_multiplier.drop(ts.loc[window].index) == 1.0).all()
    per_day = ts.contacts_supplier_induced
    assert per_day.loc[window].mean() > 2.2 * per_day.loc[shock.start_day - 30 : shock.start_day - 1].mean()
