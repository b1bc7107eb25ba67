"""Parameter sweeps: design points x policies x replications, stored as they finish, resumable."""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import sim
from sim.scenario import ScenarioIssue

from . import inputs
from .design import (
    DESIGNS,
    Points,
    Range,
    design_size,
    integer_paths,
    make_design,
    normalize_vary,
    path_kinds,
)
from .resources import Estimate, preflight
from .runner import execute
from .runs import RunSpec, canonical_json, run_key
from .store import Store

__all__ = [
    "sweep",
    "run_points",
    "design_points",
    "check_points",
    "probe_scenarios",
    "price_design",
    "unknown_policy",
    "SweepWarning",
    "FAILURES_KEPT",
]

#: failed runs described in ``table.attrs["failures"]`` (all of them are in the store)
FAILURES_KEPT = 20


class SweepWarning(RuntimeWarning):
    """Some runs of a sweep failed; the table holds the others."""


def design_points(
    scenario: sim.Scenario,
    vary: Mapping[str, Any],
    design: str = "grid",
    samples: int | None = None,
    design_seed: int = 0,
) -> Sequence[dict[str, Any]]:
    """The design's points, each checked against the scenario; every problem is reported at once.

    Integer paths (by the scenario's current value, else its schema) get integers;
    points are made one at a time (see :class:`~experiments.design.Points`).
    """
    factors = normalize_vary(vary)
    unknown = [i for path, f in factors.items() if (i := unknown_policy(scenario, path, f)) is not None]
    if unknown:
        raise sim.ScenarioError(unknown, f"the sweep of {scenario.name}")
    kinds = path_kinds(scenario, factors)
    made = make_design(design, factors, samples, design_seed, {p for p, k in kinds.items() if k is int})
    # 1 and 1.0 are the same real number: one run key, one stored run (and no rerun when written otherwise)
    reals = {p for p, k in kinds.items() if k is float}
    points = Points(len(made), lambda i: {k: _real(v) if k in reals else v for k, v in made[i].items()})
    check_points(scenario, points)
    return points


def check_points(scenario: sim.Scenario, points: Iterable[Mapping[str, Any]]) -> None:
    """Every point must make a valid scenario; all problems at once, grouped by path and rule."""
    found: dict[tuple[str, str], list[tuple[int, Any]]] = {}
    for i, point in enumerate(points):
        try:
            scenario.override(point)
        except sim.ScenarioError as exc:
            for e in exc.errors:
                found.setdefault((e.path, e.rule), []).append((i, e.value))
    if found:
        issues = []
        for (path, rule), where in found.items():
            indices = [i for i, _ in where]
            values = list(dict.fromkeys(repr(v) for _, v in where))
            label = f"point {indices[0]}" if len(indices) == 1 else f"points {_listing(indices)}"
            value = where[0][1] if len(values) == 1 else [v for _, v in where][:6]
            issues.append(ScenarioIssue(f"{label}: {path}", rule, value))
        raise sim.ScenarioError(issues, f"the sweep of {scenario.name}")


def _real(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def unknown_policy(scenario: sim.Scenario, path: str, value: Any = None) -> ScenarioIssue | None:
    """An issue if ``path`` is ``policies.NAME...`` for a policy the scenario does not have.

    Overriding such a path would quietly create a new policy from neutral
    defaults, one that no run of the sweep uses: almost always a typo.
    """
    keys = [k for k in re.split(r"\.|\[", path) if k]
    if len(keys) < 2 or keys[0] != "policies" or keys[1] in scenario.policies:
        return None
    close = difflib.get_close_matches(keys[1], list(scenario.policies), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ScenarioIssue(
        path, f"no policy {keys[1]!r} in the scenario; {hint}policies: {', '.join(scenario.policies)}", value
    )


def _listing(indices: list[int], most: int = 6) -> str:
    shown = ", ".join(map(str, indices[:most]))
    return shown + (f" and {len(indices) - most} more" if len(indices) > most else "")


def _describe(factors: Mapping[str, Any]) -> dict[str, Any]:
    return {
        path: ({"lo": f.lo, "hi": f.hi} if isinstance(f, Range) else list(f)) for path, f in factors.items()
    }


def probe_scenarios(scenario: sim.Scenario, factors: Mapping[str, Any]) -> list[sim.Scenario]:
    """Scenarios at the ends of every factor, one factor at a time: what the preflight prices.

    A run's cost grows with sizes (customers, days, rates), so its extremes lie at
    a factor's ends; a valid end of each factor stands for the design without
    making a single point of it.
    """
    probes = [scenario]
    for path, factor in normalize_vary(factors).items():
        ends = [factor.lo, factor.hi] if isinstance(factor, Range) else list(factor)[:8]
        for value in ends:
            probe = _valid(scenario, {path: int(value) if _whole(scenario, path, value) else value})
            if probe is not None:  # a bad end is reported with the design's points
                probes.append(probe)
    return probes


def price_design(
    scenario: sim.Scenario,
    factors: Mapping[str, Any],
    policies: Sequence[str],
    points: int,
    reps: int,
    **options: Any,
) -> Estimate:
    """The resource preflight of ``points`` design points of ``factors``, before any point is made."""
    return preflight(
        scenario,
        policies,
        points * len(policies) * reps,
        scenarios=probe_scenarios(scenario, factors),
        points=points,
        **options,
    )


def _valid(scenario: sim.Scenario, changes: Mapping[str, Any]) -> sim.Scenario | None:
    """The scenario with ``changes``, or None if they break it (reported with every point, later)."""
    try:
        return scenario.override(changes) if changes else scenario
    except sim.ScenarioError:
        return None


def _whole(scenario: sim.Scenario, path: str, value: Any) -> bool:
    return isinstance(value, float) and value.is_integer() and path in integer_paths(scenario, [path])


def sweep(
    scenario: sim.Scenario,
    vary: Mapping[str, Any],
    policies: Sequence[str] | None = None,
    *,
    reps: int = 1,
    design: str = "grid",
    samples: int | None = None,
    design_seed: int = 0,
    store: str | Path | Store | None = None,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> pd.DataFrame:
    """Run every (design point, policy, replication); with a store, skip what is done already.

    ``vary`` maps dotted scenario paths to a list of values or a ``(lo, hi)``
    range. ``design``: "grid" (``samples`` = levels per range, default 3),
    "lhs" or "sobol" (``samples`` points, default 16; ``design_seed`` picks
    the sample). Replication r of every point and policy uses the same random
    numbers, so differences between points and policies are paired.

    With a ``store`` (a path or a :class:`Store`), every run is committed as it
    finishes; calling again with the same arguments runs only what is missing
    or failed. A run that raises is recorded as failed and the sweep goes on
    (a :class:`SweepWarning` says so). Returns the tidy table of finished runs:
    ``point, policy, rep, seed``, one column per varied path, every metric;
    ``attrs`` holds ``runs`` (rows if all succeed), ``distinct`` (different runs among them: a point
    listed twice runs once), ``executed`` (by this call), ``failed`` and the first ``failures``.

    Before any point is made, the size of the design and the cost of its runs are
    estimated; a sweep that cannot fit this machine's memory or would take longer
    than a day is refused (:class:`~experiments.resources.ResourceError`) unless
    ``force``; ``on_estimate`` hears the estimate of a long one.
    """
    factors = normalize_vary(vary)
    names = inputs.policies(scenario, policies)
    reps = inputs.count(reps, what="reps")
    seed = inputs.seed(seed)
    inputs.choice(design, DESIGNS, what="design")
    if samples is not None:
        inputs.count(samples, what="samples")
    design_seed = inputs.seed(design_seed, what="design_seed")
    size = design_size(design, factors, samples, integer_paths(scenario, factors))
    price_design(
        scenario,
        factors,
        names,
        size,
        reps,
        workers=workers,
        scheduler=scheduler,
        force=force,
        on_estimate=on_estimate,
    )
    points = design_points(scenario, factors, design, samples, design_seed)
    definition = {
        "vary": _describe(factors),
        "design": design,
        "samples": samples,
        "design_seed": design_seed,
    }
    return _run(
        scenario, points, names, reps, seed, store, list(factors), definition, workers, scheduler, progress
    )


def run_points(
    scenario: sim.Scenario,
    points: Sequence[Mapping[str, Any]],
    policies: Sequence[str] | None = None,
    *,
    reps: int = 1,
    store: str | Path | Store | None = None,
    seed: int = 1,
    params: Sequence[str] | None = None,
    definition: Mapping[str, Any] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> pd.DataFrame:
    """Run given scenario changes (``points``) x policies x replications; see :func:`sweep`."""
    names = inputs.policies(scenario, policies)
    reps = inputs.count(reps, what="reps")
    seed = inputs.seed(seed)
    step = max(1, len(points) // 16)  # a sample of the points prices the job
    sample = [_valid(scenario, points[i]) for i in range(0, len(points), step)]
    preflight(
        scenario,
        names,
        len(points) * len(names) * reps,
        workers=workers,
        scheduler=scheduler,
        scenarios=[s for s in sample[:17] if s is not None],
        points=len(points),
        force=force,
        on_estimate=on_estimate,
    )
    check_points(scenario, points)
    params = list(params) if params is not None else list(dict.fromkeys(k for p in points for k in p))
    return _run(scenario, points, names, reps, seed, store, params, definition, workers, scheduler, progress)


def _run(
    scenario: sim.Scenario,
    points: Sequence[Mapping[str, Any]],
    names: list[str],
    reps: int,
    seed: int,
    store: str | Path | Store | None,
    params: list[str],
    definition: Mapping[str, Any] | None,
    workers: int | None,
    scheduler: str | None,
    progress: bool | None,
) -> pd.DataFrame:
    """Run the checked points; the points are read one at a time, twice (to count, then to run)."""
    scenario_hash = scenario.content_hash()

    def all_specs() -> Iterator[RunSpec]:
        for i, point in enumerate(points):
            point = dict(point)
            for policy in names:
                for rep in range(reps):
                    key = run_key(scenario_hash, policy, point, rep, seed)
                    yield RunSpec(policy=policy, rep=rep, root_seed=seed, params=point, point=i, key=key)

    unique = list(dict.fromkeys(spec.key for spec in all_specs()))
    owned = Store(store) if isinstance(store, (str, Path)) else store
    try:
        done: set[str] = set()
        if owned is not None:
            owned.add_scenario(scenario, scenario_hash)
            owned.add_sweep(
                scenario_hash,
                {
                    "scenario": scenario.name,
                    **(definition or {"points": [dict(p) for p in points]}),
                    "policies": names,
                    "reps": reps,
                    "seed": seed,
                    "runs": len(unique),
                },
            )
            done = {k for k, s in owned.status(unique).items() if s == "ok"}

        def todo() -> Iterator[RunSpec]:
            queued: set[str] = set()
            for spec in all_specs():
                if spec.key not in done and spec.key not in queued:
                    queued.add(spec.key)  # the same run twice in a design runs once
                    yield spec

        summaries: dict[str, dict[str, float]] = {}
        failures: list[dict[str, Any]] = []
        n_failed = executed = 0
        for outcome in execute(
            scenario,
            todo(),
            total=len(unique) - len(done),
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            description="sweeping",
        ):
            executed += 1
            spec = outcome.spec
            if owned is not None:
                owned.record(outcome, scenario.name, scenario_hash)
            if outcome.error is not None:
                n_failed += 1
                if len(failures) < FAILURES_KEPT:
                    failures.append(
                        {
                            "point": spec.point,
                            "policy": spec.policy,
                            "rep": spec.rep,
                            "params": canonical_json(spec.params),
                            "error": outcome.error,
                            "key": spec.key,
                        }
                    )
            elif owned is None:
                summaries[spec.key] = outcome.summary
        if owned is not None:
            summaries = dict(owned.summaries(unique))
    finally:
        if owned is not None and owned is not store:
            owned.close()
    rows = [
        {
            "point": s.point,
            "policy": s.policy,
            "rep": s.rep,
            "seed": s.root_seed,
            **s.params,
            **summaries[s.key],
        }
        for s in all_specs()
        if s.key in summaries
    ]
    table = pd.DataFrame(rows, columns=["point", "policy", "rep", "seed", *params, *sim.METRICS])
    table.attrs.update(
        {
            "runs": len(points) * len(names) * reps,
            "distinct": len(unique),
            "executed": executed,
            "failed": n_failed,
            "failures": failures,
        }
    )
    if n_failed:
        first = failures[0]
        warnings.warn(
            f"{n_failed} of {executed} runs failed (e.g. point {first['point']}, {first['policy']}, "
            f"rep {first['rep']}: {first['error']}); call again to retry them",
            SweepWarning,
            stacklevel=3,
        )
    return table
