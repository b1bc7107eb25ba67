"""The validation suite: every case passes, the checks have power, and the command tells the truth."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import sim
from experiments.cli import main
from experiments.validation import CASES, COLUMNS, run_validation
from experiments.validation.checks import Check, Estimate, batch_ratio, equal, paired, signed
from experiments.validation.queueing import _queue_checks, _window, redial_fixed_point
from sim.erlang import erlang_a, mmc_metrics
from sim.validation import mmc_scenario
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return run_validation(workers=2, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_every_check_of_the_case_passes(table, case):
    mine = table[table.id == case]
    assert not mine.empty, f"case {case} produced no checks"
    failed = mine[~mine.passed]
    assert failed.empty, failed.to_string()


@pytest.mark.slow
def test_the_table_has_theory_simulation_and_tolerance_for_every_row(table):
    assert list(table.columns) == COLUMNS
    assert len(table) >= 60
    assert table[["theory", "simulated", "half_width", "tolerance"]].notna().all().all()
    assert (table.tolerance > 0).all() and (table.half_width > 0).all()
    # the classic staffing example is there, with the published numbers as theory
    classic = table[table.case.str.startswith("Erlang C: classic")].set_index("quantity")
    assert classic.loc["P(wait)", "theory"] == pytest.approx(0.1741, abs=5e-5)
    assert classic.loc["service level (20 s)", "theory"] == pytest.approx(0.8884, abs=5e-5)
    assert classic.loc["occupancy", "theory"] == pytest.approx(0.714, abs=5e-4)
    erlang_a_rows = table[table.case.str.startswith("Erlang A")].set_index("quantity")
    assert erlang_a_rows.loc["P(wait)", "theory"] == pytest.approx(0.2258, abs=5e-5)
    assert erlang_a_rows.loc["P(abandon)", "theory"] == pytest.approx(0.0250, abs=5e-5)


@pytest.mark.slow
def test_docs_show_the_table_of_this_run(table):
    from experiments.tables import validation_markdown

    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    begin, end = "<!-- validation table: begin -->\n", "<!-- validation table: end -->"
    shown = text[text.index(begin) + len(begin) : text.index(end)]
    assert shown == validation_markdown(table), (
        "docs/validation.md is out of date: run `custsim validate --markdown table.md` and paste it in"
    )


# -- the checks have power: wrong theory fails ---------------------------------------------------------
@pytest.fixture(scope="module")
def classic_run() -> pd.DataFrame:
    scenario = mmc_scenario(100 / 30, 3.0, 14, days=31, warmup_days=1)
    return _window(sim.run(scenario, seed=5))


def test_the_right_theory_passes_and_a_neighbouring_staffing_level_fails(classic_run):
    right = _queue_checks("x", classic_run, mmc_metrics(100 / 30, 3.0, 14), 20.0)
    assert all(c.passed for c in right), [c for c in right if not c.passed]
    for agents in (13, 15):
        wrong = _queue_checks("x", classic_run, mmc_metrics(100 / 30, 3.0, agents), 20.0)
        by = {c.quantity: c.passed for c in wrong}
        assert not by["P(wait)"] and not by["occupancy"], agents


def test_abandonment_is_not_mistaken_for_erlang_c():
    scenario = mmc_scenario(100 / 30, 3.0, 13, patience_min=5.0, days=21, warmup_days=1)
    ts = _window(sim.run(scenario, seed=2))
    c_theory = mmc_metrics(100 / 30, 3.0, 13)
    a_theory = erlang_a(100 / 30, 3.0, 13, 5.0)
    assert all(c.passed for c in _queue_checks("a", ts, a_theory, 20.0))
    assert not all(c.passed for c in _queue_checks("c", ts, c_theory, 20.0))


# -- estimators --------------------------------------------------------------------------------------
def test_batch_ratio_is_the_ratio_of_sums_with_the_delta_method_error():
    rng = np.random.default_rng(0)
    den = rng.poisson(1000, 400).astype(float)
    num = rng.binomial(den.astype(int), 0.3).astype(float)
    est = batch_ratio(num, den)
    assert est.value == pytest.approx(num.sum() / den.sum())
    # binomial: se of a pooled proportion
    assert est.se == pytest.approx(math.sqrt(0.3 * 0.7 / den.sum()), rel=0.15)


def test_batch_ratio_merges_correlated_batches():
    rng = np.random.default_rng(1)
    x = np.repeat(rng.normal(size=100), 4) + 0.01 * rng.normal(size=400)  # runs of 4 equal values
    est = batch_ratio(x, np.ones_like(x))
    assert est.n <= 100  # merged to at least the correlation length
    assert est.se == pytest.approx(x.std() / math.sqrt(100), rel=0.3)


def test_batch_estimates_cover_the_truth_at_the_stated_rate():
    rng = np.random.default_rng(2)
    covered = 0
    for _ in range(400):
        est = batch_ratio(rng.normal(5.0, 1.0, 40), np.ones(40))
        covered += abs(est.value - 5.0) <= est.half_width
    assert 0.91 <= covered / 400 <= 0.98  # 95 % nominal (normal quantile, 40 batches)


def test_paired_uses_student_t_and_signed_needs_the_whole_interval():
    est = paired(np.array([1.0, 2.0, 3.0]))
    assert est.df == 2 and est.half_width == pytest.approx(4.302653 * 1 / math.sqrt(3), rel=1e-6)
    assert not signed("c", "q", est, "above").passed  # mean 2 but the interval reaches below 0
    assert signed("c", "q", paired(np.array([1.0, 1.2, 1.4])), "above").passed
    assert signed("c", "q", paired(np.array([-1.4, -1.2, -1.0])), "below").passed
    assert not signed("c", "q", paired(np.array([-1.4, -1.2, -1.0])), "above").passed


def test_equal_uses_four_standard_errors_plus_a_stated_allowance():
    est = Estimate(1.0, 0.01, 100)
    assert equal("c", "q", 1.039, est).passed and not equal("c", "q", 1.041, est).passed
    assert equal("c", "q", 1.05, est, allowance=0.02).passed
    with pytest.raises(ValueError):
        paired(np.array([1.0]))


def test_redial_fixed_point_solves_its_equation():
    lam, h, c, patience, psi, r = 3.0, 3.0, 10, 2.0, 0.6, 0.2
    total, p_ab = redial_fixed_point(lam, h, c, patience, psi, r)
    assert total == pytest.approx(lam + psi * total * p_ab + r * total * (1 - p_ab), rel=1e-9)
    assert p_ab == pytest.approx(erlang_a(total, h, c, patience).p_abandon)
    assert redial_fixed_point(lam, h, c, patience, 0.0, 0.0)[0] == pytest.approx(lam)


# -- the command --------------------------------------------------------------------------------------
def test_validate_lists_the_cases(capsys):
    assert main(["validate", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in CASES)


def test_validate_runs_chosen_cases_and_prints_json(capsys, tmp_path):
    md = tmp_path / "v.md"
    assert (
        main(["validate", "--cases", "poisson,tenure", "--workers", "1", "--json", "--markdown", str(md)])
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["failed"] == 0 and len(payload["checks"]) == 13
    assert md.read_text().startswith("| case | quantity |")


def test_validate_exits_nonzero_when_a_check_fails(monkeypatch, capsys):
    from experiments import validation

    def failing(seed: int) -> list[Check]:
        return [equal("broken", "1 = 2", 2.0, Estimate(1.0, 0.01, 50))]

    monkeypatch.setitem(validation.CASES, "poisson", validation.Case("poisson", "x", "y", failing))
    assert main(["validate", "--cases", "poisson", "--workers", "1"]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "1 of 1 checks failed" in captured.err


def test_validate_rejects_an_unknown_case(capsys):
    assert main(["validate", "--cases", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "--cases: must be one of" in err and "nonsense" in err and "Traceback" not in err
