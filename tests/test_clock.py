"""A Due scheduled through ``Environment.schedule`` fires when, and in the order, ``env.timeout`` would."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.clock import Due, scheduler


def _order(delays: list[float], fast: list[bool]) -> list[tuple[float, int]]:
    env = simpy.Environment()
    schedule = scheduler(env)
    fired: list[tuple[float, int]] = []
    for i, (delay, use_fast) in enumerate(zip(delays, fast, strict=True)):
        if use_fast:
            schedule(delay, i, lambda e: fired.append((env.now, e.value)))
        else:
            env.timeout(delay, i).callbacks.append(lambda e: fired.append((env.now, e.value)))
    env.run()
    return fired


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0]), min_size=1, max_size=30),
    st.data(),
)
def test_mixed_with_timeouts_the_order_is_the_timeout_order(delays, data):
    fast = data.draw(st.lists(st.booleans(), min_size=len(delays), max_size=len(delays)))
    expected = _order(delays, [False] * len(delays))
    assert _order(delays, fast) == expected


def test_a_callback_can_schedule_more_and_sees_its_value():
    env = simpy.Environment()
    schedule = scheduler(env)
    seen = []

    def again(event):
        seen.append((env.now, event.value))
        if event.value < 3:
            schedule(1.5, event.value + 1, again)

    schedule(1.0, 0, again)
    env.run()
    assert seen == [(1.0, 0), (2.5, 1), (4.0, 2), (5.5, 3)]


def test_negative_delays_are_refused():
    env = simpy.Environment()
    with pytest.raises(ValueError, match="negative delay"):
        scheduler(env)(-1.0, None, lambda e: None)


def test_a_due_carries_only_what_the_environment_reads():
    env = simpy.Environment()
    scheduler(env)(1.0, "payload", print)
    due = env.peek() and env._queue[0][3]  # the test may look inside simpy; the model does not
    assert isinstance(due, Due) and due.callbacks == [print] and due.value == "payload"
    assert due._ok is True  # a due callback never fails: Environment.step finds nothing to raise
    with pytest.raises(AttributeError):
        due.other = 1  # slots: nothing else rides along
