"""Many runs of the model: replications, comparisons, sweeps, sensitivity, the store, the CLI.

>>> import sim, experiments
>>> scenario = sim.load_scenario("scenarios/utility_callcentre.toml")
>>> result = experiments.compare(scenario, ["efficiency", "effectiveness"], reps=3)  # doctest: +SKIP
>>> table = experiments.sweep(scenario, {"response.retry_p": (0.5, 1.0)}, reps=2,
...                           design="lhs", samples=8, store="runs.sqlite")  # doctest: +SKIP

Submodules load on first use, so the command line starts quickly.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Comparison": "comparison",
    "compare": "comparison",
    "comparison_from_runs": "comparison",
    "mean_ci": "comparison",
    "DESIGNS": "design",
    "Range": "design",
    "grid": "design",
    "integer_paths": "design",
    "latin_hypercube": "design",
    "make_design": "design",
    "normalize_vary": "design",
    "parse_vary": "design",
    "sobol": "design",
    "SchedulerUnavailableError": "executors",
    "SerialExecutor": "executors",
    "make_executor": "executors",
    "ArgumentError": "inputs",
    "ResourceError": "resources",
    "Points": "design",
    "design_size": "design",
    "RunFailedError": "replication",
    "replicate": "replication",
    "run_replications": "replication",
    "RunOutcome": "runs",
    "RunSpec": "runs",
    "replication_seed": "runs",
    "run_key": "runs",
    "METHODS": "sensitivity_analysis",
    "sensitivity": "sensitivity_analysis",
    "MissingDependencyError": "store",
    "Store": "store",
    "StoreError": "store",
    "SweepWarning": "sweeps",
    "design_points": "sweeps",
    "run_points": "sweeps",
    "sweep": "sweeps",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'experiments' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
