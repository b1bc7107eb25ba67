"""What the desk, its channels and the staffing plan may use of a run.

:class:`sim.model.Simulation` owns the clock, the customers, the random
streams, the counters and the issue lifecycle. The parts it builds (the desk,
the channels, the staffing forecast) see it through this protocol, which names
everything they read or call: the modules depend on the protocol, never on the
model, so ``sim/`` has no import cycle, and this list is the whole contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import simpy

from .demand import Demand
from .issue import Issue
from .metrics import Metrics
from .population import Population
from .scenario import Scenario

__all__ = ["RunContext"]


class RunContext(Protocol):
    """The run as its desk sees it."""

    env: simpy.Environment
    scenario: Scenario
    pop: Population
    demand: Demand
    metrics: Metrics
    #: the contact log (rows of ``sim.result.CONTACT_COLUMNS``), or None when not recorded
    log: list[tuple] | None
    #: per customer: still a customer (memoryview of the population's array)
    alive_view: memoryview
    #: minutes before an unresolved customer calls again (mean)
    repeat_delay_min: float
    # random draws, one stream per purpose
    u_route: Iterator[float]
    u_resolve: Iterator[float]
    u_promise: Iterator[float]
    u_decide: Iterator[float]
    u_self_service: Iterator[float]
    e_patience: Iterator[float]
    work_factor: Iterator[float]

    # -- the issue lifecycle --------------------------------------------------------------
    def delay(self, mean_min: float) -> float:
        """A customer's delay before acting again."""

    def resolve(self, issue: Issue, first_contact: bool) -> None:
        """The issue is answered: count it, and let the customer judge it."""

    def give_up(self, issue: Issue) -> None:
        """The customer stops trying: the issue ends unresolved and is judged."""

    def lose(self, issue: Issue) -> None:
        """The customer left while the issue was open: it ends unjudged."""

    def retry(self, issue: Issue, reason: int, delay_min: float, random_delay: bool) -> None:
        """After an unresolved contact the customer tries again, or gives up."""

    def schedule_contact(self, issue: Issue, reason: int, delay_min: float) -> None:
        """The customer contacts the supplier again after ``delay_min``."""

    def promise_broken(self, issue: Issue) -> None:
        """A promise was forgotten or came too late: a penalty now, a chase later."""

    def schedule_promise_broken(self, delay_min: float, issue: Issue) -> None:
        """A forgotten promise: the customer notices after ``delay_min``."""

    def log_contact(
        self,
        issue: Issue,
        reason: int,
        channel: str,
        pool: str,
        arrival: float,
        answered: float,
        end: float,
        outcome: str,
        transfers: int,
        handle: float,
    ) -> None:
        """Append one row to the contact log."""
