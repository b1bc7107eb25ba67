"""Scenarios: the world a policy is tried in, read from TOML and validated.

A scenario describes customers (segments, portfolios), products, why customers
make contact (reasons and rates), the phone and self-service channels, how
customers respond, the economics, the policies it can be run under, a timeline
of shocks and policy switches, and the horizon. Scenarios are frozen; what-ifs
are made with :meth:`Scenario.override`.

Validation happens once, here: every problem in a file is reported at once as a
:class:`ScenarioError` listing each dotted path, the rule broken and the value.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import stat
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .fields import Bool, Day, Float, Frozen, Int, NonNegative, Positive, Probability
from .policy import MAX_DAYS, MAX_MONEY, MAX_PRICE, Policy, resolve_policies

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioIssue",
    "load_scenario",
    "Horizon",
    "Population",
    "BetaDist",
    "Segment",
    "Product",
    "Reason",
    "Reasons",
    "Handling",
    "SelfService",
    "Phone",
    "Channels",
    "Weights",
    "EffortUnits",
    "Response",
    "Churn",
    "Economics",
    "Shock",
    "Switch",
    "Timeline",
    "KIND_DEFAULTS",
]

_SUM_TOLERANCE = 1e-6

# Physical bounds: a value past one of these is a typo or an attack, never a world. Each field's
# description says why; the resource preflight (experiments) judges what fits a machine.
MINUTES_PER_DAY = 1440.0
MAX_MULTIPLIER = 1000.0  # demand multiplied by more than this is another scenario
MAX_NAMES = 100  # segments, products, policies
MAX_ITEMS = 1000  # shocks, switches
MAX_NAME_CHARS = 100  # a name or table key
MAX_TEXT_CHARS = 2000  # a description

#: Defaults by product kind: handle-time multiplier and self-service resolvable share.
KIND_DEFAULTS: dict[str, dict[str, float]] = {
    "mass": {"complexity": 1.0, "self_service_share": 0.6},
    "mass_custom": {"complexity": 1.5, "self_service_share": 0.35},
    "custom": {"complexity": 2.5, "self_service_share": 0.1},
}


def _check_sum(values: Mapping[Any, float], what: str) -> None:
    total = sum(values.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ValueError(f"{what} must sum to 1, got {total:.6g} ({shown})")


class Horizon(Frozen):
    """How long to simulate, and how much of the start to leave out of the measures."""

    days: Int = Field(
        ge=1,
        le=MAX_DAYS,
        description="Simulated days (the model runs 24 hours a day). At most 36,500: beyond a century, "
        "fixed products, prices and preferences mean nothing.",
    )
    warmup_days: Day = Field(
        default=0, description="Days at the start left out of every summary metric (days < horizon.days)."
    )

    @field_validator("warmup_days")
    @classmethod
    def _warmup_inside(cls, value: int, info: ValidationInfo) -> int:
        days = info.data.get("days")
        if days is not None and value >= days:
            raise ValueError(f"must be shorter than horizon.days ({days})")
        return value


class Population(Frozen):
    """How many customers there are at the start, and how new ones arrive."""

    initial_customers: Int = Field(
        ge=1,
        le=1_000_000_000,
        description="Customers at day 0, drawn from the segments' shares. At most a billion: more than any "
        "supplier has (whether a size fits this machine is the resource preflight's to say).",
    )
    acquisition: Literal["none", "fixed_rate", "replace_churn"] = Field(
        default="replace_churn",
        description="none: no new customers; fixed_rate: Poisson arrivals at acquisition_per_year; "
        "replace_churn: every departure is replaced the next day (the base stays constant and that "
        "is paid for).",
    )
    acquisition_per_year: NonNegative = Field(
        default=0.0,
        le=1e9,
        description="New customers per year under fixed_rate (Poisson, drawn daily). At most a billion a "
        "year, as for initial_customers.",
    )


class BetaDist(Frozen):
    """A Beta(alpha, beta) distribution on [0, 1]."""

    alpha: Positive = Field(description="First shape parameter.")
    beta: Positive = Field(description="Second shape parameter.")

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Segment(Frozen):
    """A kind of customer: how many products, which, how satisfied, how patient."""

    share: Probability = Field(
        description="Share of the initial and of newly acquired customers (all sum to 1)."
    )
    portfolio: dict[int, Probability] = Field(
        description="Portfolio size -> probability (sizes 1..50, probabilities sum to 1)."
    )
    products: dict[str, Probability] = Field(
        description="Product name -> probability that a held product is that product; drawn with replacement "
        "(a customer can hold two savings accounts). Sums to 1."
    )
    satisfaction0: BetaDist = Field(
        default=BetaDist(alpha=7.0, beta=3.0), description="Satisfaction S of a new customer, in [0, 1]."
    )
    expectation0: BetaDist = Field(
        default=BetaDist(alpha=7.0, beta=3.0),
        description="Expectation E of a new customer before the portfolio uplift, in [0, 1].",
    )
    patience_minutes: Positive | None = Field(
        default=3.0,
        description="Mean of the exponential time a caller waits before hanging up; null = never.",
    )

    @field_validator("portfolio")
    @classmethod
    def _portfolio(cls, value: dict[int, float]) -> dict[int, float]:
        bad = [k for k in value if not 1 <= k <= 50]
        if bad:
            raise ValueError(f"portfolio sizes must be between 1 and 50, got {bad}")
        if not value:
            raise ValueError("must list at least one portfolio size")
        _check_sum(value, "portfolio probabilities")
        return value

    @field_validator("products")
    @classmethod
    def _products(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("must list at least one product")
        _check_sum(value, "product probabilities")
        return value


ProductReason = Literal["usage", "incident", "supplier_induced"]


class Product(Frozen):
    """A product a customer can hold: what it earns and what contact it causes."""

    kind: Literal["mass", "mass_custom", "custom"] = Field(
        default="mass", description="Product kind; sets the defaults of complexity and self_service_share."
    )
    department: str | None = Field(
        default=None, description="Department that handles it under departmental routing (default: its name)."
    )
    revenue_per_year: NonNegative = Field(
        default=0.0,
        le=MAX_MONEY,
        description="Revenue per year while the customer holds it. At most 1e9: sums over every customer "
        "and day stay exact in floating point.",
    )
    complexity: Positive | None = Field(
        default=None,
        le=100.0,
        description="Handle-time multiplier of its issues; a part is resolved with knowledge**complexity. "
        "Default by kind: mass 1.0, mass_custom 1.5, custom 2.5. At most 100: beyond it "
        "knowledge**complexity is nil for any agent.",
    )
    self_service_share: Probability | None = Field(
        default=None,
        description="Share of its self-service-eligible issues the web/app resolves. "
        "Default by kind: mass 0.6, mass_custom 0.35, custom 0.1.",
    )
    rate_multipliers: dict[ProductReason, Annotated[NonNegative, Field(le=MAX_MULTIPLIER)]] = Field(
        default_factory=dict,
        description="Per-reason multiplier on the reason's rate for this product (usage, incident, "
        "supplier_induced; default 1). At most 1,000, like a shock's.",
    )

    def complexity_value(self) -> float:
        return self.complexity if self.complexity is not None else KIND_DEFAULTS[self.kind]["complexity"]

    def self_service_value(self) -> float:
        if self.self_service_share is not None:
            return self.self_service_share
        return KIND_DEFAULTS[self.kind]["self_service_share"]


class Reason(Frozen):
    """Why customers make contact: how often, how much work, which channel fits."""

    rate_per_year: NonNegative = Field(
        le=525_600.0,
        description="Issues per product held per year (life_event: per customer per year), "
        "before multipliers. At most 525,600 (one a minute, all year): beyond it a customer is a load "
        "generator (theory checks make a few customers carry a whole queue's arrivals).",
    )
    handle_minutes: Positive = Field(
        le=MINUTES_PER_DAY,
        description="Mean agent work per product part at complexity 1, minutes. At most 1,440: a day's "
        "work on one part of one issue is not a phone call.",
    )
    self_service_eligible: Bool = Field(
        default=False, description="Whether self-service can resolve these issues at all."
    )
    urgent_share: Probability = Field(
        default=0.0,
        description="Share of these issues that are urgent (they bypass queues if the policy lets them).",
    )


class Reasons(Frozen):
    """The four reasons that arise by themselves; repeat and chase contacts follow from them."""

    usage: Reason = Field(
        default=Reason(rate_per_year=0.55, handle_minutes=4.0, self_service_eligible=True),
        description="Questions and changes that are part of using the product (value demand).",
    )
    incident: Reason = Field(
        default=Reason(rate_per_year=0.12, handle_minutes=7.0, urgent_share=0.3),
        description="The product failed.",
    )
    life_event: Reason = Field(
        default=Reason(rate_per_year=0.12, handle_minutes=6.0),
        description="Something happened to the customer (a move, a new job); touches every product "
        "they hold.",
    )
    supplier_induced: Reason = Field(
        default=Reason(rate_per_year=0.4, handle_minutes=5.0, self_service_eligible=True),
        description="Reactions to the supplier's own processes (bills, letters, wrong deliveries): "
        "failure demand.",
    )


class Handling(Frozen):
    """How long calls take."""

    distribution: Literal["lognormal", "exponential"] = Field(
        default="lognormal", description="Distribution of the work per part (exponential for theory checks)."
    )
    cv: NonNegative = Field(
        default=0.8,
        le=10.0,
        description="Coefficient of variation of the lognormal work. At most 10: beyond it nearly all "
        "work falls in a handful of calls and no horizon measures a mean.",
    )
    misroute_minutes: NonNegative = Field(
        default=1.5,
        le=MINUTES_PER_DAY,
        description="Agent minutes before a misrouted call is transferred. At most 1,440 (a day).",
    )
    transfer_minutes: NonNegative = Field(
        default=0.5,
        le=MINUTES_PER_DAY,
        description="Agent minutes to hand a call over to the next department. At most 1,440 (a day).",
    )
    wrap_up_minutes: NonNegative = Field(
        default=0.0, le=MINUTES_PER_DAY, description="After-call work per call leg, minutes. At most 1,440."
    )
    anger: NonNegative = Field(
        default=0.25,
        le=10.0,
        description="The n-th call on the same issue needs work x (1 + anger x (n - 1)). At most 10: the "
        "second call ten times longer than the first is already beyond any report.",
    )


class SelfService(Frozen):
    """The web/app channel: no queue, cheap, resolves only some issues."""

    adoption: Probability = Field(
        default=0.5, description="Share of issues pushed to self-service whose customer tries it first."
    )
    session_minutes: NonNegative = Field(
        default=6.0,
        le=MINUTES_PER_DAY,
        description="Customer minutes in a session; a failed session is followed by a call. At most 1,440.",
    )
    cost_per_session: NonNegative = Field(
        default=0.4, le=MAX_PRICE, description="Supplier cost of one session. At most 1e6, as for prices."
    )
    ineligible_success: Probability = Field(
        default=0.0,
        description="Chance self-service resolves a part of an issue whose reason is not eligible.",
    )


class Phone(Frozen):
    """The contact centre as reported."""

    service_level_seconds: Positive = Field(
        default=20.0,
        le=86_400.0,
        description="service_level = answered within this many seconds / offered call legs. At most a day.",
    )


class Channels(Frozen):
    """The channels customers use."""

    self_service: SelfService = Field(default=SelfService(), description="The web/app channel.")
    phone: Phone = Field(default=Phone(), description="The contact centre.")


class Weights(Frozen):
    """Weights of the issue experience q = w_res*resolved + w_eff*(1-effort) + w_speed*speed + w_prom*kept."""

    resolution: NonNegative = Field(default=0.55, description="Weight of being resolved (1) or not (0).")
    effort: NonNegative = Field(default=0.25, description="Weight of low effort (1 - effort).")
    speed: NonNegative = Field(default=0.05, description="Weight of speed of answer.")
    promises: NonNegative = Field(default=0.15, description="Weight of no broken promise on the issue.")

    @model_validator(mode="after")
    def _sum(self) -> Weights:
        _check_sum(self.model_dump(), "weights")
        return self


class EffortUnits(Frozen):
    """Effort units each thing costs the customer; effort = 1 - exp(-units / effort_scale)."""

    extra_contact: NonNegative = Field(default=1.0, description="Per contact after the first.")
    wait_minute: NonNegative = Field(default=0.1, description="Per minute spent waiting in queues.")
    transfer: NonNegative = Field(default=0.5, description="Per transfer.")
    channel_switch: NonNegative = Field(default=0.5, description="Per switch from self-service to the phone.")
    chase: NonNegative = Field(default=1.5, description="Per chase of a broken promise.")
    self_service_session: NonNegative = Field(default=0.3, description="Per self-service session.")


class Response(Frozen):
    """How customers judge an issue and what they do next."""

    weights: Weights = Field(
        default=Weights(), description="What customers weigh in an issue's experience q."
    )
    effort_units: EffortUnits = Field(default=EffortUnits(), description="What costs customers effort.")
    effort_scale: Positive = Field(
        default=3.0, description="Effort units at which effort reaches 1 - 1/e (saturation scale)."
    )
    speed_scale_minutes: Positive = Field(
        default=1.0, description="speed = exp(-mean wait per queue visit / speed_scale_minutes)."
    )
    satisfaction_gain: Probability = Field(
        default=0.3, description="alpha_up: S += alpha_up x D when the disconfirmation D = q - E >= 0."
    )
    loss_aversion: NonNegative = Field(
        default=2.5,
        le=100.0,
        description="alpha_down / alpha_up: S += loss_aversion x alpha_up x D when D < 0. At most 100 "
        "(measured values are 2-2.5; satisfaction is clipped to [0, 1] long before).",
    )
    resting_satisfaction: Probability = Field(
        default=0.7, description="The level satisfaction relaxes to between issues (forgetting)."
    )
    forgetting_half_life_days: Positive = Field(
        default=365.0, description="Half-life of the distance between S and the resting level, days."
    )
    expectation_up: Probability = Field(
        default=0.3, description="Step of E toward q when q > E (a delight becomes the new normal)."
    )
    expectation_down: Probability = Field(default=0.05, description="Step of E toward q when q < E.")
    market_drift_per_year: Float = Field(
        default=0.01,
        ge=-1.0,
        le=1.0,
        description="Yearly drift of every expectation (the market raises the bar).",
    )
    portfolio_uplift: NonNegative = Field(
        default=0.02,
        le=1.0,
        description="E0 + portfolio_uplift x (products - 1): portfolio customers expect more. At most 1: "
        "expectations live in [0, 1].",
    )
    broken_promise_penalty: Probability = Field(
        default=0.03, description="Immediate satisfaction loss when a promise is broken."
    )
    retry_p: Probability = Field(
        default=0.9,
        description="After an unresolved contact: chance the customer tries again (else gives up).",
    )
    max_attempts: Int | None = Field(
        default=6,
        ge=1,
        le=1000,
        description="Contacts on one issue after which the customer gives up; null = never. At most 1,000 "
        "contacts on one issue.",
    )
    repeat_delay_hours: NonNegative = Field(
        default=24.0, description="Mean delay before calling again, hours."
    )
    redial_p: Probability = Field(
        default=0.6, description="After hanging up in a queue: chance of redialling."
    )
    redial_delay_minutes: NonNegative = Field(
        default=10.0, description="Mean delay before a redial, minutes."
    )
    chase_delay_hours: NonNegative = Field(
        default=2.0, description="Delay between noticing a broken promise and chasing it, hours."
    )
    delays: Literal["exponential", "fixed"] = Field(
        default="exponential",
        description="Repeat, redial and chase delays are exponential with these means, or exactly the means.",
    )


class Churn(Frozen):
    """Leaving: h = base x exp(sensitivity x (reference - S)) / (1 + lock_in x (products - 1))."""

    enabled: Bool = Field(
        default=True, description="false: nobody leaves (e.g. citizens of a public service)."
    )
    base_per_year: NonNegative = Field(
        default=0.14,
        le=10_000.0,
        description="Hazard per year of a one-product customer at the reference satisfaction. At most "
        "10,000 (everyone gone within the hour).",
    )
    sensitivity: NonNegative = Field(
        default=6.0,
        le=100.0,
        description="kappa: how strongly low satisfaction raises the hazard. At most 100 (exp(100) is "
        "already a certainty).",
    )
    reference_satisfaction: Probability = Field(
        default=0.7, description="Satisfaction at which the hazard equals the base."
    )
    lock_in: NonNegative = Field(
        default=0.5,
        le=100.0,
        description="Portfolio lock-in: each extra product divides the hazard. At most 100.",
    )
    exit_after_unresolved: Probability = Field(
        default=0.1, description="Chance of leaving right after giving up on an unresolved issue."
    )
    product_drop_share: Probability = Field(
        default=0.25,
        description="Share of a multi-product customer's churn events that drop one product instead.",
    )


class Economics(Frozen):
    """What things cost and earn."""

    currency: str = Field(default="EUR", description="Label for money in reports.")
    agent_cost_per_hour: NonNegative = Field(
        default=30.0,
        le=MAX_PRICE,
        description="Cost of a staffed front-line agent-hour. At most 1e6: every price is bounded so that "
        "sums over a century stay exact in floating point.",
    )
    account_manager_cost_per_hour: NonNegative = Field(
        default=45.0, le=MAX_PRICE, description="Cost of a staffed account-manager hour. At most 1e6."
    )
    gross_margin: Probability = Field(
        default=0.3, description="Share of revenue left after the cost of goods; profit = margin - costs."
    )
    retention_cost_per_customer: NonNegative = Field(
        default=40.0,
        le=MAX_PRICE,
        description="What keeping one customer costs; acquisition costs a multiple of it. At most 1e6.",
    )
    acquisition_multiple: NonNegative = Field(
        default=6.5,
        le=1000.0,
        description="Acquiring a customer costs this multiple of the retention cost (essays: 5-8). "
        "At most 1,000.",
    )
    discount_rate_per_year: NonNegative = Field(
        default=0.08, le=10.0, description="Discount rate for customer lifetime value. At most 10 (1,000 %)."
    )


class Shock(Frozen):
    """Demand of one reason multiplied for a while (e.g. a botched process change)."""

    start_day: Day = Field(description="First day of the shock.")
    days: Int = Field(
        ge=1, le=MAX_DAYS, description="How many days it lasts. At most 36,500, like the horizon."
    )
    reason: Literal["usage", "incident", "life_event", "supplier_induced"] = Field(
        description="The reason whose rate is multiplied."
    )
    multiplier: NonNegative = Field(
        le=MAX_MULTIPLIER,
        description="The rate multiplier during the shock. At most 1,000, and shocks that overlap on one "
        "reason multiply to at most 1,000 too: beyond it the shock is another scenario.",
    )


class Switch(Frozen):
    """From this day on, the supplier runs another policy."""

    day: Day = Field(description="Day the new policy starts (old pools finish their queues, then close).")
    policy: str = Field(description="Name of the policy to switch to.")


class Timeline(Frozen):
    """What happens when."""

    shocks: list[Shock] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Demand shocks (at most 1,000)."
    )
    switches: list[Switch] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Policy switches (at most 1,000; at most one on a day).",
    )


class Scenario(Frozen):
    """A validated, immutable scenario."""

    name: str = Field(default="scenario", description="Name (default: the file name without .toml).")
    description: str = Field(default="", description="One line saying what the scenario is.")
    horizon: Horizon = Field(description="How long to run.")
    population: Population = Field(description="Customers at the start and new ones.")
    segments: dict[str, Segment] = Field(
        min_length=1, max_length=MAX_NAMES, description="Segment name -> segment (at most 100)."
    )
    products: dict[str, Product] = Field(
        min_length=1,
        max_length=MAX_NAMES,
        description="Product name -> product (at most 100: every customer holds a count per product).",
    )
    reasons: Reasons = Field(default=Reasons(), description="Why customers make contact.")
    handling: Handling = Field(default=Handling(), description="How long calls take.")
    channels: Channels = Field(default=Channels(), description="Self-service and phone.")
    response: Response = Field(default=Response(), description="How customers judge and respond.")
    churn: Churn = Field(default=Churn(), description="When customers leave.")
    economics: Economics = Field(default=Economics(), description="Costs and revenue.")
    policies: dict[str, Policy] = Field(
        default_factory=dict,
        max_length=MAX_NAMES,
        description="Policy name -> levers; the presets are always there and can be changed (at most 100).",
    )
    default_policy: str = Field(
        default="efficiency", description="The policy sim.run uses when none is named."
    )
    timeline: Timeline = Field(default=Timeline(), description="Shocks and policy switches.")

    @model_validator(mode="before")
    @classmethod
    def _merge_presets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            raw = data.get("policies", {})
            if isinstance(raw, dict):
                data = {**data, "policies": resolve_policies(raw, _segment_names(data))}
        return data

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = cross_reference_issues(self.model_dump())
        if problems:
            raise ValueError(_CROSS_MARK + "; ".join(f"{p.path}: {p.rule}" for p in problems))
        return self

    # -- what-ifs ---------------------------------------------------------
    def override(self, changes: Mapping[str, Any]) -> Scenario:
        """A new validated scenario with ``{"dotted.path": value}`` changes applied."""
        data = self.model_dump(mode="python")
        for path, value in changes.items():
            _set_path(data, path, _plain(value))
        return Scenario.from_dict(data, source=f"{self.name} (overridden)")

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the scenario: equal content, equal hash."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
        """Validate a plain dict, reporting every problem at once as a ScenarioError."""
        if not isinstance(data, Mapping):
            raise ScenarioError([ScenarioIssue("", "a scenario must be a table", data)], source)
        data = dict(data)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            issues = _issues_from_validation(exc)
        merged = dict(data)
        if isinstance(merged.get("policies", {}), dict):
            merged["policies"] = resolve_policies(merged.get("policies", {}), _segment_names(merged))
        known = {(i.path, i.rule) for i in issues}
        issues += [i for i in cross_reference_issues(merged) if (i.path, i.rule) not in known]
        raise ScenarioError(issues, source)


_CROSS_MARK = "cross-reference: "


def _segment_names(data: Mapping[str, Any]) -> list[str] | None:
    segments = data.get("segments")
    return list(segments) if isinstance(segments, dict) else None


# --------------------------------------------------------------------------
# errors
@dataclass(frozen=True)
class ScenarioIssue:
    """One problem: where (dotted path), which rule, and the offending value."""

    path: str
    rule: str
    value: Any = None

    def __str__(self) -> str:
        where = self.path or "(top level)"
        shown = _short_repr(self.value)
        return f"{where}: {self.rule}" + (f" (got {shown})" if shown is not None else "")


def _short_repr(value: Any) -> str | None:
    if value is _MISSING:
        return None
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Missing:
    """'No value to show' for an issue; pickles as this very object (ScenarioError crosses processes)."""

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "_MISSING"


_MISSING = _Missing()


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``errors`` lists every problem found."""

    def __init__(self, errors: list[ScenarioIssue], source: str = "<scenario>"):
        self.errors = list(errors)
        self.source = source
        n = len(self.errors)
        lines = [f"{n} problem{'s' if n != 1 else ''} in {source}:"]
        lines += [f"  {issue}" for issue in self.errors]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # rebuild from the issues, not from the message (process pools pickle exceptions)
        return (type(self), (self.errors, self.source))


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    """Dotted path of a pydantic location; list positions as [i], table keys (even integer ones) as .key."""
    parts: list[str] = []
    tp: Any = Scenario
    for item in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(item, int) and origin is list:
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(item))
            tp = field.annotation if field is not None else None
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            tp = None
    return "".join(parts)


def _issues_from_validation(exc: ValidationError) -> list[ScenarioIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if _CROSS_MARK in msg:
            continue  # reported individually by cross_reference_issues
        value = err.get("input", _MISSING)
        if err["type"] in ("less_than_equal", "too_long"):
            msg += _bound_reason(loc)
        if err["type"] == "missing":
            msg, value = "required field is missing", _MISSING
        elif err["type"] == "extra_forbidden":
            msg = _unknown_key_message(loc)
        if isinstance(value, dict) and err["type"] not in ("dict_type", "model_type"):
            value = _MISSING  # the whole table adds nothing to a model-level rule
        issues.append(ScenarioIssue(_loc_to_path(loc), msg, value))
    return issues


def _bound_reason(loc: tuple[Any, ...]) -> str:
    """': <why>' from the 'At most ...' sentence of the field's description, if it has one."""
    tp: Any = Scenario
    info = None
    for item in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(item))
            if info is None:
                break
            tp = info.annotation
        elif typing.get_origin(tp) in (dict, list):
            tp = typing.get_args(tp)[-1]
    text = (info.description or "") if info is not None else ""
    m = re.search(r"At most [^.:]*?:\s*([^.(]+)", text) or re.search(r"At most [^.(]*\(([^)]+)\)", text)
    return f" ({m.group(1).strip()})" if m else ""


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    fields = _fields_at(Scenario, loc[:-1])
    key = str(loc[-1])
    if not fields:
        return "unknown key"
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return "unknown key; allowed: " + ", ".join(sorted(fields))


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by walking ``loc`` through the schema."""
    tp = declared_type(model, loc)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def declared_type(model: Any, loc: Sequence[Any]) -> Any:
    """The schema's type at ``loc`` (keys through models, dicts and lists), or None if unknown.

    Optional and ``Annotated`` wrappers are removed, so a head count declared
    ``int | None`` answers ``int``.
    """
    tp: Any = model
    for item in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(item))
            if field is None:
                return None
            tp = field.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    return _unwrap(tp)


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else tp
    return tp


def cross_reference_issues(data: Mapping[str, Any]) -> list[ScenarioIssue]:
    """Checks that span sections (names used before they are defined, shares).

    Works on a raw or dumped dict and tolerates garbage elsewhere: field-level
    problems are pydantic's to report.
    """
    issues: list[ScenarioIssue] = _text_issues(data)
    segments = data.get("segments") if isinstance(data.get("segments"), dict) else {}
    products = data.get("products") if isinstance(data.get("products"), dict) else {}
    policies = data.get("policies") if isinstance(data.get("policies"), dict) else {}

    shares = [s.get("share") for s in segments.values() if isinstance(s, dict)]
    if shares and all(_is_number(x) for x in shares):
        total = sum(shares)
        if abs(total - 1.0) > _SUM_TOLERANCE:
            issues.append(
                ScenarioIssue("segments", f"segment shares must sum to 1, got {total:.6g}", _MISSING)
            )
    for seg_name, seg in segments.items():
        if isinstance(seg, dict) and isinstance(seg.get("products"), dict):
            for prod in seg["products"]:
                if products and prod not in products:
                    issues.append(
                        ScenarioIssue(
                            f"segments.{seg_name}.products.{prod}",
                            f"unknown product; products: {', '.join(products)}",
                            prod,
                        )
                    )
    for pol_name, pol in policies.items():
        if not isinstance(pol, dict):
            continue
        base = pol.get("base")
        if base is not None and base not in policies:
            issues.append(
                ScenarioIssue(
                    f"policies.{pol_name}.base", f"unknown policy; policies: {', '.join(policies)}", base
                )
            )
        elif base is not None and _base_cycle(pol_name, policies):
            issues.append(ScenarioIssue(f"policies.{pol_name}.base", "bases form a cycle", base))
        am = pol.get("account_managers")
        if isinstance(am, dict) and isinstance(am.get("segments"), list):
            for i, seg in enumerate(am["segments"]):
                if segments and seg not in segments:
                    issues.append(
                        ScenarioIssue(
                            f"policies.{pol_name}.account_managers.segments[{i}]",
                            f"unknown segment; segments: {', '.join(segments)}",
                            seg,
                        )
                    )
        issues += _skill_issues(pol_name, pol, products)
        prio = pol.get("priority")
        if isinstance(prio, dict):
            for seg in prio:
                if segments and seg not in segments:
                    issues.append(
                        ScenarioIssue(
                            f"policies.{pol_name}.priority.{seg}",
                            f"unknown segment; segments: {', '.join(segments)}",
                            seg,
                        )
                    )
    default = data.get("default_policy", "efficiency")
    if isinstance(default, str) and policies and default not in policies:
        issues.append(
            ScenarioIssue("default_policy", f"unknown policy; policies: {', '.join(policies)}", default)
        )
    timeline = data.get("timeline") if isinstance(data.get("timeline"), dict) else {}
    horizon = data.get("horizon") if isinstance(data.get("horizon"), dict) else {}
    days = horizon.get("days")
    for i, sw in enumerate(timeline.get("switches") or []):
        if not isinstance(sw, dict):
            continue
        if isinstance(sw.get("policy"), str) and policies and sw["policy"] not in policies:
            issues.append(
                ScenarioIssue(
                    f"timeline.switches[{i}].policy",
                    f"unknown policy; policies: {', '.join(policies)}",
                    sw["policy"],
                )
            )
        if _is_number(days) and _is_number(sw.get("day")) and sw["day"] >= days:
            issues.append(
                ScenarioIssue(
                    f"timeline.switches[{i}].day", f"must be before the horizon end (day {days})", sw["day"]
                )
            )
    for i, shock in enumerate(timeline.get("shocks") or []):
        if not isinstance(shock, dict):
            continue
        if _is_number(days) and _is_number(shock.get("start_day")) and shock["start_day"] >= days:
            issues.append(
                ScenarioIssue(
                    f"timeline.shocks[{i}].start_day",
                    f"must be before the horizon end (day {days})",
                    shock["start_day"],
                )
            )
    issues += _same_day_switches(timeline.get("switches"))
    issues += _compounded_shocks(timeline.get("shocks"))
    return issues


def _skill_issues(pol_name: str, pol: Mapping[str, Any], products: Mapping[str, Any]) -> list[ScenarioIssue]:
    """Skill groups name real products, and under skills routing every product has a group."""
    out: list[ScenarioIssue] = []
    skills = pol.get("skills")
    groups = skills.get("groups") if isinstance(skills, dict) else None
    groups = groups if isinstance(groups, dict) else {}
    covered: set[str] = set()
    for name, group in groups.items():
        listed = group.get("skills") if isinstance(group, dict) else None
        for i, skill in enumerate(listed if isinstance(listed, list) else []):
            if skill == "*":
                covered |= set(products)
            elif products and skill not in products:
                out.append(
                    ScenarioIssue(
                        f"policies.{pol_name}.skills.groups.{name}.skills[{i}]",
                        f'unknown product; products: {", ".join(products)} (or "*" for all)',
                        skill,
                    )
                )
            else:
                covered.add(skill)
    if pol.get("routing") == "skills":
        if not groups:
            out.append(
                ScenarioIssue(
                    f"policies.{pol_name}.skills.groups", 'routing = "skills" needs skill groups', _MISSING
                )
            )
        else:
            for product in products:
                if product not in covered:
                    out.append(
                        ScenarioIssue(
                            f"policies.{pol_name}.skills.groups",
                            f"no group has the skill for product {product!r}: its calls would go unanswered",
                            _MISSING,
                        )
                    )
    return out


def _same_day_switches(switches: Any) -> list[ScenarioIssue]:
    """Two switches on one day: only one policy can start that day, so refuse rather than pick."""
    first: dict[Any, int] = {}
    issues = []
    for i, sw in enumerate(switches if isinstance(switches, list) else []):
        if not isinstance(sw, dict) or not _is_number(sw.get("day")):
            continue
        if sw["day"] in first:
            j = first[sw["day"]]
            issues.append(
                ScenarioIssue(
                    f"timeline.switches[{i}].day",
                    f"timeline.switches[{j}] also switches on this day; one policy starts a day, keep one",
                    sw["day"],
                )
            )
        else:
            first[sw["day"]] = i
    return issues


def _compounded_shocks(shocks: Any) -> list[ScenarioIssue]:
    """Overlapping shocks on one reason multiply; their product obeys the bound of one shock."""
    spans = [
        (sh["start_day"], sh["start_day"] + sh["days"], sh.get("reason"), sh["multiplier"], i)
        for i, sh in enumerate(shocks if isinstance(shocks, list) else [])
        if isinstance(sh, dict) and all(_is_number(sh.get(k)) for k in ("start_day", "days", "multiplier"))
    ]
    issues = []
    for reason in dict.fromkeys(r for *_, r, _, _ in spans):
        mine = [s for s in spans if s[2] == reason]
        for day in sorted({s[0] for s in mine}):  # the product peaks on some shock's first day
            active = [s for s in mine if s[0] <= day < s[1]]
            product = math.prod(s[3] for s in active)
            if len(active) > 1 and product > MAX_MULTIPLIER:
                issues.append(
                    ScenarioIssue(
                        "timeline.shocks",
                        f"shocks {', '.join(str(s[4]) for s in active)} overlap on day {day} and multiply "
                        f"{reason} demand by {product:.3g}; at most {MAX_MULTIPLIER:g} in all",
                        _MISSING,
                    )
                )
                break
    return issues


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _text_issues(data: Any, path: str = "", depth: int = 0) -> list[ScenarioIssue]:
    """Names and texts a terminal or a report will show: bounded in length, no control characters.

    A control character (an escape sequence, a bell, a newline in a name) would reach the
    user's terminal raw; a name of a million characters would be printed in every table.
    """
    if depth > 12:  # the schema is far shallower; deeper garbage is pydantic's to reject
        return []
    issues = []
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                issues += _text_problem(path or "(top level)", key, MAX_NAME_CHARS, "a name")
            issues += _text_issues(value, where, depth + 1)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            issues += _text_issues(value, f"{path}[{i}]", depth + 1)
    elif isinstance(data, str):
        limit = MAX_TEXT_CHARS if path.endswith("description") else MAX_NAME_CHARS
        issues += _text_problem(path, data, limit, "a description" if limit == MAX_TEXT_CHARS else "a text")
    return issues


def _text_problem(path: str, text: str, limit: int, what: str) -> list[ScenarioIssue]:
    if len(text) > limit:
        return [
            ScenarioIssue(path, f"{what} must be at most {limit} characters, got {len(text):,}", _MISSING)
        ]
    if _CONTROL.search(text):
        rule = f"{what} must not contain control characters (escape sequences, tabs, newlines)"
        return [ScenarioIssue(path, rule, text)]
    return []


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _base_cycle(name: str, policies: Mapping[str, Any]) -> bool:
    seen = {name}
    cur = policies.get(name)
    while isinstance(cur, dict) and isinstance(cur.get("base"), str):
        nxt = cur["base"]
        if nxt in seen:
            return True
        seen.add(nxt)
        cur = policies.get(nxt)
    return False


def _plain(value: Any) -> Any:
    """NumPy scalars (from sweeps and scripts) as the Python numbers the strict schema expects."""
    if hasattr(value, "item") and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    keys = [k for k in re.split(r"\.|\[(\d+)\]", path) if k]
    if not keys:
        raise ScenarioError([ScenarioIssue(path, "empty override path", value)], "override")
    node: Any = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError([ScenarioIssue(path, f"no list item {key!r} here", value)], "override")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                if node.get(key) is None:
                    node[key] = {}
                node = node[key]
        else:
            raise ScenarioError(
                [ScenarioIssue(path, f"cannot descend into {type(node).__name__}", value)], "override"
            )


# --------------------------------------------------------------------------
# loading
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


#: largest scenario file read: a scenario describes a world, it is not data (the shipped ones are ~3 KB)
MAX_FILE_BYTES = 1 << 20


def _read_text(path: Path) -> str:
    """The file's text, refusing what is not a small regular UTF-8 file before reading much of it."""

    def refuse(rule: str) -> ScenarioError:
        return ScenarioError([ScenarioIssue("", rule, str(path))], str(path))

    try:
        info = path.stat()
    except FileNotFoundError:
        raise refuse("file not found") from None
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
        raise refuse(f"not a regular file ({kind}); give a TOML scenario file")
    if info.st_size > MAX_FILE_BYTES:
        raise refuse(f"{info.st_size:,} bytes; a scenario file is at most {MAX_FILE_BYTES:,} bytes")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"more than {MAX_FILE_BYTES:,} bytes; a scenario file is at most that")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse("the file is UTF-16; save it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark (Windows editors) is harmless
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file. The name defaults to the file stem."""
    path = Path(path)
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_POSITION.search(message)
        where = f"line {m.group(1)}, column {m.group(2)}" if m else "TOML"
        rule = _TOML_POSITION.sub("", message).strip()
        raise ScenarioError(
            [ScenarioIssue(where, f"TOML syntax error: {rule}", _MISSING)], str(path)
        ) from None
    except RecursionError:
        raise ScenarioError(
            [ScenarioIssue("TOML", "arrays or tables nested too deeply to read", _MISSING)], str(path)
        ) from None
    data.setdefault("name", path.stem)
    return Scenario.from_dict(data, source=str(path))
