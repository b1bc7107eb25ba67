"""Parameter sweeps: design points x policies x replications, stored as they finish, resumable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import sim
from sim.scenario import ScenarioIssue

from .design import Range, make_design
from .replication import check_policies
from .runner import execute
from .runs import RunSpec, run_key
from .store import Store

__all__ = ["sweep", "run_points", "SweepResult", "design_points"]


@dataclass
class SweepResult:
    """What a sweep produced: the tidy table, and what happened this time."""

    table: pd.DataFrame  # one row per finished run: point, policy, rep, seed, parameters, metrics
    points: list[dict[str, Any]]
    executed: int  # runs executed by this call (the rest were already in the store)
    failed: pd.DataFrame = field(default_factory=pd.DataFrame)  # runs that raised: key, policy, point, error


def design_points(
    scenario: sim.Scenario,
    vary: Mapping[str, list[Any] | Range],
    design: str = "grid",
    samples: int | None = None,
    design_seed: int = 0,
) -> list[dict[str, Any]]:
    """The design's points, each checked against the scenario (every problem reported at once)."""
    points = make_design(design, vary, samples, design_seed, base=scenario.model_dump(mode="python"))
    problems: list[ScenarioIssue] = []
    for i, point in enumerate(points):
        try:
            scenario.override(point)
        except sim.ScenarioError as exc:
            problems += [ScenarioIssue(f"point {i}: {e.path}", e.rule, e.value) for e in exc.errors]
    if problems:
        raise sim.ScenarioError(problems, f"the sweep of {scenario.name}")
    return points


def sweep(
    scenario: sim.Scenario,
    vary: Mapping[str, list[Any] | Range],
    policies: Sequence[str] | None = None,
    reps: int = 1,
    design: str = "grid",
    store: str | Path | Store | None = None,
    seed: int = 1,
    samples: int | None = None,
    design_seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> SweepResult:
    """Run every (design point, policy, replication); with a store, skip what is done already.

    Replication r of every point and policy uses the same random numbers (the
    replication's seed), so differences between points are paired. A run that
    raises is stored as failed and the sweep goes on; calling again retries only
    failed and missing runs. Without a store the table is kept in memory only.
    """
    points = design_points(scenario, vary, design, samples, design_seed)
    return run_points(
        scenario, points, policies, reps, store, seed, workers, scheduler, progress, params=list(vary)
    )


def run_points(
    scenario: sim.Scenario,
    points: Sequence[dict[str, Any]],
    policies: Sequence[str] | None = None,
    reps: int = 1,
    store: str | Path | Store | None = None,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    params: Sequence[str] | None = None,
) -> SweepResult:
    """Run given scenario changes (``points``) x policies x replications; see :func:`sweep`."""
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    names = check_policies(scenario, policies)
    points = list(points)
    params = list(params) if params is not None else sorted({k for p in points for k in p})
    scenario_hash = scenario.content_hash()

    def all_specs() -> Iterator[RunSpec]:
        for i, point in enumerate(points):
            for policy in names:
                for rep in range(reps):
                    key = run_key(scenario_hash, policy, point, rep, seed)
                    yield RunSpec(policy=policy, rep=rep, root_seed=int(seed), params=point, point=i, key=key)

    keys = [s.key for s in all_specs()]
    owned = store if isinstance(store, Store) or store is None else Store(store)
    try:
        done = {k for k, s in owned.status(keys).items() if s == "ok"} if owned is not None else set()
        todo = (s for s in all_specs() if s.key not in done)
        rows: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        executed = 0
        remaining = len(keys) - len(done)
        for outcome in execute(scenario, todo, workers, scheduler, progress, "sweeping", total=remaining):
            executed += 1
            spec = outcome.spec
            if owned is not None:
                owned.record(outcome, scenario, scenario_hash)
            if outcome.error is not None:
                failures.append(
                    {
                        "key": spec.key,
                        "point": spec.point,
                        "policy": spec.policy,
                        "rep": spec.rep,
                        "error": outcome.error,
                    }
                )
            elif owned is None:
                rows.append(
                    {
                        "point": spec.point,
                        "policy": spec.policy,
                        "rep": spec.rep,
                        "seed": spec.root_seed,
                        **spec.params,
                        **outcome.summary,
                    }
                )
        if owned is not None:
            table = owned.table(keys).rename(columns={"root_seed": "seed"})
        else:
            table = pd.DataFrame(rows)
    finally:
        if owned is not None and owned is not store:
            owned.close()
    return SweepResult(_tidy(table, names, params), points, executed, pd.DataFrame(failures))


def _tidy(table: pd.DataFrame, policies: list[str], params: list[str]) -> pd.DataFrame:
    """Column order and row order that do not depend on how runs finished."""
    if table.empty:
        return pd.DataFrame(columns=["point", "policy", "rep", "seed", *params, *sim.METRICS])
    order = {p: i for i, p in enumerate(policies)}
    table = table.assign(_p=table["policy"].map(order)).sort_values(["point", "_p", "rep"]).drop(columns="_p")
    lead = ["point", "policy", "rep", "seed", *params]
    rest = [c for c in table.columns if c not in lead and c not in sim.METRICS]
    return table[[*lead, *sim.METRICS, *rest]].reset_index(drop=True)
