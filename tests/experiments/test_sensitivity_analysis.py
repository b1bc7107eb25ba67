"""Sensitivity analysis finds what matters and says how sure it is."""

from __future__ import annotations

import pytest

import experiments
from experiments import Range


def test_morris_ranks_a_parameter_that_matters_above_one_that_does_not(tiny_scenario):
    ranges = {
        "policies.efficiency.knowledge": Range(0.5, 0.99),  # drives FCR directly
        "economics.discount_rate_per_year": Range(0.0, 0.2),  # enters no summary metric
    }
    frame = experiments.sensitivity(
        tiny_scenario, ranges, outputs=["fcr"], method="morris", samples=4, workers=1
    )
    by = frame.set_index("parameter")
    assert by.loc["policies.efficiency.knowledge", "mu_star"] > 0.05
    assert by.loc["economics.discount_rate_per_year", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert (frame.mu_star_conf >= 0).all()
    assert frame.attrs["runs"] == 4 * 3


def test_sobol_indices_with_intervals(tiny_scenario):
    ranges = {
        "policies.efficiency.knowledge": Range(0.5, 0.99),
        "economics.discount_rate_per_year": Range(0, 0.2),
    }
    frame = experiments.sensitivity(
        tiny_scenario, ranges, outputs=["fcr", "contacts_per_issue"], method="sobol", samples=8, workers=2
    )
    assert set(frame.columns) >= {"output", "parameter", "S1", "S1_conf", "ST", "ST_conf"}
    assert len(frame) == 4
    knowledge = frame[(frame.output == "fcr") & (frame.parameter == "policies.efficiency.knowledge")].iloc[0]
    assert knowledge.ST > 0.5


def test_sensitivity_rejects_what_it_cannot_analyse(tiny_scenario):
    with pytest.raises(ValueError, match="outputs: unknown metric"):
        experiments.sensitivity(tiny_scenario, {"response.retry_p": Range(0.1, 1)}, outputs=["nope"])
    with pytest.raises(ValueError, match="ranges"):
        experiments.sensitivity(tiny_scenario, {"response.retry_p": [0.1, 1]}, outputs=["fcr"])
    with pytest.raises(ValueError, match="method"):
        experiments.sensitivity(
            tiny_scenario, {"response.retry_p": Range(0.1, 1)}, outputs=["fcr"], method="fast"
        )


def test_sensitivity_with_a_store_resumes_and_rounds_integer_parameters(tiny_scenario, tmp_path, monkeypatch):
    import sim

    ranges = {"population.initial_customers": (300, 900), "response.retry_p": (0.5, 1.0)}
    path = tmp_path / "sens.sqlite"
    first = experiments.sensitivity(
        tiny_scenario, ranges, outputs=["customers_start"], method="morris", samples=2, store=path, workers=1
    )
    calls = []
    real = sim.run

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(sim, "run", counting)
    again = experiments.sensitivity(
        tiny_scenario, ranges, outputs=["customers_start"], method="morris", samples=2, store=path, workers=1
    )
    assert calls == [] and again.equals(first)
    by = first.set_index("parameter")
    # customers_start is the (rounded) head count itself: all of its effect, none of retry_p's
    assert by.loc["population.initial_customers", "mu_star"] > 100
    assert by.loc["response.retry_p", "mu_star"] == 0.0
    with experiments.Store(path) as store:
        values = store.table()["population.initial_customers"].tolist()
    assert values and all(float(v).is_integer() and 300 <= v <= 900 for v in values)


def test_sobol_refuses_a_sample_size_that_is_not_a_power_of_two(tiny_scenario):
    with pytest.raises(ValueError, match="power of two"):
        experiments.sensitivity(
            tiny_scenario, {"response.retry_p": (0.5, 1.0)}, outputs=["fcr"], method="sobol", samples=6
        )
