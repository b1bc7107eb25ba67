"""Wall time of the same sweep with 1 worker (in-process) and with N local worker processes.

    python benchmarks/sweep_workers.py                  # 48 runs at 5 000 customers x 120 days
    python benchmarks/sweep_workers.py --customers 20000 --days 200 --repeats 1

The sweep varies one parameter over 4 levels, for 2 policies and 6 replications
(48 runs). Timings alternate between the worker counts so that a machine whose
speed drifts affects both alike, and the best of each is reported (on a shared
machine the least disturbed); the tables are checked to be identical. To say
what the machine itself allows, the script first times a pure-Python loop in one
process and in N processes at once: the ratio is the best speed-up to expect.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from experiments import sweep  # noqa: E402


def _burn(n: int = 20_000_000) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t0


def machine_parallelism(workers: int) -> float:
    """How many loops' worth of work N concurrent processes get done per loop's time alone."""
    alone = _burn()
    with ProcessPoolExecutor(workers) as pool:
        pool.submit(_burn, 1000).result()  # start the processes before timing
        t0 = time.perf_counter()
        list(pool.map(_burn, [20_000_000] * workers))
        together = time.perf_counter() - t0
    return workers * alone / together


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2, help="the parallel case (default 2)")
    parser.add_argument("--repeats", type=int, default=2, help="timings per worker count")
    args = parser.parse_args()

    scenario = sim.load_scenario(ROOT / "scenarios" / "utility_callcentre.toml").override(
        {
            "population.initial_customers": args.customers,
            "horizon.days": args.days,
            "horizon.warmup_days": min(30, args.days // 4),
        }
    )
    vary = {"response.retry_p": [0.4, 0.6, 0.8, 1.0]}
    policies = ["efficiency", "effectiveness"]
    reps = 6
    runs = len(vary["response.retry_p"]) * len(policies) * reps
    capacity = machine_parallelism(args.workers)
    seconds: dict[int, list[float]] = {1: [], args.workers: []}
    tables = {}
    for _ in range(args.repeats):
        for workers in (1, args.workers):
            t0 = time.perf_counter()
            tables[workers] = sweep(scenario, vary, policies, reps=reps, workers=workers, progress=False)
            seconds[workers].append(time.perf_counter() - t0)
    assert tables[1].equals(tables[args.workers]), "the tables differ"
    print(f"sweep of {runs} runs ({args.customers} customers, {args.days} days), {args.repeats} timings each")
    for workers, times in seconds.items():
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}: best {min(times):5.1f} s, "
            f"{min(times) / runs:.2f} s a run (all: {', '.join(f'{t:.1f}' for t in times)} s)"
        )
    speedup = min(seconds[1]) / min(seconds[args.workers])
    print(f"  speed-up {speedup:.2f}x with {args.workers} workers (best timings); tables identical")
    print(f"  (the machine: {args.workers} pure-Python loops at once do {capacity:.2f}x the work of one)")


if __name__ == "__main__":
    main()
