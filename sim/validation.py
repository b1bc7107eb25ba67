"""Degenerate scenarios whose answers queueing theory knows.

:func:`mmc_scenario` strips the model to one pool, Poisson contacts, exponential
handling and no churn, self-service or transfers, so that what comes out can be
checked against Erlang C, Erlang A, the repeat-traffic identity and Little's law.
"""

from __future__ import annotations

from .scenario import Scenario
from .units import MINUTES_PER_YEAR

__all__ = ["mmc_scenario", "MMC_POLICY"]

MMC_POLICY = "mmc"


def mmc_scenario(
    arrival_rate_per_min: float,
    mean_handle_min: float,
    agents: int,
    patience_min: float | None = None,
    resolution_p: float = 1.0,
    days: int = 30,
    *,
    warmup_days: int = 1,
    customers: int = 1000,
    redial_p: float = 0.0,
    redial_delay_min: float = 0.0,
    retry_p: float = 1.0,
    repeat_delay_min: float = 0.0,
) -> Scenario:
    """One pool of ``agents``, Poisson contacts at ``arrival_rate_per_min``, exponential work.

    Each contact is resolved with probability ``resolution_p``; an unresolved one
    comes straight back (probability ``retry_p``, after ``repeat_delay_min``).
    Callers abandon only if ``patience_min`` (exponential mean) is given, and
    then redial with probability ``redial_p`` after ``redial_delay_min``. The
    arrivals are the superposition of ``customers`` independent Poisson streams.
    Run it with its default policy, ``"mmc"``.
    """
    if arrival_rate_per_min <= 0 or mean_handle_min <= 0:
        raise ValueError("arrival_rate_per_min and mean_handle_min must be > 0")
    data = {
        "name": "mmc",
        "description": "Degenerate M/M/c(+M) scenario for checks against queueing theory.",
        "horizon": {"days": days, "warmup_days": warmup_days},
        "population": {"initial_customers": customers, "acquisition": "none"},
        "segments": {
            "all": {
                "share": 1.0,
                "portfolio": {1: 1.0},
                "products": {"line": 1.0},
                "patience_minutes": patience_min,
            }
        },
        "products": {"line": {"kind": "mass", "complexity": 1.0, "self_service_share": 0.0}},
        "reasons": {
            "usage": {
                "rate_per_year": arrival_rate_per_min * MINUTES_PER_YEAR / customers,
                "handle_minutes": mean_handle_min,
            },
            "incident": {"rate_per_year": 0.0, "handle_minutes": mean_handle_min},
            "life_event": {"rate_per_year": 0.0, "handle_minutes": mean_handle_min},
            "supplier_induced": {"rate_per_year": 0.0, "handle_minutes": mean_handle_min},
        },
        "handling": {
            "distribution": "exponential",
            "misroute_minutes": 0.0,
            "transfer_minutes": 0.0,
            "anger": 0.0,
        },
        "response": {
            "retry_p": retry_p,
            "max_attempts": None,
            "repeat_delay_hours": repeat_delay_min / 60.0,
            "redial_p": redial_p,
            "redial_delay_minutes": redial_delay_min,
        },
        "churn": {"enabled": False},
        "policies": {
            MMC_POLICY: {
                "description": "One general pool, fixed staff, no cap, no promises, no self-service.",
                "routing": "case_owner",
                "knowledge": resolution_p,
                "handle_cap_minutes": None,
                "misroute_p": 0.0,
                "transfer_resolution_loss": 0.0,
                "staffing": {"mode": "fixed", "agents": agents, "min_agents_per_pool": 1},
                "promises": {"offer_p": 0.0},
                "self_service": {"push": "none"},
            }
        },
        "default_policy": MMC_POLICY,
    }
    return Scenario.from_dict(data, source="mmc_scenario")
