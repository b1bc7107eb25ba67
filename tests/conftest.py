"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def small_utility(customers: int = 3000, days: int = 120, warmup: int = 20, **changes) -> sim.Scenario:
    """The default scenario, shrunk: same mechanisms, fewer customers, shorter horizon."""
    base = sim.load_scenario(SCENARIOS / "utility_callcentre.toml")
    return base.override(
        {
            "population.initial_customers": customers,
            "horizon.days": days,
            "horizon.warmup_days": warmup,
            **changes,
        }
    )


def small_sets(customers: int = 600, days: int = 20, warmup: int = 2) -> list[str]:
    """``--set`` options that shrink a scenario on the command line, as ``small_utility`` does in Python."""
    return [
        "--set",
        f"population.initial_customers={customers}",
        "--set",
        f"horizon.days={days}",
        "--set",
        f"horizon.warmup_days={warmup}",
    ]


def busy_utility(
    customers: int = 3000, days: int = 60, warmup: int = 10, rate_factor: float = 60.0, **changes
) -> sim.Scenario:
    """A small population that calls very often: queues form, so load-dependent levers show."""
    base = small_utility(customers, days, warmup)
    rates = {
        f"reasons.{r}.rate_per_year": getattr(base.reasons, r).rate_per_year * rate_factor
        for r in ("usage", "incident", "life_event", "supplier_induced")
    }
    return base.override({**rates, **changes})


@pytest.fixture(scope="session")
def utility() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "utility_callcentre.toml")


@pytest.fixture(scope="session")
def small() -> sim.Scenario:
    return small_utility()
