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
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .fields import Day, Frozen, NonNegative, Positive, Probability
from .policy import Policy, resolve_policies

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

#: Defaults by product kind: handle-time multiplier and self-service resolvable share.
KIND_DEFAULTS: dict[str, dict[str, float]] = {
    "mass": {"complexity": 1.0, "self_service_share": 0.6},
    "mass_custom": {"complexity": 1.5, "self_service_share": 0.35},
    "custom": {"complexity": 2.5, "self_service_share": 0.1},
}


def _check_sum(values: Mapping[Any, float], what: str) -> None:
    total = sum(values.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise ValueError(f"{what} must sum to 1, got {total:.6g}")


class Horizon(Frozen):
    """How long to simulate, and how much of the start to leave out of the measures."""

    days: int = Field(ge=1)
    warmup_days: Day = 0

    @field_validator("warmup_days")
    @classmethod
    def _warmup_inside(cls, value: int, info: ValidationInfo) -> int:
        days = info.data.get("days")
        if days is not None and value >= days:
            raise ValueError(f"must be shorter than horizon.days ({days})")
        return value


class Population(Frozen):
    initial_customers: int = Field(ge=1)
    acquisition: Literal["none", "fixed_rate", "replace_churn"] = "replace_churn"
    #: fixed_rate: new customers per year (Poisson).
    acquisition_per_year: NonNegative = 0.0


class BetaDist(Frozen):
    alpha: Positive
    beta: Positive

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Segment(Frozen):
    """A kind of customer: how many products, which, how satisfied, how patient."""

    #: share of the initial and of newly acquired customers.
    share: Probability
    #: portfolio size -> probability.
    portfolio: dict[int, Probability]
    #: product name -> probability that a held product is of that kind (with replacement).
    products: dict[str, Probability]
    satisfaction0: BetaDist = BetaDist(alpha=7.0, beta=3.0)
    expectation0: BetaDist = BetaDist(alpha=7.0, beta=3.0)
    #: mean of the exponential patience in a queue; None = never hangs up.
    patience_minutes: Positive | None = 3.0

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
    kind: Literal["mass", "mass_custom", "custom"] = "mass"
    #: the department that handles it under departmental routing (default: its own name).
    department: str | None = None
    revenue_per_year: NonNegative = 0.0
    #: handle-time multiplier; None = the kind's default.
    complexity: Positive | None = None
    #: share of its eligible issues self-service can resolve; None = the kind's default.
    self_service_share: Probability | None = None
    #: per-reason multiplier on the reason's base rate (default 1).
    rate_multipliers: dict[ProductReason, NonNegative] = Field(default_factory=dict)

    def complexity_value(self) -> float:
        return self.complexity if self.complexity is not None else KIND_DEFAULTS[self.kind]["complexity"]

    def self_service_value(self) -> float:
        if self.self_service_share is not None:
            return self.self_service_share
        return KIND_DEFAULTS[self.kind]["self_service_share"]


class Reason(Frozen):
    #: issues per product per year (life_event: per customer per year).
    rate_per_year: NonNegative
    #: mean agent work per product part at complexity 1.
    handle_minutes: Positive
    self_service_eligible: bool = False
    #: share of these issues that are urgent (bypass applies).
    urgent_share: Probability = 0.0


class Reasons(Frozen):
    usage: Reason = Reason(rate_per_year=0.8, handle_minutes=4.0, self_service_eligible=True)
    incident: Reason = Reason(rate_per_year=0.3, handle_minutes=7.0, urgent_share=0.2)
    life_event: Reason = Reason(rate_per_year=0.1, handle_minutes=6.0)
    supplier_induced: Reason = Reason(rate_per_year=0.8, handle_minutes=5.0, self_service_eligible=True)


class Handling(Frozen):
    distribution: Literal["lognormal", "exponential"] = "lognormal"
    #: coefficient of variation of the lognormal work.
    cv: NonNegative = 0.8
    #: agent time before a misrouted call is transferred.
    misroute_minutes: NonNegative = 1.5
    #: agent time to hand a call over to the next department.
    transfer_minutes: NonNegative = 0.5
    wrap_up_minutes: NonNegative = 0.0
    #: an n-th contact on the same issue needs work x (1 + anger x (n - 1)).
    anger: NonNegative = 0.25


class SelfService(Frozen):
    #: share of pushed issues whose customer tries the web/app first.
    adoption: Probability = 0.6
    session_minutes: NonNegative = 6.0
    cost_per_session: NonNegative = 0.4
    #: chance self-service resolves an issue of a reason not eligible for it.
    ineligible_success: Probability = 0.0


class Phone(Frozen):
    #: service level is reported as answered within this many seconds / offered.
    service_level_seconds: Positive = 20.0


class Channels(Frozen):
    self_service: SelfService = SelfService()
    phone: Phone = Phone()


class Weights(Frozen):
    """Weights of the issue experience q; they sum to 1."""

    resolution: NonNegative = 0.55
    effort: NonNegative = 0.25
    speed: NonNegative = 0.05
    promises: NonNegative = 0.15

    @model_validator(mode="after")
    def _sum(self) -> Weights:
        _check_sum(self.model_dump(), "weights")
        return self


class EffortUnits(Frozen):
    """Effort units each thing costs the customer; effort = 1 - exp(-units / scale)."""

    extra_contact: NonNegative = 1.0
    wait_minute: NonNegative = 0.1
    transfer: NonNegative = 0.5
    channel_switch: NonNegative = 0.5
    chase: NonNegative = 1.5
    self_service_session: NonNegative = 0.3


class Response(Frozen):
    """How customers judge an issue and what they do next."""

    weights: Weights = Weights()
    effort_units: EffortUnits = EffortUnits()
    effort_scale: Positive = 3.0
    #: speed score = exp(-mean wait per call / speed_scale_minutes).
    speed_scale_minutes: Positive = 1.0
    #: alpha_up: satisfaction step per unit of positive disconfirmation.
    satisfaction_gain: Probability = 0.2
    #: alpha_down / alpha_up (trust comes on foot and leaves on horseback).
    loss_aversion: NonNegative = 2.5
    resting_satisfaction: Probability = 0.7
    forgetting_half_life_days: Positive = 180.0
    #: expectation step toward q when q > E (the new normal) and when q < E.
    expectation_up: Probability = 0.3
    expectation_down: Probability = 0.05
    market_drift_per_year: float = Field(default=0.01, ge=-1.0, le=1.0)
    #: E0 + portfolio_uplift x (products - 1).
    portfolio_uplift: NonNegative = 0.02
    #: immediate satisfaction loss when a promise is broken.
    broken_promise_penalty: Probability = 0.03
    #: after an unresolved call: chance the customer tries again (else gives up).
    retry_p: Probability = 0.9
    #: contacts on one issue after which the customer gives up; None = never.
    max_attempts: int | None = Field(default=6, ge=1)
    repeat_delay_hours: NonNegative = 24.0
    #: after hanging up in the queue: chance of redialling, and the mean delay.
    redial_p: Probability = 0.6
    redial_delay_minutes: NonNegative = 10.0
    #: delay between noticing a broken promise and chasing it.
    chase_delay_hours: NonNegative = 2.0
    #: repeat, redial and chase delays: exponential with the given means, or exactly the means.
    delays: Literal["exponential", "fixed"] = "exponential"


class Churn(Frozen):
    """h = base * exp(sensitivity * (reference - S)) / (1 + lock_in * (products - 1))."""

    enabled: bool = True
    base_per_year: NonNegative = 0.12
    sensitivity: NonNegative = 4.0
    reference_satisfaction: Probability = 0.7
    lock_in: NonNegative = 0.5
    #: chance of leaving right after giving up on an unresolved issue.
    exit_after_unresolved: Probability = 0.05
    #: share of churn events of multi-product customers that drop one product instead.
    product_drop_share: Probability = 0.25


class Economics(Frozen):
    currency: str = "EUR"
    agent_cost_per_hour: NonNegative = 30.0
    account_manager_cost_per_hour: NonNegative = 45.0
    #: share of revenue left after the cost of goods; profit = margin - costs.
    gross_margin: Probability = 0.3
    #: what keeping one customer costs; acquisition costs a multiple of it.
    retention_cost_per_customer: NonNegative = 40.0
    acquisition_multiple: NonNegative = 6.5
    discount_rate_per_year: NonNegative = 0.08


class Shock(Frozen):
    """Demand of one reason multiplied for a while (e.g. a botched process change)."""

    start_day: Day
    days: int = Field(ge=1)
    reason: Literal["usage", "incident", "life_event", "supplier_induced"]
    multiplier: NonNegative


class Switch(Frozen):
    """From this day on, the supplier runs another policy."""

    day: Day
    policy: str


class Timeline(Frozen):
    shocks: list[Shock] = Field(default_factory=list)
    switches: list[Switch] = Field(default_factory=list)


class Scenario(Frozen):
    """A validated, immutable scenario."""

    name: str = "scenario"
    description: str = ""
    horizon: Horizon
    population: Population
    segments: dict[str, Segment] = Field(min_length=1)
    products: dict[str, Product] = Field(min_length=1)
    reasons: Reasons = Reasons()
    handling: Handling = Handling()
    channels: Channels = Channels()
    response: Response = Response()
    churn: Churn = Churn()
    economics: Economics = Economics()
    policies: dict[str, Policy] = Field(default_factory=dict)
    #: the policy sim.run uses when none is named.
    default_policy: str = "efficiency"
    timeline: Timeline = Timeline()

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
            _set_path(data, path, value)
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


_MISSING = object()


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``errors`` lists every problem found."""

    def __init__(self, errors: list[ScenarioIssue], source: str = "<scenario>"):
        self.errors = list(errors)
        self.source = source
        n = len(self.errors)
        lines = [f"{n} problem{'s' if n != 1 else ''} in {source}:"]
        lines += [f"  {issue}" for issue in self.errors]
        super().__init__("\n".join(lines))


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
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
        if err["type"] == "missing":
            msg, value = "required field is missing", _MISSING
        elif err["type"] == "extra_forbidden":
            msg = _unknown_key_message(loc)
        if isinstance(value, dict) and err["type"] not in ("dict_type", "model_type"):
            value = _MISSING  # the whole table adds nothing to a model-level rule
        issues.append(ScenarioIssue(_loc_to_path(loc), msg, value))
    return issues


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
    tp: Any = model
    for item in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(item))
            if field is None:
                return []
            tp = field.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


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
    issues: list[ScenarioIssue] = []
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
    return issues


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


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file. The name defaults to the file stem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([ScenarioIssue("", "file not found", str(path))], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([ScenarioIssue("", f"cannot read file: {exc}", str(path))], str(path)) from None
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
    data.setdefault("name", path.stem)
    return Scenario.from_dict(data, source=str(path))
