"""custsim's model: one run of one scenario under one policy.

>>> import sim
>>> scenario = sim.load_scenario("scenarios/utility_callcentre.toml")
>>> result = sim.run(scenario, policy="effectiveness", seed=1)
>>> result.summary["fcr"]  # doctest: +SKIP
"""

from . import erlang, validation
from .model import Simulation, preflight, run
from .policy import PRESETS, Policy, preset
from .result import CONTACT_COLUMNS, Result
from .scenario import Scenario, ScenarioError, ScenarioIssue, load_scenario
from .summary import METRICS
from .units import REASONS

__all__ = [
    "CONTACT_COLUMNS",
    "METRICS",
    "PRESETS",
    "REASONS",
    "Policy",
    "Result",
    "Scenario",
    "ScenarioError",
    "ScenarioIssue",
    "Simulation",
    "erlang",
    "load_scenario",
    "preflight",
    "preset",
    "run",
    "validation",
]
