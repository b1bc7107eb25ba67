"""Replications of several policies on common random numbers: one tidy row per run."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import pandas as pd

import sim

from .runner import execute
from .runs import RunSpec

__all__ = ["replicate", "run_replications", "check_policies", "check_seed", "RunFailedError"]


class RunFailedError(RuntimeError):
    """A run raised; replications need every run, so they stop (sweeps record it and go on)."""


def check_policies(scenario: sim.Scenario, policies: Sequence[str] | None) -> list[str]:
    """The policies to run (default: all of the scenario's), checked by name."""
    if isinstance(policies, str):
        policies = [policies]
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


def check_seed(seed: int) -> int:
    """A root seed must be a non-negative integer (what SeedSequence accepts)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def run_replications(
    scenario: sim.Scenario,
    policies: Sequence[str],
    reps: Iterable[int],
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """The rows of replications ``reps`` (any replication numbers) of ``policies``; see :func:`replicate`."""
    names = check_policies(scenario, policies)
    seed = check_seed(seed)
    numbers_ = sorted(set(int(r) for r in reps))
    if any(r < 0 for r in numbers_):
        raise ValueError("replication numbers must be >= 0")
    specs = [RunSpec(policy=p, rep=r, root_seed=seed) for r in numbers_ for p in names]
    rows = []
    for outcome in execute(scenario, specs, workers, scheduler, progress, description="replicating"):
        spec = outcome.spec
        if outcome.error is not None:
            raise RunFailedError(f"policy {spec.policy!r} replication {spec.rep} failed: {outcome.error}")
        rows.append({"policy": spec.policy, "rep": spec.rep, "seed": seed, **outcome.summary})
    table = pd.DataFrame(rows, columns=["policy", "rep", "seed", *sim.METRICS])
    order = {name: i for i, name in enumerate(names)}
    table = table.assign(_order=table["policy"].map(order)).sort_values(["_order", "rep"])
    return table.drop(columns="_order").reset_index(drop=True)


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

    Replication r runs with ``numpy.random.SeedSequence(seed).spawn(reps)[r]``.
    Returns one row per (policy, replication): ``policy, rep, seed`` and every
    metric in ``sim.METRICS``, ordered by policy (as given) then replication.
    The table is bit-identical whatever the workers or scheduler. ``progress``:
    a bar on stderr (default: only when stderr is a terminal).
    """
    if isinstance(reps, bool) or not isinstance(reps, numbers.Integral) or reps < 1:
        raise ValueError(f"reps must be an integer >= 1, got {reps!r}")
    names = check_policies(scenario, policies)
    return run_replications(scenario, names, range(reps), seed, workers, scheduler, progress)
