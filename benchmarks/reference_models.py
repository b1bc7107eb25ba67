"""Plain, idiomatic simpy models: the yardstick the project is measured against.

These are written the way the simpy documentation teaches: a process per
caller, a ``simpy.Resource`` for the agents, ``yield request | timeout`` for
reneging. They share nothing with ``sim/``.
"""

from __future__ import annotations

import numpy as np
import simpy

__all__ = ["mmc", "mmc_renege"]


def mmc(
    callers: int, arrival_rate_per_min: float, mean_handle_min: float, agents: int, seed: int = 1
) -> float:
    """M/M/c: ``callers`` Poisson arrivals, exponential service; returns the mean wait (minutes)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / arrival_rate_per_min, callers).tolist()
    work = rng.exponential(mean_handle_min, callers).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    waits: list[float] = []

    def caller(i: int):
        arrived = env.now
        with desk.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(work[i])

    def source():
        for i in range(callers):
            yield env.timeout(gaps[i])
            env.process(caller(i))

    env.process(source())
    env.run()
    return sum(waits) / len(waits)


def mmc_renege(
    callers: int,
    arrival_rate_per_min: float,
    mean_handle_min: float,
    agents: int,
    mean_patience_min: float,
    seed: int = 1,
) -> float:
    """M/M/c+M with the idiomatic ``yield request | timeout``; returns the abandoned share."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / arrival_rate_per_min, callers).tolist()
    work = rng.exponential(mean_handle_min, callers).tolist()
    patience = rng.exponential(mean_patience_min, callers).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    abandoned = [0]

    def caller(i: int):
        with desk.request() as request:
            got = yield request | env.timeout(patience[i])
            if request in got:
                yield env.timeout(work[i])
            else:
                abandoned[0] += 1

    def source():
        for i in range(callers):
            yield env.timeout(gaps[i])
            env.process(caller(i))

    env.process(source())
    env.run()
    return abandoned[0] / callers
