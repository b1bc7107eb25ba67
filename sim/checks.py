"""Preflight: things that are valid but probably not what the user meant, said with numbers.

These are warnings, not errors: the run goes ahead. They are computed before
the run (``preflight``) and again inside it, and land in ``Result.notes`` and
``Result.provenance["warnings"]``; the CLI prints them on stderr.

* **Overload**: a pool whose forecast offered load (arrival rate x handle time,
  in Erlangs) is at or above its agents cannot keep up; its queue only grows,
  and callers will wait until they give up.
* **No steady state**: the horizon is shorter than the model's slowest clock
  (satisfaction forgetting), or the warm-up is shorter than the staffing
  forecast window, so the window measures a transient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pool import Pool
    from .scenario import Scenario

__all__ = ["overload_warnings", "horizon_warnings", "preflight", "day_zero_warnings"]


def overload_warnings(
    forecast: dict[Pool, tuple[float, float]], agents: dict[str, int], policy: str
) -> list[str]:
    """Pools whose forecast load (Erlangs) reaches their agents."""
    out = []
    for pool, (rate_per_min, aht_min) in forecast.items():
        load = rate_per_min * aht_min
        n = agents.get(pool.name)
        if n is not None and load >= n > 0:
            out.append(
                f"policy {policy!r}, pool {pool.name!r}: forecast offered load {load:.2f} Erlangs "
                f"({rate_per_min * 60:.1f} calls/hour x {aht_min:.1f} min) is at or above its {n} agents "
                f"(utilisation {load / n:.2f} >= 1): the queue cannot keep up"
            )
    return out


def horizon_warnings(scenario: Scenario, policy: str) -> list[str]:
    """Horizons too short for the slow parts of the model to settle."""
    out = []
    h = scenario.horizon
    r = scenario.response
    if h.days < r.forgetting_half_life_days:
        out.append(
            f"horizon.days ({h.days}) is shorter than response.forgetting_half_life_days "
            f"({r.forgetting_half_life_days:g}): satisfaction cannot settle, the window measures a transient"
        )
    st = scenario.policies[policy].staffing
    if st.mode == "erlang_c" and st.forecast == "observed" and h.warmup_days < st.forecast_window_days:
        out.append(
            f"horizon.warmup_days ({h.warmup_days}) is shorter than policies.{policy}.staffing."
            f"forecast_window_days ({st.forecast_window_days}): staffing still learns from a partial history "
            "inside the measured window"
        )
    return out


def preflight(scenario: Scenario, policy: str | None = None) -> list[str]:
    """Warnings for running ``scenario`` under ``policy``, before running it (builds day 0)."""
    from .model import Simulation

    return Simulation(scenario, policy, seed=0).prepare()


def day_zero_warnings(simulation) -> list[str]:
    """Every preflight warning for a simulation whose day-0 population exists."""
    from .demand import reason_multipliers
    from .staffing import plan

    desk = simulation.desk
    per_reason = reason_multipliers(simulation.scenario, desk.policy.interventions, 0)
    agents, forecast = plan(simulation, desk, per_reason)
    out = horizon_warnings(simulation.scenario, desk.policy_name)
    if desk.policy.staffing.mode == "fixed":
        out += overload_warnings(forecast, {p.name: n for p, n in agents.items()}, desk.policy_name)
    return out
