"""sim.routing: routers as objects; skills-based routing and its limiting cases.

Skills routing must reduce to the rules it generalises: with every agent holding
every skill it is one pooled queue (``case_owner``); with disjoint skills and
one-product issues it is one queue per department (``departmental``). Both
limits hold exactly here (same queues, same dispatch, the same draws in the same
order), which is stronger than the statistical equality they imply. Between
the limits, a little cross-training lowers the wait at equal head count
(Wallace & Whitt 2005).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from experiments.comparison import mean_ci
from sim.model import Simulation
from sim.routing import DepartmentalRouter, OnePoolRouter, SkillsRouter

TWO_LINES = ("water", "power")


def two_lines(
    policy: dict,
    *,
    customers: int = 2000,
    days: int = 40,
    portfolio: dict | None = None,
    rate: float = 20.0,
    patience: float | None = None,
    life_rate: float = 0.0,
) -> sim.Scenario:
    """Two products in two departments, exponential work, calls only (no churn, no self-service)."""
    lines = {"share": 1.0, "portfolio": portfolio or {1: 1.0}, "products": {"water": 0.5, "power": 0.5}}
    zero = {"rate_per_year": 0.0, "handle_minutes": 4.0}
    return sim.Scenario.from_dict(
        {
            "name": "two_lines",
            "horizon": {"days": days, "warmup_days": 2},
            "population": {"initial_customers": customers, "acquisition": "none"},
            "segments": {"all": {**lines, "patience_minutes": patience}},
            "products": {name: {"complexity": 1.0} for name in TWO_LINES},
            "reasons": {
                "usage": {"rate_per_year": rate, "handle_minutes": 4.0},
                "incident": zero,
                "supplier_induced": zero,
                "life_event": {"rate_per_year": life_rate, "handle_minutes": 4.0},
            },
            "handling": {"distribution": "exponential", "transfer_minutes": 0.0, "anger": 0.0},
            "response": {"max_attempts": None},
            "churn": {"enabled": False},
            "policies": {
                "p": {
                    "misroute_p": 0.0,
                    "transfer_resolution_loss": 0.0,
                    "knowledge": 1.0,
                    "promises": {"offer_p": 0.0},
                    "self_service": {"push": "none"},
                    **policy,
                }
            },
            "default_policy": "p",
        }
    )


def fixed(agents: int) -> dict:
    return {"mode": "fixed", "agents": agents}


def with_skills(scenario: sim.Scenario, **groups: tuple[list[str], int]) -> sim.Scenario:
    """The scenario's policy ``p`` under skills routing with these groups: name=(skills, agents)."""
    return scenario.override(
        {
            "policies.p.routing": "skills",
            "policies.p.skills": {"groups": {g: {"skills": s, "agents": n} for g, (s, n) in groups.items()}},
        }
    )


def same_summary(a: sim.Result, b: sim.Result) -> None:
    for k in sim.METRICS:
        x, y = a.summary[k], b.summary[k]
        # equal but for the order in which several pools' minutes are summed
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12, abs=0.0), k


# -- the routers are what the routing lever picks ------------------------------------------------------
@pytest.mark.parametrize(
    ("policy", "router"),
    [
        ({"routing": "departmental"}, DepartmentalRouter),
        ({"routing": "case_owner"}, OnePoolRouter),
        ({"routing": "skills", "skills": {"groups": {"all": {"skills": ["*"]}}}}, SkillsRouter),
    ],
)
def test_the_routing_lever_picks_the_router(policy, router):
    s = Simulation(two_lines({**policy, "staffing": fixed(3)}))
    assert type(s.desk.front) is router
    assert all(q.servers for q in s.desk.queues) and all(p.queues for p in s.desk.pools)


# -- the limiting cases ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "groups", [{"all": (["*"], 12)}, {"a": (["*"], 4), "b": (["*"], 5), "c": (["*"], 3)}]
)
def test_every_agent_holding_every_skill_is_one_pooled_queue(groups):
    """All groups hold all skills: one queue, served by whichever agent frees first = case_owner."""
    scenario = two_lines(
        {"staffing": fixed(12)}, rate=420.0, days=5, patience=3.0, portfolio={1: 0.6, 2: 0.4}, life_rate=40.0
    )
    everyone = with_skills(scenario, **groups)
    assert len(Simulation(everyone).desk.queues) == 1
    owner = sim.run(scenario.override({"policies.p.routing": "case_owner"}), seed=3)
    pooled = sim.run(everyone, seed=3)
    assert owner.summary["asa_seconds"] > 0 and owner.summary["abandonment_rate"] > 0  # queues formed
    same_summary(owner, pooled)


def test_disjoint_skills_without_multi_product_issues_are_departments():
    scenario = two_lines({"staffing": fixed(10)}, rate=400.0, days=5, patience=3.0)
    depts = Simulation(scenario.override({"policies.p.routing": "departmental"}))
    depts.prepare()
    staffing = scenario.policies["p"].staffing
    split = {pool.name: n for pool, n in depts.desk.front.fixed_agents(staffing, _fresh(depts)).items()}
    by_skill = with_skills(scenario, water=(["water"], split["water"]), power=(["power"], split["power"]))
    departmental = sim.run(scenario.override({"policies.p.routing": "departmental"}), seed=5)
    skilled = sim.run(by_skill, seed=5)
    assert departmental.summary["asa_seconds"] > 0
    same_summary(departmental, skilled)


def _fresh(s: Simulation):
    from sim.staffing import fresh_forecast

    return fresh_forecast(s, s.desk, np.ones(4))


# -- a little flexibility goes a long way -----------------------------------------------------------------
@pytest.mark.slow
def test_cross_training_some_agents_lowers_the_wait_at_equal_head_count():
    """12 agents: 6 + 6 specialists, against 5 + 5 specialists and 2 generalists (paired on CRN)."""
    base = two_lines({"staffing": fixed(12)}, rate=440.0, days=10, customers=3000)
    specialists = with_skills(base, water=(["water"], 6), power=(["power"], 6))
    flexible = with_skills(base, water=(["water"], 5), power=(["power"], 5), both=(["*"], 2))
    diffs = []
    for seed in range(1, 5):
        a = sim.run(specialists, seed=seed).summary["asa_seconds"]
        b = sim.run(flexible, seed=seed).summary["asa_seconds"]
        diffs.append(b - a)
    mean, half = mean_ci(diffs)
    assert mean + half < 0, f"cross-training changed ASA by {mean:.1f} s ± {half:.1f}"


# -- transfers: only when no group holds every skill -------------------------------------------------------
def test_an_issue_no_group_can_answer_alone_is_transferred_and_one_a_generalist_can_is_not():
    scenario = two_lines({"staffing": fixed(2)}, portfolio={2: 1.0}, rate=0.0, customers=20)
    specialists = with_skills(scenario, water=(["water"], 1), power=(["power"], 1))
    with_generalist = with_skills(scenario, water=(["water"], 1), power=(["power"], 1), both=(["*"], 1))
    for sc, legs in ((specialists, 2), (with_generalist, 1)):
        s = Simulation(sc, seed=1, record_contacts=True)
        customer = next(i for i in range(20) if _holds_both(sc, i))
        s.add_issue(3 * 1440.0 + 60.0, customer, "life_event")  # after the warm-up
        result = s.run()
        log = result.contacts
        assert len(log) == legs
        assert log.outcome.iloc[-1] == "resolved"
        assert (log.outcome.iloc[:-1] == "transferred").all()
        assert result.summary["skill_mismatch_transfers"] == legs - 1


def _holds_both(scenario: sim.Scenario, customer: int) -> bool:
    s = Simulation(scenario, seed=1)
    s.prepare()
    return bool((s.pop.holdings[customer] > 0).all())


# -- staffing and validation --------------------------------------------------------------------------------
def test_erlang_staffing_of_skill_groups_splits_each_queue_over_its_groups():
    scenario = two_lines({"staffing": {"mode": "erlang_c", "forecast": "fresh"}}, rate=40.0)
    sc = with_skills(scenario, water=(["water"], 1), power=(["power"], 1), both=(["*"], 1))
    s = Simulation(sc)
    s.prepare()
    router = s.desk.front
    forecast = _fresh(s)
    agents = router.erlang_agents(sc.policies["p"].staffing, forecast)
    water_queue = next(q for q in router.queues if q.products == (0,))
    lam, aht = forecast[water_queue]
    assert lam > 0
    # the water group gets half of the water queue's load (shared with the generalists)
    from sim.erlang import agents_for_service_level

    water_pool = next(p for p in router.pools if p.name == "water")
    assert agents[water_pool] == agents_for_service_level(lam / 2, aht, 0.8, 20.0)


@pytest.mark.parametrize(
    ("groups", "path", "words"),
    [
        (
            {"water": {"skills": ["water", "gas"]}},
            "policies.p.skills.groups.water.skills[1]",
            "unknown product",
        ),
        (
            {"water": {"skills": ["water"]}},
            "policies.p.skills.groups",
            "no group has the skill for product 'power'",
        ),
        ({}, "policies.p.skills.groups", "needs skill groups"),
    ],
)
def test_bad_skill_groups_are_refused_with_their_path(groups, path, words):
    data = two_lines({"staffing": fixed(2)}).model_dump()
    data["policies"]["p"]["routing"] = "skills"
    data["policies"]["p"]["skills"] = {"groups": groups}
    with pytest.raises(sim.ScenarioError) as info:
        sim.Scenario.from_dict(data)
    found = [e for e in info.value.errors if e.path == path]
    assert found and words in found[0].rule, info.value
