"""Policies: the supplier's levers, and the presets built from them.

A policy is data, never a code path: the model reads levers (routing, handle-time
cap, knowledge, staffing, promises, self-service push, priority, bypass, account
managers, pruning, interventions). ``efficiency`` and ``effectiveness`` are two
settings of the same levers; ``segmented`` mixes them by segment. A scenario file
can change any lever of a preset or define its own policy on top of a ``base``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .fields import Day, Frozen, NonNegative, Positive, Probability

__all__ = [
    "Staffing",
    "Promises",
    "SelfServicePolicy",
    "AccountManagers",
    "Pruning",
    "Intervention",
    "Policy",
    "PRESETS",
    "preset",
]


class Staffing(Frozen):
    """How many agents each pool gets."""

    mode: Literal["fixed", "erlang_c"] = "erlang_c"
    #: fixed mode: front-line agents in total, split over the pools by forecast load.
    agents: int = Field(default=10, ge=1)
    #: fixed mode: agents in the account-manager pool (if any segment has one).
    account_managers: int = Field(default=2, ge=1)
    #: erlang_c mode: each pool gets the fewest agents whose Erlang C service
    #: level (answered within target_seconds) reaches target_service_level.
    target_service_level: Probability = 0.8
    target_seconds: Positive = 20.0
    #: "fresh": first contacts expected from the customer base (ignores repeats,
    #: chases and transfers); "observed": the pool's measured arrivals and handle
    #: time over the last forecast_window_days, as a workforce planner would.
    forecast: Literal["fresh", "observed"] = "observed"
    review_days: int = Field(default=7, ge=1)
    forecast_window_days: int = Field(default=28, ge=1)
    min_agents_per_pool: int = Field(default=1, ge=1)
    #: None: the scenario's economics.agent_cost_per_hour.
    agent_cost_per_hour: NonNegative | None = None
    training_cost_per_agent_year: NonNegative = 0.0


class Promises(Frozen):
    """Call-back promises made when a call ends unresolved."""

    offer_p: Probability = 0.5
    keep_rate: Probability = 0.85
    deadline_hours: Positive = 24.0
    #: "low": call-back work waits behind all inbound calls; "high": ahead of them.
    callback_priority: Literal["low", "high"] = "low"


class SelfServicePolicy(Frozen):
    """Which new issues are pushed to the web/app first."""

    push: Literal["all", "eligible", "none"] = "eligible"


class AccountManagers(Frozen):
    """A small dedicated pool for chosen segments: priority, no cap, kept promises."""

    segments: list[str] = Field(default_factory=list)
    knowledge: Probability = 0.95
    keep_rate: Probability = 0.98


class Pruning(Frozen):
    """Letting go of customers whose cost to serve exceeds their margin."""

    enabled: bool = False
    review_days: int = Field(default=90, ge=1)
    min_tenure_days: int = Field(default=180, ge=0)
    #: prune when cost to serve over the review period > ratio x margin earned in it.
    cost_to_margin_ratio: Positive = 1.0


class Intervention(Frozen):
    """A programme that removes demand of one reason at a yearly cost."""

    name: str = "failure_demand_programme"
    reason: Literal["usage", "incident", "life_event", "supplier_induced"] = "supplier_induced"
    #: share of the reason's demand removed once fully ramped up (1 - floor).
    reduction: Probability = 0.5
    start_day: Day = 0
    ramp_days: int = Field(default=180, ge=0)
    cost_per_customer_year: NonNegative = 0.5


class Policy(Frozen):
    """All levers of one service policy. Defaults are a neutral middle ground."""

    base: str | None = None
    description: str = ""
    routing: Literal["departmental", "case_owner"] = "departmental"
    account_managers: AccountManagers = AccountManagers()
    #: departmental routing: share of calls that reach the wrong department first.
    misroute_p: Probability = 0.1
    #: resolution probability lost per transfer (information lost in hand-offs).
    transfer_resolution_loss: Probability = 0.1
    #: None = no cap. A call reaching the cap ends unresolved.
    handle_cap_minutes: Positive | None = None
    #: probability a front-line agent can resolve a part of complexity 1
    #: (a part of complexity k is resolved with knowledge**k).
    knowledge: Probability = 0.8
    #: segment -> priority level 0..9 in the queues (higher is served first).
    priority: dict[str, int] = Field(default_factory=dict)
    #: urgent issues jump every queue and go straight to the right pool.
    bypass: bool = False
    staffing: Staffing = Staffing()
    promises: Promises = Promises()
    self_service: SelfServicePolicy = SelfServicePolicy()
    pruning: Pruning = Pruning()
    interventions: list[Intervention] = Field(default_factory=list)

    @model_validator(mode="after")
    def _priority_levels(self) -> Policy:
        bad = {k: v for k, v in self.priority.items() if not 0 <= v <= 9}
        if bad:
            raise ValueError(f"priority levels must be integers in 0..9, got {bad}")
        return self


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "priority":
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


_EFFICIENCY: dict[str, Any] = {
    "description": "Efficiency-driven: answer fast, short scripted calls, departments, minimal staff.",
    "routing": "departmental",
    "misroute_p": 0.1,
    "transfer_resolution_loss": 0.15,
    "handle_cap_minutes": 8.0,
    "knowledge": 0.9,
    "bypass": False,
    "staffing": {"mode": "erlang_c", "target_service_level": 0.8, "target_seconds": 20.0},
    "promises": {"offer_p": 0.6, "keep_rate": 0.7, "deadline_hours": 24.0, "callback_priority": "low"},
    "self_service": {"push": "all"},
}

_EFFECTIVENESS: dict[str, Any] = {
    "description": (
        "Effectiveness-driven: resolve first time, one case owner, account managers for "
        "portfolio customers, promises kept, failure demand removed."
    ),
    "routing": "case_owner",
    "account_managers": {"segments": ["portfolio"], "knowledge": 0.95, "keep_rate": 0.98},
    "misroute_p": 0.0,
    "transfer_resolution_loss": 0.0,
    "handle_cap_minutes": None,
    "knowledge": 0.92,
    "bypass": True,
    "staffing": {
        "mode": "erlang_c",
        "target_service_level": 0.8,
        "target_seconds": 120.0,
        "training_cost_per_agent_year": 2500.0,
    },
    "promises": {"offer_p": 0.9, "keep_rate": 0.95, "deadline_hours": 24.0, "callback_priority": "high"},
    "self_service": {"push": "eligible"},
    "interventions": [
        {
            "name": "failure_demand_programme",
            "reason": "supplier_induced",
            "reduction": 0.5,
            "start_day": 0,
            "ramp_days": 180,
            "cost_per_customer_year": 0.5,
        }
    ],
}

_SEGMENTED: dict[str, Any] = _deep_merge(
    _EFFICIENCY,
    {
        "description": (
            "Segmented: portfolio customers served effectively (account managers, priority), "
            "incidental ones efficiently."
        ),
        "account_managers": {"segments": ["portfolio"], "knowledge": 0.95, "keep_rate": 0.98},
        "priority": {"portfolio": 2, "multi": 1},
        "bypass": True,
    },
)

#: Preset name -> lever settings on top of the Policy defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "efficiency": _EFFICIENCY,
    "effectiveness": _EFFECTIVENESS,
    "segmented": _SEGMENTED,
}


def preset(name: str) -> Policy:
    """A preset policy by name."""
    try:
        return Policy.model_validate(PRESETS[name])
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}") from None


def _fit_preset(table: dict[str, Any], segments: list[str] | None) -> dict[str, Any]:
    """A preset is a template: drop its references to segments the scenario lacks."""
    if segments is None:
        return dict(table)
    out = dict(table)
    if "account_managers" in out:
        am = dict(out["account_managers"])
        am["segments"] = [s for s in am.get("segments", []) if s in segments]
        out["account_managers"] = am
    if "priority" in out:
        out["priority"] = {s: v for s, v in out["priority"].items() if s in segments}
    return out


def resolve_policies(raw: dict[str, Any], segments: list[str] | None = None) -> dict[str, Any]:
    """Merge a scenario file's policies table over the presets and their bases.

    ``raw`` maps names to partial lever tables. A preset name changes that
    preset; any other name starts from its ``base`` (a preset or another policy
    of the file) or from the neutral defaults. Presets' references to segments
    the scenario does not define are dropped (``segments``); the file's own
    references are kept and checked. Returns name -> full lever dict, ready for
    validation; bad bases are left for the cross-reference check.
    """
    tables = {name: _fit_preset(PRESETS[name], segments) for name in PRESETS}
    pending = {k: v for k, v in raw.items() if isinstance(v, dict)}
    resolved: dict[str, Any] = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    out: dict[str, Any] = dict(tables)

    def build(name: str, stack: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name] if isinstance(resolved[name], dict) else {}
        table = pending.get(name)
        if table is None:
            return tables.get(name, {})
        base_name = table.get("base")
        if name in PRESETS and base_name is None:
            base = tables[name]
        elif isinstance(base_name, str) and base_name not in stack and base_name != name:
            base = build(base_name, (*stack, name))
        else:
            base = {}
        merged = _deep_merge(base, table)
        resolved[name] = merged
        return merged

    for name in pending:
        out[name] = build(name, ())
    for name, value in resolved.items():
        out.setdefault(name, value)
    return out
