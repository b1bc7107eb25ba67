"""Parameter sweeps: design points x policies x replications, stored as they finish, resumable."""

from __future__ import annotations

import difflib
import numbers
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import sim
from sim.scenario import ScenarioIssue

from .design import Range, make_design, normalize_vary, path_kinds
from .replication import check_policies, check_seed
from .runner import execute
from .runs import RunSpec, canonical_json, run_key
from .store import Store

__all__ = ["sweep", "run_points", "design_points", "unknown_policy", "SweepWarning", "FAILURES_KEPT"]

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
) -> list[dict[str, Any]]:
    """The design's points, each checked against the scenario; every problem is reported at once.

    Integer paths (by the scenario's current value, else its schema) get integers.
    """
    factors = normalize_vary(vary)
    unknown = [i for path, f in factors.items() if (i := unknown_policy(scenario, path, f)) is not None]
    if unknown:
        raise sim.ScenarioError(unknown, f"the sweep of {scenario.name}")
    kinds = path_kinds(scenario, factors)
    points = make_design(design, factors, samples, design_seed, {p for p, k in kinds.items() if k is int})
    # 1 and 1.0 are the same real number: one run key, one stored run (and no rerun when written otherwise)
    reals = {p for p, k in kinds.items() if k is float}
    points = [{k: _real(v) if k in reals else v for k, v in p.items()} for p in points]
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
    return points


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


def sweep(
    scenario: sim.Scenario,
    vary: Mapping[str, Any],
    policies: Sequence[str] | None = None,
    reps: int = 1,
    design: str = "grid",
    samples: int | None = None,
    store: str | Path | Store | None = None,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    design_seed: int = 0,
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
    """
    factors = normalize_vary(vary)
    points = design_points(scenario, factors, design, samples, design_seed)
    definition = {
        "vary": _describe(factors),
        "design": design,
        "samples": samples,
        "design_seed": design_seed,
    }
    return run_points(
        scenario,
        points,
        policies,
        reps,
        store,
        seed,
        workers,
        scheduler,
        progress,
        params=list(factors),
        definition=definition,
    )


def run_points(
    scenario: sim.Scenario,
    points: Sequence[Mapping[str, Any]],
    policies: Sequence[str] | None = None,
    reps: int = 1,
    store: str | Path | Store | None = None,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    params: Sequence[str] | None = None,
    definition: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run given scenario changes (``points``) x policies x replications; see :func:`sweep`."""
    if isinstance(reps, bool) or not isinstance(reps, numbers.Integral) or reps < 1:
        raise ValueError(f"reps must be an integer >= 1, got {reps!r}")
    reps = int(reps)
    names = check_policies(scenario, policies)
    seed = check_seed(seed)
    points = [dict(p) for p in points]
    params = list(params) if params is not None else list(dict.fromkeys(k for p in points for k in p))
    scenario_hash = scenario.content_hash()
    point_keys = [
        {
            (policy, rep): run_key(scenario_hash, policy, point, rep, seed)
            for policy in names
            for rep in range(reps)
        }
        for point in points
    ]

    def all_specs() -> Iterator[RunSpec]:
        for i, point in enumerate(points):
            for policy in names:
                for rep in range(reps):
                    key = point_keys[i][policy, rep]
                    yield RunSpec(policy=policy, rep=rep, root_seed=seed, params=point, point=i, key=key)

    unique = list(dict.fromkeys(k for keys in point_keys for k in keys.values()))
    owned = Store(store) if isinstance(store, (str, Path)) else store
    try:
        done: set[str] = set()
        if owned is not None:
            owned.add_scenario(scenario, scenario_hash)
            owned.add_sweep(
                scenario_hash,
                {
                    "scenario": scenario.name,
                    **(definition or {"points": points}),
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
        remaining = len(unique) - len(done)
        for outcome in execute(scenario, todo(), workers, scheduler, progress, "sweeping", total=remaining):
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
            stacklevel=2,
        )
    return table
