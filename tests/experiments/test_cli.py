"""The custsim command: it works, and bad input gets a message and exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from experiments.cli import main
from tests.conftest import ROOT

SMALL = [
    "--set",
    "population.initial_customers=600",
    "--set",
    "horizon.days=20",
    "--set",
    "horizon.warmup_days=2",
]


def cli(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_run_prints_the_summary_as_json():
    p = cli(
        "run",
        "scenarios/utility_callcentre.toml",
        "--policy",
        "effectiveness",
        "--seed",
        "3",
        *SMALL,
        "--json",
    )
    assert p.returncode == 0, p.stderr
    payload = json.loads(p.stdout)
    assert payload["policy"] == "effectiveness" and payload["seed"] == 3
    assert 0 <= payload["summary"]["fcr"] <= 1


def test_compare_prints_means_and_paired_differences():
    p = cli(
        "compare",
        "utility_callcentre",
        "--policies",
        "efficiency,effectiveness",
        "--reps",
        "2",
        *SMALL,
        "--workers",
        "1",
    )
    assert p.returncode == 0, p.stderr
    assert "Δ effectiveness" in p.stdout and "fcr" in p.stdout and "± " in p.stdout


def test_scenarios_lists_every_file_with_its_story():
    p = cli("scenarios")
    assert p.returncode == 0
    for name in ("utility_callcentre.toml", "bank_portfolio.toml", "public_service.toml"):
        assert name in p.stdout
    assert "92" in p.stdout  # the utility's story line


def test_help_and_no_arguments_exit_zero():
    assert cli("--help").returncode == 0
    assert cli().returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_scenario"], "scenario file not found"),
        (["run", "utility_callcentre", "--policy", "nope"], "unknown policy"),
        (["run", "utility_callcentre", "--set", "horizon.dayz=3"], "did you mean 'days'"),
        (["run", "utility_callcentre", "--set", "horizon.days=-1"], "horizon.days"),
        (["run", "utility_callcentre", "--set", "horizon.days"], "PATH=VALUE"),
        (["run", "utility_callcentre", "--seed", "-3"], "seed"),
        (["compare", "utility_callcentre", "--policies", "efficiency,nope"], "unknown policy"),
        (["compare", "utility_callcentre", "--reps", "1"], "reps"),
        (["compare", "utility_callcentre", "--baseline", "nope"], "baseline"),
        (["sweep", "utility_callcentre", "--vary", "response.retry_p=2:1", "--store", "x.sqlite"], "lo > hi"),
        (["sweep", "utility_callcentre", "--vary", "response.retry_p", "--store", "x.sqlite"], "PATH="),
        (
            [
                "sweep",
                "utility_callcentre",
                "--vary",
                "policies.efficiency.knowledge=1.5",
                "--store",
                "x.sqlite",
            ],
            "point 0",
        ),
        (
            [
                "sweep",
                "utility_callcentre",
                "--vary",
                "response.retry_p=0.5,1",
                "--design",
                "magic",
                "--store",
                "x.sqlite",
            ],
            "design",
        ),
        (
            ["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5:1", "--output", "nope"],
            "unknown --output",
        ),
        (["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5,1"], "ranges"),
        (["export", "no_such.sqlite"], "no result store"),
        (["export", "pyproject.toml"], "not a result store"),
        (["run"], "Missing argument"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 2, (code, captured.out, captured.err)
    assert message.lower() in (captured.err + captured.out).lower()
    assert "Traceback" not in captured.err + captured.out
    assert not (ROOT / "x.sqlite").exists()


def test_bad_input_through_the_installed_command_too():
    p = cli("run", "utility_callcentre", "--set", "horizon.dayz=3")
    assert p.returncode == 2 and "did you mean 'days'" in p.stderr and "Traceback" not in p.stderr


def test_a_broken_scenario_file_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[horizon]\ndays = "ten"\nwarmup_days = -1\n[population]\ninitial_customers = 0\n')
    p = cli("run", str(bad))
    assert p.returncode == 2
    for path in (
        "horizon.days",
        "horizon.warmup_days",
        "population.initial_customers",
        "segments",
        "products",
    ):
        assert path in p.stderr
    syntax = tmp_path / "syntax.toml"
    syntax.write_text("[horizon\ndays = 3\n")
    p = cli("run", str(syntax))
    assert p.returncode == 2 and "line 1" in p.stderr and "TOML syntax error" in p.stderr


def test_internal_errors_exit_1_in_one_line(monkeypatch, capsys):
    import experiments.cli as c

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(c, "load", boom)
    assert main(["run", "utility_callcentre"]) == 1
    captured = capsys.readouterr()
    assert "internal error: RuntimeError: kaboom" in captured.err and "Traceback" not in captured.err


def test_sweep_and_export_end_to_end(tmp_path):
    store = tmp_path / "s.sqlite"
    args = [
        "sweep",
        "utility_callcentre",
        *SMALL,
        "--vary",
        "response.retry_p=0.5,1",
        "--policies",
        "efficiency",
        "--store",
        str(store),
        "--workers",
        "1",
    ]
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert "executed 2 runs" in first.stderr
    again = cli(*args)
    assert "executed 0 runs" in again.stderr
    out = tmp_path / "s.csv"
    p = cli("export", str(store), "--format", "csv", "--out", str(out))
    assert p.returncode == 0 and out.read_text().count("\n") == 3
