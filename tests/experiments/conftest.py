"""Tiny scenarios for many-run tests."""

from __future__ import annotations

import pytest

import sim
from tests.conftest import small_utility


def tiny(**changes) -> sim.Scenario:
    """A few hundred customers for a month: a run takes a fraction of a second."""
    return small_utility(customers=800, days=30, warmup=5, **changes)


@pytest.fixture(scope="session")
def tiny_scenario() -> sim.Scenario:
    return tiny()


@pytest.fixture
def counted(monkeypatch) -> list[tuple]:
    """Every (policy, replication) sim.run is asked for in this process (workers=1 runs in-process)."""
    calls = []
    real = sim.run

    def counting(scenario, policy=None, seed=1, **kw):
        calls.append((policy, seed.spawn_key))
        return real(scenario, policy, seed, **kw)

    monkeypatch.setattr(sim, "run", counting)
    return calls
