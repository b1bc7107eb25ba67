"""One run, described as data: what a worker receives and what it sends back.

A ``RunSpec`` names the scenario changes, the policy and the replication; the
worker applies the changes to the base scenario it was given, runs it with
replication seed ``SeedSequence(root_seed, spawn_key=(rep,))`` and returns the
summary (or the error). Replication seeds are keyed by the replication number,
so every policy and every design point sees the same random numbers (common
random numbers) and results never depend on how runs are spread over workers.
"""

from __future__ import annotations

import hashlib
import json
import math
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import sim

__all__ = ["RunSpec", "RunOutcome", "replication_seed", "run_batch", "run_key"]


def replication_seed(root_seed: int, rep: int) -> np.random.SeedSequence:
    """The seed of replication ``rep``: child ``rep`` of the root SeedSequence."""
    return np.random.SeedSequence(int(root_seed), spawn_key=(int(rep),))


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return value  # keep 1.0 and 1 distinct: the scenario schema does
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def run_key(scenario_hash: str, policy: str, params: dict[str, Any], rep: int, root_seed: int) -> str:
    """A deterministic key: same scenario content, policy, parameters, replication and seed, same key."""
    blob = json.dumps(
        {
            "scenario": scenario_hash,
            "policy": policy,
            "params": _canonical(params),
            "rep": int(rep),
            "seed": int(root_seed),
        },
        sort_keys=True,
        separators=(",", ":"),
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
    spec: RunSpec
    summary: dict[str, float] | None
    error: str | None = None
    seconds: float = 0.0


def run_batch(base: sim.Scenario, specs: list[RunSpec]) -> list[RunOutcome]:
    """Run a batch of specs on one worker (top level, so every executor can pickle it).

    A run that raises is returned with its error instead of stopping the batch.
    """
    import time

    out = []
    cache: dict[str, sim.Scenario] = {}
    for spec in specs:
        t0 = time.perf_counter()
        try:
            tag = json.dumps(_canonical(spec.params), sort_keys=True)
            scenario = cache.get(tag)
            if scenario is None:
                scenario = base.override(spec.params) if spec.params else base
                cache[tag] = scenario
            result = sim.run(scenario, spec.policy, seed=replication_seed(spec.root_seed, spec.rep))
            out.append(RunOutcome(spec, result.summary, None, time.perf_counter() - t0))
        except Exception as exc:  # recorded, not raised: a sweep goes on past a failing run
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            out.append(RunOutcome(spec, None, text, time.perf_counter() - t0))
    return out
