"""The result store: one SQLite row per finished run, safe to kill and to resume.

Rows are keyed by a deterministic run key (scenario content hash, policy,
parameter values, replication, root seed), so re-running a sweep against the
same store finds what is already done and runs only the rest; a failed run is
stored with its error and retried next time. The file is in WAL mode and every
run is committed as it finishes: a process killed at any moment leaves a
readable store that has lost at most the runs still in flight. Only the main
process writes.

Each row carries its provenance (package version, scenario name and hash, root
seed, parameters, start and finish time, host, run time); the ``scenarios``
table keeps the content of every scenario by hash and ``sweeps`` the definition
of every sweep run against the store, so a store alone says how to reproduce it.
"""

from __future__ import annotations

import csv
import functools
import inspect
import json
import math
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import sim

from .outputs import OutputError, atomic_path, check_output, store_companions, usual_permissions
from .runs import RunOutcome, canonical_json

__all__ = [
    "PROVENANCE_COLUMNS",
    "parameter_columns",
    "Store",
    "StoreError",
    "MissingDependencyError",
    "package_version",
    "EXPORT_FORMATS",
    "RUN_COLUMNS",
]

SCHEMA_VERSION = 2
EXPORT_FORMATS = ("csv", "parquet")

#: the columns of the runs table, in order (parameters and metrics are stored as JSON)
RUN_COLUMNS = (
    "key",
    "status",  # 'ok' or 'failed'
    "scenario_name",
    "scenario_hash",
    "policy",
    "point",  # index of the design point in the sweep that ran it
    "rep",
    "root_seed",
    "params",  # JSON: the scenario changes of this run
    "summary",  # JSON: the run's metrics (NaN as null)
    "notes",  # JSON: the run's notes (why a metric is NaN, warnings)
    "error",  # the exception of a failed run
    "seconds",
    "started_utc",
    "finished_utc",
    "host",
    "package_version",
)

#: the columns of a store's table other than parameters and metrics
PROVENANCE_COLUMNS = tuple(c for c in RUN_COLUMNS if c not in ("params", "summary"))


def parameter_columns(table: pd.DataFrame) -> list[str]:
    """The parameter columns of a table from :meth:`Store.table`: neither provenance nor a metric."""
    return [c for c in table.columns if c not in PROVENANCE_COLUMNS and c not in sim.METRICS]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    scenario_name TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    policy TEXT NOT NULL,
    point INTEGER NOT NULL,
    rep INTEGER NOT NULL,
    root_seed INTEGER NOT NULL,
    params TEXT NOT NULL,
    summary TEXT,
    notes TEXT,
    error TEXT,
    seconds REAL,
    started_utc TEXT,
    finished_utc TEXT,
    host TEXT,
    package_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scenarios (hash TEXT PRIMARY KEY, name TEXT NOT NULL, content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_utc TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    package_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_CHUNK = 500  # keys per IN (...) query: well under SQLite's variable limit


class StoreError(ValueError):
    """The file cannot be used as a result store."""


class MissingDependencyError(RuntimeError):
    """An optional package needed for this is not installed."""


def package_version() -> str:
    """The installed custsim version (provenance of every stored run)."""
    try:
        return metadata.version("custsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def _json_safe(summary: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _store_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """SQLite's complaints about the file (damaged, read-only, disk full, locked) as a StoreError."""

    def explain(self: Store, exc: sqlite3.Error) -> StoreError:
        return StoreError(f"the result store {self.path} cannot be used: {exc}")

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(self: Store, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                raise explain(self, exc) from None

        return generator

    @functools.wraps(method)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise explain(self, exc) from None

    return call


class Store:
    """A run log in one SQLite file.

    ``Store(path)`` opens a result store to add runs, creating it if the file is
    missing or empty; ``Store(path, readonly=True)`` opens an existing one to
    read (export, report) and never writes to it. A file that is not a result
    store (another application's database, a text file) is refused before
    anything is written to it, as is a damaged or read-only one that would have
    to take runs.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if self.path.is_dir():
            raise StoreError(f"a result store must be a file, got a directory: {self.path}")
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"{self.path} is not a regular file, so not a result store")
        if readonly and not self.path.is_file():
            raise StoreError(f"no result store at {self.path}")
        if not readonly:
            if not self.path.parent.is_dir():
                raise StoreError(
                    f"cannot create the result store {self.path}: no directory {self.path.parent}"
                )
            if not self.path.exists():
                _create(self.path)
            elif not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                raise StoreError(
                    f"the result store {self.path} is read-only (or its directory is), so it cannot take "
                    "new runs; copy it somewhere writable, or read it with `custsim export`/`report`"
                )
        self._db = _connect(self.path, readonly)
        try:
            self._check()
            if not readonly:
                self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no committed run
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"{self.path} is not a result store, or is damaged ({exc})") from None
        except StoreError:
            self._db.close()
            raise
        self._version = package_version()

    def _check(self) -> None:
        """Refuse a file that is not a result store of this format, before anything is written to it."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            if tables or self.readonly:
                held = f" (it holds tables {', '.join(sorted(tables))})" if tables else ""
                raise StoreError(f"{self.path} is not a result store{held}; nothing was written to it")
            _initialise(self._db)  # an empty SQLite file: nothing in it to lose
        row = self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if row is None:
            raise StoreError(
                f"{self.path} is not a result store (no format version); nothing was written to it"
            )
        if str(row[0]) != str(SCHEMA_VERSION):
            raise StoreError(
                f"{self.path} is a result store of format {row[0]}; this version reads format "
                f"{SCHEMA_VERSION} (export it with the version that wrote it)"
            )
        cols = [r[1] for r in self._db.execute("PRAGMA table_info(runs)")]
        if tuple(cols) != RUN_COLUMNS:
            raise StoreError(f"{self.path} has a 'runs' table that is not a result store's")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------
    @_store_errors
    def add_scenario(self, scenario: sim.Scenario, scenario_hash: str | None = None) -> str:
        """Keep the scenario's content (once per hash); returns the hash."""
        digest = scenario_hash or scenario.content_hash()
        self._db.execute(
            "INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?)",
            (digest, scenario.name, json.dumps(scenario.model_dump(mode="json"), sort_keys=True)),
        )
        self._db.commit()
        return digest

    @_store_errors
    def add_sweep(self, scenario_hash: str, definition: dict[str, Any]) -> int:
        """Log a sweep's definition (what was varied, the design, policies, replications, seed)."""
        cur = self._db.execute(
            "INSERT INTO sweeps (started_utc, scenario_hash, definition, package_version) VALUES (?,?,?,?)",
            (_now(), scenario_hash, canonical_json(definition), self._version),
        )
        self._db.commit()
        return int(cur.lastrowid)

    @_store_errors
    def record(self, outcome: RunOutcome, scenario_name: str, scenario_hash: str) -> None:
        """Store one finished run (replacing an earlier failure of the same key) and commit."""
        spec = outcome.spec
        self._db.execute(
            f"INSERT OR REPLACE INTO runs VALUES ({','.join('?' * len(RUN_COLUMNS))})",
            (
                spec.key,
                "ok" if outcome.error is None else "failed",
                scenario_name,
                scenario_hash,
                spec.policy,
                spec.point,
                spec.rep,
                spec.root_seed,
                canonical_json(spec.params),
                None if outcome.summary is None else json.dumps(_json_safe(outcome.summary)),
                json.dumps(list(outcome.notes)),
                outcome.error,
                outcome.seconds,
                outcome.started_utc,
                outcome.finished_utc,
                outcome.host,
                self._version,
            ),
        )
        self._db.commit()

    # -- reading ---------------------------------------------------------------------
    @_store_errors
    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    @_store_errors
    def status(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """key -> 'ok' | 'failed' for stored runs (only ``keys``, if given)."""
        if keys is None:
            return dict(self._db.execute("SELECT key, status FROM runs"))
        out: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            q = f"SELECT key, status FROM runs WHERE key IN ({','.join('?' * len(chunk))})"
            out.update(self._db.execute(q, chunk))
        return out

    @_store_errors
    def summaries(self, keys: Iterable[str]) -> Iterator[tuple[str, dict[str, float]]]:
        """(key, metrics) of the finished runs among ``keys``; NaN where the run had none."""
        for chunk in _chunks(list(dict.fromkeys(keys))):
            q = f"SELECT key, summary FROM runs WHERE status = 'ok' AND key IN ({','.join('?' * len(chunk))})"
            for key, text in self._db.execute(q, chunk):
                stored = _decoded(text, f"summary of run {key}")
                yield key, {m: (math.nan if stored.get(m) is None else stored[m]) for m in sim.METRICS}

    @_store_errors
    def scenario(self, scenario_hash: str) -> sim.Scenario:
        """The scenario stored under ``scenario_hash``."""
        row = self._db.execute("SELECT content FROM scenarios WHERE hash = ?", (scenario_hash,)).fetchone()
        if row is None:
            raise KeyError(f"no scenario with hash {scenario_hash} in {self.path}")
        data = _decoded(row[0], f"scenario {scenario_hash[:12]}")
        return sim.Scenario.from_dict(data, source=f"{self.path}:{scenario_hash[:12]}")

    @_store_errors
    def sweeps(self) -> pd.DataFrame:
        """Every sweep run against this store: when, on which scenario, and its definition (JSON)."""
        return pd.read_sql_query("SELECT * FROM sweeps ORDER BY id", self._db)

    @_store_errors
    def _param_types(self, include_failed: bool) -> dict[str, str]:
        """A pandas dtype per parameter column, the same for every chunk of an export."""
        seen: dict[str, set[type]] = {}
        where = "" if include_failed else " WHERE status = 'ok'"
        for (text,) in self._db.execute(f"SELECT params FROM runs{where}"):
            params = _decoded(text, "parameters of a run")
            for name, value in params.items() if isinstance(params, dict) else []:
                seen.setdefault(name, set()).add(type(value))
        dtypes = {}
        for name, types in seen.items():
            if types <= {bool}:
                dtypes[name] = "boolean"
            elif types <= {int}:
                dtypes[name] = "Int64"
            elif types <= {int, float}:
                dtypes[name] = "float64"
            else:
                dtypes[name] = "string"
        return dtypes

    @_store_errors
    def iter_tables(self, include_failed: bool = True, chunk_rows: int = 20_000) -> Iterator[pd.DataFrame]:
        """The stored runs as tidy frames of at most ``chunk_rows`` rows, all with the same columns.

        Columns: the provenance columns, one column per parameter, every metric;
        ``notes`` stays JSON. Memory is one chunk, however large the store.
        """
        param_types = self._param_types(include_failed)
        where = "" if include_failed else " WHERE status = 'ok'"
        cur = self._db.execute(f"SELECT * FROM runs{where} ORDER BY scenario_hash, point, policy, rep, key")
        lead = list(PROVENANCE_COLUMNS)
        columns = [*lead, *param_types, *sim.METRICS]
        while rows := cur.fetchmany(chunk_rows):
            records = []
            for row in rows:
                r = dict(zip(RUN_COLUMNS, row, strict=True))
                params = _decoded(r["params"], f"parameters of run {r['key']}")
                summary = _decoded(r["summary"], f"summary of run {r['key']}")
                if not isinstance(params, dict) or not isinstance(summary, dict):
                    raise StoreError(f"the stored run {r['key']} is damaged (its parameters or summary)")
                record = {c: r[c] for c in lead}
                for name, dtype in param_types.items():
                    value = params.get(name)
                    record[name] = (
                        json.dumps(value)
                        if dtype == "string" and not isinstance(value, str) and value is not None
                        else value
                    )
                record.update({m: summary.get(m) for m in sim.METRICS})
                records.append(record)
            yield _typed_frame(records, columns, param_types)

    def table(self, include_failed: bool = False) -> pd.DataFrame:
        """Every stored run (only finished ones unless ``include_failed``) as one tidy frame."""
        frames = list(self.iter_tables(include_failed))
        if not frames:
            return _typed_frame([], [*PROVENANCE_COLUMNS, *sim.METRICS], {})
        return pd.concat(frames, ignore_index=True)

    @_store_errors
    def export(self, out: str | Path, fmt: str, *, force: bool = False) -> int:
        """Write every stored run (failed ones too) as CSV or Parquet, chunk by chunk; returns the rows.

        The file is written aside and renamed into place when complete. ``out``
        may not be the store itself, nor an existing file that is not a custsim
        export (unless ``force``). Parquet needs pyarrow; without it this raises
        MissingDependencyError before writing anything.
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(EXPORT_FORMATS)}")
        if fmt == "parquet" and not _has_pyarrow():
            raise MissingDependencyError(
                "Parquet export needs the 'pyarrow' package, which is not installed: "
                "`pip install pyarrow`, or export with --format csv"
            )
        out = check_output(out, "export", inputs=store_companions(self.path), force=force)
        try:
            with atomic_path(out) as tmp:
                return self._write_csv(tmp) if fmt == "csv" else self._write_parquet(tmp)
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None

    def _write_csv(self, path: Path) -> int:
        n = 0
        with path.open("w", newline="", encoding="utf-8") as fh:
            for i, frame in enumerate(self.iter_tables(include_failed=True)):
                frame.to_csv(fh, index=False, header=i == 0, quoting=csv.QUOTE_MINIMAL)
                n += len(frame)
            if n == 0:
                self.table(include_failed=True).to_csv(fh, index=False)
        return n

    def _write_parquet(self, path: Path) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def marked(table: pa.Table) -> pa.Table:  # how a later export knows this file is its own
            return table.replace_schema_metadata({**(table.schema.metadata or {}), b"custsim": b"export"})

        n = 0
        writer = None
        try:
            for frame in self.iter_tables(include_failed=True):
                table = marked(pa.Table.from_pandas(frame, preserve_index=False))
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema)
                writer.write_table(table.cast(writer.schema))
                n += len(frame)
            if writer is None:
                pq.write_table(
                    marked(pa.Table.from_pandas(self.table(include_failed=True), preserve_index=False)), path
                )
        finally:
            if writer is not None:
                writer.close()
        return n


def _decoded(text: str | None, what: str) -> Any:
    """A JSON column of a stored run; damage (a hand edit, a bad disk) is the store's problem, said so."""
    try:
        return json.loads(text) if text else {}
    except (TypeError, ValueError):
        raise StoreError(f"the stored {what} is damaged (not JSON): {str(text)[:60]!r}") from None


def _initialise(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    db.commit()


def _create(path: Path) -> None:
    """A new, empty store at ``path``, built aside and linked into place only if nothing is there.

    Two sweeps starting on one new store both try; the second finds the first's
    file and uses it (a rename would replace it, and any run already in it).
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        db = sqlite3.connect(tmp)
        try:
            _initialise(db)
        finally:
            db.close()
        usual_permissions(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # someone else created it first: open theirs
        except OSError:  # no hard links on this file system
            if not path.exists():
                os.replace(tmp, path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot create the result store {path}: {exc}") from None
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """Open an existing file, never creating one; a reader gets a connection that cannot write."""
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    # a writable file is opened read-write even to read, so SQLite can tidy its WAL files on close
    mode = "rw" if writable else "ro"
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=30.0)
        if readonly:
            db.execute("PRAGMA query_only=ON")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the result store {path}: {exc}") from None
    return db


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _typed_frame(
    records: list[dict[str, Any]], columns: list[str], param_types: dict[str, str]
) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    dtypes: dict[str, Any] = {
        "key": "string",
        "status": "string",
        "scenario_name": "string",
        "scenario_hash": "string",
        "policy": "string",
        "point": "int64",
        "rep": "int64",
        "root_seed": "int64",
        "notes": "string",
        "error": "string",
        "seconds": "float64",
        "started_utc": "string",
        "finished_utc": "string",
        "host": "string",
        "package_version": "string",
        **param_types,
        **{m: "float64" for m in sim.METRICS},
    }
    return frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})
