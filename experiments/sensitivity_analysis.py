"""Global sensitivity analysis with SALib: which parameters move which outputs, and how sure we are.

The problem is the box of ``ranges``; SALib samples it (Morris trajectories, or
Saltelli's scheme for Sobol indices); every sample point is run with ``reps``
replications on common random numbers (replication r has the same seed at every
point, so the differences between points are not drowned in noise), the
replications are averaged, and SALib turns the averages into indices with 95 %
confidence intervals (bootstrap). Integer-valued parameters are rounded for the
run; the analysis uses the sampled values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim

from . import inputs
from .design import Range, integer_paths, normalize_vary
from .replication import RunFailedError
from .resources import Estimate
from .store import Store
from .sweeps import design_points, price_design, run_points

__all__ = ["sensitivity", "METHODS", "INDICES"]

METHODS = ("morris", "sobol")
#: the index columns each method reports, next to ``output`` and ``parameter``
INDICES = {"morris": ("mu_star", "mu_star_conf", "sigma", "mu"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}


def _problem(ranges: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Range]]:
    factors = normalize_vary(ranges)
    not_ranges = [p for p, r in factors.items() if not isinstance(r, Range)]
    if not factors or not_ranges:
        got = f"a list of values for {', '.join(not_ranges)}" if not_ranges else "no parameter"
        raise inputs.ArgumentError("ranges", f"sensitivity needs (lo, hi) ranges, got {got}")
    flat = [p for p, r in factors.items() if not r.lo < r.hi]
    if flat:
        raise inputs.ArgumentError("ranges", f"every range needs lo < hi; not so for {', '.join(flat)}")
    names = list(factors)
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[factors[n].lo, factors[n].hi] for n in names],
    }
    return problem, factors  # type: ignore[return-value]


def sensitivity(
    scenario: sim.Scenario,
    ranges: Mapping[str, Any],
    *,
    outputs: Sequence[str] | str,
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
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of ``outputs`` (metric names) to the parameters in ``ranges``.

    ``ranges`` maps dotted paths to ``(lo, hi)``. Morris: ``samples``
    trajectories of (k + 1) points on a ``levels``-level grid; reports mu_star
    (mean absolute elementary effect, in the output's units), its 95 %
    interval mu_star_conf, sigma and mu. Sobol: ``samples`` base points
    (a power of two), N (k + 2) points; reports first-order S1 and total ST
    with their 95 % intervals. Returns one row per (output, parameter);
    ``attrs`` holds method, policy, points and runs. The job is priced before
    SALib draws a sample, and refused if it cannot fit this machine (unless ``force``).
    """
    method = inputs.choice(method, METHODS, what="method")
    outputs = inputs.metrics(outputs, what="outputs")
    samples = inputs.count(samples, what="samples", least=2)
    if method == "sobol" and samples & (samples - 1):
        raise inputs.ArgumentError(
            "samples", "sobol needs a power of two base points (Sobol' balance)", samples
        )
    reps = inputs.count(reps, what="reps")
    levels = inputs.count(levels, what="levels", least=2)
    policy = inputs.policy(scenario, policy)
    seed = inputs.seed(seed)
    design_seed = inputs.seed(design_seed, what="design_seed")
    problem, factors = _problem(ranges)
    for name, r in factors.items():  # each end of each range must make a valid scenario
        design_points(scenario, {name: [r.lo, r.hi]})
    k = problem["num_vars"]
    n_points = samples * (k + 1 if method == "morris" else k + 2)
    price_design(
        scenario,
        factors,
        [policy],
        n_points,
        reps,
        workers=workers,
        scheduler=scheduler,
        force=force,
        on_estimate=on_estimate,
    )
    names = problem["names"]
    if method == "morris":
        from SALib.sample import morris as morris_sample

        x = morris_sample.sample(problem, samples, num_levels=levels, seed=design_seed)
    else:
        from SALib.sample import sobol as sobol_sample

        x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=design_seed)
    integer = integer_paths(scenario, names)
    points = [
        {n: (int(round(v)) if n in integer else float(v)) for n, v in zip(names, row, strict=True)}
        for row in x
    ]
    table = run_points(
        scenario,
        points,
        [policy],
        reps=reps,
        store=store,
        seed=seed,
        params=names,
        definition={"sensitivity": method, "ranges": {n: [r.lo, r.hi] for n, r in factors.items()}},
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        force=True,  # priced above, before the sample was drawn
    )
    if table.attrs["failed"]:
        first = table.attrs["failures"][0]
        raise RunFailedError(
            f"{table.attrs['failed']} runs failed, e.g. point {first['point']}: {first['error']}"
        )
    means = table.groupby("point")[outputs].mean().reindex(range(len(points)))
    rows = []
    for output in outputs:
        y = means[output].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise ValueError(
                f"output {output!r} is NaN at {int(np.isnan(y).sum())} of {len(y)} sample points "
                "(e.g. no calls offered); choose another output or other ranges"
            )
        rows += _analyse(method, problem, x, y, output, design_seed)
    frame = pd.DataFrame(rows, columns=["output", "parameter", *INDICES[method]])
    frame.attrs.update(
        {"method": method, "policy": policy, "points": len(points), "runs": len(points) * reps}
    )
    return frame


def _analyse(
    method: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, output: str, seed: int
) -> list[dict[str, Any]]:
    names = problem["names"]
    if method == "morris":
        from SALib.analyze import morris as morris_analyze

        res = morris_analyze.analyze(problem, x, y, conf_level=0.95, num_resamples=1000, seed=seed)
    else:
        from SALib.analyze import sobol as sobol_analyze

        res = sobol_analyze.analyze(
            problem, y, calc_second_order=False, conf_level=0.95, num_resamples=1000, seed=seed
        )
    return [
        {"output": output, "parameter": n, **{c: float(res[c][i]) for c in INDICES[method]}}
        for i, n in enumerate(names)
    ]
