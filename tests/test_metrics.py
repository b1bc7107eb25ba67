"""sim.metrics: the per-day, per-segment accumulators the event loop writes to."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import counters
from sim.counters import COUNTERS, N_COUNTERS
from sim.metrics import DAILY_FIELDS, SEGMENT_DAILY_FIELDS, Metrics
from sim.units import MINUTES_PER_DAY, REASONS

DAY = MINUTES_PER_DAY


def idx(seg: int, name: str) -> int:
    return seg * N_COUNTERS + COUNTERS.index(name)


def test_counters_are_named_blocks_with_contacts_by_reason_first():
    assert COUNTERS[: len(REASONS)] == tuple(f"contacts.{r}" for r in REASONS)
    assert len(set(COUNTERS)) == N_COUNTERS
    offset = 0
    for block in counters.BLOCKS:
        assert block.offset == offset
        for field in block.fields:
            assert COUNTERS[getattr(block, field)] == f"{block.name}.{field}"
            assert counters.counter_index(f"{block.name}.{field}") == getattr(block, field)
            assert block.doc[field], f"{block.name}.{field} has no description"
        offset += len(block)
    assert offset == N_COUNTERS
    with pytest.raises(KeyError, match="unknown counter"):
        counters.counter_index("phone.nonsense")


def test_shapes_start_at_zero():
    m = Metrics(days=5, n_segments=3)
    assert m.counts.shape == (5, 3, N_COUNTERS) and not m.counts.any()
    assert m.daily.shape == (5, len(DAILY_FIELDS))
    assert m.segment_daily.shape == (5, 3, len(SEGMENT_DAILY_FIELDS))
    assert m.cur == [0.0] * (3 * N_COUNTERS) and m.day == 0


def test_add_at_the_current_day_goes_to_the_hot_list_until_flushed():
    m = Metrics(days=3, n_segments=2)
    hot = m.cur
    m.add_at(10.0, idx(1, "phone.calls"))
    m.add_at(DAY - 1e-9, idx(1, "phone.calls"), 2.5)
    m.cur[idx(0, "phone.offered")] += 4  # the event loop writes to the list directly
    assert not m.counts.any()
    m.flush()
    assert m.cur is hot and m.cur == [0.0] * (2 * N_COUNTERS)  # zeroed in place
    assert m.day == 1
    assert m.counter("phone.calls")[0].tolist() == [0.0, 3.5]
    assert m.counter("phone.offered")[0].tolist() == [4.0, 0.0]
    assert m.counts[1:].sum() == 0.0


def test_add_at_a_past_day_writes_into_that_days_row():
    m = Metrics(days=4, n_segments=2)
    m.flush()
    m.flush()  # now on day 2
    m.add_at(0.5 * DAY, idx(0, "issues.fcr"))  # an issue of day 0 resolved now
    m.add_at(1.5 * DAY, idx(1, "phone.abandoned"), 2.0)
    assert m.counter("issues.fcr")[:, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert m.counter("phone.abandoned")[:, 1].tolist() == [0.0, 2.0, 0.0, 0.0]
    assert sum(m.cur) == 0.0


def test_add_at_outside_the_horizon_is_ignored_and_later_days_still_count():
    m = Metrics(days=2, n_segments=1)
    m.add_at(-1e-9, idx(0, "customers.churned"))
    m.add_at(5 * DAY, idx(0, "customers.churned"))
    m.add_at(1.2 * DAY, idx(0, "customers.churned"))  # a later day within the horizon
    m.add_at(0.2 * DAY, idx(0, "customers.churned"))
    m.flush()
    m.add_at(1.7 * DAY, idx(0, "customers.churned"))
    m.flush()
    m.add_at(2.5 * DAY, idx(0, "customers.churned"))  # beyond the last day
    m.flush()
    assert m.counter("customers.churned")[:, 0].tolist() == [1.0, 2.0]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 3),
    st.lists(
        st.tuples(st.floats(-2 * DAY, 8 * DAY), st.integers(0, 200), st.floats(0, 10), st.booleans()),
        max_size=60,
    ),
)
def test_every_value_lands_on_the_day_of_its_time(days, n_seg, adds):
    """Whatever the order of adds and flushes, counts[d] holds exactly the values whose time is in day d."""
    m = Metrics(days, n_seg)
    expected = np.zeros((days, n_seg, N_COUNTERS))
    for t, index, value, flush in adds:
        index %= n_seg * N_COUNTERS
        day = int(t // DAY)
        m.add_at(t, index, value)
        if 0 <= day < days:
            seg, k = divmod(index, N_COUNTERS)
            expected[day, seg, k] += value
        if flush:
            m.flush()
    while m.day < days:
        m.flush()
    assert np.allclose(m.counts, expected)


def test_daily_and_segment_fields():
    m = Metrics(days=3, n_segments=2)
    m.set_daily(1, "agents_front", 7)
    m.add_daily(1, "cost_staff", 10.0)
    m.add_daily(1, "cost_staff", 5.0)
    m.add_daily(9, "cost_staff", 5.0)  # outside the horizon: ignored
    m.set_segment_daily(2, "customers", np.array([3.0, 4.0]))
    assert m.field("agents_front").tolist() == [0.0, 7.0, 0.0]
    assert m.field("cost_staff").tolist() == [0.0, 15.0, 0.0]
    assert m.segment_field("customers").tolist() == [[0, 0], [0, 0], [3, 4]]
    with pytest.raises(ValueError):
        m.field("no_such_field")
    with pytest.raises(KeyError):
        m.counter("no_such_counter")
