"""sim.summary: the named metrics from the accumulators, by segment, and the daily time series.

Hand-filled accumulators give exact expectations from the README's glossary;
real runs check what must hold for any run (ratios in [0, 1], additive metrics
summing over segments, NaN exactly when a denominator is zero, with a note).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.economics import Prices
from sim.metrics import COUNTERS, DAILY_FIELDS, Metrics
from sim.summary import METRICS, by_segment, summarise, timeseries
from sim.units import DAYS_PER_YEAR, FAILURE_REASONS, MINUTES_PER_DAY, REASONS
from tests.conftest import small_utility

PRICES = Prices(self_service_cost=0.5, acquisition_cost=200.0, gross_margin=0.3)
CONTACTS = [f"contacts.{r}" for r in REASONS]


def filled(days: int = 4, n_seg: int = 2, value: float = 1.0, customers: float = 10.0) -> Metrics:
    """Every counter and field at ``value`` every day, ``customers`` per segment."""
    m = Metrics(days, n_seg)
    m.counts[:] = value
    m.daily[:] = value
    m.segment_daily[:] = value
    m.segment_daily[:, :, 0] = customers  # "customers"
    return m


def set_counter(m: Metrics, name: str, value: float) -> None:
    m.counts[:, :, COUNTERS.index(name)] = value


def summary(m: Metrics, start: int = 1, segments=None, initial=(10.0, 10.0), all_segments=True) -> dict:
    segs = range(m.n_segments) if segments is None else segments
    return summarise(m, start, m.days, segs, PRICES, list(initial), all_segments=all_segments)


# -- definitions on hand-filled accumulators ----------------------------------------------------------
@pytest.fixture
def story() -> Metrics:
    """Days 1-3 measured (day 0 is warm-up, filled with junk that must not count)."""
    m = Metrics(days=4, n_segments=2)
    m.counts[0] = 1000.0
    m.daily[0] = 1000.0
    m.segment_daily[0] = 1000.0
    per_day = {  # segment 0, segment 1
        "contacts.usage": (10, 5),
        "contacts.supplier_induced": (4, 1),
        "contacts.repeat": (3, 2),
        "contacts.chase": (1, 0),
        "self_service.sessions": (5, 1),
        "phone.offered": (12, 6),
        "phone.answered": (10, 6),
        "phone.within_target": (8, 3),
        "phone.waited": (4, 3),
        "phone.wait_minutes": (6, 9),
        "phone.abandoned": (2, 0),
        "phone.transfers": (1, 1),
        "callback.made": (2, 1),
        "promises.made": (3, 1),
        "promises.broken": (1, 2),
        "issues.arisen": (15, 6),
        "issues.fcr": (9, 3),
        "issues.resolved": (12, 5),
        "issues.given_up": (1, 0),
        "issues.judged": (12, 5),
        "issues.effort_sum": (2.4, 1.5),
        "issues.experience_sum": (9, 4),
        "work.front_minutes": (100, 50),
        "work.account_manager_minutes": (0, 30),
        "customers.churned": (1, 0),
        "customers.pruned": (0, 1),
        "customers.acquired": (1, 2),
    }
    for name, (a, b) in per_day.items():
        m.counts[1:, 0, COUNTERS.index(name)] = a
        m.counts[1:, 1, COUNTERS.index(name)] = b
    fields = {
        "staffed_minutes_front": 2880,
        "staffed_minutes_am": 1440,
        "busy_minutes_front": 1440,
        "busy_minutes_am": 720,
        "cost_staff": 1000,
        "cost_account_managers": 500,
        "cost_training": 30,
        "cost_interventions": 20,
    }
    for name, v in fields.items():
        m.daily[1:, DAILY_FIELDS.index(name)] = v
    m.segment_daily[:, 0, 0] = [100, 100, 99, 98]  # customers at the end of each day
    m.segment_daily[:, 1, 0] = [50, 50, 50, 51]
    m.segment_daily[1:, 0, 1] = [70, 69.3, 68.6]  # satisfaction sums: 0.7 a customer
    m.segment_daily[1:, 1, 1] = [40, 40, 40.8]  # 0.8
    m.segment_daily[1:, 0, 4] = 10.0  # revenue a day
    m.segment_daily[1:, 1, 4] = 20.0
    return m


def test_summary_follows_the_glossary(story):
    s = summary(story, initial=(100.0, 50.0))
    assert set(s) == set(METRICS)
    years = 3 / DAYS_PER_YEAR
    mean_customers = (150 + 149 + 149) / 3
    contacts = 3 * (18 + 8)
    service = 3 * (1000 + 500 + 30 + 20) + 3 * 6 * 0.5
    expected = {
        "service_level": 33 / 54,
        "asa_seconds": 60 * 45 / 48,
        "abandonment_rate": 6 / 54,
        "occupancy": 3 * 2160 / (3 * 4320),
        "contacts_total": contacts,
        "contacts_per_customer_year": contacts / (mean_customers * years),
        "fcr": 36 / 63,
        "contacts_per_issue": contacts / 63,
        "repeat_contact_share": 15 / contacts,
        "failure_demand_share": 3 * (4 + 3 + 1 + 1 + 2) / contacts,
        "transfers_per_contact": 6 / contacts,
        "promises_made": 12,
        "promises_kept_rate": 9 / (9 + 9),
        "satisfaction_mean": np.mean([110 / 150, 109.3 / 149, 109.4 / 149]),
        "effort_mean": 3 * 3.9 / 51,
        "churn_rate_annual": 3 / (mean_customers * years),
        "customers_start": 150,  # the end of the last warm-up day
        "customers_end": 149,
        "customers_acquired": 9,
        "customers_lost": 6,
        "revenue": 90,
        "cost_service": service,
        "cost_acquisition": 9 * 200.0,
        "cost_total": service + 1800.0,
        "profit": 0.3 * 90 - (service + 1800.0),
        "cost_per_contact": service / contacts,
        "cost_per_resolution": service / 51,
        "p_wait": 21 / 48,
        "issues_total": 63,
    }
    for k, v in expected.items():
        assert s[k] == pytest.approx(v, rel=1e-12), k


def test_customers_start_without_warmup_is_the_initial_population(story):
    s = summary(story, start=0, initial=(123.0, 45.0))
    assert s["customers_start"] == 168.0


def test_by_segment_shares_out_pool_costs(story):
    seg0 = summary(story, segments=[0], initial=(100.0, 50.0), all_segments=False)
    seg1 = summary(story, segments=[1], initial=(100.0, 50.0), all_segments=False)
    # staff and training by front-line minutes (100 : 50), account managers by theirs (0 : 30),
    # interventions by customer-days (297 : 151)
    staff0 = 3 * (1000 + 30) * 100 / 150
    iv0 = 3 * 20 * 297 / 448
    assert seg0["cost_service"] == pytest.approx(staff0 + iv0 + 15 * 0.5)
    staff1 = 3 * (1000 + 30) * 50 / 150 + 3 * 500
    iv1 = 3 * 20 * 151 / 448
    assert seg1["cost_service"] == pytest.approx(staff1 + iv1 + 3 * 0.5)
    assert math.isnan(seg0["occupancy"]) and math.isnan(seg1["occupancy"])
    total = summary(story, initial=(100.0, 50.0))
    assert seg0["cost_service"] + seg1["cost_service"] == pytest.approx(total["cost_service"])
    frame = by_segment(story, 1, 4, ["a", "b"], PRICES, [100.0, 50.0])
    assert list(frame.columns) == list(METRICS) and list(frame.index) == ["a", "b"]
    assert frame.loc["a", "cost_service"] == pytest.approx(seg0["cost_service"])


# -- NaN exactly when a denominator is zero ----------------------------------------------------------
DENOMINATORS = {
    "service_level": ["phone.offered"],
    "abandonment_rate": ["phone.offered"],
    "asa_seconds": ["phone.answered"],
    "p_wait": ["phone.answered"],
    "fcr": ["issues.arisen"],
    "contacts_per_issue": ["issues.arisen"],
    "repeat_contact_share": CONTACTS,
    "failure_demand_share": CONTACTS,
    "transfers_per_contact": CONTACTS,
    "cost_per_contact": CONTACTS,
    "promises_kept_rate": ["callback.made", "promises.broken"],
    "effort_mean": ["issues.judged"],
    "cost_per_resolution": ["issues.resolved"],
}


def test_no_ratio_is_nan_when_every_denominator_is_positive():
    s = summary(filled())
    assert not [k for k, v in s.items() if math.isnan(v)]


@pytest.mark.parametrize("metric", sorted(DENOMINATORS))
def test_a_ratio_is_nan_exactly_when_its_denominator_is_zero(metric):
    m = filled()
    for name in DENOMINATORS[metric]:
        set_counter(m, name, 0.0)
    s = summary(m)
    zeroed = set(DENOMINATORS[metric])
    nan = {k for k, v in s.items() if math.isnan(v)}
    assert metric in nan
    # every metric whose denominator is untouched stays a number
    assert nan == {k for k, d in DENOMINATORS.items() if set(d) <= zeroed}


def test_occupancy_is_nan_without_staffed_time_and_per_customer_rates_without_customers():
    m = filled()
    m.daily[:, DAILY_FIELDS.index("staffed_minutes_front")] = 0.0
    m.daily[:, DAILY_FIELDS.index("staffed_minutes_am")] = 0.0
    assert math.isnan(summary(m)["occupancy"])
    empty = filled(customers=0.0)
    s = summary(empty)
    for k in ("contacts_per_customer_year", "churn_rate_annual", "satisfaction_mean"):
        assert math.isnan(s[k]), k


@pytest.fixture(scope="module")
def silent() -> sim.Result:
    zero = {
        f"reasons.{r}.rate_per_year": 0.0 for r in ("usage", "incident", "life_event", "supplier_induced")
    }
    return sim.run(small_utility(customers=1000, days=20, warmup=5, **zero), "efficiency", seed=1)


def test_a_run_without_demand_has_nan_ratios_and_notes_explaining_them(silent):
    s = silent.summary
    assert s["contacts_total"] == 0 and s["issues_total"] == 0
    nan = {k for k, v in s.items() if isinstance(v, float) and math.isnan(v)}
    assert nan == set(DENOMINATORS)
    assert s["contacts_per_customer_year"] == 0.0 and s["occupancy"] == 0.0
    for k in METRICS:
        explained = [n for n in silent.notes if n.startswith(f"{k} is NaN: ")]
        assert len(explained) == (1 if k in nan else 0), k
        if explained:
            assert len(explained[0]) > len(f"{k} is NaN: ") + 10  # says why
    assert repr(silent).startswith("Result(")


# -- real runs ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["efficiency", "effectiveness", "segmented"])
def run(request) -> tuple[sim.Scenario, sim.Result]:
    scenario = small_utility(customers=2000, days=60, warmup=10, **{"churn.base_per_year": 1.0})
    return scenario, sim.run(scenario, request.param, seed=4)


ADDITIVE = (
    "contacts_total",
    "revenue",
    "cost_acquisition",
    "customers_start",
    "customers_end",
    "customers_acquired",
    "customers_lost",
    "promises_made",
    "issues_total",
)


def test_additive_metrics_sum_over_segments_to_the_total(run):
    _, result = run
    totals = result.by_segment.sum()
    for k in ADDITIVE:
        assert totals[k] == pytest.approx(result.summary[k], rel=1e-12), k


def test_service_cost_sums_over_segments_when_every_pool_did_work(run):
    scenario, result = run
    counts = result.timeseries
    assert (counts.busy_minutes_front[~counts.warmup] > 0).any()
    if scenario.policies[result.policy].account_managers.segments:
        assert (counts.busy_minutes_am[~counts.warmup] > 0).any()
    assert result.by_segment.cost_service.sum() == pytest.approx(result.summary["cost_service"], rel=1e-9)


RATES = (
    "service_level",
    "abandonment_rate",
    "fcr",
    "p_wait",
    "promises_kept_rate",
    "failure_demand_share",
    "repeat_contact_share",
    "effort_mean",
    "satisfaction_mean",
)


def test_rates_are_in_the_unit_interval(run):
    _, result = run
    for frame in (result.by_segment.T.to_dict(), {"all": result.summary}):
        for name, s in frame.items():
            for k in RATES:
                if name != "all" and math.isnan(s[k]):
                    continue  # a small segment may have no denominator (tested above)
                assert 0.0 <= s[k] <= 1.0, (name, k, s[k])


def test_summary_agrees_with_the_timeseries(run):
    scenario, result = run
    s, ts = result.summary, result.timeseries
    w = ts[~ts.warmup]
    assert s["contacts_total"] == w.contacts.sum()
    assert s["issues_total"] == w.issues.sum()
    assert s["customers_start"] == ts.customers.iloc[scenario.horizon.warmup_days - 1]
    assert s["customers_end"] == ts.customers.iloc[-1]
    assert s["satisfaction_mean"] == pytest.approx(w.satisfaction_mean.mean())
    years = len(w) / DAYS_PER_YEAR
    assert s["contacts_per_customer_year"] == pytest.approx(w.contacts.sum() / (w.customers.mean() * years))
    assert s["churn_rate_annual"] == pytest.approx(w.churned.sum() / (w.customers.mean() * years))
    assert s["service_level"] == pytest.approx(
        ts.loc[~ts.warmup, "service_level"].mul(w.calls_offered).sum() / w.calls_offered.sum()
    )


def test_timeseries_columns(run):
    scenario, result = run
    ts = result.timeseries
    assert len(ts) == scenario.horizon.days
    assert (ts.contacts == ts[[f"contacts_{r}" for r in REASONS]].sum(axis=1)).all()
    assert (ts.failure_demand == ts[[f"contacts_{r}" for r in FAILURE_REASONS]].sum(axis=1)).all()
    assert (ts.customers == ts[[f"customers_{n}" for n in scenario.segments]].sum(axis=1)).all()
    assert np.allclose(ts.queue_length_mean, ts.queue_minutes / MINUTES_PER_DAY)
    assert (ts.policy == result.policy).all()
    assert ts.satisfaction_sd.between(0.0, 0.5).all()


def test_timeseries_ratios_are_nan_on_days_without_a_denominator():
    m = filled(days=3)
    for name in ("phone.offered", "phone.within_target"):  # no call on days 0 and 2
        m.counts[[0, 2], :, COUNTERS.index(name)] = 0.0
    m.counts[1, :, COUNTERS.index("phone.offered")] = 5.0
    ts = timeseries(m, ["a", "b"], warmup_days=1, target_min=20 / 60)
    assert math.isnan(ts.service_level[0]) and math.isnan(ts.service_level[2])
    assert ts.service_level[1] == pytest.approx(2 / 10)
    assert list(ts.warmup) == [True, False, False]


def test_customers_balance_over_the_window():
    scenario = small_utility(
        customers=3000, days=40, warmup=10, **{"churn.base_per_year": 2.0, "population.acquisition": "none"}
    )
    s = sim.run(scenario, "efficiency", seed=1).summary
    assert s["customers_lost"] > 100
    assert s["customers_end"] == s["customers_start"] + s["customers_acquired"] - s["customers_lost"]


def test_customers_balance_day_by_day():
    scenario = small_utility(customers=3000, days=40, warmup=10, **{"churn.base_per_year": 2.0})
    ts = sim.run(scenario, "efficiency", seed=1).timeseries
    change = ts.customers.diff().iloc[1:]
    flows = (ts.acquired - ts.churned - ts.pruned).iloc[1:]
    assert (change == flows).all()


def test_issues_are_resolved_given_up_or_still_open(run):
    _, result = run
    ts = result.timeseries
    assert ts.issues_resolved.sum() + ts.issues_given_up.sum() + result.open_issues == ts.issues.sum()
    assert result.open_issues >= 0
