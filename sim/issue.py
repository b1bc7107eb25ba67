"""An issue: one question of one customer, followed until resolved or given up."""

from __future__ import annotations

__all__ = ["Issue"]


class Issue:
    """What the customer went through on one question (drives the experience q)."""

    __slots__ = (
        "id",
        "cust",
        "seg",
        "reason",
        "created",
        "pending",
        "urgent",
        "contacts",
        "calls",
        "sessions",
        "wait_minutes",
        "waits",
        "transfers",
        "switches",
        "chases",
        "promises",
        "broken",
        "closed",
        "resolved",
    )

    def __init__(
        self,
        issue_id: int,
        cust: int,
        seg: int,
        reason: int,
        created: float,
        pending: list[int],
        urgent: bool,
    ):
        self.id = issue_id
        self.cust = cust
        self.seg = seg
        self.reason = reason
        self.created = created
        #: products whose part of the question is still unanswered
        self.pending = pending
        self.urgent = urgent
        self.contacts = 0  # customer contacts on any channel
        self.calls = 0  # of which phone calls the customer made
        self.sessions = 0  # of which self-service sessions
        self.wait_minutes = 0.0  # time spent in queues (answered or not)
        self.waits = 0  # queue visits
        self.transfers = 0
        self.switches = 0  # channel switches (self-service to phone)
        self.chases = 0
        self.promises = 0
        self.broken = 0
        self.closed = False
        self.resolved = False
