"""Time units. Simulation time is continuous, in minutes.

Rates in scenario files are per year unless the name says otherwise
(``rate_per_year``, ``arrival_rate_per_min``). A year is 365 days.
"""

__all__ = [
    "MINUTES_PER_HOUR",
    "MINUTES_PER_DAY",
    "DAYS_PER_YEAR",
    "MINUTES_PER_YEAR",
    "REASONS",
    "GENERATED_REASONS",
    "FAILURE_REASONS",
]

MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 1440.0
DAYS_PER_YEAR = 365.0
MINUTES_PER_YEAR = MINUTES_PER_DAY * DAYS_PER_YEAR

#: Every contact carries one of these reasons; the index is used in arrays.
REASONS = ("usage", "incident", "life_event", "supplier_induced", "repeat", "chase")
#: Reasons whose issues arise by themselves (Poisson per customer); the rest are
#: consequences of how earlier contacts went.
GENERATED_REASONS = REASONS[:4]
#: Failure demand (Seddon): contacts the supplier caused itself.
FAILURE_REASONS = ("supplier_induced", "repeat", "chase")
