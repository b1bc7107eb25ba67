"""Scheduling a callback on the simpy clock without building a full ``Timeout``.

The event loop schedules a few things per call (the next arrival, the end of
the work, a pool's abandonment timer). ``simpy.Timeout`` does more than the loop
needs (the general ``Event`` set-up and a delay check on every call), so the hot
path schedules a :class:`Due` through simpy's public
``Environment.schedule(event, priority, delay)``. ``Environment.step`` pops
whatever was scheduled, runs its ``callbacks`` with it as the argument and then
checks ``_ok`` to see whether it failed; a ``Due`` carries exactly those two
attributes (a callback due at a time never fails, so ``_ok`` is a class
constant) and the callback reads the payload from ``.value``, as it would from
a ``Timeout``. Keys are simpy's own (time, priority, event id), so events fire
in exactly the order ``env.timeout`` would give them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL

__all__ = ["Due", "Schedule", "scheduler"]

Schedule = Callable[[float, Any, Callable[[Any], None]], None]


class Due:
    """A callback due at a time: what ``Environment.step`` needs of an event, and its payload.

    ``callbacks`` and ``value`` are set by :func:`scheduler` (no ``__init__``: a
    Python-level constructor costs more than the two assignments, measured).
    """

    __slots__ = ("callbacks", "value")
    #: read by ``Environment.step`` after the callbacks ran: a due callback never fails
    _ok = True


def scheduler(env: simpy.Environment) -> Schedule:
    """``schedule(delay_min, value, callback)``: call ``callback(due)`` after ``delay_min``.

    ``due.value`` is ``value``, as ``Timeout.value`` would be.
    """
    push = env.schedule

    def schedule(delay: float, value: Any, callback: Callable[[Any], None]) -> None:
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        due = Due()
        due.callbacks = [callback]
        due.value = value
        push(due, NORMAL, delay)

    return schedule
