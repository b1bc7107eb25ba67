"""The exact time-varying queue: forward equations of an M(t)/M/c(t)(+M) call centre.

Arrivals are Poisson with a rate that is constant within each interval of the
day, agents change at interval boundaries, handling is exponential and callers
(optionally) abandon after an exponential patience. Service is
**non-preemptive**, as in the simulation: when the head count drops, agents
finish the calls they are on, and nobody is taken from the queue until fewer
agents are busy than are staffed. The state is therefore (callers waiting,
agents busy), not the number in system alone; its Kolmogorov forward equations
are integrated interval by interval with :func:`scipy.integrate.solve_ivp`,
together with the time integrals that give each interval's mean queue length
and the share of arrivals who find every staffed agent busy (PASTA).

The state space is cut at ``queue_cap`` waiting callers, chosen so that the
probability mass there stays negligible (reported as ``tail_mass``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import csr_matrix

__all__ = ["TransientQueue", "mmc_transient"]


@dataclass(frozen=True)
class TransientQueue:
    """Per interval of the last simulated day: the exact expectations of the time-varying queue."""

    #: time-average number of callers waiting in the interval
    mean_queue: np.ndarray
    #: share of the interval's arrivals who find every staffed agent busy (they wait)
    p_wait: np.ndarray
    #: time-average number of busy agents
    mean_busy: np.ndarray
    #: largest probability, over the run, of the state with ``queue_cap`` callers waiting
    tail_mass: float


def _generator(lam: float, mu: float, theta: float, agents: int, q_cap: int, b_cap: int) -> csr_matrix:
    """Transition-rate matrix Q (row: from, column: to) of states index(q, b) = q * (b_cap + 1) + b."""
    rows, cols, vals = [], [], []
    width = b_cap + 1

    def add(q0: int, b0: int, q1: int, b1: int, rate: float) -> None:
        if rate > 0.0:
            rows.append(q0 * width + b0)
            cols.append(q1 * width + b1)
            vals.append(rate)

    for q in range(q_cap + 1):
        for b in range(b_cap + 1):
            if b < agents and q > 0:
                continue  # not reachable: a waiting caller is taken as soon as an agent is free
            if b < agents:
                add(q, b, q, b + 1, lam)  # answered at once
            elif q < q_cap:
                add(q, b, q + 1, b, lam)  # waits (beyond the cap: lost, and the cap is chosen so it is not)
            if b > 0:
                if q > 0 and b <= agents:
                    add(q, b, q - 1, b, b * mu)  # a call ends and the next waiting caller is taken
                else:
                    add(q, b, q, b - 1, b * mu)  # a call ends (and agents above the head count go home)
            if q > 0:
                add(q, b, q - 1, b, q * theta)  # a waiting caller hangs up
    n = (q_cap + 1) * width
    q_matrix = csr_matrix((vals, (rows, cols)), shape=(n, n))
    out = np.asarray(q_matrix.sum(axis=1)).ravel()
    return (q_matrix - csr_matrix((out, (range(n), range(n))), shape=(n, n))).tocsr()


def _staff_up(p: np.ndarray, agents: int, q_of: np.ndarray, b_of: np.ndarray, width: int) -> np.ndarray:
    """New agents at an interval boundary take waiting callers at once (as ``Pool.set_capacity`` does)."""
    moved = (q_of > 0) & (b_of < agents) & (p > 0)
    if not moved.any():
        return p
    out = p.copy()
    for state in np.flatnonzero(moved):
        q, b = int(q_of[state]), int(b_of[state])
        k = min(q, agents - b)
        out[state] -= p[state]
        out[(q - k) * width + b + k] += p[state]
    return out


def mmc_transient(
    rate_per_min: Sequence[float],
    agents: Sequence[int],
    interval_minutes: float,
    mean_handle_min: float,
    patience_min: float | None = None,
    days: int = 3,
    queue_cap: int | None = None,
) -> TransientQueue:
    """Integrate the forward equations from an empty centre over ``days`` identical days.

    ``rate_per_min[i]`` and ``agents[i]`` hold in interval ``i`` of every day
    (the same length). The result describes the last day, by which time the
    start from empty is forgotten when ``days`` is large enough for the
    slowest interval to settle.
    """
    rates = np.asarray(rate_per_min, dtype=float)
    heads = np.asarray(agents, dtype=int)
    if rates.shape != heads.shape or rates.ndim != 1 or not len(rates):
        raise ValueError("rate_per_min and agents must be equally long, one value per interval")
    if (rates < 0).any() or (heads < 0).any() or interval_minutes <= 0 or mean_handle_min <= 0:
        raise ValueError(
            "rates, agents, the interval and the handle time must be >= 0 (and > 0 for the last two)"
        )
    mu = 1.0 / mean_handle_min
    theta = 0.0 if patience_min is None else 1.0 / patience_min
    b_cap = int(heads.max())
    if queue_cap is None:
        peak = float((rates * mean_handle_min).max())
        queue_cap = int(max(60, 6 * peak + 40))
    width = b_cap + 1
    n = (queue_cap + 1) * width
    q_of = np.repeat(np.arange(queue_cap + 1), width)
    b_of = np.tile(np.arange(width), queue_cap + 1)
    generators = {
        (lam, c): _generator(lam, mu, theta, int(c), queue_cap, b_cap)
        for lam, c in set(zip(rates, heads, strict=True))
    }
    p = np.zeros(n)
    p[0] = 1.0
    tail = 0.0
    mean_queue = np.zeros(len(rates))
    p_wait = np.zeros(len(rates))
    mean_busy = np.zeros(len(rates))
    for _day in range(days):
        for i, (lam, c) in enumerate(zip(rates, heads, strict=True)):
            p = _staff_up(p, int(c), q_of, b_of, width)
            qt = generators[(lam, c)].T.tocsr()

            def rhs(_t: float, y: np.ndarray, qt=qt) -> np.ndarray:
                state = y[:n]
                return np.concatenate([qt @ state, state])

            y0 = np.concatenate([p, np.zeros(n)])
            sol = solve_ivp(rhs, (0.0, interval_minutes), y0, method="RK45", rtol=1e-8, atol=1e-11)
            p = np.clip(sol.y[:n, -1], 0.0, None)
            p /= p.sum()
            spent = sol.y[n:, -1] / interval_minutes  # time-average occupation of each state
            mean_queue[i] = float(spent @ q_of)
            mean_busy[i] = float(spent @ b_of)
            p_wait[i] = float(spent[b_of >= c].sum())
            tail = max(tail, float(p[q_of == queue_cap].sum()))
    return TransientQueue(mean_queue, p_wait, mean_busy, tail)
