"""sim.population: who customers are, how they leave, forget and drop products.

Distributions are checked against the scenario's own numbers with binomial or
standard-error tolerances (four standard errors) at fixed seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.population import ALIVE, CHURNED, PRUNED, Population
from sim.rng import Streams

N = 20_000
REVENUE = {"a": 100.0, "b": 250.0, "c": 40.0}


def pop_scenario(**changes) -> sim.Scenario:
    base = sim.Scenario.from_dict(
        {
            "horizon": {"days": 30},
            "population": {"initial_customers": N, "acquisition": "none"},
            "products": {name: {"revenue_per_year": r} for name, r in REVENUE.items()},
            "segments": {
                "single": {
                    "share": 0.5,
                    "portfolio": {1: 1.0},
                    "products": {"a": 0.7, "b": 0.3},
                    "satisfaction0": {"alpha": 7.0, "beta": 3.0},
                    "expectation0": {"alpha": 2.0, "beta": 8.0},
                    "patience_minutes": 2.0,
                },
                "multi": {
                    "share": 0.3,
                    "portfolio": {2: 0.6, 3: 0.4},
                    "products": {"a": 0.2, "b": 0.5, "c": 0.3},
                    "satisfaction0": {"alpha": 4.0, "beta": 4.0},
                    "expectation0": {"alpha": 3.0, "beta": 6.0},
                    "patience_minutes": None,
                },
                "big": {
                    "share": 0.2,
                    "portfolio": {4: 0.5, 6: 0.5},
                    "products": {"a": 0.5, "c": 0.5},
                    "satisfaction0": {"alpha": 2.0, "beta": 2.0},
                    "expectation0": {"alpha": 2.0, "beta": 5.0},
                },
            },
            "response": {"portfolio_uplift": 0.05},
        }
    )
    return base.override(changes) if changes else base


def make(scenario: sim.Scenario | None = None, seed: int = 1, count: int = N) -> Population:
    pop = Population(scenario or pop_scenario(), Streams(seed))
    pop.add(count, 0.0)
    return pop


@pytest.fixture(scope="module")
def pop() -> Population:
    return make()


def within(observed: float, expected: float, se: float, k: float = 4.0) -> bool:
    return abs(observed - expected) <= k * se


def binomial_ok(hits: int, n: int, p: float) -> bool:
    return within(hits / n, p, math.sqrt(p * (1 - p) / n))


# -- who customers are -----------------------------------------------------------------------------
def test_segment_shares(pop):
    seg = pop.segment[: pop.n]
    for i, s in enumerate(pop.scenario.segments.values()):
        assert binomial_ok(int((seg == i).sum()), pop.n, s.share)


def test_portfolio_sizes_per_segment(pop):
    for i, s in enumerate(pop.scenario.segments.values()):
        sizes = pop.n_products[: pop.n][pop.segment[: pop.n] == i]
        assert set(np.unique(sizes)) <= set(s.portfolio)
        for size, p in s.portfolio.items():
            if p < 1.0:
                assert binomial_ok(int((sizes == size).sum()), sizes.size, p)
        # holdings count the same products
        hold = pop.holdings[: pop.n][pop.segment[: pop.n] == i]
        assert np.array_equal(hold.sum(axis=1), sizes)


def test_product_mix_per_segment(pop):
    names = pop.product_names
    for i, s in enumerate(pop.scenario.segments.values()):
        hold = pop.holdings[: pop.n][pop.segment[: pop.n] == i]
        slots = int(hold.sum())  # every held product is one draw from the mix (with replacement)
        for j, name in enumerate(names):
            p = s.products.get(name, 0.0)
            if p == 0.0:
                assert hold[:, j].sum() == 0
            else:
                assert binomial_ok(int(hold[:, j].sum()), slots, p)


def test_revenue_per_year_is_the_sum_over_held_products(pop):
    rev = np.array([REVENUE[n] for n in pop.product_names])
    assert np.allclose(pop.revenue_per_year[: pop.n], pop.holdings[: pop.n] @ rev)


def test_initial_satisfaction_follows_the_segment_beta(pop):
    for i, s in enumerate(pop.scenario.segments.values()):
        x = pop.satisfaction[: pop.n][pop.segment[: pop.n] == i]
        a, b = s.satisfaction0.alpha, s.satisfaction0.beta
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        assert within(x.mean(), s.satisfaction0.mean, sd / math.sqrt(x.size))
        assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > 1e-3


def test_initial_expectation_without_uplift_follows_the_segment_beta():
    p = make(pop_scenario(**{"response.portfolio_uplift": 0.0}))
    for i, s in enumerate(p.scenario.segments.values()):
        x = p.expectation[: p.n][p.segment[: p.n] == i]
        a, b = s.expectation0.alpha, s.expectation0.beta
        assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > 1e-3


def test_expectation_uplift_per_extra_product(pop):
    """The same customers with and without uplift: E rises by exactly uplift x (products - 1), clipped."""
    flat = make(pop_scenario(**{"response.portfolio_uplift": 0.0}))
    n = pop.n
    assert np.array_equal(flat.n_products[:n], pop.n_products[:n])
    expected = np.clip(flat.expectation[:n] + 0.05 * (pop.n_products[:n] - 1), 0.0, 1.0)
    assert np.allclose(pop.expectation[:n], expected, rtol=0, atol=1e-12)
    big = pop.n_products[:n] == 6
    assert (pop.expectation[:n][big] > flat.expectation[:n][big]).any()


def test_patience_comes_from_the_segment(pop):
    seg = pop.segment[: pop.n]
    pat = pop.patience_mean[: pop.n]
    assert (pat[seg == 0] == 2.0).all()
    assert np.isinf(pat[seg == 1]).all()
    assert (pat[seg == 2] == 3.0).all()


def test_initial_churn_clocks_are_unit_exponentials(pop):
    clocks = pop.churn_clock[: pop.n]
    assert stats.kstest(clocks, "expon").pvalue > 1e-3


ATTRIBUTES = (
    "segment",
    "holdings",
    "n_products",
    "revenue_per_year",
    "satisfaction",
    "expectation",
    "patience_mean",
    "churn_clock",
)


@pytest.mark.parametrize(("parts", "total"), [((10, 10), 20), ((1000, 2000), 3000), ((1, 2500, 7), 2508)])
def test_a_customer_is_the_same_person_however_the_population_was_built(parts, total):
    whole = Population(pop_scenario(), Streams(4), capacity=16)
    whole.add(total, 0.0)
    pieces = Population(pop_scenario(), Streams(4), capacity=16)
    for count in parts:
        pieces.add(count, 0.0)
    assert pieces.n == whole.n == total
    for name in ATTRIBUTES:
        assert np.array_equal(getattr(pieces, name)[:total], getattr(whole, name)[:total]), name
    assert np.array_equal(pieces.count_by_segment, whole.count_by_segment)
    assert np.allclose(pieces.revenue_by_segment, whole.revenue_by_segment, rtol=1e-12)


def test_add_returns_consecutive_ids_and_grows_the_arrays():
    p = Population(pop_scenario(), Streams(2), capacity=16)
    first = p.add(10, 0.0)
    second = p.add(40, 1440.0)
    assert list(first) == list(range(10)) and list(second) == list(range(10, 50))
    assert len(p.alive) >= 50 and p.alive[:50].all()
    assert (p.join_min[10:50] == 1440.0).all()
    # the memoryviews follow the grown arrays
    p.alive_view[45] = False
    assert not p.alive[45]
    assert p.add(0, 0.0).size == 0


def test_counts_and_revenue_by_segment_after_add(pop):
    recount(pop)


def recount(p: Population) -> None:
    """The kept-up-to-date sums equal a recomputation from the customers."""
    n = p.n
    alive = p.alive[:n]
    seg = p.segment[:n][alive]
    n_seg = len(p.segment_names)
    assert np.array_equal(p.count_by_segment, np.bincount(seg, minlength=n_seg))
    expected = np.bincount(seg, p.revenue_per_year[:n][alive], minlength=n_seg)
    assert np.allclose(p.revenue_by_segment, expected, rtol=1e-12, atol=1e-6)
    assert np.allclose(
        p.segment_sum(p.satisfaction), np.bincount(seg, p.satisfaction[:n][alive], minlength=n_seg)
    )


# -- leaving ----------------------------------------------------------------------------------------
def test_leave_keeps_counts_and_revenue_exact():
    p = make(count=5000, seed=3)
    rng = np.random.default_rng(0)
    for step in range(5):
        ids = rng.choice(p.n, size=300, replace=False)
        p.leave(ids, 1440.0 * step, CHURNED)
        recount(p)
    gone = ~p.alive[: p.n]
    assert (p.status[: p.n][gone] == CHURNED).all() and (p.status[: p.n][~gone] == ALIVE).all()
    assert np.isinf(p.churn_clock[: p.n][gone]).all()
    assert not np.isnan(p.exit_min[: p.n][gone]).any() and np.isnan(p.exit_min[: p.n][~gone]).all()


def test_leaving_twice_changes_nothing():
    p = make(count=100)
    p.leave(np.array([3, 4]), 10.0, CHURNED)
    counts, revenue = p.count_by_segment.copy(), p.revenue_by_segment.copy()
    p.leave(np.array([3]), 20.0, PRUNED)
    assert np.array_equal(p.count_by_segment, counts) and np.array_equal(p.revenue_by_segment, revenue)
    assert p.status[3] == CHURNED and p.exit_min[3] == 10.0
    assert list(p.alive_ids()) == [i for i in range(100) if i not in (3, 4)]


def constant_hazard(h_per_year: float, **changes) -> sim.Scenario:
    return pop_scenario(
        **{
            "churn.base_per_year": h_per_year,
            "churn.sensitivity": 0.0,
            "churn.lock_in": 0.0,
            "churn.product_drop_share": 0.0,
            **changes,
        }
    )


def run_churn(p: Population, days: int) -> list[int]:
    """Daily churn steps; returns the number of customers gone after each day."""
    gone = []
    for day in range(1, days + 1):
        leaving, dropping = p.churn_step(1.0)
        assert dropping.size == 0
        p.leave(leaving, day * 1440.0, CHURNED)
        gone.append(int((~p.alive[: p.n]).sum()))
    return gone


def test_a_constant_hazard_gives_exponential_survival():
    h = 3.65  # per year: 1 % a day
    p = make(constant_hazard(h), seed=5)
    gone = run_churn(p, 60)
    for t in (5, 20, 60):
        assert binomial_ok(gone[t - 1], p.n, 1.0 - math.exp(-h * t / 365.0)), t
    recount(p)


def test_lock_in_divides_the_hazard_by_portfolio_size():
    h = 7.3
    p = make(constant_hazard(h, **{"churn.lock_in": 1.0}), seed=6)
    sizes = p.n_products[: p.n].copy()
    run_churn(p, 30)
    gone = ~p.alive[: p.n]
    for k in (1, 2, 3, 4, 6):
        m = sizes == k
        expected = 1.0 - math.exp(-h / k * 30 / 365.0)
        assert binomial_ok(int(gone[m].sum()), int(m.sum()), expected), k


def test_low_satisfaction_raises_the_hazard_exponentially():
    h, kappa, ref = 3.65, 4.0, 0.7
    p = make(constant_hazard(h, **{"churn.sensitivity": kappa, "churn.reference_satisfaction": ref}), seed=7)
    low = np.arange(p.n) % 2 == 0
    p.satisfaction[: p.n] = np.where(low, 0.3, 0.9)
    run_churn(p, 20)
    gone = ~p.alive[: p.n]
    for mask, s in ((low, 0.3), (~low, 0.9)):
        rate = h * math.exp(kappa * (ref - s))
        assert binomial_ok(int(gone[mask].sum()), int(mask.sum()), 1.0 - math.exp(-rate * 20 / 365.0)), s


def test_churn_is_off_when_disabled():
    p = make(constant_hazard(365.0, **{"churn.enabled": False}), count=1000)
    leaving, dropping = p.churn_step(30.0)
    assert leaving.size == 0 and dropping.size == 0


def test_only_multi_product_customers_drop_a_product_at_the_configured_share():
    share = 0.4
    p = make(constant_hazard(36.5, **{"churn.product_drop_share": share}), seed=8)
    rev = np.array([REVENUE[n] for n in p.product_names])
    multi_hits = drops = 0
    for day in range(1, 21):
        before = p.n_products[: p.n].copy()
        hold_before = p.holdings[: p.n].copy()
        leaving, dropping = p.churn_step(1.0)
        assert (before[dropping] > 1).all(), "a one-product customer dropped a product"
        assert np.array_equal(p.n_products[dropping], before[dropping] - 1)
        dropped = hold_before[dropping] - p.holdings[dropping]
        assert (dropped >= 0).all() and (dropped.sum(axis=1) == 1).all()  # exactly one product less
        assert np.allclose(p.revenue_per_year[dropping], p.holdings[dropping] @ rev)  # and its revenue
        multi_hits += int((before[leaving] > 1).sum()) + dropping.size
        drops += dropping.size
        assert np.isfinite(p.churn_clock[dropping]).all() and (p.churn_clock[dropping] > 0).all()
        p.leave(leaving, day * 1440.0, CHURNED)
        recount(p)
    assert multi_hits > 2000
    assert binomial_ok(drops, multi_hits, share)


def test_the_dropped_product_is_drawn_in_proportion_to_the_holdings():
    scenario = constant_hazard(36.5, **{"churn.product_drop_share": 1.0})
    p = make(scenario, seed=9)
    a, b = p.product_names.index("a"), p.product_names.index("b")
    one_each = (p.holdings[: p.n, a] == 1) & (p.holdings[: p.n, b] == 1) & (p.n_products[: p.n] == 2)
    dropped_a = dropped_b = 0
    for _ in range(20):
        hold = p.holdings[: p.n].copy()
        _, dropping = p.churn_step(1.0)
        mine = dropping[one_each[dropping] & (hold[dropping].sum(axis=1) == 2)]
        dropped_a += int((p.holdings[mine, a] == 0).sum())
        dropped_b += int((p.holdings[mine, b] == 0).sum())
        one_each[dropping] = False  # their portfolio changed: count each customer's first drop only
    assert dropped_a + dropped_b > 400
    assert binomial_ok(dropped_a, dropped_a + dropped_b, 0.5)


# -- forgetting and drift --------------------------------------------------------------------------
def test_relax_halves_the_distance_to_rest_after_one_half_life():
    half_life = 90.0
    p = make(pop_scenario(**{"response.forgetting_half_life_days": half_life}), count=2000)
    rest = p.scenario.response.resting_satisfaction
    s0 = p.satisfaction[: p.n].copy()
    p.relax(half_life)
    assert np.allclose(p.satisfaction[: p.n] - rest, (s0 - rest) / 2, rtol=0, atol=1e-15)
    # in daily steps: the same, up to rounding
    q = make(pop_scenario(**{"response.forgetting_half_life_days": half_life}), count=2000)
    for _ in range(int(half_life)):
        q.relax(1.0)
    assert np.allclose(q.satisfaction[: q.n] - rest, (s0 - rest) / 2, rtol=0, atol=1e-12)


def test_market_drift_raises_expectations_and_clips_at_one():
    p = make(pop_scenario(**{"response.market_drift_per_year": 0.365}), count=2000)
    e0 = p.expectation[: p.n].copy()
    p.relax(10.0)  # +0.01
    assert np.allclose(p.expectation[: p.n], np.minimum(e0 + 0.01, 1.0), rtol=0, atol=1e-12)
    p.relax(3650.0)
    assert (p.expectation[: p.n] == 1.0).all()
    down = make(pop_scenario(**{"response.market_drift_per_year": -1.0}), count=200)
    down.relax(3650.0)
    assert (down.expectation[: down.n] == 0.0).all()


# -- pruning ------------------------------------------------------------------------------------------
def test_prune_candidates_compare_cost_to_serve_with_margin():
    p = make(count=6)
    p.revenue_per_year[:6] = 365.0  # margin over 10 days at 50 %: 5
    p.join_min[:6] = [0.0, 0.0, 0.0, 0.0, 5 * 1440.0, 0.0]
    p.cost_to_serve[:6] = [4.9, 5.0, 5.1, 20.0, 20.0, 0.0]
    ids = np.arange(6)
    out = p.prune_candidates(ids, 10 * 1440.0, 10, min_tenure_days=8, ratio=1.0, gross_margin=0.5)
    assert list(out) == [2, 3]  # 4 is too young
    out = p.prune_candidates(ids, 10 * 1440.0, 10, min_tenure_days=0, ratio=2.0, gross_margin=0.5)
    assert list(out) == [3, 4]
