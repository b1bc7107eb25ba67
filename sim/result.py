"""What one run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Result", "CONTACT_COLUMNS"]

#: Columns of ``Result.contacts`` (one row per call leg, self-service session or call-back).
CONTACT_COLUMNS = (
    "customer",
    "segment",
    "issue",
    "reason",
    "urgent",
    "channel",
    "pool",
    "arrival",
    "answered",
    "end",
    "wait_minutes",
    "handle_minutes",
    "outcome",
    "attempt",
    "transfers",
)


@dataclass
class Result:
    """One run of one scenario under one policy.

    ``summary`` holds the headline metrics over the measurement window (after
    warm-up); ``by_segment`` the same per segment; ``timeseries`` one row per day
    (warm-up included, flagged); ``customers`` every customer ever created;
    ``contacts`` the contact log when the run recorded it; ``costs`` where the
    money went; ``notes`` explain NaNs and warnings; ``provenance`` says what
    produced it.
    """

    scenario: str
    policy: str
    seed: Any
    summary: dict[str, float]
    by_segment: pd.DataFrame
    timeseries: pd.DataFrame
    customers: pd.DataFrame
    costs: dict[str, float]
    contacts: pd.DataFrame | None = None
    #: one row per issue (when the run recorded contacts): its reason, effort and how it ended
    issues: pd.DataFrame | None = None
    #: issues still open when the run ended (arisen, neither resolved nor given up)
    open_issues: int = 0
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Result(scenario={self.scenario!r}, policy={self.policy!r}, seed={self.seed!r}, "
            f"service_level={s['service_level']:.3f}, fcr={s['fcr']:.3f}, "
            f"satisfaction_mean={s['satisfaction_mean']:.3f}, profit={s['profit']:.0f})"
        )
