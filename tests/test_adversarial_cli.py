"""Attacks on the command line: whatever the user does, one line and exit 2, never "internal error".

Names that are rich markup or terminal escapes, names that are mathtext,
seeds past 64 bits, empty policy names, absurd numbers, damaged and read-only
stores, files that are not UTF-8 in a listing, values nested thousands deep:
each is either shown literally and run, or refused with a message naming what
is wrong; none reaches the user as a traceback or an "internal error", and
nothing reaches the terminal raw.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path

import pytest

import experiments
import sim
from experiments.cli import main
from experiments.inputs import ArgumentError
from tests.conftest import SCENARIOS, small_sets
from tests.experiments.conftest import tiny

SCENARIO = str(SCENARIOS / "utility_callcentre.toml")
SMALL = small_sets()
DEEP = "[" * 5000 + "]" * 5000
SWEEP = ["sweep", SCENARIO, "--vary", "response.retry_p=0.5", "--store", "s.sqlite"]
SENSITIVITY = ["sensitivity", SCENARIO, "--vary", "response.retry_p=0.1:0.9"]


def clean(capsys, code: int, expected: int) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert code == expected, (code, out, err)
    for text in (out, err):
        assert "Traceback" not in text and "internal error" not in text, text
        assert "\x1b" not in text, "a raw escape sequence reached the terminal"
    return out, err


# -- names: shown as written ------------------------------------------------------------------
MARKUP_NAMES = ["n[/]", "utility [draft]", "[bold]x[/bold]", "a$b$c", "$x^$", "[link=http://x]y"]


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_markup_and_mathtext_in_a_scenario_name_are_printed_literally(name, capsys):
    code = main(["run", SCENARIO, *SMALL, "--set", f"name={json.dumps(name)}"])
    out, _ = clean(capsys, code, 0)
    assert name in out


MARKUP_SCENARIO = """
name = "m[/]k $x^$"
[horizon]
days = 20
warmup_days = 2
[population]
initial_customers = 300
[products."p[/]"]
revenue_per_year = 10.0
[segments."s[bold]"]
share = 1.0
portfolio = { 1 = 1.0 }
products = { "p[/]" = 1.0 }
[policies."a$x^$[/]"]
base = "efficiency"
"""


@pytest.fixture
def markup_scenario(tmp_path) -> Path:
    path = tmp_path / "markup.toml"
    path.write_text(MARKUP_SCENARIO, encoding="utf-8")
    return path


def test_policy_and_segment_names_with_markup_run_compare_and_sweep(markup_scenario, capsys, tmp_path):
    policies = "efficiency,a$x^$[/]"
    code = main(["compare", str(markup_scenario), "--reps", "2", "--workers", "1", "--policies", policies])
    out, _ = clean(capsys, code, 0)
    assert "a$x^$[/]" in out and "m[/]k $x^$" in out
    store = tmp_path / "s.sqlite"
    args = ["sweep", str(markup_scenario), "--vary", "response.retry_p=0.5,1", "--policies", policies]
    code = main([*args, "--store", str(store), "--workers", "1"])
    out, _ = clean(capsys, code, 0)
    assert "a$x^$[/]" in out


@pytest.mark.slow
def test_a_report_draws_mathtext_names_as_plain_text(markup_scenario, capsys, tmp_path):
    out_dir = tmp_path / "report"
    args = ["compare", str(markup_scenario), "--reps", "2", "--workers", "1", "--report", str(out_dir)]
    code = main([*args, "--policies", "efficiency,a$x^$[/]"])
    clean(capsys, code, 0)
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "a$x^$[/]" in html and len(list(out_dir.glob("figure-*.png"))) == 6


def test_escape_sequences_never_reach_the_terminal(capsys, tmp_path):
    code = main(["run", SCENARIO, *SMALL, "--set", 'name="x\\u001b[2J"'])
    _, err = clean(capsys, code, 2)
    assert "control characters" in err and "\\x1b[2J" in err
    code = main(["run", SCENARIO, *SMALL, "--policy", "p\x1b[31m"])
    _, err = clean(capsys, code, 2)
    assert "\\x1b[31m" in err
    code = main(["export", str(tmp_path / "missing\x1b[2J.sqlite")])
    clean(capsys, code, 2)


# -- arguments: one format, at once ------------------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [
        (["run", SCENARIO, "--policy", ""], "--policy: name a policy"),
        (["run", SCENARIO, "--policy", "  "], "--policy: name a policy"),
        (["compare", SCENARIO, "--policies", ""], "--policies"),
        (["compare", SCENARIO, "--policies", ",,"], "--policies"),
        (["compare", SCENARIO, "--baseline", ""], "--baseline: must be one of"),
        (["compare", SCENARIO, "--policies", "efficiency,efficiency"], "listed twice"),
        (["run", SCENARIO, "--seed", str(2**63)], "--seed: must be an integer from 0 to"),
        (["run", SCENARIO, "--seed", "-1"], "--seed"),
        ([*SWEEP, "--seed", str(2**64)], "--seed"),
        ([*SWEEP, "--design-seed", "-3"], "--design-seed"),
        ([*SWEEP, "--design", "random"], "--design: must be one of"),
        ([*SENSITIVITY, "--method", "fast"], "--method: must be one of"),
        ([*SENSITIVITY, "--policy", ""], "--policy"),
        (["compare", SCENARIO, "--target", "fcr=0", "--reps", "2"], "--target"),
        (["compare", SCENARIO, "--target", "nope=1", "--reps", "2"], "--target"),
        (["run", SCENARIO, "--set", f"a={DEEP}"], "nested too deeply"),
        (["sweep", SCENARIO, "--store", "s.sqlite", "--vary", f"a={DEEP}"], "nested too deeply"),
    ],
)  # fmt: skip
def test_bad_arguments_get_one_line_in_one_format_and_exit_2(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, err = clean(capsys, main(args), 2)
    assert words in err, err
    assert list(tmp_path.iterdir()) == []


def test_the_api_checks_arguments_with_the_same_messages():
    tiny_scenario = tiny()
    with pytest.raises(ArgumentError, match="policies: name at least one policy"):
        experiments.compare(tiny_scenario, [])
    with pytest.raises(ArgumentError, match="policy: name a policy"):
        experiments.sensitivity(tiny_scenario, {"response.retry_p": (0.1, 0.9)}, outputs="fcr", policy="")
    with pytest.raises(ArgumentError, match="seed: must be an integer from 0 to"):
        experiments.sweep(tiny_scenario, {"response.retry_p": [0.5]}, seed=2**63)
    with pytest.raises(ArgumentError, match="reps: must be an integer >= 1"):
        experiments.replicate(tiny_scenario, reps=True)
    with pytest.raises(TypeError, match="positional"):
        experiments.compare(tiny_scenario, None, 3)  # keyword-only beyond the scenario and policies


def test_the_largest_seed_runs_and_is_stored(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    seed = str(2**63 - 1)
    args = ["sweep", SCENARIO, *SMALL, "--vary", "response.retry_p=0.5", "--policies", "efficiency"]
    code = main([*args, "--store", str(store), "--seed", seed, "--workers", "1"])
    clean(capsys, code, 0)
    with experiments.Store(store, readonly=True) as s:
        assert s.table().root_seed.tolist() == [2**63 - 1]


# -- numbers: bounded, and JSON stays JSON -------------------------------------------------------
@pytest.mark.parametrize(
    "change, words",
    [
        ("population.initial_customers=9223372036854775807", "population.initial_customers"),
        ("horizon.days=1e30", "horizon.days"),
        ("horizon.days=1000000000", "36500"),
        ("handling.cv=1e308", "handling.cv"),
        ("reasons.usage.rate_per_year=1e308", "rate_per_year"),
        ("economics.agent_cost_per_hour=1e308", "agent_cost_per_hour"),
        ("products.electricity.revenue_per_year=1e308", "revenue_per_year"),
        ("handling.cv=nan", "handling.cv"),
        ("handling.cv=inf", "handling.cv"),
    ],
)
def test_absurd_numbers_are_refused_by_the_schema_not_by_a_crash(change, words, capsys):
    _, err = clean(capsys, main(["run", SCENARIO, "--set", change]), 2)
    assert words in err


def test_json_output_is_strict_json_at_the_bounds(capsys):
    extreme = [
        "economics.agent_cost_per_hour=1000000.0",
        "products.electricity.revenue_per_year=1000000000.0",
    ]
    args = ["run", SCENARIO, *SMALL, *[a for c in extreme for a in ("--set", c)], "--json"]
    out, _ = clean(capsys, main(args), 0)

    def refuse(token):
        raise AssertionError(f"not JSON: {token}")

    summary = json.loads(out, parse_constant=refuse)["summary"]
    assert math.isfinite(summary["profit"]) and math.isfinite(summary["revenue"])


# -- files and stores ----------------------------------------------------------------------------
def test_a_damaged_store_is_reported_not_crashed_on(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    experiments.sweep(tiny(), {"response.retry_p": [0.5, 1.0]}, ["efficiency"], store=store, workers=1)
    data = bytearray(store.read_bytes())
    data[4096:8192] = os.urandom(4096)  # a garbage page
    store.write_bytes(bytes(data))
    for args in (
        ["export", str(store), "--out", str(tmp_path / "x.csv")],
        ["report", str(store), "--out", str(tmp_path / "r")],
    ):
        _, err = clean(capsys, main(args), 2)
        assert str(store) in err
    assert not (tmp_path / "x.csv").exists()


def test_tampered_rows_in_a_store_are_reported_not_crashed_on(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    experiments.sweep(tiny(), {"response.retry_p": [0.5]}, ["efficiency"], store=store, workers=1)
    with sqlite3.connect(store) as db:
        db.execute("UPDATE runs SET summary = '{not json', params = 'nor this'")
    _, err = clean(capsys, main(["export", str(store), "--out", str(tmp_path / "x.csv")]), 2)
    assert "damaged" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to read-only files")
def test_resuming_a_read_only_store_is_refused_before_running(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    experiments.sweep(tiny(), {"response.retry_p": [0.5]}, ["efficiency"], store=store, workers=1)
    store.chmod(0o444)
    args = ["sweep", SCENARIO, *SMALL, "--vary", "response.retry_p=0.5,1", "--store", str(store)]
    _, err = clean(capsys, main(args), 2)
    assert "read-only" in err


def test_a_scenario_listing_survives_files_that_are_not_scenarios(tmp_path, capsys):
    (tmp_path / "good.toml").write_text("# A good story\nname = 'x'\n")
    (tmp_path / "latin1.toml").write_bytes(b"# caf\xe9\n")
    (tmp_path / "binary.toml").write_bytes(os.urandom(64))
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    (tmp_path / "escape.toml").write_text("# \x1b[2J clear\n")
    out, _ = clean(capsys, main(["scenarios", str(tmp_path)]), 0)
    assert "A good story" in out and "not UTF-8" in out and "not a regular file" in out


def test_a_path_too_long_for_the_system_is_a_user_error(capsys):
    _, err = clean(capsys, main(["run", "x" * 5000 + ".toml"]), 2)
    assert "scenario" in err


def test_a_scenario_that_is_a_symlink_loop_is_a_user_error(tmp_path, capsys):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    clean(capsys, main(["run", str(tmp_path / "a.toml")]), 2)


def test_a_store_name_with_uri_characters_works(tmp_path, capsys):
    store = tmp_path / "odd ?name#1%20.sqlite"
    args = ["sweep", SCENARIO, *SMALL, "--vary", "response.retry_p=0.5", "--policies", "efficiency"]
    clean(capsys, main([*args, "--store", str(store), "--workers", "1"]), 0)
    clean(capsys, main(["export", str(store), "--out", str(tmp_path / "out.csv")]), 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd ?name#1%20.sqlite", "out.csv"]


def test_the_model_itself_reports_a_load_it_cannot_staff(capsys):
    # within every bound and small enough to pass the preflight, but no contact centre can staff it
    args = ["run", SCENARIO, "--set", "population.initial_customers=1000000", "--set", "horizon.days=20",
            "--set", "horizon.warmup_days=2", "--set", "reasons.incident.handle_minutes=1440.0",
            "--set", "reasons.incident.rate_per_year=500000.0", "--policy", "effectiveness"]  # fmt: skip
    code = main(args)
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and "internal error" not in err, err
    assert sim  # the message comes from the preflight or from the staffing guard, never a hang
