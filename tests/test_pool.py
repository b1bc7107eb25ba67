"""sim.pool: a Queue and the Pool serving it, driven directly on a simpy Environment.

Scripts of arrivals with fixed times give exact expectations: who is served when,
who hangs up when, and the time integrals the pool keeps (waiting callers,
staffed agents, work started).
"""

from __future__ import annotations

import math

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.pool import Call, Pool, Queue

KIND = "test"  # the channel of a call: opaque to the queue and the pool

INF = math.inf


class Harness:
    """A pool with callbacks that log what happens; every call takes ``service[name]`` minutes."""

    def __init__(
        self, capacity: int = 1, levels: int = 2, service: float | dict = 10.0, mark_done: bool = True
    ):
        self.env = simpy.Environment()
        self.log: list[tuple[str, str, float]] = []
        self.service = service
        self.mark_done = mark_done
        self.calls: dict[str, Call] = {}
        self.queue = Queue(self.env, "q", levels, self._expire)
        self.pool = Pool(self.env, "p", capacity, self._start)
        self.pool.serve(self.queue)

    def minutes(self, name: str) -> float:
        return self.service[name] if isinstance(self.service, dict) else self.service

    def _start(self, call: Call, now: float) -> float:
        if self.mark_done:  # what the desk used to do; the pool settles a started call itself
            call.done = True
        assert now == self.env.now
        self.log.append(("start", call.issue, now))
        minutes = self.minutes(call.issue)
        self.env.timeout(minutes, call).callbacks.append(self._end)
        return minutes

    def _end(self, event) -> None:
        self.log.append(("end", event.value.issue, self.env.now))
        self.pool.release(event.value)

    def _expire(self, call: Call) -> None:
        self.log.append(("expire", call.issue, self.env.now))

    def arrive(
        self, name: str, at: float, level: int = 0, expire: float = INF, consequence: float = INF
    ) -> None:
        def go(_event):
            call = Call(name, self.queue, KIND, level, self.env.now, [], False, [], 0)
            call.expire, call.consequence = expire, consequence
            self.calls[name] = call
            if not self.queue.offer(call, self.env.now):
                self.queue.enqueue(call, self.env.now)

        self.env.timeout(at).callbacks.append(go)

    def at(self, t: float, action) -> None:
        self.env.timeout(t).callbacks.append(lambda _e: action())

    def run(self, until: float = 1000.0) -> list[tuple[str, str, float]]:
        self.env.run(until=until)
        return self.log

    def events(self, kind: str) -> dict[str, float]:
        return {name: t for k, name, t in self.log if k == kind}


# -- order of service -------------------------------------------------------------------------------
def test_fifo_within_a_level_and_higher_levels_first():
    h = Harness(capacity=1, levels=3, service={"A": 10.0, "B": 1, "C": 1, "D": 1, "E": 1, "F": 1})
    h.arrive("A", 0)
    h.arrive("B", 1, level=0)
    h.arrive("C", 2, level=1)
    h.arrive("D", 3, level=0)
    h.arrive("E", 4, level=2)
    h.arrive("F", 5, level=1)
    h.run()
    assert [name for kind, name, _ in h.log if kind == "start"] == ["A", "E", "C", "F", "B", "D"]
    assert h.events("start") == {"A": 0, "E": 10, "C": 11, "F": 12, "B": 13, "D": 14}


def test_a_call_is_served_at_once_when_an_agent_is_free():
    h = Harness(capacity=2, service=5.0)
    h.arrive("A", 0)
    h.arrive("B", 1)
    h.arrive("C", 2)
    h.run()
    assert h.events("start") == {"A": 0, "B": 1, "C": 5}
    assert h.queue.waiting == 0 and h.pool.busy == 0


# -- abandonment ---------------------------------------------------------------------------------
def test_an_expired_call_is_skipped_lazily_when_it_reaches_the_head():
    h = Harness(capacity=1, service={"A": 10.0, "B": 1, "C": 1})
    h.arrive("A", 0)
    h.arrive("B", 1, expire=5.0)  # no consequence: nothing happens until the head is reached
    h.arrive("C", 2)
    h.run()
    assert h.events("expire") == {"B": 10.0}
    assert "B" not in h.events("start")
    assert h.events("start")["C"] == 10.0
    assert h.calls["B"].done


def test_the_consequence_timer_fires_at_exactly_the_consequence_time():
    h = Harness(capacity=1, service=100.0)
    h.arrive("A", 0)
    h.arrive("B", 1, expire=4.0, consequence=4.0)  # hangs up, gives up
    h.arrive("C", 2, expire=5.0, consequence=8.0)  # hangs up, redials at 8
    h.arrive("D", 3, expire=3.5, consequence=6.25)  # enqueued later, due earlier than C
    h.arrive("E", 3.5, expire=7.0, consequence=7.0)
    h.run()
    assert h.events("expire") == {"B": 4.0, "D": 6.25, "E": 7.0, "C": 8.0}
    assert list(h.events("expire")) == ["B", "D", "E", "C"]
    assert h.queue.waiting == 0


def test_calls_served_in_time_never_expire():
    h = Harness(capacity=1, service={"A": 10.0, "B": 2.0, "C": 2.0})
    h.arrive("A", 0)
    h.arrive("B", 1, expire=15.0, consequence=15.0)
    h.arrive("C", 2, expire=12.0, consequence=30.0)
    h.run()
    assert h.events("expire") == {}
    assert h.events("start") == {"A": 0, "B": 10, "C": 12}  # C answered at its very last moment
    assert h.queue.waiting == 0 and h.pool.busy == 0


def test_a_served_call_never_expires_whatever_the_start_callback_does():
    h = Harness(capacity=1, service={"A": 10.0, "B": 2.0}, mark_done=False)
    h.arrive("A", 0)
    h.arrive("B", 1, expire=15.0, consequence=15.0)
    h.run()
    assert h.events("expire") == {} and h.queue.waiting == 0


# -- capacity --------------------------------------------------------------------------------------
def test_more_agents_dispatch_waiting_calls_at_once():
    h = Harness(capacity=1, service=10.0)
    for name, t in (("A", 0), ("B", 1), ("C", 2), ("D", 3)):
        h.arrive(name, t)
    h.at(4, lambda: h.pool.set_capacity(3))
    h.run()
    assert h.events("start") == {"A": 0, "B": 4, "C": 4, "D": 10}


def test_fewer_agents_do_not_interrupt_calls():
    h = Harness(capacity=2, service=10.0)
    for name, t in (("A", 0), ("B", 0), ("C", 1), ("D", 2)):
        h.arrive(name, t)
    h.at(5, lambda: h.pool.set_capacity(1))
    h.run()
    assert h.events("end") == {"A": 10, "B": 10, "C": 20, "D": 30}
    assert h.events("start") == {"A": 0, "B": 0, "C": 10, "D": 20}


def test_drain_closes_the_pool_once_its_queue_is_empty():
    h = Harness(capacity=2, service=10.0)
    for name, t in (("A", 0), ("B", 0), ("C", 1)):
        h.arrive(name, t)
    h.at(2, h.pool.drain)
    h.run(until=100)
    assert h.events("start")["C"] == 10 and h.events("end")["C"] == 20
    assert h.pool.capacity == 0 and h.pool.draining
    _, staffed = h.pool.snapshot()
    assert staffed == pytest.approx(2 * 20)  # two agents until the last call ended


def test_draining_an_idle_pool_closes_it_at_once():
    h = Harness(capacity=3)
    h.at(5, h.pool.drain)
    h.run(until=50)
    assert h.pool.capacity == 0
    assert h.pool.snapshot()[1] == pytest.approx(3 * 5)


def test_drain_closes_the_pool_when_the_last_waiting_call_had_hung_up():
    h = Harness(capacity=1, service={"A": 10.0})
    h.arrive("A", 0)
    h.arrive("B", 1, expire=3.0, consequence=30.0)  # hangs up at 3, redials at 30
    h.at(2, h.pool.drain)
    h.run(until=100)
    assert h.events("expire") == {"B": 10.0}
    assert h.queue.waiting == 0 and h.pool.busy == 0
    assert h.pool.capacity == 0


# -- time integrals and daily tallies ---------------------------------------------------------------
def test_integrals_equal_a_hand_computation():
    h = Harness(capacity=1, service={"A": 10.0, "B": 3.0, "C": 4.0, "D": 2.0})
    h.arrive("A", 0)
    h.arrive("B", 1)  # waits 1 -> 10
    h.arrive("C", 2, expire=6.0, consequence=6.0)  # waits 2 -> 6, then gives up
    h.arrive("D", 5, expire=INF)  # waits 5 -> 13
    h.at(20, lambda: h.pool.set_capacity(4))
    h.run(until=30)
    assert h.events("start") == {"A": 0, "B": 10, "D": 13}
    busy, staffed = h.pool.snapshot()
    waiting = h.queue.snapshot()
    assert waiting == pytest.approx(9 + 4 + 8)
    assert staffed == pytest.approx(1 * 20 + 4 * 10)
    assert busy == pytest.approx(10 + 3 + 2)
    # Little's law on the queue: time-average queue length x time = sum of the waits
    assert waiting == pytest.approx(sum(t - a for t, a in ((10, 1), (6, 2), (13, 5))))


def test_a_caller_who_hung_up_no_longer_counts_as_waiting():
    h = Harness(capacity=1, service={"A": 10.0, "D": 1.0})
    h.arrive("A", 0)
    h.arrive("B", 1, expire=4.0, consequence=4.0)  # waits 3, gives up
    h.arrive("C", 2, expire=5.0, consequence=8.0)  # waits 3, hangs up, redials at 8
    h.arrive("D", 3)  # waits 7
    h.run(until=20)
    waiting = h.queue.snapshot()
    assert waiting == pytest.approx(3 + 3 + 7)


def test_daily_tallies_and_history():
    h = Harness(capacity=1, service={"A": 10.0, "B": 3.0, "C": 1.0})
    h.arrive("A", 0)
    h.arrive("B", 1)
    h.arrive("C", 2, expire=5.0, consequence=5.0)
    h.run(until=12)
    pool = h.queue  # the queue keeps the tallies of the calls that came through it
    assert (pool.day_arrivals, pool.day_served, pool.day_busy_minutes) == (3, 1, 13.0)
    pool.close_day()
    assert list(pool.history) == [(3, 1, 13.0)]
    assert (pool.day_arrivals, pool.day_served, pool.day_busy_minutes) == (0, 0, 0.0)
    h.run(until=20)
    pool.close_day()
    assert list(pool.history)[-1] == (0, 1, 0.0)
    for _ in range(400):
        pool.close_day()
    assert len(pool.history) == 366


# -- invariants for any script -----------------------------------------------------------------------
script = st.lists(
    st.tuples(
        st.floats(0.0, 50.0),  # arrival
        st.integers(0, 2),  # level
        st.one_of(st.none(), st.floats(0.01, 20.0)),  # patience
        st.floats(0.0, 20.0),  # consequence after expiry
        st.floats(0.1, 15.0),  # service minutes
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(script, st.integers(1, 3))
def test_every_call_is_served_or_expires_exactly_once(calls, capacity):
    service = {f"c{i}": c[4] for i, c in enumerate(calls)}
    h = Harness(capacity=capacity, levels=3, service=service)
    spec = {}
    for i, (arrival, level, patience, extra, _) in enumerate(calls):
        expire = INF if patience is None else arrival + patience
        consequence = INF if patience is None else expire + extra
        spec[f"c{i}"] = (arrival, level, expire, consequence)
        h.arrive(f"c{i}", arrival, level, expire, consequence)
    h.run(until=10_000)
    started, expired = h.events("start"), h.events("expire")
    assert len([e for e in h.log if e[0] == "start"]) == len(started)
    assert len([e for e in h.log if e[0] == "expire"]) == len(expired)
    assert set(started) | set(expired) == set(spec) and not set(started) & set(expired)
    for name, t in started.items():
        arrival, _, expire, _ = spec[name]
        assert arrival <= t <= expire  # nobody is answered after hanging up
    for name, t in expired.items():
        _, _, expire, consequence = spec[name]
        # settled between hanging up and the consequence; the timer's delay (consequence - now)
        # is added back to the clock in floating point, which may round up by an ulp
        assert expire <= t <= consequence + 1e-12 * max(1.0, consequence)
    # never more calls in service than agents
    changes = sorted(
        [(t, 1) for k, _, t in h.log if k == "start"] + [(t, -1) for k, _, t in h.log if k == "end"]
    )
    level = 0
    for _, d in sorted(changes, key=lambda x: (x[0], x[1])):
        level += d
        assert level <= capacity
    assert h.queue.waiting == 0 and h.pool.busy == 0
