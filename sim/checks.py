"""Preflight: things that are valid but probably not what the user meant, said with numbers.

These are warnings, not errors: the run goes ahead. They are computed before
the run (:func:`sim.model.preflight`) and again inside it, and land in ``Result.notes`` and
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

from .demand import reason_multipliers
from .staffing import plan

if TYPE_CHECKING:
    from .context import RunContext
    from .desk import Desk
    from .pool import Pool, Queue
    from .scenario import Scenario

__all__ = ["overload_warnings", "horizon_warnings", "day_zero_warnings"]


def overload_warnings(
    forecast: dict[Queue, tuple[float, float]], agents: dict[Pool, int], policy: str
) -> list[str]:
    """Queues whose forecast load (Erlangs) reaches the agents who serve them."""
    out = []
    for queue, (rate_per_min, aht_min) in forecast.items():
        load = rate_per_min * aht_min
        n = sum(agents.get(pool, 0) for pool in queue.servers)
        if load >= n > 0:
            out.append(
                f"policy {policy!r}, pool {queue.name!r}: forecast offered load {load:.2f} Erlangs "
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


def day_zero_warnings(run: RunContext, desk: Desk) -> list[str]:
    """Every preflight warning for a run whose day-0 population exists, under its first desk."""
    per_reason = reason_multipliers(run.scenario, desk.policy.interventions, 0)
    agents, forecast = plan(run, desk, per_reason)
    out = horizon_warnings(run.scenario, desk.policy_name)
    if desk.policy.staffing.mode == "fixed":
        out += overload_warnings(forecast, agents, desk.policy_name)
    return out
