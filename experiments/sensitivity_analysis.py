"""Global sensitivity analysis with SALib: which parameters move which outputs.

The problem is the box of ``ranges``; SALib samples it (Morris trajectories, or
Saltelli's scheme for Sobol indices); every sample point is run with ``reps``
replications on common random numbers (replication r has the same seed at every
point, so the differences between points are not drowned in noise), the
replications are averaged, and SALib turns the averages into indices with 95 %
confidence intervals (bootstrap). Integer-valued parameters are rounded for the
run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

import sim

from .design import Range, value_at
from .store import Store
from .sweeps import run_points

__all__ = ["sensitivity", "METHODS"]

METHODS = ("morris", "sobol")


def sensitivity(
    scenario: sim.Scenario,
    ranges: Mapping[str, Range],
    outputs: Sequence[str],
    method: str = "morris",
    samples: int = 8,
    reps: int = 1,
    policy: str | None = None,
    seed: int = 1,
    design_seed: int = 0,
    levels: int = 4,
    store: str | Path | Store | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of ``outputs`` to the parameters in ``ranges``.

    Morris: ``samples`` trajectories ((k + 1) runs each): mu_star (mean absolute
    elementary effect), sigma, mu_star_conf. Sobol: ``samples`` base points
    ((k + 2) runs each): S1, S1_conf, ST, ST_conf. Returns one row per
    (output, parameter).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    bad = [o for o in outputs if o not in sim.METRICS]
    if bad:
        raise ValueError(f"unknown output {', '.join(bad)}; outputs: {', '.join(sim.METRICS)}")
    not_ranges = [p for p, r in ranges.items() if not isinstance(r, Range)]
    if not_ranges or len(ranges) < 1:
        raise ValueError(
            f"sensitivity needs LO:HI ranges, got values for: {', '.join(not_ranges) or 'nothing'}"
        )
    if any(r.lo == r.hi for r in ranges.values()):
        raise ValueError("every range needs lo < hi")
    policy = policy or scenario.default_policy
    names = list(ranges)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[ranges[n].lo, ranges[n].hi] for n in names],
    }
    if method == "morris":
        x = morris_sample.sample(problem, samples, num_levels=levels, seed=design_seed)
    else:
        x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=design_seed)
    base = scenario.model_dump(mode="python")
    integer = [isinstance(value_at(base, n), int) and not isinstance(value_at(base, n), bool) for n in names]
    points = [
        {n: (int(round(v)) if is_int else float(v)) for n, v, is_int in zip(names, row, integer, strict=True)}
        for row in x
    ]
    result = run_points(
        scenario, points, [policy], reps, store, seed, workers, scheduler, progress, params=names
    )
    if len(result.failed):
        raise RuntimeError(f"{len(result.failed)} runs failed, e.g.: {result.failed.iloc[0]['error']}")
    means = result.table.groupby("point")[list(outputs)].mean().reindex(range(len(points)))
    rows = []
    for output in outputs:
        y = means[output].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise ValueError(
                f"output {output!r} is NaN at {int(np.isnan(y).sum())} sample points "
                "(e.g. no calls offered); choose another output or other ranges"
            )
        if method == "morris":
            res = morris_analyze.analyze(problem, x, y, conf_level=0.95, num_resamples=1000, seed=design_seed)
            for i, n in enumerate(names):
                rows.append(
                    {
                        "output": output,
                        "parameter": n,
                        "mu": res["mu"][i],
                        "mu_star": res["mu_star"][i],
                        "sigma": res["sigma"][i],
                        "mu_star_conf": res["mu_star_conf"][i],
                    }
                )
        else:
            res = sobol_analyze.analyze(
                problem, y, calc_second_order=False, conf_level=0.95, num_resamples=1000, seed=design_seed
            )
            for i, n in enumerate(names):
                rows.append(
                    {
                        "output": output,
                        "parameter": n,
                        "S1": res["S1"][i],
                        "S1_conf": res["S1_conf"][i],
                        "ST": res["ST"][i],
                        "ST_conf": res["ST_conf"][i],
                    }
                )
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        {"method": method, "runs": len(points) * reps, "points": len(points), "policy": policy}
    )
    return frame
