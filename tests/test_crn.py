"""Common random numbers: the same seed gives the same exogenous demand under every policy."""

from __future__ import annotations

import sim
from tests.conftest import small_utility

EXOGENOUS = {"usage", "incident", "life_event"}


def first_contacts(result: sim.Result):
    log = result.contacts.sort_values(["issue", "arrival"]).groupby("issue", observed=True).first()
    return log


def exogenous_issues(result: sim.Result) -> set[tuple[int, str, float]]:
    first = first_contacts(result)
    first = first[first.reason.astype(str).isin(EXOGENOUS)]
    return {
        (int(c), str(r), round(float(t), 9))
        for c, r, t in zip(first.customer, first.reason, first.arrival, strict=True)
    }


def test_same_exogenous_issues_per_customer_under_two_policies():
    scenario = small_utility(
        customers=3000, days=90, warmup=10, **{"churn.enabled": False, "population.acquisition": "none"}
    )
    a = sim.run(scenario, "efficiency", seed=7, record_contacts=True)
    b = sim.run(scenario, "effectiveness", seed=7, record_contacts=True)
    issues_a, issues_b = exogenous_issues(a), exogenous_issues(b)
    assert len(issues_a) > 500  # about 3000 x 90/365 x 1.1
    assert issues_a == issues_b
    # the policies did differ: effectiveness removes supplier-induced demand
    si = "contacts_supplier_induced"
    assert b.timeseries[si].sum() < a.timeseries[si].sum()


def test_a_different_seed_gives_different_issues():
    scenario = small_utility(customers=1000, days=30, warmup=5, **{"churn.enabled": False})
    a = exogenous_issues(sim.run(scenario, "efficiency", seed=1, record_contacts=True))
    b = exogenous_issues(sim.run(scenario, "efficiency", seed=2, record_contacts=True))
    assert a != b


def test_customers_are_the_same_people_under_every_policy():
    scenario = small_utility(customers=2000, days=20, warmup=2, **{"churn.enabled": False})
    a = sim.run(scenario, "efficiency", seed=3).customers
    b = sim.run(scenario, "segmented", seed=3).customers
    cols = ["segment", "products", "revenue_per_year", *[c for c in a.columns if c.startswith("holds_")]]
    assert a[cols].equals(b[cols])
