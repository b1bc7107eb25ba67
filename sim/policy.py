"""Policies: the supplier's levers, and the presets built from them.

A policy is data, never a code path: the model reads levers (routing, handle-time
cap, knowledge, staffing, promises, self-service push, priority, bypass, account
managers, pruning, interventions). ``efficiency`` and ``effectiveness`` are two
settings of the same levers; ``segmented`` mixes them by segment. A scenario file
can change any lever of a preset or define its own policy on top of a ``base``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .fields import Bool, Day, Frozen, Int, NonNegative, Positive, Probability

__all__ = [
    "SkillGroup",
    "Skills",
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


# Bounds past which a lever is a typo or an attack (the reason is in each field's description).
MAX_AGENTS = 1_000_000
MAX_DAYS = 36_500  # a century, as the horizon
MAX_PRICE = 1e6
MAX_MONEY = 1e9


class Staffing(Frozen):
    """How many agents each pool gets."""

    mode: Literal["fixed", "erlang_c"] = Field(
        default="erlang_c",
        description="fixed: a set head count; erlang_c: each pool gets the fewest agents whose Erlang C "
        "service level reaches the target, revisited every review_days.",
    )
    agents: Int = Field(
        default=10,
        ge=1,
        le=MAX_AGENTS,
        description="fixed mode: front-line agents in total, split over the pools by forecast load. "
        "At most a million: more than any contact centre employs.",
    )
    account_managers: Int = Field(
        default=2,
        ge=1,
        le=MAX_AGENTS,
        description="fixed mode: agents in the account-manager pool (if any segment has one). At most a "
        "million.",
    )
    target_service_level: Probability = Field(
        default=0.8, description="erlang_c mode: share of calls to answer within target_seconds."
    )
    target_seconds: Positive = Field(
        default=20.0,
        le=86_400.0,
        description="erlang_c mode: the answer-time target, seconds. At most a day.",
    )
    forecast: Literal["fresh", "observed"] = Field(
        default="observed",
        description="fresh: first contacts expected from the customer base (ignores repeats, chases, "
        "transfers, call-backs); observed: each pool's measured arrivals and handle time over "
        "forecast_window_days.",
    )
    review_days: Int = Field(
        default=7, ge=1, le=MAX_DAYS, description="Days between staffing reviews. At most 36,500 (a century)."
    )
    forecast_window_days: Int = Field(
        default=28,
        ge=1,
        le=MAX_DAYS,
        description="Days of history an observed forecast uses. At most 36,500.",
    )
    min_agents_per_pool: Int = Field(
        default=1, ge=1, le=MAX_AGENTS, description="No pool is staffed below this. At most a million."
    )
    agent_cost_per_hour: NonNegative | None = Field(
        default=None,
        le=MAX_PRICE,
        description="Cost of a front-line agent-hour; null: the scenario's economics value. At most 1e6, "
        "like every price.",
    )
    training_cost_per_agent_year: NonNegative = Field(
        default=0.0,
        le=MAX_MONEY,
        description="Yearly training cost per staffed front-line agent (trained agents cost more). "
        "At most 1e9.",
    )


class Promises(Frozen):
    """Call-back promises made when a call ends unresolved."""

    offer_p: Probability = Field(
        default=0.5,
        description="Chance an unresolved call ends with a call-back promise (account managers: always).",
    )
    keep_rate: Probability = Field(
        default=0.85, description="Share of promises put on the call-back list (the rest are forgotten)."
    )
    deadline_hours: Positive = Field(
        default=24.0, description="A call-back not started within this many hours is a broken promise."
    )
    callback_priority: Literal["low", "high"] = Field(
        default="low", description="low: call-back work waits behind all inbound calls; high: ahead of them."
    )


class SelfServicePolicy(Frozen):
    """Which new issues are pushed to the web/app first."""

    push: Literal["all", "eligible", "none"] = Field(
        default="eligible",
        description="all: every new issue; eligible: reasons self-service can resolve; none.",
    )


class AccountManagers(Frozen):
    """A small dedicated pool for chosen segments: all their products, no cap, kept promises."""

    segments: list[str] = Field(default_factory=list, description="Segments served by account managers.")
    knowledge: Probability = Field(default=0.95, description="Resolution chance of a complexity-1 part.")
    keep_rate: Probability = Field(default=0.98, description="Share of account managers' promises kept.")


class Pruning(Frozen):
    """Letting go of customers whose cost to serve exceeds their margin."""

    enabled: Bool = Field(default=False, description="Whether the supplier prunes customers.")
    review_days: Int = Field(
        default=90, ge=1, le=MAX_DAYS, description="Days between pruning reviews. At most 36,500."
    )
    min_tenure_days: Int = Field(
        default=180,
        ge=0,
        le=MAX_DAYS,
        description="Customers younger than this are never pruned. At most 36,500.",
    )
    cost_to_margin_ratio: Positive = Field(
        default=1.0,
        le=1e6,
        description="Prune when the cost to serve in the review period > ratio x the margin earned in it. "
        "At most 1e6.",
    )


class Intervention(Frozen):
    """A programme that removes demand of one reason at a yearly cost."""

    name: str = Field(default="failure_demand_programme", description="Label in reports.")
    reason: Literal["usage", "incident", "life_event", "supplier_induced"] = Field(
        default="supplier_induced", description="The reason whose demand it removes."
    )
    reduction: Probability = Field(
        default=0.5, description="Share of the reason's demand removed once fully ramped up (1 - floor)."
    )
    start_day: Day = Field(default=0, description="Day the programme starts.")
    ramp_days: Int = Field(
        default=180,
        ge=0,
        le=MAX_DAYS,
        description="Days from start to full effect (linear ramp). At most 36,500.",
    )
    cost_per_customer_year: NonNegative = Field(
        default=0.5,
        le=MAX_PRICE,
        description="Cost per active customer per year while it runs. At most 1e6.",
    )


class SkillGroup(Frozen):
    """Agents who share a set of skills (skills-based routing)."""

    skills: list[str] = Field(
        min_length=1, description='Products these agents can handle; "*" for every product.'
    )
    agents: Int = Field(default=1, ge=1, description="fixed staffing: agents in the group.")


class Skills(Frozen):
    """Agent groups and their skills, for ``routing = "skills"``."""

    groups: dict[str, SkillGroup] = Field(
        default_factory=dict,
        description="Group name -> its skills and (fixed staffing) head count; every product needs a group.",
    )


class Policy(Frozen):
    """All levers of one service policy. Defaults are a neutral middle ground."""

    base: str | None = Field(
        default=None,
        description="A preset or another policy of the file this one starts from (null: defaults).",
    )
    description: str = Field(default="", description="One line saying what the policy is.")
    routing: Literal["departmental", "case_owner", "skills"] = Field(
        default="departmental",
        description="departmental: a pool per department, transfers between them; case_owner: one pool, one "
        "contact handles every product; skills: agent groups with skill sets (skills.groups), a leg goes to "
        "an agent who has every skill it needs.",
    )
    account_managers: AccountManagers = Field(
        default=AccountManagers(), description="Dedicated account managers for chosen segments."
    )
    misroute_p: Probability = Field(
        default=0.1,
        description="departmental routing: share of first call legs that reach a wrong department.",
    )
    transfer_resolution_loss: Probability = Field(
        default=0.1, description="Resolution chance lost per transfer (information lost in hand-offs)."
    )
    handle_cap_minutes: Positive | None = Field(
        default=None,
        description="A call reaching the cap ends unresolved (not for account managers); null: no cap.",
    )
    knowledge: Probability = Field(
        default=0.8,
        description="Chance a front-line agent resolves a part of complexity 1 given enough time "
        "(complexity k: knowledge**k).",
    )
    priority: dict[str, Annotated[Int, Field(ge=0, le=9)]] = Field(
        default_factory=dict, description="Segment -> queue priority 0..9 (higher is answered first)."
    )
    bypass: Bool = Field(default=False, description="Urgent issues jump every queue and are never misrouted.")
    skills: Skills = Field(default=Skills(), description="Skill groups (routing = skills).")
    staffing: Staffing = Field(default=Staffing(), description="How many agents.")
    promises: Promises = Field(default=Promises(), description="Call-back promises.")
    self_service: SelfServicePolicy = Field(default=SelfServicePolicy(), description="Self-service push.")
    pruning: Pruning = Field(default=Pruning(), description="Letting unprofitable customers go.")
    interventions: list[Intervention] = Field(
        default_factory=list,
        max_length=100,
        description="Programmes that remove demand at a cost (at most 100).",
    )


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
    for name, value in raw.items():
        if not isinstance(value, dict):
            out[name] = value  # not a table: left for validation to reject, even over a preset
    return out
