"""sim.response: the experience q of a finished issue, and what it does to S and E.

The formulas are the documented ones, evaluated by hand on hand-built issues:

    q = w_res * resolved + w_eff * (1 - effort) + w_speed * speed + w_prom * kept
    effort = 1 - exp(-units / effort_scale), speed = exp(-mean wait per queue visit / scale)
    S += a D (D >= 0) or loss_aversion * a D (D < 0), clipped; E moves toward q, faster up.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.issue import Issue
from sim.response import CustomerResponse

SCENARIO = sim.Scenario.from_dict(
    {
        "horizon": {"days": 10},
        "population": {"initial_customers": 1},
        "products": {"p": {}},
        "segments": {"s": {"share": 1.0, "portfolio": {1: 1.0}, "products": {"p": 1.0}}},
        "response": {
            "weights": {"resolution": 0.5, "effort": 0.2, "speed": 0.1, "promises": 0.2},
            "effort_units": {
                "extra_contact": 1.0,
                "wait_minute": 0.1,
                "transfer": 0.5,
                "channel_switch": 0.4,
                "chase": 1.5,
                "self_service_session": 0.3,
            },
            "effort_scale": 3.0,
            "speed_scale_minutes": 2.0,
            "satisfaction_gain": 0.2,
            "loss_aversion": 2.5,
            "expectation_up": 0.3,
            "expectation_down": 0.05,
            "broken_promise_penalty": 0.04,
        },
    }
)
W_RES, W_EFF, W_SPEED, W_PROM = 0.5, 0.2, 0.1, 0.2


def issue(**attrs) -> Issue:
    it = Issue(1, 0, 0, 0, 0.0, [0], False)
    for k, v in attrs.items():
        setattr(it, k, v)
    return it


def response(s: float = 0.5, e: float = 0.5, scenario: sim.Scenario = SCENARIO) -> CustomerResponse:
    return CustomerResponse(scenario, np.array([s]), np.array([e]))


# -- experience ------------------------------------------------------------------------------------
def test_a_quick_resolved_issue_is_perfect():
    q, effort = response().experience(issue(contacts=1), True)
    assert effort == 0.0
    assert q == pytest.approx(1.0)


def test_resolution_is_worth_exactly_its_weight():
    it = issue(contacts=3, wait_minutes=4.0, waits=2, transfers=1)
    q_res, e_res = response().experience(it, True)
    q_not, e_not = response().experience(it, False)
    assert e_res == e_not
    assert q_res - q_not == pytest.approx(W_RES)


def test_effort_units_and_saturation():
    it = issue(contacts=3, wait_minutes=5.0, waits=2, transfers=2, switches=1, chases=1, sessions=1)
    units = 1.0 * 2 + 0.1 * 5.0 + 0.5 * 2 + 0.4 * 1 + 1.5 * 1 + 0.3 * 1
    r = response()
    assert r.effort(it) == pytest.approx(1.0 - math.exp(-units / 3.0))
    # saturating: each extra transfer adds less effort than the one before
    efforts = [r.effort(issue(contacts=1, transfers=k)) for k in range(12)]
    steps = np.diff(efforts)
    assert (steps > 0).all() and (np.diff(steps) < 0).all()
    assert efforts[-1] < 1.0


def test_the_first_contact_costs_no_effort():
    r = response()
    assert r.effort(issue(contacts=1)) == 0.0
    assert r.effort(issue(contacts=0)) == 0.0
    assert r.effort(issue(contacts=2)) == pytest.approx(1.0 - math.exp(-1.0 / 3.0))


def test_speed_is_the_mean_wait_per_queue_visit():
    r = response()
    # 6 minutes over 3 queue visits: 2 minutes each -> exp(-2 / 2)
    it = issue(contacts=1, wait_minutes=6.0, waits=3)
    effort = r.effort(it)
    q, _ = r.experience(it, True)
    assert q == pytest.approx(W_RES + W_EFF * (1 - effort) + W_SPEED * math.exp(-1.0) + W_PROM)
    # no queue visit (self-service only): full speed score
    q, _ = r.experience(issue(contacts=1, sessions=1), True)
    assert q == pytest.approx(W_RES + W_EFF * (1 - r.effort(issue(sessions=1))) + W_SPEED + W_PROM)


def test_a_broken_promise_costs_the_promise_weight():
    r = response()
    kept, _ = r.experience(issue(contacts=2, promises=1), True)
    broken, _ = r.experience(issue(contacts=2, promises=1, broken=1), True)
    twice, _ = r.experience(issue(contacts=2, promises=2, broken=2), True)
    assert kept - broken == pytest.approx(W_PROM)
    assert twice == broken


issues = st.builds(
    lambda c, w, v, t, s, ch, se, b: issue(
        contacts=c, wait_minutes=w, waits=v, transfers=t, switches=s, chases=ch, sessions=se, broken=b
    ),
    st.integers(0, 30),
    st.floats(0.0, 1000.0),
    st.integers(0, 10),
    st.integers(0, 10),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 3),
)


@settings(max_examples=200, deadline=None)
@given(issues, st.booleans())
def test_q_and_effort_stay_in_the_unit_interval(it, resolved):
    q, effort = response().experience(it, resolved)
    assert 0.0 <= effort < 1.0 + 1e-12
    assert -1e-12 <= q <= 1.0 + 1e-12


@settings(max_examples=200, deadline=None)
@given(issues, st.booleans(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_the_event_loop_path_gives_the_same_result(it, resolved, s, e):
    a = response(s, e)
    q, effort = a.experience(it, resolved)
    a.judge(0, q)
    b = response(s, e)
    q2, effort2 = b.judge_issue(it, resolved)
    assert (q2, effort2) == pytest.approx((q, effort), abs=1e-15)
    assert b.S[0] == pytest.approx(a.S[0], abs=1e-15) and b.E[0] == pytest.approx(a.E[0], abs=1e-15)


# -- judging --------------------------------------------------------------------------------------
def test_disconfirmation_moves_satisfaction_asymmetrically():
    up = response(s=0.5, e=0.5)
    up.judge(0, 0.7)
    down = response(s=0.5, e=0.5)
    down.judge(0, 0.3)
    gain = up.S[0] - 0.5
    loss = 0.5 - down.S[0]
    assert gain == pytest.approx(0.2 * 0.2)
    assert loss == pytest.approx(2.5 * 0.2 * 0.2)
    assert loss / gain == pytest.approx(2.5)


def test_equal_expectation_and_experience_change_nothing():
    r = response(s=0.4, e=0.6)
    r.judge(0, 0.6)
    assert r.S[0] == 0.4 and r.E[0] == 0.6


def test_expectations_move_up_faster_than_down():
    up = response(s=0.5, e=0.5)
    up.judge(0, 0.9)
    down = response(s=0.5, e=0.5)
    down.judge(0, 0.1)
    assert up.E[0] == pytest.approx(0.5 + 0.3 * 0.4)
    assert down.E[0] == pytest.approx(0.5 - 0.05 * 0.4)
    assert up.E[0] - 0.5 > 0.5 - down.E[0]


def test_satisfaction_is_clipped_to_the_unit_interval():
    extreme = SCENARIO.override({"response.satisfaction_gain": 1.0, "response.loss_aversion": 5.0})
    low = response(s=0.05, e=0.95, scenario=extreme)
    low.judge(0, 0.0)
    assert low.S[0] == 0.0
    high = response(s=0.95, e=0.0, scenario=extreme)
    high.judge(0, 1.0)
    assert high.S[0] == 1.0


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20),
    st.floats(0.0, 1.0),
    st.floats(0.0, 5.0),
)
def test_satisfaction_and_expectation_stay_in_the_unit_interval(s, e, qs, gain, aversion):
    sc = SCENARIO.override({"response.satisfaction_gain": gain, "response.loss_aversion": aversion})
    r = response(s, e, sc)
    for q in qs:
        r.judge(0, q)
        r.promise_broken(0)
        assert 0.0 <= r.S[0] <= 1.0 and 0.0 <= r.E[0] <= 1.0


def test_a_broken_promise_costs_satisfaction_at_once_floored_at_zero():
    r = response(s=0.5, e=0.5)
    r.promise_broken(0)
    assert r.S[0] == pytest.approx(0.46)
    assert r.E[0] == 0.5
    low = response(s=0.01, e=0.5)
    low.promise_broken(0)
    assert low.S[0] == 0.0


def test_judging_one_customer_leaves_the_others_alone():
    s, e = np.array([0.5, 0.5, 0.5]), np.array([0.5, 0.5, 0.5])
    r = CustomerResponse(SCENARIO, s, e)
    r.judge(1, 0.0)
    r.promise_broken(2)
    assert s[0] == 0.5 and e[0] == 0.5
    assert s[1] < 0.5 and e[1] < 0.5
    assert s[2] == pytest.approx(0.46) and e[2] == 0.5


def test_bind_points_at_new_arrays():
    r = response()
    s, e = np.array([0.2, 0.3]), np.array([0.9, 0.9])
    r.bind(s, e)
    r.judge(1, 0.9)
    assert s[1] == pytest.approx(0.3) and e[1] == pytest.approx(0.9)
    r.judge(0, 0.0)
    assert s[0] == pytest.approx(max(0.0, 0.2 - 2.5 * 0.2 * 0.9))
