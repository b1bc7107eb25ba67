"""Tests for sim.erlang: textbook values, exact identities, independent cross-checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, linalg, sparse
from scipy.sparse.linalg import expm_multiply
from scipy.stats import poisson

from sim.erlang import (
    QueueMetrics,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    gmr_erlang_a,
    mmc_metrics,
)

# Classic example: 100 calls per 30 min, 3-minute handling, 20-second target.
LAM = 100 / 30
AHT = 3.0


# --------------------------------------------------------------------------- Erlang B / C


def test_erlang_b_known_value_and_small_cases():
    assert erlang_b(10, 5.0) == pytest.approx(0.0183846, abs=5e-7)
    assert erlang_b(1, 1.0) == pytest.approx(0.5, abs=1e-15)  # a / (1 + a)
    assert erlang_b(2, 2.0) == pytest.approx(2.0 / 5.0, abs=1e-15)  # (a^2/2) / (1 + a + a^2/2)
    assert erlang_b(5, 0.0) == 0.0


@pytest.mark.parametrize(("c", "a"), [(1, 0.3), (10, 5.0), (14, 10.0), (100, 97.5), (2000, 1900.0)])
def test_erlang_b_matches_poisson_log_space_and_c_relation(c, a):
    b = erlang_b(c, a)
    # Independent route: B = P(N = c) / P(N <= c) for N ~ Poisson(a).
    assert b == pytest.approx(math.exp(poisson.logpmf(c, a) - poisson.logcdf(c, a)), rel=1e-9)
    assert erlang_c(c, a) == pytest.approx(c * b / (c - a * (1 - b)), rel=1e-12)
    assert erlang_c(c, a) > b  # waiting is likelier than blocking


def test_erlang_c_overloaded_is_one():
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 25.0) == 1.0
    assert erlang_c(3, 0.0) == 0.0


def test_textbook_mmc_example():
    m = mmc_metrics(LAM, AHT, 14, target_seconds=20.0)
    assert isinstance(m, QueueMetrics)
    assert m.p_wait == pytest.approx(0.1741, abs=5e-4)
    assert m.service_level == pytest.approx(0.8884, abs=5e-4)
    assert m.occupancy == pytest.approx(0.7143, abs=5e-4)
    assert m.p_abandon == 0.0
    a = LAM * AHT
    # Closed form ASA = C * AHT / (c - a), in seconds (~7.84 s for this example).
    assert m.asa_seconds == pytest.approx(60 * m.p_wait * AHT / (14 - a), rel=1e-12)
    assert m.asa_seconds == pytest.approx(7.836, abs=5e-3)
    assert m.mean_queue_length == pytest.approx(LAM * m.asa_seconds / 60, rel=1e-12)  # Little


def test_mmc_unstable_is_infinite():
    m = mmc_metrics(LAM, AHT, 10)
    assert (m.p_wait, m.service_level, m.occupancy) == (1.0, 0.0, 1.0)
    assert math.isinf(m.asa_seconds) and math.isinf(m.mean_queue_length)


def test_agents_for_service_level_textbook():
    assert agents_for_service_level(LAM, AHT, 0.8, 20) == 14
    assert mmc_metrics(LAM, AHT, 13, 20).service_level < 0.8
    assert mmc_metrics(LAM, AHT, 14, 20).service_level >= 0.8
    assert agents_for_service_level(LAM, AHT, 0.8, 20, min_agents=20) == 20
    assert agents_for_service_level(0.0, AHT, 0.8, 20, min_agents=3) == 3
    assert agents_for_service_level(LAM, AHT, 0.0, 20) == 11  # must still exceed the load


# --------------------------------------------------------------------------- Erlang A


def _stationary(lam, mu, c, theta, n_max):
    """Brute-force birth-death stationary law (plain products), for small systems."""
    w = [1.0]
    for n in range(1, n_max + 1):
        w.append(w[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    w = np.array(w)
    return w / w.sum()


def _served_by_t_uniformization(p_arrive, c_mu, theta, t):
    """P(arrival waits and is served by t) via uniformization of the stage chain.

    States: stage i (i callers ahead) for i < m, then 'served' and 'abandoned'.
    """
    m = len(p_arrive)
    q = np.zeros((m + 2, m + 2))
    for i in range(m):
        if i > 0:
            q[i, i - 1] = c_mu + i * theta
        else:
            q[0, m] = c_mu
        q[i, m + 1] = theta
        q[i, i] = -(c_mu + (i + 1) * theta)
    rate = -q.diagonal().min()
    step = np.eye(m + 2) + q / rate
    v = np.concatenate([p_arrive, [0.0, 0.0]])
    total = np.zeros(m + 2)
    k_max = int(rate * t + 12 * math.sqrt(rate * t) + 50)
    for k in range(k_max + 1):
        total += poisson.pmf(k, rate * t) * v
        v = v @ step
    assert total.sum() == pytest.approx(p_arrive.sum(), rel=1e-10)  # mass conserved
    return total[m]


def test_erlang_a_textbook_example():
    m = erlang_a(LAM, AHT, 13, 5.0)
    assert m.p_wait == pytest.approx(0.2258, abs=5e-4)
    assert m.p_abandon == pytest.approx(0.0250, abs=5e-4)


@pytest.mark.parametrize(
    ("lam", "aht", "c", "patience", "target_s"),
    [(LAM, AHT, 13, 5.0, 20.0), (LAM, AHT, 9, 2.0, 45.0), (6.0, 2.0, 10, 1.5, 30.0)],
)
def test_erlang_a_against_independent_computation(lam, aht, c, patience, target_s):
    """Brute-force stationary law + uniformization + stage formulas, all rebuilt here."""
    mu, theta = 1 / aht, 1 / patience
    p = _stationary(lam, mu, c, theta, n_max=c + 600)
    m = erlang_a(lam, aht, c, patience, target_seconds=target_s)
    q = np.arange(len(p)) - c
    mean_queue = float(np.sum(np.clip(q, 0, None) * p))
    p_arrive = p[c:]  # arrivals finding j = 0, 1, ... callers waiting
    j = np.arange(len(p_arrive))
    p_served_j = np.array(
        [math.prod((c * mu + i * theta) / (c * mu + (i + 1) * theta) for i in range(k + 1)) for k in j]
    )
    assert m.p_wait == pytest.approx(p_arrive.sum(), abs=1e-12)
    assert m.mean_queue_length == pytest.approx(mean_queue, rel=1e-10)
    assert m.p_abandon == pytest.approx(theta * mean_queue / lam, rel=1e-10)
    # Abandonment two ways: queue flow (theta E[Q] / lam) and stage products.
    assert m.p_abandon == pytest.approx(float(np.dot(p_arrive, 1 - p_served_j)), rel=1e-9)
    # Flow balance: carried load = lam * (1 - P(ab)) / mu.
    assert m.occupancy == pytest.approx(lam * (1 - m.p_abandon) / (c * mu), rel=1e-10)
    served_t = _served_by_t_uniformization(p_arrive[:300], c * mu, theta, target_s / 60)
    assert m.service_level == pytest.approx(1 - p_arrive.sum() + served_t, abs=1e-10)


@pytest.mark.parametrize(
    ("lam", "aht", "c", "patience"),
    [(LAM, AHT, 13, 5.0), (12.0, 1.0, 10, 0.7), (50.0, 1.0, 48, 3.0)],
)
def test_erlang_a_asa_equals_integrated_service_level_curve(lam, aht, c, patience):
    """E[W | answered] = int_0^inf (P(answered) - P(answered by t)) dt / P(answered)."""
    m = erlang_a(lam, aht, c, patience)
    answered = 1 - m.p_abandon

    def gap(t_s: float) -> float:
        return answered - erlang_a(lam, aht, c, patience, target_seconds=t_s).service_level

    integral, err = integrate.quad(gap, 0, np.inf, epsabs=1e-11, limit=200)
    assert err < 1e-7
    assert m.asa_seconds == pytest.approx(integral / answered, rel=1e-6)
    assert gap(0.0) == pytest.approx(m.p_wait - m.p_abandon, abs=1e-12)


def test_erlang_a_service_level_matches_dense_expm_per_arrival_state():
    """Small case: SL from dense scipy.linalg.expm of the full stage chain."""
    lam, aht, c, patience, t_min = 2.0, 2.0, 4, 1.0, 0.5
    mu, theta = 1 / aht, 1 / patience
    p = _stationary(lam, mu, c, theta, n_max=c + 120)
    m_stages = len(p) - c
    q = np.zeros((m_stages + 1, m_stages + 1))
    for i in range(m_stages):
        q[i, i] = -(c * mu + (i + 1) * theta)
        q[i, i - 1 if i else m_stages] = c * mu + i * theta  # advance (or enter service)
    served = linalg.expm(q * t_min)[:, m_stages]
    expected = 1 - p[c:].sum() + float(np.dot(p[c:], served[:m_stages]))
    got = erlang_a(lam, aht, c, patience, target_seconds=60 * t_min).service_level
    assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("lam", "aht", "c", "patience", "target_s"),
    [(95.0, 1.0, 100, 2.0, 20.0), (110.0, 1.0, 100, 0.5, 10.0), (1900.0, 1.0, 2000, 5.0, 3.0)],
)
def test_erlang_a_service_level_matches_sparse_expm_multiply(lam, aht, c, patience, target_s):
    """Large cases: absorption into 'served' via expm_multiply on the stage generator."""
    mu, theta, t_min = 1 / aht, 1 / patience, target_s / 60
    p = _stationary(lam, mu, c, theta, n_max=c + 400) if c <= 100 else None
    if p is None:  # Poisson shape below c in log space, products above (avoids overflow)
        n = np.arange(c + 400)
        logw = poisson.logpmf(np.minimum(n, c), lam / mu)
        logw[c + 1 :] += np.cumsum(np.log(lam / (c * mu + np.arange(1, 400) * theta)))
        p = np.exp(logw - logw.max())
        p /= p.sum()
    p_arrive = p[c:]
    m_stages = len(p_arrive)
    rate = c * mu + np.arange(m_stages) * theta  # advance rate with i callers ahead
    idx = np.arange(m_stages)
    rows = np.concatenate([idx, idx[1:], [0]])  # from: diagonal, i -> i - 1, 0 -> served
    cols = np.concatenate([idx, idx[:-1], [m_stages]])
    vals = np.concatenate([-(rate + theta), rate[1:], [c * mu]])
    gen_t = sparse.csc_matrix((vals, (cols, rows)), shape=(m_stages + 1,) * 2)  # transposed
    served = expm_multiply(gen_t * t_min, np.append(p_arrive, 0.0))[m_stages]
    got = erlang_a(lam, aht, c, patience, target_seconds=target_s).service_level
    assert got == pytest.approx(1 - p_arrive.sum() + served, abs=1e-11)


def test_erlang_a_huge_patience_converges_to_erlang_c():
    a_m = erlang_a(LAM, AHT, 14, 1e9)
    c_m = mmc_metrics(LAM, AHT, 14)
    for field in ("p_wait", "asa_seconds", "service_level", "occupancy", "mean_queue_length"):
        assert getattr(a_m, field) == pytest.approx(getattr(c_m, field), rel=1e-7), field
    assert a_m.p_abandon < 1e-9
    assert erlang_a(LAM, AHT, 14, None) == c_m
    assert erlang_a(LAM, AHT, 14, math.inf) == c_m


@pytest.mark.parametrize(("lam", "c"), [(2.0, 3), (10.0, 8), (10.0, 14), (95.0, 100), (1900.0, 2000)])
def test_erlang_a_theta_equal_mu_is_poisson(lam, c):
    """Patience == handle time: every caller leaves at rate mu, so N ~ Poisson(R)."""
    aht = 1.0
    r = lam * aht
    m = erlang_a(lam, aht, c, aht)
    assert m.p_wait == pytest.approx(poisson.sf(c - 1, r), rel=1e-10, abs=1e-14)
    n = np.arange(0, int(r + 40 * math.sqrt(r) + 50))
    pmf = poisson.pmf(n, r)
    assert m.mean_queue_length == pytest.approx(float(np.dot(np.clip(n - c, 0, None), pmf)), rel=1e-9)
    assert m.occupancy == pytest.approx(float(np.dot(np.minimum(n, c), pmf)) / c, rel=1e-10)


def test_erlang_a_zero_arrivals():
    assert erlang_a(0.0, AHT, 5, 2.0) == QueueMetrics(0.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def test_erlang_a_target_zero_is_prob_no_wait():
    m = erlang_a(LAM, AHT, 13, 5.0, target_seconds=0.0)
    assert m.service_level == pytest.approx(1 - m.p_wait, abs=1e-15)


# --------------------------------------------------------------------------- GMR


@pytest.mark.parametrize("c", range(100, 111))
@pytest.mark.parametrize("patience", [1.0, 2.0, 3.0, 4.0, 5.0])
def test_gmr_close_to_exact_in_qed_regime(c, patience):
    exact = erlang_a(100.0, 1.0, c, patience)
    p_wait, p_ab = gmr_erlang_a(100.0, 1.0, c, patience)
    # Leading-order QED error (GMR underestimates): <= 4.1% for beta <= 0.5, 7% at beta = 1.
    assert p_wait == pytest.approx(exact.p_wait, rel=0.05 if c <= 105 else 0.075)
    assert p_ab == pytest.approx(exact.p_abandon, abs=0.01)
    assert abs(p_ab - exact.p_abandon) < 0.2 * exact.p_abandon


def test_gmr_error_shrinks_as_system_grows():
    errors = []
    for r in (100, 400, 1600, 6400):
        c = int(r + math.sqrt(r))  # beta = 1
        exact = erlang_a(float(r), 1.0, c, 2.0).p_wait
        errors.append(abs(gmr_erlang_a(float(r), 1.0, c, 2.0)[0] / exact - 1))
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 0.01


def test_gmr_infinite_patience_is_halfin_whitt():
    p_wait, p_ab = gmr_erlang_a(1600.0, 1.0, 1640, None)
    beta = 1.0
    phi, cdf = (
        math.exp(-(beta**2) / 2) / math.sqrt(2 * math.pi),
        0.5 * math.erfc(-beta / math.sqrt(2)),
    )
    assert p_wait == pytest.approx(1 / (1 + beta * cdf / phi), rel=1e-12)
    assert p_ab == 0.0
    assert p_wait == pytest.approx(erlang_c(1640, 1600.0), rel=0.03)
    assert gmr_erlang_a(0.0, 1.0, 5, 2.0) == (0.0, 0.0)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_b(0, 1.0),
        lambda: erlang_b(3, -1.0),
        lambda: erlang_b(2.5, 1.0),
        lambda: erlang_c(True, 1.0),
        lambda: erlang_c(3, math.nan),
        lambda: mmc_metrics(-1.0, 3.0, 5),
        lambda: mmc_metrics(1.0, 0.0, 5),
        lambda: mmc_metrics(1.0, 3.0, 5, target_seconds=-1.0),
        lambda: agents_for_service_level(1.0, 3.0, 1.0, 20),
        lambda: agents_for_service_level(1.0, 3.0, 0.8, 20, min_agents=0),
        lambda: erlang_a(1.0, 3.0, 5, 0.0),
        lambda: erlang_a(1.0, 3.0, 5, -2.0),
        lambda: erlang_a(1.0, 3.0, 0, 2.0),
        lambda: erlang_a(math.inf, 3.0, 5, 2.0),
        lambda: gmr_erlang_a(1.0, -3.0, 5, 2.0),
        lambda: gmr_erlang_a(1.0, 3.0, 5, "soon"),
    ],
)
def test_invalid_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- properties

loads = st.floats(0.0, 3000.0, allow_nan=False)
probability_fields = ("p_wait", "p_abandon", "service_level", "occupancy")


@given(st.integers(1, 2000), loads)
def test_erlang_b_c_are_probabilities(c, a):
    b, cw = erlang_b(c, a), erlang_c(c, a)
    assert 0.0 <= b <= cw <= 1.0


@given(st.integers(1, 500), st.floats(0.01, 500.0))
def test_erlang_c_decreasing_in_agents(c, a):
    assert erlang_c(c + 1, a) <= erlang_c(c, a)
    if c > a and erlang_c(c, a) > 1e-290:  # strict unless both underflow to ~0
        assert erlang_c(c + 1, a) < erlang_c(c, a)


@given(st.floats(0.01, 20.0), st.floats(0.1, 10.0), st.integers(1, 300), st.floats(0.0, 300.0))
def test_mmc_service_level_monotone(lam, aht, c, t_s):
    m = mmc_metrics(lam, aht, c, t_s)
    assert all(0.0 <= getattr(m, f) <= 1.0 for f in probability_fields)
    assert mmc_metrics(lam, aht, c + 1, t_s).service_level >= m.service_level
    assert mmc_metrics(lam, aht, c, t_s + 5.0).service_level >= m.service_level


@settings(deadline=None, max_examples=60)
@given(
    st.floats(0.0, 30.0),
    st.floats(0.2, 10.0),
    st.integers(1, 60),
    st.floats(0.1, 100.0),
    st.floats(0.0, 120.0),
)
def test_erlang_a_probabilities_and_monotonicity(lam, aht, c, patience, t_s):
    m = erlang_a(lam, aht, c, patience, target_seconds=t_s)
    assert all(0.0 <= getattr(m, f) <= 1.0 for f in probability_fields)
    assert m.service_level <= 1.0 - m.p_abandon + 1e-12
    assert math.isfinite(m.asa_seconds) and m.mean_queue_length >= 0.0
    tol = 1e-10
    assert erlang_a(lam, aht, c + 1, patience, t_s).service_level >= m.service_level - tol
    assert erlang_a(lam, aht, c, patience, t_s + 10.0).service_level >= m.service_level - tol
    assert erlang_a(lam, aht, c, patience * 1.5, t_s).p_abandon <= m.p_abandon + tol


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 2000), st.floats(0.1, 20.0), st.floats(0.5, 30.0))
def test_numerically_stable_up_to_2000_agents(c, aht, patience):
    a = 0.95 * c
    lam = a / aht
    for m in (mmc_metrics(lam, aht, c), erlang_a(lam, aht, c, patience)):
        values = [getattr(m, f) for f in QueueMetrics.__dataclass_fields__]
        assert all(math.isfinite(v) for v in values)
        assert all(0.0 <= getattr(m, f) <= 1.0 for f in probability_fields)
    assert 0.0 < erlang_c(c, a) < 1.0
    pw, pab = gmr_erlang_a(lam, aht, c, patience)
    assert 0.0 <= pab <= pw <= 1.0


@settings(deadline=None)
@given(
    st.floats(0.0, 50.0),
    st.floats(0.1, 10.0),
    st.floats(0.0, 0.99),
    st.floats(0.0, 120.0),
    st.integers(1, 50),
)
def test_agents_for_service_level_is_minimal(lam, aht, target, t_s, min_agents):
    c = agents_for_service_level(lam, aht, target, t_s, min_agents)
    assert c >= min_agents
    if lam == 0.0:
        assert c == min_agents
        return
    assert c > lam * aht
    assert mmc_metrics(lam, aht, c, t_s).service_level >= target
    if c > min_agents and c - 1 > lam * aht:
        assert mmc_metrics(lam, aht, c - 1, t_s).service_level < target
