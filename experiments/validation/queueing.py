"""Cases against queueing theory, on the degenerate ``sim.validation.mmc_scenario``.

Every case runs the real model (the same desk, pool, demand and metrics code as
any scenario), stripped to one pool with Poisson arrivals and exponential
handling, and reads its daily timeseries after a one-day warm-up: each day is a
batch for the batch-means standard errors (see :mod:`.checks`).

Definitions, the same in theory and simulation: P(wait) = share of offered calls
that find every agent busy (they wait, or hang up while waiting); ASA = mean
wait of answered calls; service level = calls answered within the target / all
offered calls (abandoned calls count in the denominator only); occupancy =
agent-minutes of work / agent-minutes staffed; L_q = time-average number of
callers waiting.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq

import sim
from sim.erlang import QueueMetrics, erlang_a, gmr_erlang_a, mmc_metrics
from sim.units import MINUTES_PER_DAY, MINUTES_PER_YEAR
from sim.validation import mmc_scenario

from ..runs import replication_seed
from .checks import Check, Estimate, batch_mean, batch_ratio, equal

__all__ = [
    "erlang_c_case",
    "erlang_a_case",
    "repeat_identity_case",
    "redial_case",
    "little_case",
    "poisson_case",
    "ERLANG_C_LOADS",
]

#: (label, arrival rate per min, mean handling min, agents, days): light, rho 0.8, rho 0.95,
#: few and many agents,
#: and the classic staffing example (100 calls per 30 minutes, 3 minutes, 14 agents)
ERLANG_C_LOADS = (
    ("light: rho 0.5, 2 agents", 0.5, 2.0, 2, 30),
    ("rho 0.8, 5 agents", 2.0, 2.0, 5, 30),
    ("rho 0.8, 50 agents", 20.0, 2.0, 50, 20),
    ("rho 0.95, 20 agents", 9.5, 2.0, 20, 30),
    ("classic: 100 calls/30 min, 3 min, 14 agents", 100.0 / 30.0, 3.0, 14, 30),
)


def _window(result: sim.Result) -> pd.DataFrame:
    ts = result.timeseries
    return ts[~ts.warmup]


def _queue_checks(case: str, ts: pd.DataFrame, theory: QueueMetrics, target_s: float) -> list[Check]:
    offered = ts.calls_offered.to_numpy(float)
    answered = ts.calls_answered.to_numpy(float)
    waited = (ts.calls_waited + ts.calls_abandoned).to_numpy(float)
    checks = [
        equal(case, "P(wait)", theory.p_wait, batch_ratio(waited, offered)),
        equal(
            case,
            "ASA (s)",
            theory.asa_seconds,
            batch_ratio(60.0 * ts.wait_minutes_answered.to_numpy(), answered),
        ),
        equal(
            case,
            f"service level ({target_s:g} s)",
            theory.service_level,
            batch_ratio(ts.calls_within_target.to_numpy(float), offered),
        ),
        equal(
            case,
            "occupancy",
            theory.occupancy,
            batch_ratio(ts.busy_minutes_front.to_numpy(), ts.staffed_minutes_front.to_numpy()),
        ),
        equal(
            case, "L_q (time average)", theory.mean_queue_length, batch_mean(ts.queue_length_mean.to_numpy())
        ),
    ]
    if theory.p_abandon > 0:
        checks.append(
            equal(
                case, "P(abandon)", theory.p_abandon, batch_ratio(ts.calls_abandoned.to_numpy(float), offered)
            )
        )
    return checks


def erlang_c_case(seed: int) -> list[Check]:
    """M/M/c at several loads against the exact Erlang C formulas."""
    checks: list[Check] = []
    for i, (label, lam, h, c, days) in enumerate(ERLANG_C_LOADS):
        scenario = mmc_scenario(lam, h, c, days=days + 1, warmup_days=1)
        result = sim.run(scenario, seed=replication_seed(seed, i))
        theory = mmc_metrics(lam, h, c, target_seconds=20.0)
        checks += _queue_checks(f"Erlang C: {label}", _window(result), theory, 20.0)
    return checks


def erlang_a_case(seed: int) -> list[Check]:
    """M/M/c+M (exponential patience) against the exact birth-death solution; GMR alongside."""
    lam, h, c, patience = 100.0 / 30.0, 3.0, 13, 5.0
    scenario = mmc_scenario(lam, h, c, patience_min=patience, days=41, warmup_days=1)
    ts = _window(sim.run(scenario, seed=seed))
    theory = erlang_a(lam, h, c, patience, target_seconds=20.0)
    gmr_wait, gmr_abandon = gmr_erlang_a(lam, h, c, patience)
    case = "Erlang A: classic with 13 agents, 5-min patience"
    checks = _queue_checks(case, ts, theory, 20.0)
    note = f"GMR approximation: P(wait) {gmr_wait:.4f}, P(abandon) {gmr_abandon:.4f}"
    return [replace(ch, note=note) if ch.quantity in ("P(wait)", "P(abandon)") else ch for ch in checks]


def repeat_identity_case(seed: int) -> list[Check]:
    """Every unresolved caller comes straight back: 1/p contacts per issue, Erlang C at load lambda/(p mu)."""
    lam, h, c, p = 2.0, 2.0, 10, 0.6
    scenario = mmc_scenario(lam, h, c, resolution_p=p, days=31, warmup_days=1)
    ts = _window(sim.run(scenario, seed=seed))
    case = f"Repeat identity: p = {p}, fresh load {lam * h:g} Erlang, {c} agents"
    checks = [
        equal(
            case,
            "contacts per issue = 1/p",
            1.0 / p,
            batch_ratio(ts.contacts.to_numpy(float), ts.issues.to_numpy(float)),
        ),
        equal(
            case,
            "offered calls per min = lambda/p",
            lam / p,
            batch_mean(ts.calls_offered.to_numpy(float) / MINUTES_PER_DAY),
        ),
    ]
    theory = mmc_metrics(lam / p, h, c, target_seconds=20.0)
    return checks + [
        ch for ch in _queue_checks(case, ts, theory, 20.0) if ch.quantity != "L_q (time average)"
    ]


def redial_fixed_point(
    lam: float, h: float, c: int, patience: float, redial_p: float, reconnect_p: float
) -> tuple[float, float]:
    """Total call rate Lambda = lam + psi Lambda P_ab(Lambda) + r Lambda (1 - P_ab(Lambda)), and P_ab there.

    P_ab is the exact Erlang A abandonment probability at the total rate, as if
    the superposed stream were Poisson (the approximation of Ding, Remerova,
    van der Mei & Zwart).
    """

    def gap(total: float) -> float:
        p_ab = erlang_a(total, h, c, patience).p_abandon
        return lam + redial_p * total * p_ab + reconnect_p * total * (1.0 - p_ab) - total

    hi = lam / (1.0 - max(redial_p, reconnect_p)) * 1.01
    total = brentq(gap, lam, hi, xtol=1e-12)
    return total, erlang_a(total, h, c, patience).p_abandon


def redial_case(seed: int) -> list[Check]:
    """Abandoners redial (psi), answered-but-unresolved callers reconnect (r): the fixed point."""
    lam, h, c, patience = 3.0, 3.0, 10, 2.0
    psi, reconnect = 0.6, 0.2
    scenario = mmc_scenario(
        lam,
        h,
        c,
        patience_min=patience,
        resolution_p=1.0 - reconnect,
        days=31,
        warmup_days=1,
        redial_p=psi,
        redial_delay_min=10.0,
        repeat_delay_min=60.0,
    )
    ts = _window(sim.run(scenario, seed=seed))
    total, p_ab = redial_fixed_point(lam, h, c, patience, psi, reconnect)
    case = f"Redials and reconnects: psi = {psi}, r = {reconnect}, {c} agents, 2-min patience"
    note = "fixed point with Poisson-approximated retrials: model allowance 3 % of the theory value"
    offered = ts.calls_offered.to_numpy(float)
    return [
        equal(
            case,
            "total calls per min Lambda",
            total,
            batch_mean(offered / MINUTES_PER_DAY),
            note,
            allowance=0.03 * total,
        ),
        equal(
            case,
            "P(abandon) at Lambda",
            p_ab,
            batch_ratio(ts.calls_abandoned.to_numpy(float), offered),
            note,
            allowance=0.03 * p_ab,
        ),
    ]


def little_case(seed: int) -> list[Check]:
    """L = lambda W for the queue and the whole system, at heavy load with abandonment.

    L_q is the pool's time integral of callers waiting; lambda W_q comes from
    each caller's own wait (answered or abandoned) in the contact log; the
    system adds the time integral of busy agents against each contact's sojourn.
    Days are the batches; each compares two different bookkeepings of the same run.
    """
    lam, h, c, patience = 20.0, 1.0, 20, 2.0
    scenario = mmc_scenario(lam, h, c, patience_min=patience, days=11, warmup_days=1)
    result = sim.run(scenario, seed=seed, record_contacts=True)
    ts = _window(result)
    log = result.contacts
    calls = log[log.channel == "phone"]
    day = (calls.arrival // MINUTES_PER_DAY).astype(int)
    keep = day >= scenario.horizon.warmup_days
    waited = calls.wait_minutes.fillna(0.0)  # self-service rows have no wait
    sojourn = calls.end - calls.arrival
    days = ts.day.to_numpy()
    lam_wq = waited[keep].groupby(day[keep]).sum().reindex(days, fill_value=0.0).to_numpy() / MINUTES_PER_DAY
    lam_w = sojourn[keep].groupby(day[keep]).sum().reindex(days, fill_value=0.0).to_numpy() / MINUTES_PER_DAY
    lq = ts.queue_length_mean.to_numpy()
    l_sys = lq + ts.busy_minutes_front.to_numpy() / MINUTES_PER_DAY
    case = f"Little's law: lambda {lam:g}/min, {c} agents, 2-min patience"
    return [
        equal(case, "L_q - lambda W_q (queue)", 0.0, batch_mean(lq - lam_wq), f"L_q = {lq.mean():.4f}"),
        equal(case, "L - lambda W (system)", 0.0, batch_mean(l_sys - lam_w), f"L = {l_sys.mean():.4f}"),
        equal(case, "L_q against Erlang A", erlang_a(lam, h, c, patience).mean_queue_length, batch_mean(lq)),
    ]


def poisson_case(seed: int) -> list[Check]:
    """Contacts per reason match rate x customers x time, with Poisson dispersion."""
    customers, days = 1000, 366
    per_min = {"usage": 0.05, "incident": 0.03, "life_event": 0.02, "supplier_induced": 0.04}
    changes = {f"reasons.{r}.rate_per_year": v * MINUTES_PER_YEAR / customers for r, v in per_min.items()}
    scenario = mmc_scenario(sum(per_min.values()), 1.0, 30, days=days, customers=customers).override(changes)
    ts = _window(sim.run(scenario, seed=seed))
    checks = []
    for reason, rate in per_min.items():
        counts = ts[f"contacts_{reason}"].to_numpy(float)
        expected = rate * MINUTES_PER_DAY
        case = f"Poisson counts: {reason}"
        checks.append(equal(case, "contacts per day", expected, batch_mean(counts)))
        dispersion = counts.var(ddof=1) / counts.mean()
        se = float(np.sqrt(2.0 / (counts.size - 1)))
        checks.append(
            equal(case, "variance / mean (1 for Poisson)", 1.0, Estimate(float(dispersion), se, counts.size))
        )
    return checks
