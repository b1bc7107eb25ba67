"""The custsim command: it works, and bad input gets a message and exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

import experiments
import sim
from experiments.cli import main
from experiments.tables import comparison_table
from tests.conftest import ROOT, small_sets

SMALL = small_sets()


def cli(*args: str, cwd=ROOT, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
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
    assert payload["provenance"]["scenario_hash"]


def test_run_prints_a_table(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # shipped scenarios are found by name from anywhere
    assert main(["run", "utility_callcentre", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "service_level" in out and "churn_rate_annual" in out and "%" in out


def test_compare_prints_means_and_paired_differences(capsys, tmp_path):
    csv = tmp_path / "runs.csv"
    code = main(
        [
            "compare",
            "utility_callcentre",
            "--policies",
            "efficiency,effectiveness",
            "--reps",
            "2",
            *SMALL,
            "--workers",
            "1",
            "--csv",
            str(csv),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Δ vs baseline" in out and "(baseline)" in out and "fcr" in out and "± " in out
    runs = pd.read_csv(csv)
    assert len(runs) == 4 and list(runs.columns[:3]) == ["policy", "rep", "seed"]


def test_compare_json_is_tidy_and_null_for_nan(capsys):
    code = main(["compare", "utility_callcentre", "--reps", "2", *SMALL, "--workers", "1", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["baseline"] == "efficiency" and payload["reps"] == 2
    rows = payload["rows"]
    assert {r["policy"] for r in rows} == {"efficiency", "effectiveness", "segmented"}
    assert {r["metric"] for r in rows} == set(sim.METRICS)
    assert all(
        set(r) == {"metric", "policy", "mean", "half_width", "diff_vs_baseline", "diff_half_width"}
        for r in rows
    )


def test_compare_target_adds_replications(capsys):
    code = main(
        [
            "compare",
            "utility_callcentre",
            "--policies",
            "efficiency,effectiveness",
            *SMALL,
            "--reps",
            "2",
            "--target",
            "fcr=1e-9",
            "--max-reps",
            "4",
            "--workers",
            "1",
            "--json",
        ]
    )
    assert code == 0 and json.loads(capsys.readouterr().out)["reps"] == 4


def test_the_comparison_table_fits_120_columns_one_line_per_metric(tiny_scenario):
    c = experiments.compare(tiny_scenario, None, reps=3, seed=1, workers=1)
    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(comparison_table(c, "a title that is long enough to need wrapping " * 3))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 120
    for metric in c.means.index:
        (row,) = [line for line in lines if line.split() and line.split()[0] == metric]
        assert row.count("±") == 5  # three means and two differences, none wrapped onto another line


def test_scenarios_lists_every_file_with_its_story(tmp_path):
    p = cli("scenarios", cwd=tmp_path)  # not in the project: falls back to the project's scenarios/
    assert p.returncode == 0, p.stderr
    for path in sorted((ROOT / "scenarios").glob("*.toml")) + sorted((ROOT / "scenarios").glob("*.py")):
        (line,) = [x for x in p.stdout.splitlines() if x.startswith(path.name)]
        assert len(line.split()) > 2, f"{path.name} is listed without a story"
    assert "92" in p.stdout  # the utility's story line
    assert "How many agents does effectiveness need" in p.stdout


def test_scenarios_of_a_directory_uses_comments_or_descriptions(tmp_path, capsys):
    (tmp_path / "a.toml").write_text("# A story in a comment.\nname = 'a'\n")
    (tmp_path / "b.toml").write_text("description = 'A story in the description.'\n")
    assert main(["scenarios", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "A story in a comment." in out and "A story in the description." in out


def test_help_and_no_arguments_exit_zero(capsys):
    assert main(["--help"]) == 0
    p = cli()
    assert p.returncode == 0 and "sweep" in p.stdout and "sensitivity" in p.stdout


def test_the_installed_command_is_the_same_program():
    exe = Path(sys.executable).with_name("custsim")
    if not exe.exists():
        pytest.skip("the custsim console script is not installed in this environment")
    p = subprocess.run([str(exe), "export", "--help"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "parquet" in p.stdout


SWEEP = ["sweep", "utility_callcentre", "--store", "x.sqlite"]
BAD = [
    (["run", "no_such_scenario"], "scenario file not found"),
    (["run", "utility_callcentre", "--policy", "nope"], "unknown policy"),
    (["run", "utility_callcentre", "--set", "horizon.dayz=3"], "did you mean 'days'"),
    (["run", "utility_callcentre", "--set", "horizon.days=-1"], "horizon.days"),
    (["run", "utility_callcentre", "--set", "horizon.days"], "PATH=VALUE"),
    (["run", "utility_callcentre", "--seed", "-3"], "seed"),
    (["compare", "utility_callcentre", "--policies", "efficiency,nope"], "unknown policy"),
    (["compare", "utility_callcentre", "--policies", ","], "--policies"),
    (["compare", "utility_callcentre", "--reps", "1"], "reps"),
    (["compare", "utility_callcentre", "--baseline", "nope"], "baseline"),
    (["compare", "utility_callcentre", "--target", "nope=1"], "unknown metric"),
    (["compare", "utility_callcentre", "--target", "fcr=-1"], "METRIC=HALF_WIDTH"),
    (["compare", "utility_callcentre", "--csv", "no/such/dir/x.csv"], "--csv"),
    (["compare", "utility_callcentre", "--workers", "0"], "workers"),
    (["compare", "utility_callcentre", "--scheduler", "tcp://127.0.0.1:1"], "no Dask scheduler answers"),
    ([*SWEEP, "--vary", "response.retry_p=2:1"], "lo > hi"),
    ([*SWEEP, "--vary", "response.retry_p"], "PATH="),
    ([*SWEEP, "--vary", "response.retry_p=0.5,1", "--vary", "response.retry_p=1"], "twice"),
    ([*SWEEP, "--vary", "policies.efficiency.knowledge=1.5"], "point 0"),
    ([*SWEEP, "--vary", "horizon.dayz=3,4"], "did you mean 'days'"),
    ([*SWEEP, "--vary", "policies.effectivness.knowledge=0.5,0.9"], "did you mean 'effectiveness'"),
    ([*SWEEP, "--vary", "response.retry_p=0.5,1", "--design", "magic"], "design"),
    ([*SWEEP, "--vary", "response.retry_p=0.5,1", "--samples", "0"], "samples"),
    ([*SWEEP, "--vary", "response.retry_p=0.5,1", "--policies", "nope"], "unknown policy"),
    ([*SWEEP, "--vary", "response.retry_p=0.5,1", "--scheduler", "nonsense"], "scheduler address"),
    (["sweep", "utility_callcentre", "--vary", "response.retry_p=0.5,1"], "--store"),
    (["sweep", "utility_callcentre", "--vary", "response.retry_p=0.5,1", "--store", "."], "directory"),
    (
        ["sweep", "utility_callcentre", "--vary", "response.retry_p=1", "--store", "no/dir/x.sqlite"],
        "no directory",
    ),
    (
        ["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5:1", "--output", "nope"],
        "--output: unknown metric",
    ),
    (["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5,1"], "ranges"),
    (["sensitivity", "utility_callcentre", "--vary", "response.retry_p=1:1"], "LO < HI"),
    (["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5:2"], "response.retry_p"),
    (["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5:1", "--method", "fast"], "method"),
    (
        ["sensitivity", "utility_callcentre", "--vary", "response.retry_p=0.5:1", "--policy", "nope"],
        "unknown policy",
    ),
    (["export", "no_such.sqlite"], "no result store"),
    (["export", str(ROOT / "pyproject.toml"), "--out", "x.csv"], "not a result store"),
    (["export", str(ROOT / "pyproject.toml"), "--format", "xlsx"], "--format"),
    (["scenarios", "no_such_dir"], "not a directory"),
    (["run"], "Missing argument"),
    (["frobnicate"], "No such command"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_exits_2_with_a_message_no_traceback_and_nothing_written(
    args, message, capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 2, (code, captured.out, captured.err)
    assert message.lower() in (captured.err + captured.out).lower()
    assert "Traceback" not in captured.err + captured.out
    assert list(tmp_path.iterdir()) == [], "bad input wrote a file"


def test_a_set_that_creates_a_policy_is_warned_about(capsys):
    assert main(["run", "utility_callcentre", *SMALL, "--set", "policies.effectivness.knowledge=0.5"]) == 0
    assert "creates a new policy 'effectivness'" in capsys.readouterr().err
    args = ["--set", "policies.mine.base=efficiency", "--set", "policies.mine.knowledge=0.9"]
    assert main(["run", "utility_callcentre", *SMALL, *args, "--policy", "mine"]) == 0
    assert "creates a new policy" not in capsys.readouterr().err  # on purpose: it names a base


def test_bad_input_through_the_installed_command_too():
    p = cli("run", "utility_callcentre", "--set", "horizon.dayz=3")
    assert p.returncode == 2 and "did you mean 'days'" in p.stderr and "Traceback" not in p.stderr


def test_a_broken_scenario_file_lists_every_problem(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[horizon]\ndays = "ten"\nwarmup_days = -1\n[population]\ninitial_customers = 0\n')
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    for path in (
        "horizon.days",
        "horizon.warmup_days",
        "population.initial_customers",
        "segments",
        "products",
    ):
        assert path in err
    assert "'ten'" in err  # the offending value
    syntax = tmp_path / "syntax.toml"
    syntax.write_text("[horizon\ndays = 3\n")
    assert main(["run", str(syntax)]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "TOML syntax error" in err


def test_internal_errors_exit_1_in_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    import experiments.cli as c

    def boom(*a, **k):
        raise RuntimeError("kaboom [bold]")

    monkeypatch.setattr(c, "load", boom)
    monkeypatch.delenv("CUSTSIM_DEBUG", raising=False)
    assert main(["run", "utility_callcentre"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaboom [bold]" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["run", "utility_callcentre", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("CUSTSIM_DEBUG", "1")
    assert main(["run", "utility_callcentre"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_an_interrupted_command_says_so_and_exits_130(monkeypatch, capsys):
    import sim

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim, "run", interrupted)
    assert main(["compare", "utility_callcentre", *SMALL, "--reps", "2", "--workers", "1"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def test_sweep_and_export_end_to_end(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    args = [
        "sweep",
        "utility_callcentre",
        *SMALL,
        "--vary",
        "response.retry_p=0.5,1",
        "--vary",
        "policies.efficiency.staffing.agents=3:5",
        "--samples",
        "2",
        "--policies",
        "efficiency",
        "--store",
        str(store),
        "--workers",
        "1",
    ]
    assert main(args) == 0
    first = capsys.readouterr()
    assert "executed 4 runs" in first.err and "agents" in first.out and "retry_p" in first.out
    assert main(args) == 0
    assert "executed 0 runs (4 were already in the store)" in capsys.readouterr().err
    out = tmp_path / "s.csv"
    assert main(["export", str(store), "--format", "csv", "--out", str(out)]) == 0
    assert "wrote 4 runs" in capsys.readouterr().err
    table = pd.read_csv(out)
    assert len(table) == 4 and sorted(table["policies.efficiency.staffing.agents"]) == [3, 3, 5, 5]
    assert main(["export", str(store), "--format", "parquet"]) == 0
    assert len(pd.read_parquet(store.with_suffix(".parquet"))) == 4


def test_a_sweep_with_failed_runs_lists_them_and_exits_1(tmp_path, capsys, monkeypatch):
    import sim

    real = sim.run

    def flaky(scenario, policy=None, seed=1, **kw):
        if scenario.response.retry_p == 1.0:
            raise RuntimeError("simulated failure")
        return real(scenario, policy, seed, **kw)

    monkeypatch.setattr(sim, "run", flaky)
    args = [
        "sweep",
        "utility_callcentre",
        *SMALL,
        "--vary",
        "response.retry_p=0.5,1",
        "--policies",
        "efficiency",
    ]
    args += ["--store", str(tmp_path / "s.sqlite"), "--workers", "1"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "1 failed" in err and "simulated failure" in err and "re-run the same command" in err
    monkeypatch.setattr(sim, "run", real)
    assert main(args) == 0
    assert "executed 1 runs (1 were already in the store); 0 failed" in capsys.readouterr().err


def test_sensitivity_prints_indices_with_intervals(capsys):
    code = main(
        [
            "sensitivity",
            "utility_callcentre",
            *SMALL,
            "--method",
            "morris",
            "--samples",
            "2",
            "--vary",
            "policies.efficiency.knowledge=0.5:0.99",
            "--vary",
            "response.retry_p=0.5:1",
            "--output",
            "fcr,profit",
            "--policy",
            "efficiency",
            "--workers",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    for word in ("mu_star", "mu_star_conf", "sigma", "knowledge", "retry_p", "fcr", "profit"):
        assert word in out
