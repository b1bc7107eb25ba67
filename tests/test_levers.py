"""Each lever moves its outcome in the direction the design says.

Every test runs the same small scenario twice on common random numbers (same
seed), changing one thing, and checks the direction of the effect on the
outcome that lever is for. Magnitudes are not pinned.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import busy_utility, small_utility

SEED = 11
BASE = {"customers": 4000, "days": 150, "warmup": 30}


def pair(policy: str, a: dict, b: dict, seed: int = SEED, record: bool = False, **scenario):
    """Results of ``policy`` with changes ``a`` and with changes ``b`` (same seed)."""
    kw = {**BASE, **scenario}
    ra = sim.run(small_utility(**kw, **a), policy, seed=seed, record_contacts=record)
    rb = sim.run(small_utility(**kw, **b), policy, seed=seed, record_contacts=record)
    return ra, rb


def busy_pair(policy: str, a: dict, b: dict, seed: int = SEED, record: bool = False, agents: int | None = 5):
    """Like ``pair`` on a desk with queues (``agents`` fixed, or the policy's staffing if None)."""
    fixed = (
        {}
        if agents is None
        else {f"policies.{policy}.staffing.mode": "fixed", f"policies.{policy}.staffing.agents": agents}
    )
    ra = sim.run(busy_utility(**fixed, **a), policy, seed=seed, record_contacts=record)
    rb = sim.run(busy_utility(**fixed, **b), policy, seed=seed, record_contacts=record)
    return ra, rb


# -- routing and handling ------------------------------------------------------------
def test_case_owner_routing_removes_transfers_and_raises_fcr():
    dep, own = pair("efficiency", {}, {"policies.efficiency.routing": "case_owner"})
    assert dep.summary["transfers_per_contact"] > 0.02
    assert own.summary["transfers_per_contact"] == 0.0
    assert own.summary["fcr"] > dep.summary["fcr"]


def test_misrouting_adds_transfers():
    lo, hi = pair(
        "efficiency", {"policies.efficiency.misroute_p": 0.0}, {"policies.efficiency.misroute_p": 0.4}
    )
    assert hi.summary["transfers_per_contact"] > lo.summary["transfers_per_contact"] + 0.05


def test_transfer_information_loss_lowers_fcr():
    lo, hi = pair(
        "efficiency",
        {"policies.efficiency.transfer_resolution_loss": 0.0},
        {"policies.efficiency.transfer_resolution_loss": 0.8},
    )
    assert hi.summary["fcr"] < lo.summary["fcr"]


def test_handle_time_cap_lowers_fcr_and_adds_repeats():
    none, tight = pair("effectiveness", {}, {"policies.effectiveness.handle_cap_minutes": 3.0})
    assert tight.summary["fcr"] < none.summary["fcr"] - 0.05
    assert tight.summary["repeat_contact_share"] > none.summary["repeat_contact_share"]


def test_knowledge_raises_fcr():
    lo, hi = pair(
        "efficiency", {"policies.efficiency.knowledge": 0.6}, {"policies.efficiency.knowledge": 0.98}
    )
    assert hi.summary["fcr"] > lo.summary["fcr"] + 0.05


def test_anger_lengthens_repeat_calls():
    # no self-service, so a contact's attempt number is its call number: call n needs 1 + anger (n - 1)
    no_web = {"policies.efficiency.handle_cap_minutes": None, "policies.efficiency.self_service.push": "none"}
    calm, angry = pair("efficiency", {"handling.anger": 0.0}, {"handling.anger": 1.0}, record=True, **no_web)

    def second_call_handle(r):
        log = r.contacts
        legs = log[
            (log.channel == "phone")
            & (log.attempt == 2)
            & (log.transfers == 0)
            & (log.outcome != "abandoned")
        ]
        return legs.handle_minutes.mean()

    assert second_call_handle(angry) > 1.5 * second_call_handle(calm)


# -- staffing ------------------------------------------------------------------------
def test_more_agents_answer_faster_and_cost_more():
    few, many = pair(
        "efficiency",
        {"policies.efficiency.staffing.mode": "fixed", "policies.efficiency.staffing.agents": 3},
        {"policies.efficiency.staffing.mode": "fixed", "policies.efficiency.staffing.agents": 9},
    )
    assert many.summary["service_level"] > few.summary["service_level"]
    assert many.summary["asa_seconds"] < few.summary["asa_seconds"]
    assert many.summary["cost_service"] > few.summary["cost_service"]


def test_a_higher_service_level_target_staffs_more():
    lo, hi = pair(
        "efficiency",
        {"policies.efficiency.staffing.target_service_level": 0.5},
        {"policies.efficiency.staffing.target_service_level": 0.97},
    )
    assert hi.timeseries.agents_front.mean() > lo.timeseries.agents_front.mean()
    assert hi.summary["service_level"] > lo.summary["service_level"]


def test_a_forecast_that_ignores_repeats_understaffs():
    observed, fresh = busy_pair(
        "efficiency",
        {"policies.efficiency.staffing.forecast": "observed"},
        {"policies.efficiency.staffing.forecast": "fresh"},
        agents=None,
    )
    assert fresh.timeseries.agents_front.mean() <= observed.timeseries.agents_front.mean()
    assert fresh.summary["service_level"] < observed.summary["service_level"]


# -- promises -----------------------------------------------------------------------
def test_keeping_promises_removes_chases():
    broken, kept = pair(
        "efficiency",
        {"policies.efficiency.promises.keep_rate": 0.2},
        {"policies.efficiency.promises.keep_rate": 1.0},
    )
    assert kept.summary["promises_kept_rate"] > broken.summary["promises_kept_rate"] + 0.3
    assert kept.timeseries.contacts_chase.sum() < broken.timeseries.contacts_chase.sum()
    assert kept.summary["satisfaction_mean"] > broken.summary["satisfaction_mean"]


def test_call_backs_ahead_of_inbound_are_kept_more_under_load():
    load = {
        "policies.efficiency.promises.keep_rate": 1.0,
        "policies.efficiency.promises.deadline_hours": 0.25,
    }
    low, high = busy_pair(
        "efficiency",
        {**load, "policies.efficiency.promises.callback_priority": "low"},
        {**load, "policies.efficiency.promises.callback_priority": "high"},
    )
    assert high.summary["promises_kept_rate"] > low.summary["promises_kept_rate"]


# -- channels, priority, account managers ----------------------------------------------
def test_pushing_issues_to_self_service_moves_contacts_to_the_web():
    none, push = pair(
        "efficiency",
        {"policies.efficiency.self_service.push": "none"},
        {"policies.efficiency.self_service.push": "all"},
    )
    assert none.timeseries.self_service_sessions.sum() == 0
    assert push.timeseries.self_service_sessions.sum() > 1000
    assert push.timeseries.calls.sum() < none.timeseries.calls.sum()


def test_segment_priority_shortens_that_segments_wait():
    # priority reorders callers who wait together: one pool, patient callers, a real queue
    queue = {
        "policies.efficiency.routing": "case_owner",
        **{f"segments.{s}.patience_minutes": 20.0 for s in ("incidental", "multi", "portfolio")},
    }
    flat, prio = busy_pair(
        "efficiency",
        {**queue, "policies.efficiency.priority": {}},
        {**queue, "policies.efficiency.priority": {"portfolio": 9}},
        agents=4,
    )
    assert flat.summary["occupancy"] > 0.6
    assert (
        prio.by_segment.loc["portfolio", "asa_seconds"]
        < 0.6 * flat.by_segment.loc["portfolio", "asa_seconds"]
    )


def test_account_managers_resolve_more_for_their_segment():
    plain, am = pair(
        "efficiency",
        {"policies.efficiency.account_managers.segments": []},
        {"policies.efficiency.account_managers.segments": ["portfolio"]},
        customers=8000,
    )
    seg = "portfolio"
    assert am.by_segment.loc[seg, "fcr"] > plain.by_segment.loc[seg, "fcr"]
    assert (
        am.by_segment.loc[seg, "transfers_per_contact"] < plain.by_segment.loc[seg, "transfers_per_contact"]
    )
    assert am.costs["account_managers"] > 0 == plain.costs["account_managers"]


def test_bypass_lets_urgent_issues_skip_the_queue():
    off, on = busy_pair(
        "efficiency", {"policies.efficiency.bypass": False}, {"policies.efficiency.bypass": True}, record=True
    )

    def urgent_wait(r):
        legs = r.contacts[(r.contacts.channel == "phone") & r.contacts.urgent]
        return legs.wait_minutes.mean()

    assert urgent_wait(on) < urgent_wait(off)


# -- customers, money, demand ---------------------------------------------------------------
def test_pruning_lets_unprofitable_customers_go():
    prune = {
        "policies.efficiency.pruning.enabled": True,
        "policies.efficiency.pruning.review_days": 30,
        "policies.efficiency.pruning.min_tenure_days": 0,
        "policies.efficiency.pruning.cost_to_margin_ratio": 0.2,
    }
    off, on = pair("efficiency", {}, prune)
    assert on.customers.status.eq("pruned").sum() > 0
    assert off.customers.status.eq("pruned").sum() == 0
    assert on.summary["customers_lost"] > off.summary["customers_lost"]


def test_a_failure_demand_programme_removes_supplier_induced_contacts_at_a_cost():
    iv = [
        {
            "name": "fix_bills",
            "reason": "supplier_induced",
            "reduction": 0.8,
            "ramp_days": 0,
            "cost_per_customer_year": 2.0,
        }
    ]
    off, on = pair("efficiency", {}, {"policies.efficiency.interventions": iv})
    assert (
        on.timeseries.contacts_supplier_induced.sum() < 0.5 * off.timeseries.contacts_supplier_induced.sum()
    )
    assert on.costs["interventions"] > 0 == off.costs["interventions"]
    assert on.summary["failure_demand_share"] < off.summary["failure_demand_share"]


def test_a_shock_multiplies_its_reason_for_its_window():
    shock = [{"start_day": 60, "days": 30, "reason": "supplier_induced", "multiplier": 3.0}]
    calm, shocked = pair("efficiency", {}, {"timeline.shocks": shock})
    w = slice(60, 90)
    ratio = (
        shocked.timeseries.contacts_supplier_induced[w].sum()
        / calm.timeseries.contacts_supplier_induced[w].sum()
    )
    assert 2.2 < ratio < 4.0  # first contacts triple; repeats of them follow suit
    before = slice(30, 60)
    assert (
        shocked.timeseries.contacts_supplier_induced[before].sum()
        == calm.timeseries.contacts_supplier_induced[before].sum()
    )


def test_a_policy_switch_changes_the_desk_from_that_day():
    switch = [{"day": 80, "policy": "effectiveness"}]
    r = sim.run(small_utility(**BASE, **{"timeline.switches": switch}), "efficiency", seed=SEED)
    ts = r.timeseries
    assert set(ts.policy[:80]) == {"efficiency"} and set(ts.policy[80:]) == {"effectiveness"}
    assert ts.transfers[60:80].sum() > 0
    assert ts.transfers[85:].sum() == 0  # case owners do not transfer
    assert r.policy == "efficiency"


@pytest.mark.parametrize(
    ("path", "low", "high", "metric", "sign"),
    [
        ("response.loss_aversion", 1.0, 4.0, "satisfaction_mean", -1),
        ("response.market_drift_per_year", 0.0, 0.4, "satisfaction_mean", -1),
        ("churn.lock_in", 0.0, 3.0, "churn_rate_annual", -1),
        ("churn.exit_after_unresolved", 0.0, 0.6, "churn_rate_annual", +1),
        ("churn.sensitivity", 0.0, 10.0, "churn_rate_annual", +1),
        ("economics.acquisition_multiple", 5.0, 8.0, "cost_acquisition", +1),
        ("response.retry_p", 0.3, 1.0, "contacts_per_issue", +1),
    ],
)
def test_customer_and_economic_mechanisms(path, low, high, metric, sign):
    lo, hi = pair("efficiency", {path: low}, {path: high})
    assert sign * (hi.summary[metric] - lo.summary[metric]) > 0


def test_replace_churn_keeps_the_base_and_pays_for_it():
    none, rep = pair(
        "efficiency", {"population.acquisition": "none"}, {"population.acquisition": "replace_churn"}
    )
    assert (
        none.summary["customers_acquired"] == 0
        and none.summary["customers_end"] < none.summary["customers_start"]
    )
    assert rep.summary["customers_acquired"] > 0
    assert abs(rep.timeseries.customers.iloc[-1] - BASE["customers"]) <= 5
    assert rep.summary["cost_acquisition"] > 0


def test_fixed_rate_acquisition_adds_customers_at_about_the_rate():
    r = sim.run(
        small_utility(
            **BASE, **{"population.acquisition": "fixed_rate", "population.acquisition_per_year": 3650.0}
        ),
        "efficiency",
        seed=SEED,
    )
    acquired = r.timeseries.acquired.sum()
    expected = 3650.0 / 365 * (BASE["days"] - 1)
    assert abs(acquired - expected) < 4 * np.sqrt(expected)
