"""Many runs of the model: replications, comparisons, sweeps, sensitivity, the store, the CLI.

>>> import sim, experiments
>>> scenario = sim.load_scenario("scenarios/utility_callcentre.toml")
>>> result = experiments.compare(scenario, ["efficiency", "effectiveness"], reps=3)  # doctest: +SKIP
"""

from .compare import Comparison, compare, comparison_from_runs, mean_ci
from .executors import SerialExecutor, make_executor
from .replicate import replicate
from .runs import RunOutcome, RunSpec, replication_seed, run_key

__all__ = [
    "Comparison",
    "RunOutcome",
    "RunSpec",
    "SerialExecutor",
    "compare",
    "comparison_from_runs",
    "make_executor",
    "mean_ci",
    "replicate",
    "replication_seed",
    "run_key",
]
