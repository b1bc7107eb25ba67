"""What is the break-even budget of a failure-demand programme?

Effectiveness funds a programme that removes half the supplier-induced demand
(bills, letters, wrong meter readings). What may it cost per customer per year
before it stops paying for itself? The script sweeps the programme's yearly
cost, measures effectiveness's profit at each cost, compares it with
effectiveness without the programme (same random numbers), and interpolates
the cost at which the two profits meet.

    python scenarios/failure_demand_breakeven.py            # the default scenario (several minutes)
    python scenarios/failure_demand_breakeven.py --quick    # a small version (seconds)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import sim
from experiments import compare, sweep

HERE = Path(__file__).resolve().parent
COST = "policies.effectiveness.interventions[0].cost_per_customer_year"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small population, short horizon, 2 replications"
    )
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    scenario = sim.load_scenario(HERE / "utility_callcentre.toml")
    reps, costs = 3, [0.0, 1.0, 2.0, 4.0, 8.0]
    if args.quick:
        scenario = scenario.override(
            {"population.initial_customers": 20000, "horizon.days": 250, "horizon.warmup_days": 30}
        )
        reps, costs = 2, [0.0, 2.0, 8.0]

    without = scenario.override({"policies.effectiveness.interventions": []})
    plain = compare(without, ["effectiveness"], reps=reps, workers=args.workers)
    profit_without = plain.means.loc["profit", ("effectiveness", "mean")]

    result = sweep(scenario, {COST: costs}, ["effectiveness"], reps=reps, workers=args.workers)
    profit = result.table.groupby(COST)["profit"].mean()
    print(f"{scenario.name}: effectiveness without the programme: profit {profit_without:,.0f}")
    print(f"{'cost per customer-year':>22}  {'profit with the programme':>26}  {'gain':>12}")
    for cost, p in profit.items():
        print(f"{cost:>22.2f}  {p:>26,.0f}  {p - profit_without:>+12,.0f}")
    gain = profit.to_numpy() - profit_without
    x = profit.index.to_numpy(dtype=float)
    if gain[0] <= 0:
        print(
            "even a free programme does not pay: the demand it removes costs less to serve than it earns back"
        )
    elif gain[-1] > 0:
        print(f"the programme still pays at {x[-1]:.2f} per customer-year: the break-even is above the sweep")
    else:
        # profit falls linearly in the programme cost: interpolate where the gain crosses zero
        slope, intercept = np.polyfit(x, gain, 1)
        funded = scenario.policies["effectiveness"].interventions[0].cost_per_customer_year
        print(
            f"break-even budget: about {-intercept / slope:.2f} per customer per year "
            f"(the preset funds it at {funded})"
        )


if __name__ == "__main__":
    main()
