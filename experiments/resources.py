"""The resource preflight: what a job will cost, estimated before it starts, and refused if impossible.

One run's cost follows from the scenario's size (:func:`run_cost`)::

    contacts = issues x contacts per issue
    seconds  = START_S + PER_CONTACT_S x contacts + PER_DAY_S x days
               + PER_CUSTOMER_DAY_S x customers x days + PER_CUSTOMER_S x customer rows
    bytes    = BASE_BYTES + PER_CUSTOMER_BYTES x customer rows + PER_DAY_BYTES x days

*issues* are the scenario's rates times what customers hold (portfolio sizes,
product shares and multipliers, shocks averaged over the horizon) times
customer-years; *contacts per issue* is the truncated geometric series of
retries, ``sum_k (retry_p x unresolved)^k`` for ``k < max_attempts``, with
``unresolved = 1 - knowledge^complexity`` of the policy (an issue nobody can
resolve and a customer who never gives up is an endless run, refused as such);
*customer rows* are the initial customers plus every acquisition (each departure
replaced, or the fixed rate). A job of many runs (:func:`estimate`) runs them on
``slots`` workers at once: its wall time is the sum over runs divided by the
slots (plus one run's start-up per worker and the validation of every design
point), its peak memory the main process (base, plus each run's row of the
result table) plus one run's peak per worker.

Calibration (the constants below), measured with :func:`measure` (a run in a
fresh process: the CPU time of ``sim.run``, which is its wall time on an idle
core, and the process's own peak resident set ``VmHWM``) on the project's
2-vCPU virtual machine, Python 3.11, while other jobs shared it: 28 runs of the
utility scenario, both main policies, 2,000 to 100,000 customers for 30 and 300
days at demand x1 and x4, plus a million customers for 30 days and 2,000 for
3,650 days; non-negative least squares on relative error. With the constants
below (and the contact model above, whose redial and intervention terms came
after the fit) the estimates fall within 0.67-1.34 of the measured CPU times
(median 0.94), 0.98-1.01 of the peak memory and 0.98-1.36 of the contacts. A
busy machine stretches wall time past CPU time, so the announced time is that of
an idle core. When the model's speed changes, re-measure with ``python -m
experiments.resources --calibrate`` and replace the constants.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import sim
from sim.erlang import MAX_STAFFED_LOAD_ERLANGS, erlang_c

_REASONS = ("usage", "incident", "life_event", "supplier_induced")

__all__ = [
    "RunCost",
    "Estimate",
    "ResourceError",
    "run_cost",
    "estimate",
    "check",
    "preflight",
    "job_estimate",
    "available_memory_bytes",
    "measure",
    "LONG_SECONDS",
    "MAX_WALL_SECONDS",
]

# -- calibrated constants (see the module docstring) --------------------------------------
START_S = 0.035
PER_CONTACT_S = 19e-6
PER_DAY_S = 0.86e-3
PER_CUSTOMER_DAY_S = 2.5e-8
PER_CUSTOMER_S = 3.4e-6
BASE_BYTES = 144e6  # the interpreter with numpy, pandas, scipy, simpy and the model loaded
PER_CUSTOMER_BYTES = 380.0  # the population's arrays, per customer row
PER_DAY_BYTES = 2.7e3  # daily counters and the timeseries
#: the main process's share of each run: its spec, key, and row of the result table
PARENT_BYTES_PER_RUN = 3e3
#: what a report keeps of each run in the main process: daily series (about 25 numbers a day)
DETAIL_BYTES_PER_DAY = 400.0
#: checking one design point against the schema
VALIDATE_S_PER_POINT = 1e-3
#: a worker process's own start-up (imports), once per worker
WORKER_START_S = 1.5

#: jobs estimated to take longer than this are announced with their estimate
LONG_SECONDS = 60.0
#: jobs estimated to take longer than this are refused (``force`` runs them anyway)
MAX_WALL_SECONDS = 24 * 3600.0
#: memory kept free for everything else when judging whether a job fits
_MEMORY_MARGIN = 0.9


class ResourceError(ValueError):
    """A job that cannot finish on this machine (memory) or within any reasonable time."""


@dataclass(frozen=True)
class RunCost:
    """The estimated cost of one run."""

    seconds: float
    peak_bytes: float
    contacts: float
    customer_rows: float
    days: int
    load_erlangs: float = 0.0  # mean agent work offered per minute: the agents busy at once


@dataclass(frozen=True)
class Estimate:
    """The estimated cost of a job of ``runs`` runs on ``slots`` workers."""

    runs: int
    slots: int
    run_seconds: float  # a typical run
    run_bytes: float  # the largest run's peak
    wall_seconds: float
    peak_bytes: float  # machine-wide (None-like 0 when the runs are on a cluster)
    contacts: float  # per typical run
    local: bool = True
    points: int = 0  # design points, each checked before the first run
    problems: tuple[str, ...] = ()  # why it would have been refused, when run anyway (force)
    load_erlangs: float = 0.0  # the largest run's mean offered load

    @property
    def long(self) -> bool:
        """Worth telling the user before it starts."""
        return self.wall_seconds > LONG_SECONDS or bool(self.problems)

    def describe(self) -> str:
        if self.problems:
            return f"{self.summary()}; over the limits ({'; '.join(self.problems)}), run anyway (--force)"
        return self.summary()

    def summary(self) -> str:
        where = f"on {self.slots} worker{'s' if self.slots != 1 else ''}" if self.local else "on the cluster"
        memory = f"; peak memory about {_bytes(self.peak_bytes)}" if self.local else ""
        per = f"{self.runs:,} run{'s' if self.runs != 1 else ''} of about {_duration(self.run_seconds)}"
        return (
            f"estimate: {per} ({self.contacts:,.0f} contacts each), about {_duration(self.wall_seconds)} "
            f"{where}{memory}"
        )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    if seconds < 730 * 86400:
        return f"{seconds / 86400:,.0f} days"
    return f"{seconds / (365 * 86400):,.3g} years"


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.3g} {unit}"
    return f"{n / 1e3:.0f} kB"


# -- one run -----------------------------------------------------------------------------
def _issues_per_customer_year(scenario: sim.Scenario, policy: str) -> dict[str, float]:
    """Expected issues per customer and year by reason, before retries: rates x holdings x shocks x
    interventions."""
    reasons = scenario.reasons
    days = scenario.horizon.days
    factor = {r: 1.0 for r in _REASONS}
    for s in scenario.timeline.shocks:  # a shock's extra demand, averaged over the horizon
        overlap = max(0, min(days, s.start_day + s.days) - s.start_day)
        factor[s.reason] += (s.multiplier - 1.0) * overlap / days
    for iv in scenario.policies[policy].interventions:  # demand removed, averaged over its ramp
        day = np.arange(days, dtype=float)
        ramp = np.clip((day - iv.start_day + 1) / max(iv.ramp_days, 1), 0.0, 1.0) * (day >= iv.start_day)
        factor[iv.reason] *= 1.0 - iv.reduction * float(ramp.mean())
    per_reason = dict.fromkeys(_REASONS, 0.0)
    for segment in scenario.segments.values():
        size = sum(k * p for k, p in segment.portfolio.items())
        for reason in ("usage", "incident", "supplier_induced"):
            rate = getattr(reasons, reason).rate_per_year * factor[reason]
            mix = sum(
                share * scenario.products[name].rate_multipliers.get(reason, 1.0)
                for name, share in segment.products.items()
                if name in scenario.products
            )
            per_reason[reason] += segment.share * size * rate * mix
        per_reason["life_event"] += segment.share * reasons.life_event.rate_per_year * factor["life_event"]
    return per_reason


def _mean_complexity(scenario: sim.Scenario) -> float:
    shares: dict[str, float] = {}
    for segment in scenario.segments.values():
        for name, share in segment.products.items():
            shares[name] = shares.get(name, 0.0) + segment.share * share
    total = sum(
        s * scenario.products[n].complexity_value() for n, s in shares.items() if n in scenario.products
    )
    return total / max(sum(shares.values()), 1e-12)


def _contacts_per_issue(scenario: sim.Scenario, policy: str) -> float:
    """Contacts an issue takes: a truncated geometric series of unresolved contacts and retries."""
    lever = scenario.policies[policy]
    unresolved = 1.0 - lever.knowledge ** _mean_complexity(scenario)
    again = scenario.response.retry_p * unresolved
    attempts = scenario.response.max_attempts
    if attempts is None:
        if again >= 1.0:
            raise ResourceError(
                f"policy {policy!r}: no issue is ever resolved (knowledge {lever.knowledge:g}) and customers "
                "retry for ever (retry_p 1, max_attempts null): every run would contact without end"
            )
        return 1.0 / (1.0 - again)
    if again >= 1.0:
        return float(attempts)
    return (1.0 - again**attempts) / (1.0 - again)


def _calls_per_call(scenario: sim.Scenario, policy: str, load: float, work_minutes: float) -> float:
    """Phone calls per first call, counting the redials of callers who hang up in the queue.

    A call waits with probability ``p_wait`` (Erlang C for a fixed head count; one minus
    the target under Erlang C staffing), for a mean wait ``W``; a waiting caller hangs up
    with probability ``min(1, W / patience)`` and redials with ``redial_p``. One who
    redials sooner than the queue moves finds it as full as before: about ``W / (patience
    + redial delay)`` further calls, capped by ``max_attempts`` and (for ``redial_p < 1``)
    by the geometric ``1 / (1 - redial_p)``. This is the one setting in which a small
    scenario makes millions of contacts; for the shipped ones it adds 1-10 %.
    """
    lever, response = scenario.policies[policy], scenario.response
    if response.redial_p == 0.0:
        return 1.0
    staffing = lever.staffing
    if staffing.mode == "erlang_c":  # sized to the target: few wait, and not for long
        p_wait = 1.0 - staffing.target_service_level
        wait = staffing.target_seconds / 60.0
    else:
        agents = staffing.agents + (staffing.account_managers if lever.account_managers.segments else 0)
        p_wait = erlang_c(agents, load) if load < agents else 1.0
        wait = work_minutes / (agents - load) if load < agents else math.inf
    patience = [
        (seg.share, seg.patience_minutes)
        for seg in scenario.segments.values()
        if seg.patience_minutes is not None
    ]
    p_hang = sum(share * min(1.0, wait / p) for share, p in patience) if patience else 0.0
    first = p_wait * p_hang * response.redial_p
    attempts = math.inf if response.max_attempts is None else response.max_attempts - 1
    # a caller who redials sooner than the queue moves keeps finding it full: one call per cycle of
    # patience and redial delay, for as long as the wait lasts, until the redials or attempts run out
    cycle = response.redial_delay_minutes + (min(p for _, p in patience) if patience else math.inf)
    per_wait = max(1.0, wait / cycle) if cycle > 0 else math.inf
    geometric = math.inf if response.redial_p >= 1.0 else 1.0 / (1.0 - response.redial_p)
    more = min(attempts, geometric, per_wait)
    if first > 0 and math.isinf(more):
        raise ResourceError(
            f"policy {policy!r}: callers who hang up redial for ever (redial_p 1, max_attempts null, a queue "
            "that never empties): every run would call without end"
        )
    return 1.0 + first * more


def _customer_rows(scenario: sim.Scenario) -> tuple[float, float]:
    """(mean active customers, customer rows ever created) over the horizon."""
    pop = scenario.population
    days = scenario.horizon.days
    years = days / 365.0
    n = float(pop.initial_customers)
    if pop.acquisition == "fixed_rate":
        added = pop.acquisition_per_year * years
        return n + added / 2, n + added
    if pop.acquisition == "none" or not scenario.churn.enabled:
        return n, n
    churn = scenario.churn
    size = sum(seg.share * sum(k * p for k, p in seg.portfolio.items()) for seg in scenario.segments.values())
    s0 = sum(seg.share * seg.satisfaction0.mean for seg in scenario.segments.values())
    exponent = min(churn.sensitivity * max(0.0, churn.reference_satisfaction - s0), 50.0)
    hazard = churn.base_per_year * math.exp(exponent) / (1.0 + churn.lock_in * max(0.0, size - 1.0))
    daily = -math.expm1(-hazard / 365.0)  # each departure is replaced the next day
    return n, n + n * daily * days


def run_cost(scenario: sim.Scenario, policy: str | None = None) -> RunCost:
    """The estimated wall time and peak memory of one run of ``scenario`` under ``policy``."""
    policy = policy or scenario.default_policy
    days = scenario.horizon.days
    mean_customers, rows = _customer_rows(scenario)
    per_reason = _issues_per_customer_year(scenario, policy)
    issues = sum(per_reason.values()) * mean_customers * days / 365.0
    contacts = issues * _contacts_per_issue(scenario, policy)
    handle = sum(n * getattr(scenario.reasons, r).handle_minutes for r, n in per_reason.items())
    work_per_contact = _mean_complexity(scenario) * handle / max(sum(per_reason.values()), 1e-12)
    load = contacts / (days * 1440.0) * work_per_contact
    contacts *= _calls_per_call(scenario, policy, load, work_per_contact)  # redials of those who hang up
    seconds = (
        START_S
        + PER_CONTACT_S * contacts
        + PER_DAY_S * days
        + PER_CUSTOMER_DAY_S * mean_customers * days
        + PER_CUSTOMER_S * rows
    )
    peak = BASE_BYTES + PER_CUSTOMER_BYTES * rows + PER_DAY_BYTES * days
    return RunCost(seconds, peak, contacts, rows, days, load)


# -- a job of many runs --------------------------------------------------------------------
def estimate(
    costs: Iterable[RunCost],
    runs: int,
    *,
    workers: int | None = None,
    local: bool = True,
    points: int = 0,
    parent_bytes_per_run: float = PARENT_BYTES_PER_RUN,
) -> Estimate:
    """The cost of ``runs`` runs whose typical costs are ``costs`` (the mean time, the largest memory).

    ``workers`` is the number of processes asked for (None: one per core);
    runs never use more workers than there are runs. ``points`` design points
    are each checked before the first run.
    """
    from .executors import default_workers

    costs = list(costs)
    if not costs:
        raise ValueError("estimate needs the cost of at least one run")
    runs = max(int(runs), 0)
    asked = default_workers() if workers is None else max(1, int(workers))
    slots = max(1, min(asked, runs))
    run_seconds = sum(c.seconds for c in costs) / len(costs)
    run_bytes = max(c.peak_bytes for c in costs)
    contacts = sum(c.contacts for c in costs) / len(costs)
    load = max(c.load_erlangs for c in costs)
    start = WORKER_START_S if slots > 1 else 0.0
    wall = start + runs * run_seconds / slots + points * VALIDATE_S_PER_POINT
    parent = BASE_BYTES + runs * parent_bytes_per_run
    peak = (parent + slots * run_bytes) if slots > 1 else max(parent, BASE_BYTES) + run_bytes - BASE_BYTES
    return Estimate(
        runs, slots, run_seconds, run_bytes, wall, peak if local else 0.0, contacts, local, points, (), load
    )


def available_memory_bytes() -> float:
    """Memory this machine can give a new job now (MemAvailable), else its physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def check(
    job: Estimate, *, force: bool = False, on_estimate: Callable[[Estimate], None] | None = None
) -> Estimate:
    """Refuse a job that cannot fit this machine's memory or takes absurdly long, unless ``force``.

    ``on_estimate`` hears the estimate of every job that goes ahead (``Estimate.long`` says whether it
    is worth telling: long, or over a limit and run anyway with ``force``).
    """
    if job.load_erlangs > MAX_STAFFED_LOAD_ERLANGS:  # the model would refuse it mid-run: no force helps
        raise ResourceError(
            f"refused before starting: its demand offers about {job.load_erlangs:.3g} Erlangs of work "
            f"(agents busy at once); no contact centre staffs more than {MAX_STAFFED_LOAD_ERLANGS:.0e}. "
            "Lower the rates, handle times or customers"
        )
    problems = []
    memory = available_memory_bytes()
    if job.local and job.peak_bytes > _MEMORY_MARGIN * memory:
        problems.append(
            f"it needs about {_bytes(job.peak_bytes)} of memory and this machine has {_bytes(memory)} free"
        )
    if job.wall_seconds > MAX_WALL_SECONDS:
        problems.append(
            f"it would take about {_duration(job.wall_seconds)} (the limit is {_duration(MAX_WALL_SECONDS)})"
        )
    if problems and not force:
        raise ResourceError(
            f"refused before starting: {'; '.join(problems)}. {job.describe()}. Make it smaller "
            "(fewer customers, days, runs or workers), or give --force to run it anyway"
        )
    job = dataclasses.replace(job, problems=tuple(problems))
    if on_estimate is not None:
        on_estimate(job)
    return job


def preflight(
    scenario: sim.Scenario,
    policies: Sequence[str],
    runs: int,
    *,
    force: bool = False,
    on_estimate: Callable[[Estimate], None] | None = None,
    **job: Any,
) -> Estimate:
    """Estimate a job of ``runs`` runs (:func:`job_estimate`, which takes the other keywords) and
    :func:`check` it."""
    return check(job_estimate(scenario, policies, runs, **job), force=force, on_estimate=on_estimate)


def job_estimate(
    scenario: sim.Scenario,
    policies: Sequence[str],
    runs: int,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    scenarios: Sequence[sim.Scenario] = (),
    points: int = 0,
    parent_bytes_per_run: float = PARENT_BYTES_PER_RUN,
) -> Estimate:
    """The estimate of ``runs`` runs spread over ``policies`` (and the given sample of ``scenarios``)."""
    from .executors import scheduler_address

    sample = list(scenarios) or [scenario]
    costs = [run_cost(s, p) for s in sample for p in policies]
    local = scheduler_address(scheduler) is None
    return estimate(
        costs, runs, workers=workers, local=local, points=points, parent_bytes_per_run=parent_bytes_per_run
    )


# -- measuring, for the calibration and its test ---------------------------------------------
_CHILD = r"""
import json, sys, time
import sim
scenario = sim.Scenario.from_dict(json.loads(sys.stdin.read()))
t0, c0 = time.perf_counter(), time.process_time()
result = sim.run(scenario, sys.argv[1], seed=int(sys.argv[2]))
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": peak,
                  "contacts": result.summary["contacts_total"]}))
"""


def measure(scenario: sim.Scenario, policy: str | None = None, seed: int = 1) -> dict[str, float]:
    """Run once in a fresh process: its wall and CPU time, its own peak resident memory, its contacts.

    The model runs on one core, so its CPU time is its wall time on an idle core;
    unlike the wall time it does not depend on what else the machine is doing.
    Linux only (the peak is the process's ``VmHWM``).
    """
    policy = policy or scenario.default_policy
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, policy, str(seed)],
        input=json.dumps(scenario.model_dump(mode="json")),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _calibrate() -> None:
    """Measure a grid of sizes (CPU time: wall time on an idle core) and print least-squares constants."""
    from scipy.optimize import nnls

    from experiments.arguments import PROJECT_ROOT

    base = sim.load_scenario(PROJECT_ROOT / "scenarios" / "utility_callcentre.toml")
    rates = {
        r: getattr(base.reasons, r).rate_per_year
        for r in ("usage", "incident", "life_event", "supplier_induced")
    }
    sizes = [(c, d, f) for c in (2000, 20_000, 100_000) for d in (30, 300) for f in (1, 4)]
    sizes += [(1_000_000, 30, 1), (2000, 3650, 1)]
    rows = []
    for customers, days, demand in sizes:
        for policy in ("efficiency", "effectiveness"):
            changes = {
                "population.initial_customers": customers,
                "horizon.days": days,
                "horizon.warmup_days": days // 5,
            }
            changes.update({f"reasons.{r}.rate_per_year": v * demand for r, v in rates.items()})
            sc = base.override(changes)
            got, cost = measure(sc, policy), run_cost(sc, policy)
            rows.append((cost, got))
            print(
                f"{customers:>9} {days:>5} x{demand} {policy:<13} {got['cpu_seconds']:7.2f} s CPU "
                f"({got['seconds']:7.2f} s wall; est. {cost.seconds:7.2f}) {got['peak_bytes'] / 1e6:6.0f} MB "
                f"(est. {cost.peak_bytes / 1e6:6.0f}); contacts {got['contacts']:,.0f} "
                f"(est. {cost.contacts:,.0f})",
                flush=True,
            )
    t = np.array([g["cpu_seconds"] for _, g in rows])
    x = np.array([[1, c.contacts, c.days, c.customer_rows * c.days, c.customer_rows] for c, _ in rows])
    print(
        "START_S, PER_CONTACT_S, PER_DAY_S, PER_CUSTOMER_DAY_S, PER_CUSTOMER_S =",
        nnls(x / t[:, None], np.ones(len(t)))[0],
    )
    m = np.array([g["peak_bytes"] for _, g in rows])
    xm = np.array([[1, c.customer_rows, c.days] for c, _ in rows])
    print("BASE_BYTES, PER_CUSTOMER_BYTES, PER_DAY_BYTES =", nnls(xm / m[:, None], np.ones(len(m)))[0])


if __name__ == "__main__":
    if "--calibrate" in sys.argv:
        _calibrate()
    else:
        print(__doc__)
