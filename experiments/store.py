"""The result store: one SQLite row per finished run, safe to kill and to resume.

Rows are keyed by a deterministic run key (scenario content hash, policy,
parameter values, replication, root seed), so re-running a sweep against the
same store finds what is already done and runs only the rest; a failed run is
stored with its error and retried next time. The file is in WAL mode and every
run is committed as it finishes: a process killed at any moment leaves a
readable store that has lost at most the runs still in flight. Only the main
process writes. Each row carries its provenance: package version, scenario
hash and name, root seed, parameters, timing.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import sim

from .runs import RunOutcome

__all__ = ["Store", "package_version"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,              -- 'ok' or 'failed'
    scenario_name TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    policy TEXT NOT NULL,
    point INTEGER NOT NULL,
    rep INTEGER NOT NULL,
    root_seed INTEGER NOT NULL,
    params TEXT NOT NULL,              -- JSON: the scenario changes of this design point
    summary TEXT,                      -- JSON: the run's summary metrics (NaN as null)
    error TEXT,
    seconds REAL,
    package_version TEXT NOT NULL,
    finished_utc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def package_version() -> str:
    try:
        return metadata.version("custsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def _json_safe(summary: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}


class Store:
    """A run log in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise ValueError(f"store must be a file, got a directory: {self.path}")
        self._db = sqlite3.connect(self.path, timeout=30.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ValueError(f"{self.path} is not a result store ({exc})") from None
        self._version = package_version()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------
    def record(self, outcome: RunOutcome, scenario: sim.Scenario, scenario_hash: str) -> None:
        """Store one finished run (replacing an earlier failure of the same key) and commit."""
        spec = outcome.spec
        self._db.execute(
            "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                spec.key,
                "ok" if outcome.error is None else "failed",
                scenario.name,
                scenario_hash,
                spec.policy,
                spec.point,
                spec.rep,
                spec.root_seed,
                json.dumps(spec.params, sort_keys=True),
                None if outcome.summary is None else json.dumps(_json_safe(outcome.summary)),
                outcome.error,
                outcome.seconds,
                self._version,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        self._db.commit()

    def set_meta(self, name: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, json.dumps(value)))
        self._db.commit()

    # -- reading ---------------------------------------------------------------------
    def meta(self, name: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return default if row is None else json.loads(row[0])

    def status(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """key -> 'ok' | 'failed' for stored runs (restricted to ``keys`` if given)."""
        rows = self._db.execute("SELECT key, status FROM runs").fetchall()
        if keys is None:
            return dict(rows)
        wanted = set(keys)
        return {k: s for k, s in rows if k in wanted}

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def table(self, keys: Iterable[str] | None = None, include_failed: bool = False) -> pd.DataFrame:
        """The stored runs as a tidy table: provenance, parameters as columns, every metric."""
        rows = self._db.execute("SELECT * FROM runs ORDER BY point, policy, rep").fetchall()
        cols = [d[0] for d in self._db.execute("SELECT * FROM runs LIMIT 0").description]
        wanted = None if keys is None else set(keys)
        records = []
        for row in rows:
            r = dict(zip(cols, row, strict=True))
            if wanted is not None and r["key"] not in wanted:
                continue
            if r["status"] != "ok" and not include_failed:
                continue
            params = json.loads(r.pop("params"))
            summary = json.loads(r.pop("summary")) if r["summary"] else {}
            records.append({**r, **params, **{m: summary.get(m) for m in sim.METRICS}})
        frame = pd.DataFrame.from_records(records)
        if frame.empty:
            return pd.DataFrame(columns=[*cols, *sim.METRICS])
        for m in sim.METRICS:
            frame[m] = pd.to_numeric(frame[m], errors="coerce")
        return frame

    def export(self, out: str | Path, fmt: str) -> int:
        """Write every stored run (failed ones too) as CSV or Parquet; returns the row count."""
        frame = self.table(include_failed=True)
        if fmt == "csv":
            frame.to_csv(out, index=False)
        elif fmt == "parquet":
            frame.to_parquet(out, index=False)
        else:
            raise ValueError(f"unknown format {fmt!r}; formats: csv, parquet")
        return len(frame)
