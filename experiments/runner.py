"""Run many specs on any executor, in small batches, streaming outcomes back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import sim

from .executors import default_workers, make_executor, map_unordered, scheduler_address
from .progress import progress_bar
from .runs import RunOutcome, RunSpec, run_batch

__all__ = ["execute", "batch_size_for"]

#: aim for tasks of about this many seconds when runs are short (fewer round trips)
_TASK_SECONDS = 1.0
_MAX_BATCH = 32


def batch_size_for(scenario: sim.Scenario, n_runs: int, workers: int) -> int:
    """Runs per task: 1 for long runs; several for short ones, but never so many that workers idle.

    A run costs roughly customers x days (the model's daily step and its contacts both scale
    with that); about 3e7 customer-days take a second on a laptop core.
    """
    seconds = scenario.population.initial_customers * scenario.horizon.days / 3e7
    by_time = int(_TASK_SECONDS / max(seconds, 1e-3))
    by_balance = max(1, n_runs // (4 * workers))
    return max(1, min(_MAX_BATCH, by_time, by_balance))


def _batches(scenario: sim.Scenario, specs: Iterable[RunSpec], size: int) -> Iterator[tuple]:
    batch: list[RunSpec] = []
    for spec in specs:
        batch.append(spec)
        if len(batch) == size:
            yield (scenario, batch)
            batch = []
    if batch:
        yield (scenario, batch)


def execute(
    scenario: sim.Scenario,
    specs: Iterable[RunSpec],
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    description: str = "simulating",
    total: int | None = None,
) -> Iterator[RunOutcome]:
    """Yield an outcome per spec as runs finish (in no particular order).

    ``specs`` may be a generator (give ``total`` for the progress bar and the batch size):
    specs are consumed only as fast as workers take them, so memory stays flat.
    """
    if total is None:
        specs = list(specs)
        total = len(specs)
    if total == 0:
        return
    n_workers = default_workers() if workers is None else int(workers)
    if scheduler_address(scheduler):
        n_workers = max(n_workers, 2)
    size = batch_size_for(scenario, total, n_workers)
    batches = _batches(scenario, specs, size)
    with make_executor(workers, scheduler) as executor, progress_bar(total, description, progress) as advance:
        for outcomes in map_unordered(executor, run_batch, batches, window=2 * n_workers):
            for outcome in outcomes:
                advance(1)
                yield outcome
