"""Invariants that must hold for any valid scenario and policy (hypothesis).

Satisfaction and expectation stay in [0, 1]; churned customers never return;
every issue is resolved, given up or still open; costs are never negative;
rates are in [0, 1]; the same seed gives the same result.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from tests.conftest import small_utility

RATE_METRICS = (
    "service_level",
    "abandonment_rate",
    "fcr",
    "repeat_contact_share",
    "failure_demand_share",
    "promises_kept_rate",
    "p_wait",
    "effort_mean",
    "satisfaction_mean",
)
COST_METRICS = ("cost_service", "cost_acquisition", "cost_total", "cost_per_contact", "cost_per_resolution")

probability = st.floats(0.0, 1.0)
changes = st.fixed_dictionaries(
    {
        "policy": st.sampled_from(["efficiency", "effectiveness", "segmented"]),
        "knowledge": probability,
        "cap": st.one_of(st.none(), st.floats(0.5, 20.0)),
        "keep": probability,
        "offer": probability,
        "misroute": probability,
        "push": st.sampled_from(["all", "eligible", "none"]),
        "retry": probability,
        "redial": probability,
        "patience": st.one_of(st.none(), st.floats(0.05, 10.0)),
        "anger": st.floats(0.0, 2.0),
        "loss_aversion": st.floats(0.0, 5.0),
        "gain": probability,
        "drift": st.floats(-0.5, 0.5),
        "churn_on": st.booleans(),
        "acquisition": st.sampled_from(["none", "fixed_rate", "replace_churn"]),
        "delays": st.sampled_from(["exponential", "fixed"]),
    }
)


def build(c: dict) -> tuple[sim.Scenario, str]:
    pol = c["policy"]
    scenario = small_utility(
        customers=600,
        days=40,
        warmup=5,
        **{
            f"policies.{pol}.knowledge": c["knowledge"],
            f"policies.{pol}.handle_cap_minutes": c["cap"],
            f"policies.{pol}.promises.keep_rate": c["keep"],
            f"policies.{pol}.promises.offer_p": c["offer"],
            f"policies.{pol}.misroute_p": c["misroute"],
            f"policies.{pol}.self_service.push": c["push"],
            "response.retry_p": c["retry"],
            "response.redial_p": c["redial"],
            "response.loss_aversion": c["loss_aversion"],
            "response.satisfaction_gain": c["gain"],
            "response.market_drift_per_year": c["drift"],
            "response.delays": c["delays"],
            "handling.anger": c["anger"],
            "segments.incidental.patience_minutes": c["patience"],
            "segments.multi.patience_minutes": c["patience"],
            "segments.portfolio.patience_minutes": c["patience"],
            "churn.enabled": c["churn_on"],
            "population.acquisition": c["acquisition"],
            "population.acquisition_per_year": 300.0,
        },
    )
    return scenario, pol


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes, st.integers(0, 2**31 - 1))
def test_invariants_hold(c, seed):
    scenario, policy = build(c)
    result = sim.run(scenario, policy, seed=seed, record_contacts=True)
    s = result.summary
    assert set(s) == set(sim.METRICS)

    customers = result.customers
    assert customers.satisfaction.between(0.0, 1.0).all()
    assert customers.expectation.between(0.0, 1.0).all()
    ts = result.timeseries
    assert (ts.satisfaction_mean.dropna().between(0.0, 1.0)).all()

    # churned customers never return: no contact starts after a customer's exit
    gone = customers[customers.status != "active"].set_index("customer").exit_day * 1440.0
    log = result.contacts
    if len(gone) and len(log):
        arrivals = log[log.customer.isin(gone.index)]
        assert (arrivals.arrival.to_numpy() <= gone.loc[arrivals.customer].to_numpy() + 1e-9).all()
    if not c["churn_on"]:
        assert (customers.status == "active").all()  # nobody leaves (pruning is off)
        assert s["churn_rate_annual"] == 0.0

    # every issue is resolved, given up, or still open at the end: the counters agree with the issues
    # themselves (Result.issues is built from the issue objects, not from the counters)
    states = result.issues.status.value_counts()
    assert len(result.issues) == ts.issues.sum()
    assert states.get("resolved", 0) == ts.issues_resolved.sum()
    assert states.get("given_up", 0) == ts.issues_given_up.sum()
    assert states.get("open", 0) == result.open_issues

    for k in RATE_METRICS:
        assert math.isnan(s[k]) or 0.0 <= s[k] <= 1.0 + 1e-12, k
    for k in COST_METRICS:
        assert math.isnan(s[k]) or s[k] >= 0.0, k
    assert all(v >= 0.0 for v in result.costs.values())
    assert s["cost_total"] == s["cost_service"] + s["cost_acquisition"]
    for k, v in s.items():
        assert not (isinstance(v, float) and math.isnan(v)) or any(n.startswith(k) for n in result.notes), k


@settings(max_examples=8, deadline=None)
@given(changes, st.integers(0, 2**31 - 1))
def test_same_seed_same_result(c, seed):
    scenario, policy = build(c)
    a = sim.run(scenario, policy, seed=seed)
    b = sim.run(scenario, policy, seed=seed)
    assert list(a.summary) == list(b.summary)
    assert all(_same(a.summary[k], b.summary[k]) for k in a.summary)
    assert a.timeseries.equals(b.timeseries)
    assert np.array_equal(a.customers.satisfaction.to_numpy(), b.customers.satisfaction.to_numpy())


def _same(x: float, y: float) -> bool:
    return x == y or (math.isnan(x) and math.isnan(y))


def test_different_seeds_differ():
    scenario = small_utility(customers=600, days=40, warmup=5)
    a = sim.run(scenario, "efficiency", seed=1).summary
    b = sim.run(scenario, "efficiency", seed=2).summary
    assert a["contacts_total"] != b["contacts_total"]
