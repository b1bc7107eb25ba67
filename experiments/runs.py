"""One run, described as data: what a worker receives and what it sends back.

A ``RunSpec`` names the scenario changes, the policy and the replication; the
worker applies the changes to the base scenario it was given, runs it with the
replication's seed and returns a ``RunOutcome``: the summary (or the error),
never the full Result, so what travels back and what the main process keeps
stays small. A *reducer* (a top-level function ``reducer(result, scenario,
spec)``, run on the worker) may keep more of the Result, as the report keeps
daily series; its answer travels back as ``RunOutcome.detail``.

Replication r runs with ``SeedSequence(root_seed).spawn(reps)[r]`` (equal to
``SeedSequence(root_seed, spawn_key=(r,))``, which needs no ``reps``). It is
keyed by the replication number alone, so every policy and every design point
sees the same random numbers (common random numbers) and results never depend
on how runs are spread over workers.
"""

from __future__ import annotations

import hashlib
import json
import math
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

import sim

__all__ = ["RunSpec", "RunOutcome", "Reducer", "replication_seed", "run_batch", "run_key", "canonical_json"]

#: what a worker keeps of a Result besides its summary: ``reducer(result, scenario, spec) -> detail``
Reducer = Callable[[sim.Result, sim.Scenario, "RunSpec"], Any]


def replication_seed(root_seed: int, rep: int) -> np.random.SeedSequence:
    """The seed of replication ``rep``: child ``rep`` of ``SeedSequence(root_seed)``."""
    return np.random.SeedSequence(int(root_seed), spawn_key=(int(rep),))


def _plain(value: Any) -> Any:
    """JSON-able, order-independent form of a parameter value (NumPy scalars as Python numbers)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no NaN or infinity
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """The canonical JSON of a value: keys sorted, no spaces; 1 and 1.0 stay distinct (as in the schema)."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def run_key(scenario_hash: str, policy: str, params: dict[str, Any], rep: int, root_seed: int) -> str:
    """A deterministic key: same scenario content, policy, parameters, replication and seed, same key."""
    blob = canonical_json(
        {
            "scenario": scenario_hash,
            "policy": policy,
            "params": params,
            "rep": int(rep),
            "seed": int(root_seed),
        }
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RunSpec:
    """One run: the changes to the base scenario, the policy, the replication, the root seed."""

    policy: str
    rep: int
    root_seed: int
    params: dict[str, Any] = field(default_factory=dict)
    point: int = 0
    key: str = ""


@dataclass(frozen=True)
class RunOutcome:
    """What came back from one run: its summary, or the error that stopped it."""

    spec: RunSpec
    summary: dict[str, float] | None
    error: str | None = None
    seconds: float = 0.0
    started_utc: str = ""
    finished_utc: str = ""
    host: str = ""
    notes: tuple[str, ...] = ()
    detail: Any = None  # what the reducer kept


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def run_batch(base: sim.Scenario, specs: list[RunSpec], reducer: Reducer | None = None) -> list[RunOutcome]:
    """Run a batch of specs on one worker (top level, so every executor can pickle it).

    A run that raises is returned with its error instead of stopping the batch.
    """
    out = []
    host = socket.gethostname()
    cache: dict[str, sim.Scenario] = {}
    for spec in specs:
        started, t0 = _now(), time.perf_counter()
        try:
            tag = canonical_json(spec.params)
            scenario = cache.get(tag)
            if scenario is None:
                scenario = base.override(spec.params) if spec.params else base
                cache[tag] = scenario
            result = sim.run(scenario, spec.policy, seed=replication_seed(spec.root_seed, spec.rep))
            summary = {k: float(v) for k, v in result.summary.items()}
            notes = tuple(result.notes)
            detail = reducer(result, scenario, spec) if reducer is not None else None
            del result  # only the summary (and what the reducer kept) travels back
            seconds = time.perf_counter() - t0
            outcome = RunOutcome(spec, summary, None, seconds, started, _now(), host, notes, detail)
        except Exception as exc:  # recorded, not raised: a sweep goes on past a failing run
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            outcome = RunOutcome(spec, None, text, time.perf_counter() - t0, started, _now(), host)
        out.append(outcome)
    return out
