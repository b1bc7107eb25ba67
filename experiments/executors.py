"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor is a ``concurrent.futures.Executor``, so the rest of the package
has one code path. ``workers=1`` runs serially in-process; the default is a
process pool with one worker per core; ``scheduler="tcp://host:port"`` (or the
``DASK_SCHEDULER_ADDRESS`` environment variable) submits the same tasks to a
Dask distributed cluster. Results never depend on the choice: every run
carries its own seed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["SerialExecutor", "make_executor", "scheduler_address", "map_unordered", "default_workers"]

T = TypeVar("T")


class SerialExecutor(Executor):
    """Runs each task when submitted, in this process (workers=1; easy to debug)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, like the other executors
            future.set_exception(exc)
        return future


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler to use: the argument, else DASK_SCHEDULER_ADDRESS, else None."""
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


@contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor for ``workers`` local processes, or the Dask cluster at ``scheduler``."""
    address = scheduler_address(scheduler)
    if address:
        from distributed import Client

        with Client(address) as client:
            yield client.get_executor()
        return
    n = default_workers() if workers is None else int(workers)
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    if n == 1:
        yield SerialExecutor()
        return
    with ProcessPoolExecutor(max_workers=n) as pool:
        yield pool


def map_unordered(
    executor: Executor, fn: Callable[..., T], tasks: Iterable[tuple], window: int
) -> Iterator[T]:
    """Submit ``fn(*task)`` for every task, at most ``window`` at a time; yield results as they finish.

    The bounded window keeps memory flat however many tasks there are.
    """
    pending: set[Future] = set()
    it = iter(tasks)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            task = next(it, None)
            if task is None:
                exhausted = True
                break
            pending.add(executor.submit(fn, *task))
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        failed = None
        for future in done:
            if future.exception() is None:
                yield future.result()
            elif failed is None:
                failed = future
        if failed is not None:  # hand over every finished result first, then raise
            failed.result()
