"""What the command line's arguments mean: parsed, checked, and turned into clear errors.

Everything here raises :class:`UserError` (exit code 2 in :mod:`experiments.cli`)
for input the user can fix, before anything runs or is written.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sim

__all__ = [
    "PROJECT_ROOT",
    "UserError",
    "check_scheduler",
    "load",
    "parse_sets",
    "parse_target",
    "parse_value",
    "parse_vary",
    "policies_of",
    "resolve_scenario_path",
    "shown_path",
    "split_names",
    "story",
    "user_errors",
]

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class UserError(Exception):
    """Bad input: reported as a message and exit code 2."""


#: the option that carries each argument of the Python API, for messages in the command line's words
OPTIONS = {
    "baseline": "--baseline",
    "cases": "--cases",
    "design": "--design",
    "design_seed": "--design-seed",
    "max_reps": "--max-reps",
    "method": "--method",
    "outputs": "--output",
    "policies": "--policies",
    "policy": "--policy",
    "ranges": "--vary",
    "reps": "--reps",
    "samples": "--samples",
    "seed": "--seed",
    "target_metric": "--target",
    "target_half_width": "--target",
}


def user_errors(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn``; a ValueError it raises is the user's input, so report it as such.

    An argument error names the command-line option rather than the Python parameter.
    """
    from .inputs import ArgumentError

    try:
        return fn(*args, **kwargs)
    except sim.ScenarioError:
        raise
    except ArgumentError as exc:
        raise UserError(exc.named(OPTIONS.get(exc.name, exc.name))) from None
    except ValueError as exc:
        raise UserError(str(exc)) from None


def resolve_scenario_path(name: str) -> Path:
    """A scenario path as given, or by name in ./scenarios or the project's scenarios/."""
    candidates = [Path(name)]
    if not name.endswith(".toml"):
        candidates.append(Path(f"{name}.toml"))
    for base in (Path("scenarios"), PROJECT_ROOT / "scenarios"):
        candidates += [base / name, base / f"{name}.toml"]
    for path in candidates:
        try:
            if path.is_file():
                return path
        except OSError:  # a name too long for the system, a loop of links: not a scenario file
            continue
    raise UserError(f"scenario file not found: {name} (try `custsim scenarios` for the shipped ones)")


def parse_value(text: str) -> Any:
    """A TOML value (number, bool, string, array, inline table), else the plain string."""
    from .design import toml_value

    return user_errors(toml_value, text)


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in items or []:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise UserError(f"--set expects PATH=VALUE, got {item!r}")
        changes[path.strip()] = parse_value(value.strip())
    return changes


def load(
    scenario: str, sets: list[str] | None = None, warn: Callable[[list[str]], None] = lambda m: None
) -> sim.Scenario:
    """Load a scenario and apply ``--set`` changes (both validated); ``warn`` hears of new policies."""
    from .sweeps import unknown_policy

    loaded = sim.load_scenario(resolve_scenario_path(scenario))
    changes = parse_sets(sets)
    for path in changes:
        issue = unknown_policy(loaded, path)
        name = path.split(".")[1] if issue is not None else None
        if issue is not None and f"policies.{name}.base" not in changes:
            warn([f"--set {path} creates a new policy {name!r} from neutral defaults ({issue.rule})"])
    return loaded.override(changes) if changes else loaded


def split_names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UserError(f"{option}: a comma-separated list of names (got {text!r})")
    return names


def policies_of(sc: sim.Scenario, text: str | None) -> list[str]:
    from . import inputs

    return user_errors(inputs.policies, sc, split_names(text, "--policies"), what="--policies")


def parse_vary(items: list[str]) -> dict:
    from .design import parse_vary as parse

    if not items:
        raise UserError("give at least one --vary PATH=V1,V2,... or PATH=LO:HI")
    return user_errors(parse, items)


def check_scheduler(scheduler: str | None) -> None:
    """Fail before anything runs or is written if the Dask scheduler cannot be reached."""
    from .executors import SchedulerUnavailableError, probe_scheduler

    try:
        probe_scheduler(scheduler)
    except SchedulerUnavailableError as exc:
        raise UserError(str(exc)) from None


def parse_target(text: str | None) -> tuple[str | None, float | None]:
    from . import inputs

    if text is None:
        return None, None
    metric, sep, value = text.partition("=")
    metric = metric.strip()
    try:
        width = float(value)
    except ValueError:
        width = math.nan
    if not sep or not metric or not width > 0:
        raise UserError(f"--target: METRIC=HALF_WIDTH with a half-width > 0 (got {text!r})")
    user_errors(inputs.metrics, [metric], what="--target")
    return metric, width


def story(path: Path) -> str:
    """The first line of a file's opening comment (TOML) or docstring (Python), else its description.

    Never fails and never blocks: a file that is not a small regular UTF-8 file
    says so in place of its story, and the listing goes on.
    """
    try:
        if not path.is_file():
            return "(not a regular file)"
        if path.stat().st_size > (1 << 20):
            return "(too large to be a scenario)"
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return "(not UTF-8 text)"
    except OSError as exc:
        return f"(cannot read it: {exc.strerror or exc})"
    if path.suffix == ".py":
        parts = text.split('"""')
        return (parts[1].strip().splitlines() or [""])[0] if len(parts) > 2 else ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            if line.lstrip("#").strip():
                return line.lstrip("#").strip()
        elif line:
            break
    try:
        description = tomllib.loads(text).get("description", "")
    except (tomllib.TOMLDecodeError, RecursionError):
        return "(not valid TOML)"
    return description if isinstance(description, str) else ""


def shown_path(path: Path) -> str:
    """A path relative to the working directory when it is below it (shorter, and no machine paths)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
