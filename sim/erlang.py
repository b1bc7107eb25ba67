"""Exact queueing formulas for staffing and for theory in validation tests.

Models (Poisson arrivals, exponential handling, FCFS, ``agents`` parallel servers):

* Erlang B -- M/M/c/c loss system (blocking probability).
* Erlang C -- M/M/c delay system (infinitely patient callers).
* Erlang A -- M/M/c+M, callers abandon after an exponential patience; solved
  *exactly* from its birth-death chain (no asymptotics), plus the
  Garnett-Mandelbaum-Reiman QED approximation for comparison.

Units: rates are per minute, durations in minutes, except names ending in
``_seconds``. Offered load ``a = arrival_rate_per_min * mean_handle_min`` in
Erlangs. Everything is computed by recursion or in log space, so it is stable
for thousands of agents (no factorials of large numbers). Invalid input raises
``ValueError``.

Service-level convention (all models): ``service_level`` = P(call is answered
within ``target_seconds``) over ALL offered calls; calls that abandon (at any
time) count in the denominator only. ``asa_seconds`` is the mean wait of
answered calls (including those answered at once).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, gammaln, log_ndtr, logsumexp

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)

__all__ = [
    "MAX_STAFFED_LOAD_ERLANGS",
    "QueueMetrics",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "gmr_erlang_a",
    "mmc_metrics",
]

_TAIL_TOL = 1e-15  # relative mass neglected when truncating the Erlang A queue (< 1e-12)
_MAX_QUEUE_STATES = 2_000_000  # refuse (rather than exhaust memory) beyond this truncation
#: staffing refuses loads above this: a million agents busy at once is no contact centre, and sizing
#: it steps the Erlang B recursion once per agent (a load of 1e12 Erlangs never finishes)
MAX_STAFFED_LOAD_ERLANGS = 1e6


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of a call queue.

    Attributes:
        p_wait: probability an arrival finds all agents busy (has to queue).
        p_abandon: probability an arrival abandons before service (0 for M/M/c).
        asa_seconds: mean wait of answered calls, seconds (``inf`` if unstable).
        service_level: P(answered within target_seconds) / offered calls.
        occupancy: mean number of busy agents / agents, in [0, 1].
        mean_queue_length: mean number of callers waiting (not in service).
    """

    p_wait: float
    p_abandon: float
    asa_seconds: float
    service_level: float
    occupancy: float
    mean_queue_length: float


# --------------------------------------------------------------------------- validation


def _agents(value: object, name: str = "agents") -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    try:
        c = operator.index(value)  # accepts int and numpy integers, rejects floats
    except TypeError:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}") from None
    if c < 1:
        raise ValueError(f"{name} must be >= 1, got {c}")
    return c


def _number(name: str, value: object, *, positive: bool = False) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return x


def _patience_rate(mean_patience_min: float | None) -> float:
    """Abandonment rate theta per minute; 0.0 means infinitely patient."""
    if mean_patience_min is None:
        return 0.0
    try:
        x = float(mean_patience_min)
    except (TypeError, ValueError):
        raise ValueError(f"mean_patience_min must be a number, got {mean_patience_min!r}") from None
    if x == math.inf:
        return 0.0
    return 1.0 / _number("mean_patience_min", x, positive=True)


# --------------------------------------------------------------------------- Erlang B / C


def erlang_b(agents: int, load_erlangs: float) -> float:
    """Blocking probability of M/M/c/c with ``agents`` servers and load in Erlangs.

    Uses the stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1.
    """
    c = _agents(agents)
    a = _number("load_erlangs", load_erlangs)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def _c_from_b(c: int, a: float, b: float) -> float:
    return c * b / (c - a * (1.0 - b))


def erlang_c(agents: int, load_erlangs: float) -> float:
    """Probability an arrival waits in M/M/c (load in Erlangs); 1.0 if load >= agents."""
    c = _agents(agents)
    a = _number("load_erlangs", load_erlangs)
    if a >= c:
        return 1.0
    return _c_from_b(c, a, erlang_b(c, a))


def _mmc_service_level(c: int, a: float, p_wait: float, t_min: float, h: float) -> float:
    # P(W <= t) = 1 - C exp(-(c mu - lambda) t), with c mu - lambda = (c - a) / h.
    return 1.0 - p_wait * math.exp(-(c - a) * t_min / h)


def mmc_metrics(
    arrival_rate_per_min: float,
    mean_handle_min: float,
    agents: int,
    target_seconds: float = 20.0,
) -> QueueMetrics:
    """Erlang C (M/M/c) metrics; unstable systems (load >= agents) give infinite waits."""
    lam = _number("arrival_rate_per_min", arrival_rate_per_min)
    h = _number("mean_handle_min", mean_handle_min, positive=True)
    c = _agents(agents)
    t_min = _number("target_seconds", target_seconds) / 60.0
    a = lam * h
    if a >= c:
        return QueueMetrics(1.0, 0.0, math.inf, 0.0, 1.0, math.inf)
    p_wait = _c_from_b(c, a, erlang_b(c, a))
    return QueueMetrics(
        p_wait=p_wait,
        p_abandon=0.0,
        asa_seconds=60.0 * p_wait * h / (c - a),
        service_level=_mmc_service_level(c, a, p_wait, t_min, h),
        occupancy=a / c,
        mean_queue_length=p_wait * a / (c - a),
    )


def agents_for_service_level(
    arrival_rate_per_min: float,
    mean_handle_min: float,
    target_service_level: float,
    target_seconds: float,
    min_agents: int = 1,
) -> int:
    """Smallest c >= min_agents with c > load and Erlang C service level >= target.

    ``target_service_level`` is a fraction in [0, 1); zero arrivals return ``min_agents``.
    """
    lam = _number("arrival_rate_per_min", arrival_rate_per_min)
    h = _number("mean_handle_min", mean_handle_min, positive=True)
    target = _number("target_service_level", target_service_level)
    if target >= 1.0:
        raise ValueError(f"target_service_level must be < 1 (unreachable), got {target!r}")
    t_min = _number("target_seconds", target_seconds) / 60.0
    c = _agents(min_agents, "min_agents")
    if lam == 0.0:
        return c
    a = lam * h
    if a > MAX_STAFFED_LOAD_ERLANGS:
        raise ValueError(
            f"offered load {a:.3g} Erlangs ({lam:.3g} calls a minute x {h:.3g} minutes) would need more than "
            f"{MAX_STAFFED_LOAD_ERLANGS:.0e} agents; the demand or the handle time is absurd"
        )
    c = max(c, math.floor(a) + 1)
    b = erlang_b(c, a)  # then step the recursion forward: O(final c) overall
    while _mmc_service_level(c, a, _c_from_b(c, a, b), t_min, h) < target:
        c += 1
        b = a * b / (c + a * b)
    return c


# --------------------------------------------------------------------------- Erlang A


def _queue_log_weights(lam: float, c_mu: float, theta: float, log_pi_c: float) -> np.ndarray:
    """Unnormalised log pi_{c+j}, j = 1..J, with J chosen so the tail is negligible."""
    peak = max(0.0, (lam - c_mu) / theta)  # ratios lam / (c mu + j theta) < 1 beyond it
    n_states = int(math.ceil(peak)) + 64
    while True:
        if n_states > _MAX_QUEUE_STATES:
            raise ValueError(
                "Erlang A queue truncation needs more than "
                f"{_MAX_QUEUE_STATES} states; patience is too long for this load "
                "(use mean_patience_min=None for Erlang C)"
            )
        j = np.arange(1, n_states + 1, dtype=float)
        logw = log_pi_c + np.cumsum(math.log(lam) - np.log(c_mu + j * theta))
        log_r = math.log(lam) - math.log(c_mu + (n_states + 1) * theta)
        # Ratios keep decreasing, so the neglected tail is <= last * r / (1 - r).
        head = np.logaddexp(log_pi_c, logw.max())
        if log_r < 0.0 and logw[-1] + log_r - math.log1p(-math.exp(log_r)) < head + math.log(_TAIL_TOL):
            return logw
        n_states *= 2


def erlang_a(
    arrival_rate_per_min: float,
    mean_handle_min: float,
    agents: int,
    mean_patience_min: float | None,
    target_seconds: float = 20.0,
) -> QueueMetrics:
    """Exact M/M/c+M (Erlang A) metrics; patience None or inf delegates to Erlang C.

    Stationary law of the birth-death chain (birth lam, death min(n,c) mu +
    max(n-c,0) theta), in log space, truncated where the tail is < 1e-15.
    ``p_wait`` = P(all agents busy) seen by arrivals (PASTA); ``p_abandon`` =
    theta E[Q] / lam. A caller finding j waiting passes stages i = j..0, each
    Exp(c mu + (i+1) theta), advancing w.p. (c mu + i theta)/(c mu + (i+1) theta),
    so P(served | j) = c mu / (c mu + (j+1) theta) and E[wait | served, j] =
    sum_{i=0..j} 1/(c mu + (i+1) theta). ``service_level`` = P(answered within
    target) / offered. Stage times are independent of the stage outcomes
    (competing exponentials), so P(served by t | j) = P(served | j) F_j(t), where
    F_j is the CDF of sum_{k=1..j+1} Exp(c mu + k theta); its density is
    proportional to exp(-(c mu + theta) s) (1 - exp(-theta s))^j, which gives the
    exact closed form F_j(t) = I_x(j + 1, c mu / theta + 1), x = 1 - exp(-theta t)
    (regularized incomplete beta). It equals the absorption probability of the
    stage chain's generator (the tests check it against expm and uniformization).
    """
    theta = _patience_rate(mean_patience_min)
    if theta == 0.0:
        return mmc_metrics(arrival_rate_per_min, mean_handle_min, agents, target_seconds)
    lam = _number("arrival_rate_per_min", arrival_rate_per_min)
    h = _number("mean_handle_min", mean_handle_min, positive=True)
    c = _agents(agents)
    t_min = _number("target_seconds", target_seconds) / 60.0
    if lam == 0.0:
        return QueueMetrics(0.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    mu = 1.0 / h
    c_mu = c * mu
    n = np.arange(c + 1, dtype=float)
    log_busy = n * (math.log(lam) + math.log(h)) - gammaln(n + 1.0)  # states 0..c: Poisson
    log_queue = _queue_log_weights(lam, c_mu, theta, float(log_busy[-1]))
    log_all = np.concatenate([log_busy, log_queue])
    p = np.exp(log_all - logsumexp(log_all))

    p_arrive = p[c:]  # arrival finds j = 0..J callers waiting, all agents busy
    j = np.arange(p_arrive.size, dtype=float)
    p_wait = float(p_arrive.sum())
    mean_queue = float(np.dot(j, p_arrive))
    busy = float(np.dot(n, p[: c + 1])) + c * float(p[c + 1 :].sum())

    stage_rate = c_mu + (j + 1.0) * theta  # rate of stage with j ahead
    p_served_j = c_mu / stage_rate
    mean_wait_j = np.cumsum(1.0 / stage_rate)
    p_answered = (1.0 - p_wait) + float(np.dot(p_arrive, p_served_j))
    asa_min = float(np.dot(p_arrive, p_served_j * mean_wait_j)) / p_answered

    x = -math.expm1(-theta * t_min)
    waited_done_by_t = betainc(j + 1.0, c_mu / theta + 1.0, x)
    served_by_t = float(np.dot(p_arrive * p_served_j, waited_done_by_t))

    def clip(v: float) -> float:
        return min(1.0, max(0.0, v))

    return QueueMetrics(
        p_wait=clip(p_wait),
        p_abandon=clip(theta * mean_queue / lam),
        asa_seconds=60.0 * asa_min,
        service_level=clip((1.0 - p_wait) + served_by_t),
        occupancy=clip(busy / c),
        mean_queue_length=mean_queue,
    )


def _normal_hazard(x: float) -> float:
    """Hazard rate phi(x) / (1 - Phi(x)) of the standard normal, in log space."""
    # log phi(x) - log(1 - Phi(x)), in log space so it stays finite far in the tail
    return math.exp(-0.5 * x * x - _LOG_SQRT_2PI - float(log_ndtr(-x)))


def gmr_erlang_a(
    arrival_rate_per_min: float,
    mean_handle_min: float,
    agents: int,
    mean_patience_min: float | None,
) -> tuple[float, float]:
    """QED (Halfin-Whitt) approximation of (P(wait), P(abandon)) for M/M/c+M.

    Garnett, Mandelbaum & Reiman (2002), "Designing a call center with
    impatient customers", Manufacturing & Service Operations Management
    4(3):208-227. With R = lam/mu, beta = (c - R)/sqrt(R), beta_hat =
    beta sqrt(mu/theta) and h(x) = phi(x)/(1 - Phi(x)):

        P(wait)    ~ [1 + sqrt(theta/mu) h(beta_hat) / h(-beta)]^-1
        P(abandon) ~ sqrt(theta/mu) [h(beta_hat) - beta_hat] P(wait) / sqrt(c)

    Infinite patience gives the Halfin-Whitt limit [1 + beta/h(-beta)]^-1
    (1 if beta <= 0) and no abandonment. Accurate for large c near c ~ R; far
    outside that regime P(abandon | wait) is capped at 1.
    """
    theta = _patience_rate(mean_patience_min)
    lam = _number("arrival_rate_per_min", arrival_rate_per_min)
    h = _number("mean_handle_min", mean_handle_min, positive=True)
    c = _agents(agents)
    if lam == 0.0:
        return 0.0, 0.0
    mu = 1.0 / h
    load = lam / mu
    beta = (c - load) / math.sqrt(load)
    if theta == 0.0:
        return (1.0 / (1.0 + beta / _normal_hazard(-beta)) if beta > 0 else 1.0), 0.0
    ratio = math.sqrt(theta / mu)
    beta_hat = beta / ratio
    hz_hat = _normal_hazard(beta_hat)
    p_wait = 1.0 / (1.0 + ratio * hz_hat / _normal_hazard(-beta))
    p_ab_given_wait = ratio * (hz_hat - beta_hat) / math.sqrt(c)  # can exceed 1 if c tiny
    return p_wait, p_wait * min(1.0, max(0.0, p_ab_given_wait))
