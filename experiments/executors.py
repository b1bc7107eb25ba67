"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor is a ``concurrent.futures.Executor``, so the rest of the package
has one code path. ``workers=1`` runs serially in-process; the default is a
process pool with one worker per core; ``scheduler="tcp://host:port"`` (or the
``DASK_SCHEDULER_ADDRESS`` environment variable) submits the same tasks to a
Dask distributed cluster through ``Client.get_executor()``. Results never
depend on the choice: every run carries its own seed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from .progress import progress_bar

__all__ = [
    "SchedulerUnavailableError",
    "SerialExecutor",
    "Workers",
    "default_workers",
    "make_executor",
    "map_unordered",
    "stream",
    "probe_scheduler",
    "scheduler_address",
    "worker_died",
]

T = TypeVar("T")

#: seconds to wait for a Dask scheduler to answer before giving up
CONNECT_TIMEOUT_S = 10.0
#: seconds a scheduler has to greet a new connection (a real one does so at once)
GREETING_TIMEOUT_S = 5.0
#: transports the probe can check; others (inproc, ucx, ws) are refused rather than left to hang
_SCHEMES = ("tcp", "tls")


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


class Workers:
    """An executor, how many tasks it runs at once, a phrase saying where, and how to replace it.

    ``restart`` (local process pools only) shuts a broken pool down and starts a
    fresh one with the same number of workers, after a worker process died.
    """

    def __init__(
        self, executor: Executor, slots: int, where: str, restart: Callable[[], Executor] | None = None
    ):
        self.executor = executor
        self.slots = slots
        self.where = where
        self._restart = restart

    def restart(self) -> bool:
        if self._restart is None:
            return False
        self.executor = self._restart()
        return True


def default_workers() -> int:
    """One worker per core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler to use: the argument, else DASK_SCHEDULER_ADDRESS, else None."""
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def _probe(address: str) -> None:
    """Fail fast, with a plain message, unless a Dask scheduler answers at ``address``.

    Something that accepts the connection but says nothing (a web server, say) is
    not a scheduler: a Dask scheduler greets every new connection at once.
    """
    scheme, sep, rest = address.rpartition("://")
    scheme = scheme if sep else "tcp"
    if scheme not in _SCHEMES:
        raise SchedulerUnavailableError(
            f"Dask scheduler address {address!r}: only {' and '.join(f'{s}://' for s in _SCHEMES)} "
            "schedulers are supported (tcp://HOST:PORT)"
        )
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SchedulerUnavailableError(
            f"bad Dask scheduler address {address!r}: expected tcp://HOST:PORT with a port from 1 to 65535"
        )
    try:
        conn = socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SchedulerUnavailableError(
            f"no Dask scheduler answers at {address} ({reason}); "
            "start one with `dask scheduler` or fix --scheduler / DASK_SCHEDULER_ADDRESS"
        ) from None
    if scheme == "tls":
        conn.close()  # the greeting is encrypted; the client's own timeout guards the rest
        return
    try:
        conn.settimeout(GREETING_TIMEOUT_S)
        greeting = conn.recv(8)
    except OSError:
        greeting = b""
    finally:
        conn.close()
    if not greeting:
        raise SchedulerUnavailableError(
            f"something answers at {address} but it is not a Dask scheduler (it sent no greeting within "
            f"{GREETING_TIMEOUT_S:g} s); check the address and port"
        )


def probe_scheduler(scheduler: str | None) -> str | None:
    """The scheduler address in use (argument or environment), checked to answer; None if local."""
    address = scheduler_address(scheduler)
    if address:
        _probe(address)
    return address


# -- workers die with their parent ------------------------------------------------------------
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Initializer of every local worker: end this process when the process that started it ends.

    On Linux the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG),
    whatever killed it (SIGKILL, SIGTERM, a crash); elsewhere a thread watches for
    the parent to change. Without this a killed sweep leaves its workers running for ever.
    """
    parent = os.getppid()
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the watch was set
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def worker_died(exc: BaseException) -> bool:
    """Did this task fail because its worker process died (killed, out of memory), not by itself?"""
    return isinstance(exc, BrokenExecutor) or type(exc).__name__ == "KilledWorker"


@contextmanager
def make_executor(
    workers: int | None = None, scheduler: str | None = None, *, tasks: int | None = None
) -> Iterator[Workers]:
    """The executor for ``workers`` local processes, or for the Dask cluster at ``scheduler``.

    Never more local processes than ``tasks`` (when given): a thousand workers for
    six tasks are six. Leaving the block early (an error, ^C) cancels the tasks not
    yet started; local workers also end if this process is killed.
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
        except (OSError, ValueError, TimeoutError) as exc:
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
    if tasks is not None:
        n = max(1, min(n, int(tasks)))
    if n == 1:
        yield Workers(SerialExecutor(), 1, "this process")
        return

    def start() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, initializer=_die_with_parent)

    pool = Workers(start(), n, f"{n} local processes")

    def restart() -> ProcessPoolExecutor:
        pool.executor.shutdown(wait=False, cancel_futures=True)
        return start()

    pool._restart = restart
    try:
        yield pool
    except BaseException:
        pool.executor.shutdown(wait=False, cancel_futures=True)
        raise
    pool.executor.shutdown(wait=True)


def map_unordered(
    pool: Workers | Executor,
    fn: Callable[..., T],
    tasks: Iterable[tuple],
    window: int,
    *,
    lost: Callable[[tuple, BaseException], T] | None = None,
    split: Callable[[tuple], list[tuple]] | None = None,
) -> Iterator[T]:
    """Submit ``fn(*task)`` for every task, at most ``window`` at a time; yield results as they finish.

    Tasks are drawn from ``tasks`` only as slots free up, so a generator of a
    million tasks costs the memory of ``window``. If a task raises, the results
    already finished are handed over first, then the error is raised.

    A worker process that dies (killed, out of memory) takes every task in flight
    with it. With ``lost``, those tasks are run again one at a time on a fresh pool
    (``split`` may cut each into smaller ones first), so the one that kills its
    worker again alone is found: ``lost(task, error)`` gives its result and the
    rest go on. Without ``lost`` the error is raised.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    workers = pool if isinstance(pool, Workers) else Workers(pool, window, "")
    pending: dict[Future, tuple] = {}
    suspects: deque[tuple] = deque()  # tasks in flight when a worker died: each runs alone next
    it = iter(tasks)
    exhausted = False
    while True:
        if suspects and not pending:
            task = suspects.popleft()
            pending[workers.executor.submit(fn, *task)] = task
        while not suspects and not exhausted and len(pending) < window:
            try:
                task = next(it)
            except StopIteration:
                exhausted = True
                break
            pending[workers.executor.submit(fn, *task)] = task
        if not pending:
            return
        alone = len(pending) == 1
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        if any(_died(f) for f in done) and lost is not None and workers.restart():
            wait(pending)  # every task in flight went down with the pool (or finished just before)
            done = set(pending)
        failed = None
        for future in done:
            task = pending.pop(future)
            if not _died(future) or lost is None:
                if future.exception() is None:
                    yield future.result()
                elif failed is None:
                    failed = future
            elif alone or not isinstance(workers.executor, ProcessPoolExecutor):
                yield lost(task, future.exception())  # it killed its worker on its own: it is the one
            else:
                suspects.extend(split(task) if split is not None else [task])
        if failed is not None:
            for future in pending:
                future.cancel()
            failed.result()


def stream(
    fn: Callable[..., T],
    tasks: Iterable[tuple] | Callable[[Workers], Iterable[tuple]],
    *,
    total: int,
    tasks_total: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    description: str = "running",
    weight: Callable[[T], int] = lambda result: 1,
    lost: Callable[[tuple, BaseException], T] | None = None,
    split: Callable[[tuple], list[tuple]] | None = None,
    in_process_window: int = 1,
) -> Iterator[T]:
    """The one way many tasks run: an executor, a progress bar, and results as they finish.

    ``tasks`` may be a function of the workers (to size batches by their number).
    ``total`` is the number of units the bar counts (runs), ``weight(result)`` how
    many a result carries; ``tasks_total`` (default ``total``) caps the local
    workers at the number of tasks. Everything that runs many simulations goes
    through here: replications, comparisons, sweeps, reports and the validation suite.
    """
    with make_executor(workers, scheduler, tasks=tasks_total if tasks_total is not None else total) as pool:
        serial = isinstance(pool.executor, SerialExecutor)
        window = in_process_window if serial else 2 * pool.slots
        todo = tasks(pool) if callable(tasks) else tasks
        with progress_bar(total, f"{description} on {pool.where}", progress) as advance:
            for result in map_unordered(pool, fn, todo, window, lost=lost, split=split):
                advance(weight(result))
                yield result


def _died(future: Future) -> bool:
    exc = future.exception()
    return exc is not None and worker_died(exc)
