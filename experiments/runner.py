"""Run many specs on any executor, in small batches, streaming outcomes back as they finish."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import sim

from .executors import SerialExecutor, make_executor, map_unordered
from .progress import progress_bar
from .runs import RunOutcome, RunSpec, run_batch

__all__ = ["execute", "batch_size_for", "estimated_run_seconds"]

#: aim for tasks of about this many seconds when runs are short (fewer round trips)
_TASK_SECONDS = 0.5
_MAX_BATCH = 32


def estimated_run_seconds(scenario: sim.Scenario) -> float:
    """A rough cost of one run: a fixed start-up plus customers x days (about 3e6 a second on one core)."""
    return 0.03 + scenario.population.initial_customers * scenario.horizon.days / 3e6


def batch_size_for(scenario: sim.Scenario, n_runs: int, slots: int) -> int:
    """Runs per task: 1 for long runs; several for short ones, never so many that workers idle."""
    by_time = int(_TASK_SECONDS / estimated_run_seconds(scenario))
    by_balance = n_runs // (4 * slots)
    return max(1, min(_MAX_BATCH, by_time, by_balance))


def _batches(scenario: sim.Scenario, specs: Iterable[RunSpec], size: int) -> Iterator[tuple]:
    it = iter(specs)
    while batch := list(itertools.islice(it, size)):
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

    ``specs`` may be a generator (then give ``total``, for the progress bar and
    the batch size): specs are drawn only as workers free up, at most two tasks
    per worker in flight, so memory stays flat however many runs there are.
    """
    if total is None:
        specs = list(specs)
        total = len(specs)
    if total == 0:
        return
    with make_executor(workers, scheduler) as pool:
        serial = isinstance(pool.executor, SerialExecutor)
        # in-process, batching buys nothing and a batch is only stored when it ends
        size = 1 if serial else batch_size_for(scenario, total, pool.slots)
        window = 1 if serial else 2 * pool.slots
        batches = _batches(scenario, specs, size)
        with progress_bar(total, f"{description} on {pool.where}", progress) as advance:
            for outcomes in map_unordered(pool.executor, run_batch, batches, window):
                for outcome in outcomes:
                    advance(1)
                    yield outcome
