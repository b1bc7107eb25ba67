"""Speed and memory of the model, measured against plain simpy in the same run.

    python benchmarks/run.py              # all goals, default sizes (about 6 minutes)
    python benchmarks/run.py --quick      # smaller, for a smoke test
    python benchmarks/run.py --goals 1,2  # some goals only

Goals (from the performance issue):
1. the degenerate model (``mmc_scenario``: 20 agents, 18 calls/min, 1-minute
   handling, no abandonment) simulates callers at >= 1.0x plain simpy M/M/c;
2. with exponential patience (20 calls/min, 2-minute patience) >= 1.3x the
   idiomatic simpy renege model;
3. the default utility scenario at >= 30 000 contacts per second on one core;
4. 1 000 000 customers for one simulated year in <= 120 s and <= 4 GB peak RSS;
5. memory independent of the horizon with the contact log off.

Ratios interleave the project and the reference several times in this process
and report the median of the paired ratios (wall clock and CPU time; on a
shared virtual machine CPU time is the steadier of the two). Memory goals run
each case in a fresh subprocess and read its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import reference_models  # noqa: E402

import sim  # noqa: E402


def timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - w0, time.process_time() - c0


def paired(label: str, ours, reference, repeats: int, unit: str) -> dict:
    """Alternate ours() and reference(); each returns the number of units it simulated."""
    rows = []
    for _ in range(repeats):
        n, w1, c1 = timed(ours)
        m, w2, c2 = timed(reference, n)
        rows.append((n / w1, m / w2, n / c1, m / c2))
    ours_wall = [r[0] for r in rows]
    ref_wall = [r[1] for r in rows]
    ratio_wall = [r[0] / r[1] for r in rows]
    ratio_cpu = [r[2] / r[3] for r in rows]
    return {
        "goal": label,
        "unit": unit,
        "ours_median": statistics.median(ours_wall),
        "ours_range": (min(ours_wall), max(ours_wall)),
        "reference_median": statistics.median(ref_wall),
        "reference_range": (min(ref_wall), max(ref_wall)),
        "ratio_wall": statistics.median(ratio_wall),
        "ratio_cpu": statistics.median(ratio_cpu),
        "ratio_range": (min(ratio_wall), max(ratio_wall)),
    }


def goal_1(days: int, repeats: int) -> dict:
    scenario = sim.validation.mmc_scenario(18.0, 1.0, 20, days=days, warmup_days=0)

    def ours() -> int:
        return int(sim.run(scenario, seed=1).summary["issues_total"])

    def reference(n: int) -> int:
        reference_models.mmc(n, 18.0, 1.0, 20)
        return n

    return paired("1: M/M/c vs plain simpy (>= 1.0x)", ours, reference, repeats, "callers/s")


def goal_2(days: int, repeats: int) -> dict:
    scenario = sim.validation.mmc_scenario(20.0, 1.0, 20, patience_min=2.0, days=days, warmup_days=0)

    def ours() -> int:
        return int(sim.run(scenario, seed=1).summary["issues_total"])

    def reference(n: int) -> int:
        reference_models.mmc_renege(n, 20.0, 1.0, 20, 2.0)
        return n

    return paired("2: M/M/c+M vs simpy renege (>= 1.3x)", ours, reference, repeats, "callers/s")


def goal_3(customers: int, repeats: int) -> dict:
    scenario = sim.load_scenario(ROOT / "scenarios" / "utility_callcentre.toml")
    if customers:
        scenario = scenario.override({"population.initial_customers": customers})
    rates, cpu = [], []
    for seed in range(1, repeats + 1):
        result, wall, cpu_s = timed(sim.run, scenario, "efficiency", seed)
        contacts = float(result.timeseries.contacts.sum())
        rates.append(contacts / wall)
        cpu.append(contacts / cpu_s)
    return {
        "goal": "3: default utility scenario, efficiency "
        f"({scenario.population.initial_customers} customers) (>= 30000/s)",
        "unit": "contacts/s",
        "ours_median": statistics.median(rates),
        "ours_range": (min(rates), max(rates)),
        "cpu_median": statistics.median(cpu),
    }


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import sim
sc = sim.load_scenario({path!r}).override({changes!r})
t = time.perf_counter()
r = sim.run(sc, {policy!r}, seed=1)
wall = time.perf_counter() - t
# VmHWM is this process's own peak: ru_maxrss would also count the parent's peak, inherited at fork
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
rss_mb = (int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
contacts = float(r.timeseries.contacts.sum())
print(json.dumps({{"wall": wall, "rss_mb": rss_mb, "contacts": contacts}}))
"""


def child_run(changes: dict, policy: str = "efficiency") -> dict:
    code = _CHILD.format(
        root=str(ROOT),
        path=str(ROOT / "scenarios" / "utility_callcentre.toml"),
        changes=changes,
        policy=policy,
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def goal_4(customers: int) -> dict:
    r = child_run({"population.initial_customers": customers, "horizon.days": 365, "horizon.warmup_days": 0})
    return {
        "goal": f"4: {customers:,} customers, one year (<= 120 s, <= 4 GB)",
        "wall_s": r["wall"],
        "peak_rss_mb": r["rss_mb"],
        "contacts": r["contacts"],
        "contacts_per_s": r["contacts"] / r["wall"],
    }


def goal_5(customers: int, years: tuple[int, ...]) -> dict:
    rows = []
    for y in years:
        r = child_run(
            {"population.initial_customers": customers, "horizon.days": 365 * y, "horizon.warmup_days": 0}
        )
        rows.append({"years": y, "wall_s": r["wall"], "peak_rss_mb": r["rss_mb"]})
    return {"goal": f"5: memory vs horizon ({customers:,} customers)", "runs": rows}


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a measurement")
    parser.add_argument("--goals", default="1,2,3,4,5")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    goals = {int(g) for g in args.goals.split(",")}
    quick = args.quick
    repeats = args.repeats or (2 if quick else 5)
    results = []
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"simpy {sim.__dict__.get('simpy', __import__('simpy')).__version__}, numpy {np.__version__}"
    )
    if 1 in goals:
        results.append(goal_1(1 if quick else 4, repeats))
    if 2 in goals:
        results.append(goal_2(1 if quick else 4, repeats))
    if 3 in goals:
        results.append(goal_3(20_000 if quick else 0, 1 if quick else 3))
    if 4 in goals:
        results.append(goal_4(50_000 if quick else 1_000_000))
    if 5 in goals:
        results.append(goal_5(5_000 if quick else 50_000, (1, 2) if quick else (1, 4, 10)))
    for r in results:
        print()
        print(r["goal"])
        if "ratio_wall" in r:
            print(
                f"  ours      {fmt_rate(r['ours_median'])} {r['unit']} (median; range "
                f"{fmt_rate(r['ours_range'][0])}-{fmt_rate(r['ours_range'][1])})"
            )
            print(
                f"  reference {fmt_rate(r['reference_median'])} {r['unit']} (median; range "
                f"{fmt_rate(r['reference_range'][0])}-{fmt_rate(r['reference_range'][1])})"
            )
            print(
                f"  ratio     {r['ratio_wall']:.2f}x wall, {r['ratio_cpu']:.2f}x CPU (median of {repeats} "
                f"interleaved pairs; wall range {r['ratio_range'][0]:.2f}-{r['ratio_range'][1]:.2f})"
            )
        elif "cpu_median" in r:
            print(
                f"  {fmt_rate(r['ours_median'])} {r['unit']} wall (median; range "
                f"{fmt_rate(r['ours_range'][0])}-{fmt_rate(r['ours_range'][1])}); "
                f"{fmt_rate(r['cpu_median'])} per CPU second"
            )
        elif "runs" in r:
            for run in r["runs"]:
                print(
                    f"  {run['years']:>2} year(s): {run['wall_s']:7.1f} s, "
                    f"peak RSS {run['peak_rss_mb']:,.0f} MB"
                )
        else:
            print(
                f"  {r['wall_s']:.1f} s wall, peak RSS {r['peak_rss_mb']:,.0f} MB, "
                f"{r['contacts']:,.0f} contacts ({fmt_rate(r['contacts_per_s'])}/s)"
            )
    print(f"\nthis process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=list))


if __name__ == "__main__":
    main()
