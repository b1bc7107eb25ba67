"""How many agents does effectiveness need to beat efficiency on cost?

The effectiveness preset normally sizes its staff by Erlang C. Here we fix its
head count instead and sweep it: too few agents and queues, abandonment, repeat
calls and churn eat the savings; too many and the wage bill does. The script
prints total cost (service + acquisition) per head count next to efficiency's,
on common random numbers, and says for which head counts effectiveness is the
cheaper policy.

    python scenarios/agents_to_beat_efficiency.py            # the default scenario (several minutes)
    python scenarios/agents_to_beat_efficiency.py --quick    # a small version (seconds)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import sim
from experiments import compare, sweep
from experiments.comparison import mean_ci

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small population, short horizon, 2 replications"
    )
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    scenario = sim.load_scenario(HERE / "utility_callcentre.toml")
    reps, agents = 3, list(range(3, 9))
    if args.quick:
        scenario = scenario.override(
            {"population.initial_customers": 20000, "horizon.days": 150, "horizon.warmup_days": 30}
        )
        reps, agents = 2, [1, 2, 3, 4]

    # efficiency as it is: Erlang C staffing
    baseline = compare(scenario, ["efficiency"], reps=reps, workers=args.workers)
    base_cost = baseline.means.loc["cost_total", ("efficiency", "mean")]

    # effectiveness with a fixed head count (account managers stay as the preset has them)
    fixed = scenario.override({"policies.effectiveness.staffing.mode": "fixed"})
    result = sweep(
        fixed,
        {"policies.effectiveness.staffing.agents": agents},
        ["effectiveness"],
        reps=reps,
        workers=args.workers,
    )
    print(
        f"{scenario.name}: efficiency (Erlang C staffing) total cost {base_cost:,.0f} "
        f"(mean of {reps} replications)"
    )
    print(f"{'agents':>6}  {'effectiveness total cost':>26}  {'service level':>13}  cheaper?")
    cheaper = []
    for n, group in result.table.groupby("policies.effectiveness.staffing.agents"):
        cost, half = mean_ci(group["cost_total"])
        sl = group["service_level"].mean()
        wins = cost + (half if half == half else 0.0) < base_cost
        cheaper += [int(n)] if wins else []
        print(f"{int(n):>6}  {cost:>18,.0f} ± {half:>6,.0f}  {100 * sl:>12.1f} %  {'yes' if wins else 'no'}")
    if cheaper:
        print(
            f"effectiveness is cheaper than efficiency with {min(cheaper)} to {max(cheaper)} "
            "front-line agents (the whole 95 % interval below efficiency's mean)"
        )
    else:
        print("no head count in the sweep makes effectiveness cheaper than efficiency")


if __name__ == "__main__":
    main()
