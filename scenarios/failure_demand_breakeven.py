"""What is the break-even budget of a failure-demand programme?

Effectiveness funds a programme that removes half the supplier-induced demand
(bills, letters, wrong meter readings). What may it cost per customer per year
before it stops paying for itself? The script sweeps the programme's yearly
cost, and compares effectiveness's profit at each cost with effectiveness
without the programme, replication by replication on the same random numbers.

The programme's cost changes no customer's behaviour, so within a replication
the gain in profit falls in a straight line with the cost; where it crosses
zero is that replication's break-even budget. The script reports their mean
with a 95 % interval over replications.

    python scenarios/failure_demand_breakeven.py              # the full scenario (several minutes)
    python scenarios/failure_demand_breakeven.py --quick      # a small version (seconds)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import sim
from experiments import replicate, sweep
from experiments.comparison import mean_ci

HERE = Path(__file__).resolve().parent
COST = "policies.effectiveness.interventions[0].cost_per_customer_year"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small population, short horizon, 2 replications"
    )
    parser.add_argument("--reps", type=int, default=None, help="replications (default 3; 2 with --quick)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    args = parser.parse_args()

    scenario = sim.load_scenario(HERE / "utility_callcentre.toml")
    costs, reps = [0.0, 1.0, 2.0, 4.0, 8.0], 3
    if args.quick:
        scenario = scenario.override(
            {"population.initial_customers": 12000, "horizon.days": 200, "horizon.warmup_days": 20}
        )
        costs, reps = [0.0, 4.0], 2
    reps = args.reps or reps
    funded = scenario.policies["effectiveness"].interventions[0].cost_per_customer_year

    without = scenario.override({"policies.effectiveness.interventions": []})
    plain = replicate(without, ["effectiveness"], reps=reps, seed=args.seed, workers=args.workers)
    profit_without = plain.set_index("rep")["profit"]
    runs = sweep(scenario, {COST: costs}, ["effectiveness"], reps=reps, seed=args.seed, workers=args.workers)
    gain = runs.pivot(index="rep", columns=COST, values="profit").sub(profit_without, axis=0)

    print(f"{scenario.name}: effectiveness's profit with the programme minus without it, per replication")
    print(f"{'cost per customer-year':>22}  {'gain in profit ± 95 % CI':>26}")
    for cost in gain.columns:
        mean, half = mean_ci(gain[cost])
        print(f"{cost:>22.2f}  {mean:>+15,.0f} ± {half:>8,.0f}")
    # the gain is a straight line in the cost within a replication: where it crosses zero
    x = gain.columns.to_numpy(dtype=float)
    breakeven = []
    for _, row in gain.iterrows():
        slope, intercept = np.polyfit(x, row.to_numpy(dtype=float), 1)
        breakeven.append(-intercept / slope)
    mean, half = mean_ci(breakeven)
    if mean <= 0:
        print(
            "even a free programme does not pay: the demand it removes costs less to serve than it wins back"
        )
    else:
        print(
            f"break-even budget: {mean:.2f} ± {half:.2f} per customer per year "
            f"(95 % CI over {reps} replications; the scenario funds it at {funded:g})"
        )


if __name__ == "__main__":
    main()
