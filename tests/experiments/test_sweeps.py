"""Sweeps: stored as they finish, resumable, crash-safe, equal however they were run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import experiments
import sim
from experiments.store import Store
from tests.conftest import ROOT

VARY = {"policies.efficiency.knowledge": [0.7, 0.95], "response.retry_p": experiments.Range(0.5, 1.0)}
COLS = ["point", "policy", "rep", "seed", *VARY, *sim.METRICS]


def run(tiny_scenario, store=None, workers=1, **kw):
    return experiments.sweep(
        tiny_scenario,
        VARY,
        ["efficiency", "effectiveness"],
        reps=2,
        samples=2,
        store=store,
        workers=workers,
        **kw,
    )


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a[COLS].reset_index(drop=True).equals(b[COLS].reset_index(drop=True))


def test_sweep_table_is_tidy_and_complete(tiny_scenario):
    result = run(tiny_scenario)
    t = result.table
    assert len(t) == 4 * 2 * 2 and result.executed == 16
    assert list(t.columns[:6]) == COLS[:6]
    assert set(t["policies.efficiency.knowledge"]) == {0.7, 0.95}
    assert set(t["response.retry_p"]) == {0.5, 1.0}


def test_store_equals_memory_and_parallel_equals_serial(tiny_scenario, tmp_path):
    memory = run(tiny_scenario)
    stored = run(tiny_scenario, store=tmp_path / "runs.sqlite", workers=2)
    assert same(memory.table, stored.table)


def test_a_second_run_of_a_finished_sweep_executes_nothing(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    first = run(tiny_scenario, store=path)
    again = run(tiny_scenario, store=path)
    assert first.executed == 16 and again.executed == 0
    assert same(first.table, again.table)


def test_an_interrupted_sweep_resumes_to_the_same_table(tiny_scenario, tmp_path, monkeypatch):
    reference = run(tiny_scenario).table
    path = tmp_path / "runs.sqlite"
    real = sim.run
    calls = {"n": 0}

    def dies_after_five(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt  # the user presses ^C mid-sweep
        return real(*args, **kwargs)

    monkeypatch.setattr(sim, "run", dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        run(tiny_scenario, store=path)
    monkeypatch.setattr(sim, "run", real)
    with Store(path) as store:
        kept = len(store)  # finished batches are stored; the batch in flight is lost
    assert 0 < kept <= 5
    resumed = run(tiny_scenario, store=path)
    assert resumed.executed == 16 - kept
    assert same(resumed.table, reference)


def test_a_failing_run_is_recorded_and_retried_alone(tiny_scenario, tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    real = sim.run

    def flaky(scenario, policy, seed, **kw):
        if policy == "effectiveness" and scenario.response.retry_p == 1.0 and seed.spawn_key == (1,):
            raise RuntimeError("disk full (simulated)")
        return real(scenario, policy, seed, **kw)

    monkeypatch.setattr(sim, "run", flaky)
    first = run(tiny_scenario, store=path)
    assert len(first.failed) == 2  # two points have retry_p = 1.0
    assert "disk full" in first.failed.iloc[0]["error"]
    assert len(first.table) == 14
    with Store(path) as store:
        statuses = store.status()
        assert sorted(statuses.values()).count("failed") == 2
    monkeypatch.setattr(sim, "run", real)
    second = run(tiny_scenario, store=path)
    assert second.executed == 2 and len(second.failed) == 0
    assert same(second.table, run(tiny_scenario).table)


def test_rows_carry_provenance(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    run(tiny_scenario, store=path, seed=9)
    with Store(path) as store:
        t = store.table()
    assert set(t.scenario_hash) == {tiny_scenario.content_hash()}
    assert set(t.root_seed) == {9} and set(t.status) == {"ok"}
    assert t.package_version.notna().all() and t.finished_utc.notna().all()


def test_invalid_points_are_all_reported_before_anything_runs(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    with pytest.raises(sim.ScenarioError) as info:
        experiments.sweep(
            tiny_scenario, {"policies.efficiency.knowledge": [0.5, 1.5, 2.0]}, ["efficiency"], store=path
        )
    assert [e.path for e in info.value.errors] == [
        "point 1: policies.efficiency.knowledge",
        "point 2: policies.efficiency.knowledge",
    ]
    assert not path.exists() or Store(path).__len__() == 0


def test_export_csv_and_parquet(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    run(tiny_scenario, store=path)
    with Store(path) as store:
        assert store.export(tmp_path / "out.csv", "csv") == 16
        assert store.export(tmp_path / "out.parquet", "parquet") == 16
    csv = pd.read_csv(tmp_path / "out.csv")
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert len(csv) == len(parquet) == 16 and "fcr" in parquet and "response.retry_p" in csv


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import experiments
    from tests.experiments.conftest import tiny
    from tests.experiments.test_sweeps import VARY
    experiments.sweep(tiny(), VARY, ["efficiency", "effectiveness"], reps=4, samples=3, store={store!r},
                      workers=1)
""")


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_losing_and_duplicating_nothing(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    expected = experiments.sweep(
        tiny_scenario, VARY, ["efficiency", "effectiveness"], reps=4, samples=3, workers=1
    ).table
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT.format(root=str(ROOT), store=str(path))],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if path.exists():
            try:
                with sqlite3.connect(path, timeout=1) as db:
                    stored = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.Error:
                continue
            if stored >= 10:
                break
    assert proc.poll() is None, "the sweep finished before it could be killed; make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(path) as store:
        partial = len(store)  # readable after SIGKILL
    assert 10 <= partial < len(expected)
    resumed = experiments.sweep(
        tiny_scenario, VARY, ["efficiency", "effectiveness"], reps=4, samples=3, store=path, workers=1
    )
    assert resumed.executed == len(expected) - partial
    with sqlite3.connect(path) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM runs")]
    assert len(keys) == len(set(keys)) == len(expected)  # none lost, none duplicated
    cols = ["point", "policy", "rep", "seed", *VARY, *sim.METRICS]
    assert resumed.table[cols].equals(expected[cols])
