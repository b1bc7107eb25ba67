"""Replications of several policies on common random numbers: one tidy row per run."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

import sim

from .runner import execute
from .runs import RunSpec

__all__ = ["replicate", "check_policies"]


def check_policies(scenario: sim.Scenario, policies: Sequence[str] | None) -> list[str]:
    """The policies to run (default: all of the scenario's), checked by name."""
    names = list(policies) if policies else list(scenario.policies)
    unknown = [p for p in names if p not in scenario.policies]
    if unknown:
        raise ValueError(
            f"unknown policy {', '.join(map(repr, unknown))}; "
            f"this scenario has: {', '.join(scenario.policies)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"a policy is listed twice: {', '.join(names)}")
    return names


def replicate(
    scenario: sim.Scenario,
    policies: Sequence[str] | None = None,
    reps: int = 3,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run every policy ``reps`` times; replication r uses the same random numbers for every policy.

    Returns one row per (policy, replication): ``policy, rep, seed`` and every metric in
    ``sim.METRICS``, ordered by policy (as given) then replication. The table is the same
    whatever the workers or scheduler.
    """
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    names = check_policies(scenario, policies)
    specs = [RunSpec(policy=p, rep=r, root_seed=int(seed)) for r in range(reps) for p in names]
    rows = []
    for outcome in execute(scenario, specs, workers, scheduler, progress, description="replicating"):
        if outcome.error is not None:
            spec = outcome.spec
            raise RuntimeError(f"run {spec.policy!r} replication {spec.rep} failed: {outcome.error}")
        rows.append(
            {"policy": outcome.spec.policy, "rep": outcome.spec.rep, "seed": int(seed), **outcome.summary}
        )
    table = pd.DataFrame(rows, columns=["policy", "rep", "seed", *sim.METRICS])
    order = {name: i for i, name in enumerate(names)}
    table = table.sort_values(["policy", "rep"], key=lambda c: c.map(order) if c.name == "policy" else c)
    return table.reset_index(drop=True)
