"""What callers pass to the experiments, checked once, in one place, with one message format.

Every check raises :class:`ArgumentError` (a ``ValueError``) reading
``NAME: RULE (got VALUE)``, where NAME is the parameter (``policies``) or, from
the command line, the option (``--policies``), the same shape as a scenario
error's ``path: rule (got value)``. The command line passes its option names;
the Python API uses its parameter names. Nothing else in ``experiments`` checks
these arguments again.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import sim

__all__ = [
    "ArgumentError",
    "MAX_SEED",
    "choice",
    "count",
    "level",
    "metrics",
    "policies",
    "policy",
    "baseline",
    "seed",
]

#: seeds are stored as SQLite integers (signed 64 bits)
MAX_SEED = 2**63 - 1

_NOTHING = object()


class ArgumentError(ValueError):
    """An argument that cannot be used: ``name: rule (got value)``."""

    def __init__(self, name: str, rule: str, value: Any = _NOTHING):
        self.name, self.rule, self.value = name, rule, value
        super().__init__(self.named(name))

    def named(self, name: str) -> str:
        """The message with the argument called ``name`` (a command-line option, say)."""
        shown = "" if self.value is _NOTHING else f" (got {_short(self.value)})"
        return f"{name}: {self.rule}{shown}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _names(scenario: sim.Scenario) -> str:
    return ", ".join(scenario.policies)


def policy(scenario: sim.Scenario, name: str | None, *, what: str = "policy") -> str:
    """One policy of the scenario by name; None means the scenario's default policy."""
    if name is None:
        return scenario.default_policy
    if not isinstance(name, str) or not name.strip():
        raise ArgumentError(what, f"name a policy; this scenario has: {_names(scenario)}", name)
    if name not in scenario.policies:
        raise ArgumentError(what, f"unknown policy; this scenario has: {_names(scenario)}", name)
    return name


def policies(
    scenario: sim.Scenario, names: Sequence[str] | str | None, *, what: str = "policies"
) -> list[str]:
    """Policies of the scenario by name, in the order given; None means all of them."""
    if names is None:
        return list(scenario.policies)
    listed = [names] if isinstance(names, str) else list(names)
    if not listed:
        raise ArgumentError(what, f"name at least one policy (None: all of {_names(scenario)})", listed)
    for name in listed:
        policy(scenario, name, what=what)
    twice = sorted({n for n in listed if listed.count(n) > 1})
    if twice:
        raise ArgumentError(what, f"each policy once; listed twice: {', '.join(twice)}", listed)
    return listed


def baseline(names: Sequence[str], name: str | None, *, what: str = "baseline") -> str:
    """The policy the others are compared with: one of ``names`` (default: the first)."""
    if name is None:
        return names[0]
    if name not in names:
        raise ArgumentError(what, f"must be one of the compared policies: {', '.join(names)}", name)
    return name


def seed(value: Any, *, what: str = "seed") -> int:
    """A root seed: an integer from 0 to 2**63 - 1 (what SeedSequence and the store both take)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= MAX_SEED:
        raise ArgumentError(what, f"must be an integer from 0 to {MAX_SEED}", value)
    return int(value)


def count(value: Any, *, what: str, least: int = 1, most: int | None = None) -> int:
    """A whole number of things (replications, samples) within bounds."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < least or (most is not None and value > most):
        span = f">= {least}" if most is None else f"from {least} to {most}"
        raise ArgumentError(what, f"must be an integer {span}", value)
    return int(value)


def metrics(names: Iterable[str] | str, *, what: str = "outputs") -> list[str]:
    """Metric names (at least one), each one of ``sim.METRICS``."""
    listed = [names] if isinstance(names, str) else list(names)
    if not listed:
        raise ArgumentError(what, "name at least one metric", listed)
    unknown = [n for n in listed if n not in sim.METRICS]
    if unknown:
        raise ArgumentError(
            what, f"unknown metric {', '.join(map(str, unknown))}; metrics: {', '.join(sim.METRICS)}"
        )
    return listed


def level(value: Any, *, what: str = "level") -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ArgumentError(what, "must be between 0 and 1", value)
    return float(value)


def choice(value: Any, options: Sequence[str], *, what: str) -> str:
    """One of a fixed set of words (a design, a method, a format)."""
    if value not in options:
        raise ArgumentError(what, f"must be one of {', '.join(options)}", value)
    return value
