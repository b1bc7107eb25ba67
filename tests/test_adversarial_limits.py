"""Impossible requests are refused up front, with an estimate; the estimate is honest.

Each request here is well-formed and within every schema bound, but could
never finish on this machine: a hundred million customers, demand of one issue
a minute per product, a hundred million design points, a Sobol design of 2**40,
a hundred thousand replications, customers who never stop calling. The
resource preflight must refuse each in seconds, saying what it would cost,
before it builds a design or writes a file. And its estimates must be right to
a factor of two, which the slow test measures at three sizes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import sim
from experiments import resources
from experiments.cli import main
from experiments.resources import Estimate, ResourceError, check, measure, run_cost
from tests.conftest import SCENARIOS

SCENARIO = str(SCENARIOS / "utility_callcentre.toml")


def refused_up_front(args: list[str], capsys, tmp_path: Path, *words: str) -> str:
    t0 = time.monotonic()
    code = main(args)
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    assert elapsed < 20, f"refusing took {elapsed:.0f} s"
    assert "refused before starting" in err and "--force" in err, err
    assert "Traceback" not in err and "internal error" not in err
    for word in words:
        assert word in err, err
    assert list(tmp_path.iterdir()) == [], "a refused job wrote a file"
    return err


@pytest.mark.parametrize(
    "args, words",
    [
        (["run", SCENARIO, "--set", "population.initial_customers=100000000"], ["memory", "GB"]),
        (["run", SCENARIO, "--set", "reasons.usage.rate_per_year=50000.0"], ["would take"]),
        (
            ["run", SCENARIO, "--set", "horizon.days=36500", "--set", "population.initial_customers=5000000"],
            [],
        ),
        (["run", SCENARIO, "--set", "churn.base_per_year=1000.0"], ["memory"]),
        (["compare", SCENARIO, "--reps", "100000"], ["would take"]),
        (["compare", SCENARIO, "--target", "fcr=1e-9", "--max-reps", "1000000000"], ["would take"]),
    ],
)
def test_runs_that_cannot_finish_are_refused_with_their_cost(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused_up_front(args, capsys, tmp_path, "estimate:", *words)


@pytest.mark.parametrize(
    "extra",
    [
        ["--vary", "response.retry_p=0.1:0.9", "--samples", "100000000"],
        ["--vary", "response.retry_p=0.1:0.9", "--design", "sobol", "--samples", str(2**40)],
        ["--vary", "response.retry_p=0.1:0.9", "--vary", "churn.sensitivity=1:9", "--samples", "1000000"],
        ["--vary", "population.initial_customers=1000:900000000", "--samples", "3"],
        ["--vary", "response.retry_p=0.5", "--reps", "10000000"],
    ],
)
def test_sweeps_that_cannot_finish_are_refused_before_the_design_is_made(
    extra, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "s.sqlite"
    refused_up_front(["sweep", SCENARIO, *extra, "--store", str(store)], capsys, tmp_path, "estimate:")


def test_sensitivity_that_cannot_finish_is_refused_before_salib_draws_its_sample(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    args = ["sensitivity", SCENARIO, "--vary", "response.retry_p=0.1:0.9", "--samples", "50000000"]
    refused_up_front(args, capsys, tmp_path, "estimate:")


def test_a_load_no_contact_centre_could_staff_is_refused_even_with_force(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["run", SCENARIO, "--set", "reasons.usage.rate_per_year=500000.0", "--force"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Erlangs" in err and "no contact centre" in err and "Traceback" not in err


def test_customers_who_never_stop_calling_are_refused_as_an_endless_run():
    scenario = sim.validation.mmc_scenario(1.0, 1.0, 2, resolution_p=0.0, days=3, retry_p=1.0)
    with pytest.raises(ResourceError, match="without end"):
        run_cost(scenario)


def redial_storm(customers: int) -> sim.Scenario:
    """One agent, callers with a millisecond of patience who redial at once, up to 1,000 times."""
    patience = {f"segments.{s}.patience_minutes": 1e-3 for s in ("incidental", "multi", "portfolio")}
    return sim.load_scenario(SCENARIO).override(
        {
            "population.initial_customers": customers,
            "horizon.days": 30,
            "horizon.warmup_days": 2,
            "policies.efficiency.staffing.mode": "fixed",
            "policies.efficiency.staffing.agents": 1,
            "response.redial_p": 1.0,
            "response.redial_delay_minutes": 0.0,
            "response.max_attempts": 1000,
            "reasons.usage.rate_per_year": 20.0,
            **patience,
        }
    )


def test_a_redial_storm_is_priced_as_one():
    calm = run_cost(redial_storm(2000).override({"response.redial_p": 0.0}), "efficiency")
    storm = run_cost(redial_storm(2000), "efficiency")
    assert storm.contacts > 100 * calm.contacts  # 1.6 million contacts measured against ~6,000


@pytest.mark.slow
def test_a_redial_storm_never_runs_past_its_estimate():
    """Over-estimating a pathological run is safe; under-estimating it is a hang without warning."""
    scenario = redial_storm(500)
    estimate, measured = run_cost(scenario, "efficiency"), measure(scenario, "efficiency")
    assert estimate.contacts >= measured["contacts"] and estimate.seconds >= measured["cpu_seconds"]


def test_force_runs_a_refused_job_but_says_what_it_is_over():
    huge = Estimate(
        runs=10, slots=2, run_seconds=1e5, run_bytes=1e9, wall_seconds=5e5, peak_bytes=2e9, contacts=1e9
    )
    with pytest.raises(ResourceError, match="would take"):
        check(huge)
    heard = []
    job = check(huge, force=True, on_estimate=heard.append)
    assert heard == [job] and job.long and job.problems and "run anyway (--force)" in job.describe()


def test_a_short_job_is_not_announced_and_a_long_one_is(monkeypatch):
    scenario = sim.load_scenario(SCENARIO)
    short = resources.job_estimate(
        scenario.override({"population.initial_customers": 1000}), ["efficiency"], 2
    )
    assert not short.long
    long = resources.job_estimate(scenario, ["efficiency", "effectiveness"], 40, workers=2)
    assert long.long and long.slots == 2 and "about" in long.describe()


def test_the_estimate_never_counts_more_workers_than_runs():
    scenario = sim.load_scenario(SCENARIO).override({"population.initial_customers": 1000})
    job = resources.job_estimate(scenario, ["efficiency"], 6, workers=1000)
    assert job.slots == 6


# -- the estimate against measurements ---------------------------------------------------------
SIZES = [
    ({"population.initial_customers": 2_000, "horizon.days": 60, "horizon.warmup_days": 10}, "efficiency"),
    ({"population.initial_customers": 50_000}, "effectiveness"),  # the default 425 days
    (
        {"population.initial_customers": 1_000_000, "horizon.days": 30, "horizon.warmup_days": 5},
        "efficiency",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("changes, policy", SIZES, ids=["2k-60d", "50k-425d", "1M-30d"])
def test_the_estimate_is_within_a_factor_of_two_of_the_measured_run(changes, policy):
    """Time is the run's CPU time (its wall time on an idle core: the model uses one core), so a
    busy machine does not decide the test; memory is the process's own peak resident set."""
    scenario = sim.load_scenario(SCENARIO).override(changes)
    estimate = run_cost(scenario, policy)
    measured = measure(scenario, policy)
    time_ratio = estimate.seconds / measured["cpu_seconds"]
    memory_ratio = estimate.peak_bytes / measured["peak_bytes"]
    contacts_ratio = estimate.contacts / measured["contacts"]
    report = (
        f"{changes}: est. {estimate.seconds:.2f} s / {estimate.peak_bytes / 1e6:.0f} MB / "
        f"{estimate.contacts:,.0f} contacts; measured {measured['cpu_seconds']:.2f} s CPU "
        f"({measured['seconds']:.2f} s wall) / {measured['peak_bytes'] / 1e6:.0f} MB / "
        f"{measured['contacts']:,.0f} contacts"
    )
    print(report)
    assert 0.5 <= time_ratio <= 2.0, report
    assert 0.5 <= memory_ratio <= 2.0, report
    assert 0.5 <= contacts_ratio <= 2.0, report
