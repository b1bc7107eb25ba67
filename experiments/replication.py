"""Replications of several policies on common random numbers: one tidy row per run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pandas as pd

import sim

from . import inputs
from .resources import Estimate, preflight
from .runner import execute
from .runs import Reducer, RunOutcome, RunSpec

__all__ = ["replicate", "run_replications", "RunFailedError", "ordered"]


class RunFailedError(RuntimeError):
    """A run raised; replications need every run, so they stop (sweeps record it and go on)."""


def run_replications(
    scenario: sim.Scenario,
    policies: Sequence[str],
    reps: Iterable[int],
    *,
    seed: int = 1,
    reducer: Reducer | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> list[RunOutcome]:
    """The outcomes of replications ``reps`` (any replication numbers) of ``policies``, checked by
    the caller, ordered by policy then replication; a failed run raises :class:`RunFailedError`."""
    numbers = sorted({int(r) for r in reps})
    if any(r < 0 for r in numbers):
        raise inputs.ArgumentError("reps", "replication numbers must be >= 0", numbers)
    specs = [RunSpec(policy=p, rep=r, root_seed=seed) for r in numbers for p in policies]
    outcomes = []
    for outcome in execute(
        scenario,
        specs,
        reducer=reducer,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        description="replicating",
    ):
        if outcome.error is not None:
            spec = outcome.spec
            raise RunFailedError(f"policy {spec.policy!r} replication {spec.rep} failed: {outcome.error}")
        outcomes.append(outcome)
    return ordered(outcomes, policies)


def table(outcomes: Iterable[RunOutcome]) -> pd.DataFrame:
    """One row per run: ``policy, rep, seed`` and every metric, in the order given."""
    rows = [
        {"policy": o.spec.policy, "rep": o.spec.rep, "seed": o.spec.root_seed, **o.summary} for o in outcomes
    ]
    return pd.DataFrame(rows, columns=["policy", "rep", "seed", *sim.METRICS])


def ordered(outcomes: Iterable[RunOutcome], policies: Sequence[str]) -> list[RunOutcome]:
    """Outcomes by policy (as given), then replication."""
    order = {name: i for i, name in enumerate(policies)}
    return sorted(outcomes, key=lambda o: (order[o.spec.policy], o.spec.rep))


def replicate(
    scenario: sim.Scenario,
    policies: Sequence[str] | None = None,
    *,
    reps: int = 3,
    seed: int = 1,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> pd.DataFrame:
    """Run every policy ``reps`` times; replication r uses the same random numbers for every policy.

    Replication r runs with ``numpy.random.SeedSequence(seed).spawn(reps)[r]``.
    Returns one row per (policy, replication): ``policy, rep, seed`` and every
    metric in ``sim.METRICS``, ordered by policy (as given) then replication.
    The table is bit-identical whatever the workers or scheduler. ``progress``:
    a bar on stderr (default: only when stderr is a terminal). A job too big for
    this machine is refused before it starts (:class:`~experiments.resources.ResourceError`)
    unless ``force``; ``on_estimate`` hears the estimate of a long one.
    """
    names = inputs.policies(scenario, policies)
    reps = inputs.count(reps, what="reps")
    seed = inputs.seed(seed)
    preflight(
        scenario,
        names,
        reps * len(names),
        workers=workers,
        scheduler=scheduler,
        force=force,
        on_estimate=on_estimate,
    )
    outcomes = run_replications(
        scenario, names, range(reps), seed=seed, workers=workers, scheduler=scheduler, progress=progress
    )
    return table(outcomes)
