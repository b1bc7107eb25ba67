"""A deterministic trace: fixed work, fixed delays, certain outcomes, exact times.

One customer holds two products handled by two departments. A life event at
minute 60 touches both, so under departmental routing the call is answered by
department ``a`` (3 minutes of work + 0.5 to hand over), transferred to ``b``,
where 12 minutes of work meet a 5-minute handle-time cap: the call ends
unresolved with a call-back promise that is always forgotten (keep rate 0).
At the deadline (24 h later) the promise is broken; 2 h after that the customer
chases; the chase is capped again, promised again, broken again, and as the
customer has now made ``max_attempts`` = 2 contacts, they give up.
"""

from __future__ import annotations

import importlib
import math
import re

import pytest

import sim
from sim.model import Simulation

DEADLINE = 24 * 60.0
CHASE = 2 * 60.0


def trace_scenario(**policy_changes) -> sim.Scenario:
    zero = {"rate_per_year": 0.0, "handle_minutes": 4.0}
    policy = {
        "routing": "departmental",
        "misroute_p": 0.0,
        "transfer_resolution_loss": 0.0,
        "handle_cap_minutes": 5.0,
        "knowledge": 1.0,
        "staffing": {"mode": "fixed", "agents": 2},
        "promises": {"offer_p": 1.0, "keep_rate": 0.0, "deadline_hours": 24.0},
        "self_service": {"push": "none"},
        **policy_changes,
    }
    return sim.Scenario.from_dict(
        {
            "name": "trace",
            "horizon": {"days": 4},
            "population": {"initial_customers": 1, "acquisition": "none"},
            "segments": {
                "only": {
                    "share": 1.0,
                    "portfolio": {2: 1.0},
                    "products": {"pa": 0.5, "pb": 0.5},
                    "patience_minutes": None,
                }
            },
            "products": {
                "pa": {"department": "a", "complexity": 0.5},
                "pb": {"department": "b", "complexity": 2.0},
            },
            "reasons": {
                "usage": zero,
                "incident": zero,
                "supplier_induced": zero,
                "life_event": {"rate_per_year": 0.0, "handle_minutes": 6.0},
            },
            "handling": {"cv": 0.0, "transfer_minutes": 0.5, "misroute_minutes": 1.0, "anger": 0.0},
            "response": {"delays": "fixed", "chase_delay_hours": 2.0, "max_attempts": 2},
            "churn": {"enabled": False},
            "policies": {"trace": policy},
            "default_policy": "trace",
        }
    )


def run_trace(seed: int = 1, **policy_changes) -> sim.Result:
    simulation = Simulation(trace_scenario(**policy_changes), seed=seed, record_contacts=True)
    simulation.add_issue(60.0, 0, "life_event")
    result = simulation.run()
    # portfolios are drawn with replacement: the story needs one product of each department
    customer = result.customers.loc[0]
    assert (customer.holds_pa, customer.holds_pb) == (1, 1), "seed must give the customer pa and pb"
    return result


def seeds_holding_both(count: int) -> list[int]:
    """Seeds under which the trace customer holds one pa and one pb (found, not assumed)."""
    found = []
    seed = 1
    while len(found) < count:
        pop = Simulation(trace_scenario(), seed=seed).pop
        pop.add(1, 0.0)
        if tuple(pop.holdings[0]) == (1, 1):
            found.append(seed)
        seed += 1
    return found


@pytest.fixture(scope="module")
def trace() -> sim.Result:
    return run_trace(seeds_holding_both(1)[0])


def test_contact_log_is_the_exact_story(trace):
    log = trace.contacts
    rows = [
        (r.channel, r.pool, r.reason, r.arrival, r.answered, r.end, r.outcome, r.attempt, r.transfers)
        for r in log.itertuples()
    ]
    first_end = 60.0 + 3.0 + 0.5
    second_end = first_end + 5.0
    broken_1 = second_end + DEADLINE
    chase_at = broken_1 + CHASE
    assert rows == [
        ("phone", "a", "life_event", 60.0, 60.0, first_end, "transferred", 1, 0),
        ("phone", "b", "life_event", first_end, first_end, second_end, "promised", 1, 1),
        ("phone", "b", "chase", chase_at, chase_at, chase_at + 5.0, "promised", 2, 0),
    ]


def test_summary_counts_the_story(trace):
    s = trace.summary
    assert s["issues_total"] == 1
    assert s["contacts_total"] == 2  # the first call (two legs) and the chase
    assert s["transfers_per_contact"] == pytest.approx(0.5)
    assert s["promises_made"] == 2
    assert s["promises_kept_rate"] == 0.0
    assert s["fcr"] == 0.0
    assert s["failure_demand_share"] == pytest.approx(0.5)  # the chase
    assert s["service_level"] == 1.0 and s["asa_seconds"] == 0.0


def test_the_issue_is_given_up_after_the_second_broken_promise(trace):
    ts = trace.timeseries
    assert ts["promises_broken"].sum() == 2
    # broken promises fall on day 1 (minute 1508.5) and day 2 (minute 3073.5), when they give up
    assert list(ts.loc[ts.promises_broken > 0, "day"]) == [1, 2]
    assert list(ts.loc[ts.issues_given_up > 0, "day"]) == [2]
    assert ts["issues_resolved"].sum() == 0
    # churn is off: still a customer, but less satisfied than the same person without the issue
    seed = seeds_holding_both(1)[0]
    untouched = Simulation(trace_scenario(), seed=seed).run()
    assert trace.customers.loc[0, "status"] == "active"
    assert trace.customers.loc[0, "satisfaction"] < untouched.customers.loc[0, "satisfaction"] - 0.05


def test_a_kept_promise_is_a_call_back_before_the_deadline():
    result = run_trace(
        seeds_holding_both(1)[0],
        promises={"offer_p": 1.0, "keep_rate": 1.0, "deadline_hours": 24.0},
        handle_cap_minutes=None,
    )
    log = result.contacts
    # without the cap department b resolves its part: the first contact resolves the issue
    assert list(log.outcome) == ["transferred", "resolved"]
    assert result.summary["fcr"] == 1.0
    assert math.isnan(result.summary["promises_kept_rate"])  # no promise came due


def test_the_trace_does_not_depend_on_the_seed(trace):
    cols = ["channel", "pool", "arrival", "answered", "end", "outcome"]
    for seed in seeds_holding_both(4)[1:]:
        assert run_trace(seed).contacts[cols].equals(trace.contacts[cols])


# -- the "Life of a contact" in docs/model.md is the path these stories take ---------------------------
def life_of_a_contact() -> dict[str, int]:
    """Function (``module.Class.method`` of sim/) -> the step of docs/model.md that names it."""
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    start = text.index("## Life of a contact")
    section = text[start : text.index("\n## ", start + 5)]
    steps: dict[str, int] = {}
    for number, body in re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", section, re.M | re.S):
        for name in re.findall(r"`([a-z_]+\.[A-Z]\w*\.\w+)`", body):
            steps.setdefault(name, int(number))
    return steps


def test_every_function_of_the_life_of_a_contact_exists():
    steps = life_of_a_contact()
    assert len(steps) >= 25 and sorted(set(steps.values())) == list(range(1, 13))
    for name in steps:
        module, cls, method = name.split(".")
        owner = getattr(importlib.import_module(f"sim.{module}"), cls)
        assert callable(getattr(owner, method, None)), f"docs/model.md names {name}, which does not exist"


def steps_taken(monkeypatch, seed: int, **policy_changes) -> list[int]:
    """Run a trace with every documented function (but step 1's) wrapped; the steps, repeats merged."""
    steps = {name: step for name, step in life_of_a_contact().items() if step > 1}
    taken: list[int] = []
    for name, step in steps.items():
        module, cls, method = name.split(".")
        owner = getattr(importlib.import_module(f"sim.{module}"), cls)
        original = getattr(owner, method)

        def wrapper(*args, _original=original, _step=step, **kwargs):
            if not taken or taken[-1] != _step:
                taken.append(_step)
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, method, wrapper)
    run_trace(seed, **policy_changes)
    return taken


def test_the_trace_story_takes_the_documented_steps(monkeypatch):
    seed = seeds_holding_both(1)[0]
    # call, leg at a, transfer to b, capped, promised and forgotten, broken at the deadline, chase,
    # capped again, promised and forgotten again, given up, judged
    assert steps_taken(monkeypatch, seed) == [2, 3, 4, 5, 7, 8, 4, 5, 7, 8, 9, 10, 3, 4, 5, 7, 8, 9, 11, 12]


def test_a_resolved_story_takes_the_documented_steps(monkeypatch):
    seed = seeds_holding_both(1)[0]
    # without the cap department b resolves its part: call, leg, transfer, leg, resolved, judged
    steps = steps_taken(monkeypatch, seed, handle_cap_minutes=None)
    assert steps == [2, 3, 4, 5, 7, 8, 4, 5, 7, 8, 12]
