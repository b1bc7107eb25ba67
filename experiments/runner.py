"""Run many specs on any executor, in small batches, streaming outcomes back as they finish."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator

import sim

from .executors import SerialExecutor, Workers, default_workers, stream
from .resources import run_cost
from .runs import Reducer, RunOutcome, RunSpec, run_batch

__all__ = ["execute", "batch_size_for"]

#: aim for tasks of about this many seconds when runs are short (fewer round trips)
_TASK_SECONDS = 0.5
_MAX_BATCH = 32


def batch_size_for(scenario: sim.Scenario, n_runs: int, slots: int) -> int:
    """Runs per task: 1 for long runs; several for short ones, never so many that workers idle."""
    by_time = int(_TASK_SECONDS / max(run_cost(scenario).seconds, 1e-3))
    by_balance = n_runs // (4 * slots)
    return max(1, min(_MAX_BATCH, by_time, by_balance))


def _batches(scenario: sim.Scenario, specs: Iterable[RunSpec], size: int, reducer: Reducer | None):
    it = iter(specs)
    while batch := list(itertools.islice(it, size)):
        yield (scenario, batch, reducer)


def execute(
    scenario: sim.Scenario,
    specs: Iterable[RunSpec],
    *,
    reducer: Reducer | None = None,
    total: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    description: str = "simulating",
) -> Iterator[RunOutcome]:
    """Yield an outcome per spec as runs finish (in no particular order).

    ``specs`` may be a generator (then give ``total``, for the progress bar and
    the batch size): specs are drawn only as workers free up, at most two tasks
    per worker in flight, so memory stays flat however many runs there are.
    ``reducer`` (see :mod:`experiments.runs`) keeps more of each Result than its summary.
    A worker process that dies is replaced; its runs are retried alone, and a
    run that kills its worker again is recorded as failed (the others go on).
    """
    if total is None:
        specs = list(specs)
        total = len(specs)
    if total == 0:
        return
    asked = default_workers() if workers is None else workers
    tasks = math.ceil(total / batch_size_for(scenario, total, max(1, min(asked, total))))

    def plan(pool: Workers) -> Iterator[tuple]:
        # in-process, batching buys nothing and a batch is only stored when it ends
        serial = isinstance(pool.executor, SerialExecutor)
        size = 1 if serial else batch_size_for(scenario, total, pool.slots)
        return _batches(scenario, specs, size, reducer)

    for outcomes in stream(
        run_batch,
        plan,
        total=total,
        tasks_total=tasks,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        description=description,
        weight=len,
        lost=_lost,
        split=_one_by_one,
    ):
        yield from outcomes


def _one_by_one(task: tuple) -> list[tuple]:
    """A batch that was in flight when a worker died is retried run by run, to find the run that kills."""
    scenario, specs, reducer = task
    return [(scenario, [spec], reducer) for spec in specs]


def _lost(task: tuple, error: BaseException) -> list[RunOutcome]:
    """The runs of a task whose worker died with it, even when run alone: recorded as failed."""
    specs = task[1]
    reason = (
        f"its worker process died ({type(error).__name__}: killed, or out of memory); "
        "the run was retried alone and died again"
    )
    return [RunOutcome(spec, None, reason) for spec in specs]
