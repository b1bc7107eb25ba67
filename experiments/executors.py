"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor is a ``concurrent.futures.Executor``, so the rest of the package
has one code path. ``workers=1`` runs serially in-process; the default is a
process pool with one worker per core; ``scheduler="tcp://host:port"`` (or the
``DASK_SCHEDULER_ADDRESS`` environment variable) submits the same tasks to a
Dask distributed cluster through ``Client.get_executor()``. Results never
depend on the choice: every run carries its own seed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "SchedulerUnavailableError",
    "SerialExecutor",
    "Workers",
    "default_workers",
    "make_executor",
    "map_unordered",
    "probe_scheduler",
    "scheduler_address",
]

T = TypeVar("T")

#: seconds to wait for a Dask scheduler to answer before giving up
CONNECT_TIMEOUT_S = 10.0


class SchedulerUnavailableError(ConnectionError):
    """The Dask scheduler address is malformed or nothing answers there."""


class SerialExecutor(Executor):
    """Runs each task when submitted, in this process (workers=1; easy to debug and profile)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered through the future, like the other executors
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class Workers:
    """An executor, how many tasks it runs at once, and a phrase saying where."""

    executor: Executor
    slots: int
    where: str


def default_workers() -> int:
    """One worker per core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler to use: the argument, else DASK_SCHEDULER_ADDRESS, else None."""
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def _probe(address: str) -> None:
    """Fail fast, with a plain message, when a tcp/tls scheduler address is malformed or closed."""
    scheme, _, rest = address.rpartition("://")
    scheme = scheme or "tcp"
    if scheme not in ("tcp", "tls"):
        return  # other transports (inproc, ucx, ws) are left to Dask
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise SchedulerUnavailableError(f"bad Dask scheduler address {address!r}: expected tcp://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise SchedulerUnavailableError(
            f"no Dask scheduler answers at {address} ({exc.strerror or exc}); "
            "start one with `dask scheduler` or fix --scheduler / DASK_SCHEDULER_ADDRESS"
        ) from None


def probe_scheduler(scheduler: str | None) -> str | None:
    """The scheduler address in use (argument or environment), checked to answer; None if local."""
    address = scheduler_address(scheduler)
    if address:
        _probe(address)
    return address


@contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Workers]:
    """The executor for ``workers`` local processes, or for the Dask cluster at ``scheduler``.

    Leaving the block early (an error, ^C) cancels the tasks not yet started.
    """
    address = scheduler_address(scheduler)
    if address:
        _probe(address)
        try:
            from distributed import Client
        except ImportError:
            raise SchedulerUnavailableError(
                "running on a Dask cluster needs the 'distributed' package"
            ) from None
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, ValueError) as exc:
            raise SchedulerUnavailableError(
                f"cannot connect to the Dask scheduler at {address}: {exc}"
            ) from None
        with client:
            slots = max(1, sum(client.nthreads().values()))
            yield Workers(client.get_executor(), slots, f"the Dask cluster at {address} ({slots} threads)")
        return
    n = default_workers() if workers is None else int(workers)
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    if n == 1:
        yield Workers(SerialExecutor(), 1, "this process")
        return
    pool = ProcessPoolExecutor(max_workers=n)
    try:
        yield Workers(pool, n, f"{n} local processes")
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def map_unordered(
    executor: Executor, fn: Callable[..., T], tasks: Iterable[tuple], window: int
) -> Iterator[T]:
    """Submit ``fn(*task)`` for every task, at most ``window`` at a time; yield results as they finish.

    Tasks are drawn from ``tasks`` only as slots free up, so a generator of a
    million tasks costs the memory of ``window``. If a task raises, the results
    already finished are handed over first, then the error is raised.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    pending: set[Future] = set()
    it = iter(tasks)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                task = next(it)
            except StopIteration:
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
        if failed is not None:
            for future in pending:
                future.cancel()
            failed.result()
