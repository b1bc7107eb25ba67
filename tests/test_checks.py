"""Preflight warnings: valid but probably unintended set-ups are reported, with their numbers."""

from __future__ import annotations

import re

import sim
from sim import preflight
from sim.checks import horizon_warnings
from tests.conftest import busy_utility, small_utility


def test_an_overloaded_fixed_desk_is_reported_with_its_load():
    sc = busy_utility(
        rate_factor=200.0,
        **{"policies.efficiency.staffing.mode": "fixed", "policies.efficiency.staffing.agents": 3},
    )
    warnings = [w for w in preflight(sc, "efficiency") if "offered load" in w]
    assert warnings, "an overloaded pool must be reported"
    m = re.search(r"load ([0-9.]+) Erlangs .* its (\d+) agents \(utilisation ([0-9.]+)", warnings[0])
    load, agents, rho = float(m.group(1)), int(m.group(2)), float(m.group(3))
    assert load >= agents and rho >= 1.0 and abs(rho - load / agents) < 0.01


def test_a_well_staffed_desk_gets_no_load_warning():
    sc = busy_utility(
        **{"policies.efficiency.staffing.mode": "fixed", "policies.efficiency.staffing.agents": 40}
    )
    assert not [w for w in preflight(sc, "efficiency") if "offered load" in w]


def test_short_horizons_say_they_measure_a_transient():
    sc = small_utility(customers=200, days=60, warmup=5)
    messages = horizon_warnings(sc, "efficiency")
    assert any("forgetting_half_life_days" in m for m in messages)
    assert any("forecast_window_days" in m for m in messages)
    default = sim.load_scenario("scenarios/utility_callcentre.toml")
    assert horizon_warnings(default, "efficiency") == []


def test_warnings_reach_the_result():
    sc = small_utility(customers=200, days=60, warmup=5)
    result = sim.run(sc, "efficiency", seed=1)
    assert result.provenance["warnings"] == preflight(sc, "efficiency")
    assert all(f"warning: {w}" in result.notes for w in result.provenance["warnings"])


def test_the_cli_prints_warnings_on_stderr_before_the_run(capsys, monkeypatch):
    from experiments.cli import main
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    code = main(
        [
            "run",
            "utility_callcentre",
            "--set",
            "population.initial_customers=300",
            "--set",
            "horizon.days=30",
            "--set",
            "horizon.warmup_days=2",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "warning: horizon.days (30)" in captured.err
    assert "warning" not in captured.out.split('"notes"')[0]  # stdout stays machine-readable JSON
