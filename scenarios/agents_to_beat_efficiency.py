"""How many agents does effectiveness need to beat efficiency on cost?

The effectiveness preset normally sizes its staff by Erlang C. Here we fix its
head count instead (front-line agents and account managers) and sweep it: too
few agents and queues, abandonment, repeat calls and churn eat the savings; too
many and the wage bill does. Efficiency keeps its Erlang C staffing.

Every effectiveness run is paired with the efficiency run of the same
replication (same seed: common random numbers), so the difference in total cost
(service + acquisition) comes with a 95 % interval over replications. A head
count "beats" efficiency when that whole interval lies below zero.

    python scenarios/agents_to_beat_efficiency.py              # the full scenario (several minutes)
    python scenarios/agents_to_beat_efficiency.py --quick      # a small version (seconds)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import sim
from experiments import replicate, sweep
from experiments.comparison import mean_ci

HERE = Path(__file__).resolve().parent
AGENTS = "policies.effectiveness.staffing.agents"
MANAGERS = "policies.effectiveness.staffing.account_managers"


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
    agents, managers, reps = [4, 6, 8, 10, 12, 14], [1, 2, 3], 3
    if args.quick:
        scenario = scenario.override(
            {"population.initial_customers": 10000, "horizon.days": 90, "horizon.warmup_days": 20}
        )
        agents, managers, reps = [1, 2, 3], [1, 2], 2
    reps = args.reps or reps

    base = replicate(scenario, ["efficiency"], reps=reps, seed=args.seed, workers=args.workers)
    base_cost = base.set_index("rep")["cost_total"]
    fixed = scenario.override({"policies.effectiveness.staffing.mode": "fixed"})
    runs = sweep(
        fixed,
        {AGENTS: agents, MANAGERS: managers},
        ["effectiveness"],
        reps=reps,
        seed=args.seed,
        workers=args.workers,
    )

    mean_base, half_base = mean_ci(base_cost)
    print(
        f"{scenario.name}: efficiency with Erlang C staffing costs {mean_base:,.0f} ± {half_base:,.0f} "
        "in total"
    )
    print(
        f"(mean ± 95 % CI over {reps} replications; effectiveness below, paired with it "
        "replication by replication)"
    )
    print(
        f"{'agents':>6} {'managers':>8}  {'effectiveness cost':>18}  {'difference ± 95 % CI':>22}  "
        f"{'service':>7}  verdict"
    )
    cheaper = []
    for (n, m), group in runs.groupby([AGENTS, MANAGERS]):
        runs_by_rep = group.set_index("rep")
        diff, half = mean_ci(runs_by_rep["cost_total"] - base_cost)
        if diff + half < 0:
            verdict = "cheaper"
            cheaper.append((diff, int(n), int(m)))
        elif diff - half > 0:
            verdict = "dearer"
        else:
            verdict = "too close to call"
        print(
            f"{int(n):>6} {int(m):>8}  {runs_by_rep['cost_total'].mean():>18,.0f}  "
            f"{diff:>+11,.0f} ± {half:>8,.0f}  {100 * group['service_level'].mean():>5.1f} %  {verdict}"
        )
    if cheaper:
        best = min(cheaper)
        heads = ", ".join(f"{n}+{m}" for _, n, m in sorted(cheaper, key=lambda c: (c[1], c[2])))
        print(
            f"effectiveness is cheaper than efficiency with (agents+managers) {heads}; the cheapest is "
            f"{best[1]}+{best[2]}, saving {-best[0]:,.0f}"
        )
    else:
        print("no head count in the sweep makes effectiveness reliably cheaper than efficiency")


if __name__ == "__main__":
    main()
