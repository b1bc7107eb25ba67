"""Sweeps: stored as they finish, resumable, crash-safe, equal however they were run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import weakref
from datetime import datetime
from importlib import metadata

import pandas as pd
import pytest

import experiments
import sim
from experiments.runner import execute
from experiments.runs import RunOutcome, RunSpec
from experiments.store import Store
from experiments.sweeps import SweepWarning
from sim.validation import mmc_scenario
from tests.conftest import ROOT

VARY = {"policies.efficiency.knowledge": [0.7, 0.95], "response.retry_p": (0.5, 1.0)}
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
    t = run(tiny_scenario)
    assert isinstance(t, pd.DataFrame)
    assert list(t.columns) == COLS
    assert len(t) == 4 * 2 * 2
    assert t.attrs["runs"] == t.attrs["executed"] == 16 and t.attrs["failed"] == 0
    assert set(t["policies.efficiency.knowledge"]) == {0.7, 0.95}
    assert set(t["response.retry_p"]) == {0.5, 1.0}
    assert list(t.point) == [p for p in range(4) for _ in range(4)]
    assert list(t.policy[:4]) == ["efficiency"] * 2 + ["effectiveness"] * 2
    assert set(t.seed) == {1} and list(t.rep[:4]) == [0, 1, 0, 1]


def test_a_sweep_row_is_the_run_it_names(tiny_scenario):
    """Replication r of a point is sim.run(overridden scenario, seed=SeedSequence(seed).spawn(reps)[r])."""
    import numpy as np

    t = run(tiny_scenario, seed=7)
    row = t[(t.point == 3) & (t.policy == "effectiveness") & (t.rep == 1)].iloc[0]
    changed = tiny_scenario.override({p: row[p] for p in VARY})
    direct = sim.run(changed, "effectiveness", seed=np.random.SeedSequence(7).spawn(2)[1]).summary
    assert row[list(sim.METRICS)].to_dict() == pytest.approx(direct, nan_ok=True, rel=0, abs=0)


def test_store_equals_memory_and_parallel_equals_serial(tiny_scenario, tmp_path):
    memory = run(tiny_scenario)
    stored = run(tiny_scenario, store=tmp_path / "runs.sqlite", workers=2)
    assert same(memory, stored)


def test_a_second_run_of_a_finished_sweep_executes_nothing(tiny_scenario, tmp_path, counted):
    path = tmp_path / "runs.sqlite"
    first = run(tiny_scenario, store=path)
    assert len(counted) == 16
    again = run(tiny_scenario, store=path)
    assert len(counted) == 16, "the second sweep ran something"
    assert first.attrs["executed"] == 16 and again.attrs["executed"] == 0
    assert same(first, again)


def test_one_and_one_point_zero_are_the_same_run(tiny_scenario, tmp_path, counted):
    """A real-valued parameter written as 1 or 1.0 names one run: stored once, never rerun."""
    path = tmp_path / "runs.sqlite"
    as_range = run(tiny_scenario, store=path)  # retry_p from the range (0.5, 1.0): floats
    assert len(counted) == 16
    vary = {"policies.efficiency.knowledge": [0.7, 0.95], "response.retry_p": [0.5, 1]}
    as_levels = experiments.sweep(
        tiny_scenario, vary, ["efficiency", "effectiveness"], reps=2, store=path, workers=1
    )
    assert len(counted) == 16 and as_levels.attrs["executed"] == 0
    assert as_levels["response.retry_p"].map(type).eq(float).all()
    with Store(path) as store:
        assert len(store.table()) == 16
    assert same(as_range, as_levels)


def test_an_interrupted_sweep_resumes_to_the_same_table(tiny_scenario, tmp_path, monkeypatch):
    reference = run(tiny_scenario)
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
        assert len(store) == 5  # in-process, each run is stored as it finishes
    resumed = run(tiny_scenario, store=path)
    assert resumed.attrs["executed"] == 11
    assert same(resumed, reference)


def test_a_failing_run_is_recorded_and_retried_alone(tiny_scenario, tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    real = sim.run
    calls = []

    def flaky(scenario, policy, seed, **kw):
        calls.append(policy)
        if policy == "effectiveness" and scenario.response.retry_p == 1.0 and seed.spawn_key == (1,):
            raise RuntimeError("disk full (simulated)")
        return real(scenario, policy, seed, **kw)

    monkeypatch.setattr(sim, "run", flaky)
    with pytest.warns(SweepWarning, match="2 of 16 runs failed"):
        first = run(tiny_scenario, store=path)
    assert len(calls) == 16  # the sweep went on past the failures
    assert first.attrs["failed"] == 2 and len(first) == 14
    assert all("disk full" in f["error"] for f in first.attrs["failures"])
    with Store(path) as store:
        t = store.table(include_failed=True)
        failed = t[t.status == "failed"]
        assert len(failed) == 2 and failed.error.str.contains("RuntimeError: disk full").all()
        assert failed[list(sim.METRICS)].isna().all().all()
    retried = []

    def healed(scenario, policy, seed, **kw):
        retried.append((policy, seed.spawn_key, scenario.response.retry_p))
        return real(scenario, policy, seed, **kw)

    monkeypatch.setattr(sim, "run", healed)
    second = run(tiny_scenario, store=path)
    assert retried == [("effectiveness", (1,), 1.0)] * 2  # only the failed runs
    assert second.attrs["executed"] == 2 and second.attrs["failed"] == 0
    monkeypatch.setattr(sim, "run", real)
    assert same(second, run(tiny_scenario))


def test_rows_carry_provenance(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    run(tiny_scenario, store=path, seed=9)
    with Store(path) as store:
        t = store.table()
        sweeps = store.sweeps()
        kept = store.scenario(tiny_scenario.content_hash())
    assert len(t) == 16 and set(t.status) == {"ok"}
    assert set(t.scenario_hash) == {tiny_scenario.content_hash()}
    assert set(t.scenario_name) == {tiny_scenario.name}
    assert set(t.root_seed) == {9}
    assert set(t.package_version) == {metadata.version("custsim")}
    for started, finished in zip(t.started_utc, t.finished_utc, strict=True):
        assert datetime.fromisoformat(started) <= datetime.fromisoformat(finished)
    assert (t.seconds > 0).all() and t.host.notna().all()
    assert set(t["policies.efficiency.knowledge"]) == {0.7, 0.95}  # parameters as columns
    assert kept.content_hash() == tiny_scenario.content_hash()  # the store can reproduce its scenario
    definition = json.loads(sweeps.definition.iloc[0])
    assert definition["vary"]["response.retry_p"] == {"lo": 0.5, "hi": 1.0}
    assert definition["policies"] == ["efficiency", "effectiveness"] and definition["reps"] == 2


def test_invalid_points_are_all_reported_before_anything_runs(tiny_scenario, tmp_path, counted):
    path = tmp_path / "runs.sqlite"
    with pytest.raises(sim.ScenarioError) as info:
        experiments.sweep(
            tiny_scenario, {"policies.efficiency.knowledge": [0.5, 1.5, 2.0]}, ["efficiency"], store=path
        )
    assert [e.path for e in info.value.errors] == ["points 1, 2: policies.efficiency.knowledge"]
    assert info.value.errors[0].value == [1.5, 2.0]
    with pytest.raises(sim.ScenarioError) as info:
        experiments.sweep(tiny_scenario, {"horizon.dayz": [1, 2, 3]}, store=path)
    assert [str(e).split(":")[0] for e in info.value.errors] == ["points 0, 1, 2"]  # one issue, not three
    assert "did you mean 'days'" in str(info.value)
    assert not path.exists() and counted == []


def test_the_same_run_twice_in_a_design_runs_once(tiny_scenario, counted):
    t = experiments.sweep(tiny_scenario, {"response.retry_p": [0.5, 0.5]}, ["efficiency"], reps=2, workers=1)
    assert len(counted) == 2 and len(t) == 4
    a, b = (t[t.point == i][list(sim.METRICS)].reset_index(drop=True) for i in (0, 1))
    assert a.equals(b)


def test_a_wider_sweep_reuses_stored_runs_and_numbers_points_its_own_way(tiny_scenario, tmp_path, counted):
    path = tmp_path / "runs.sqlite"
    experiments.sweep(tiny_scenario, {"response.retry_p": [0.5, 1.0]}, ["efficiency"], store=path, workers=1)
    assert len(counted) == 2
    wider = experiments.sweep(
        tiny_scenario, {"response.retry_p": [0.25, 0.5, 1.0]}, ["efficiency"], store=path, workers=1
    )
    assert len(counted) == 3 and wider.attrs["executed"] == 1
    assert list(wider.point) == [0, 1, 2] and list(wider["response.retry_p"]) == [0.25, 0.5, 1.0]
    fresh = experiments.sweep(
        tiny_scenario, {"response.retry_p": [0.25, 0.5, 1.0]}, ["efficiency"], workers=1
    )
    assert wider.equals(fresh)


def test_integer_paths_get_integers_in_space_filling_sweeps(tiny_scenario):
    t = experiments.sweep(
        tiny_scenario,
        {"population.initial_customers": (300, 900), "response.retry_p": (0.5, 1.0)},
        ["efficiency"],
        design="lhs",
        samples=3,
        workers=1,
    )
    assert len(t) == 3
    assert all(type(v) is int and 300 <= v <= 900 for v in t["population.initial_customers"].tolist())
    assert (t.customers_start == t["population.initial_customers"]).all()


def test_the_main_process_keeps_summaries_never_results(monkeypatch):
    """Memory stays flat: every Result dies in the worker; what comes back is a dict of floats."""
    scenario = mmc_scenario(0.05, 1.0, 1, days=2, customers=100)
    real = sim.run
    made: list[weakref.ref] = []
    peak = {"n": 0}

    def tracking(*args, **kwargs):
        result = real(*args, **kwargs)
        made.append(weakref.ref(result))
        peak["n"] = max(peak["n"], sum(r() is not None for r in made))
        return result

    monkeypatch.setattr(sim, "run", tracking)
    t = experiments.sweep(scenario, {"response.retry_p": [0.5, 1.0]}, ["mmc"], reps=40, workers=1)
    assert len(t) == 80 and len(made) == 80
    assert peak["n"] == 1, "a Result outlived its run"
    assert all(r() is None for r in made)

    outcomes = []
    for outcome in execute(scenario, [RunSpec("mmc", r, 1) for r in range(3)], workers=1):
        outcomes.append(outcome)
    for outcome in outcomes:
        assert isinstance(outcome, RunOutcome)
        assert all(type(v) is float for v in outcome.summary.values())
        assert not any(isinstance(v, sim.Result | pd.DataFrame) for v in vars(outcome).values())


@pytest.mark.parametrize("workers", [1, 2])
def test_specs_are_drawn_in_a_bounded_window(workers):
    """However many runs, only a window of them is taken from the generator ahead of the results."""
    scenario = mmc_scenario(0.01, 1.0, 1, days=2, customers=20)
    n = 80
    drawn = {"n": 0}

    def specs():
        for r in range(n):
            drawn["n"] += 1
            yield RunSpec("mmc", r, 1)

    ahead = []
    for received, _ in enumerate(execute(scenario, specs(), workers=workers, total=n), start=1):
        ahead.append(drawn["n"] - received)
    assert len(ahead) == n
    # serial: one run at a time; a pool: 2 tasks per worker in flight, of at most n // (4 * workers) runs
    batch = n // (4 * workers)
    bound = 1 if workers == 1 else 2 * workers * batch + batch
    assert max(ahead) <= bound < n


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import experiments
    from tests.experiments.conftest import tiny
    from tests.experiments.test_sweeps import VARY
    experiments.sweep(tiny(), VARY, ["efficiency", "effectiveness"], reps=3, samples=3, store={store!r},
                      workers=1)
""")


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes_losing_and_duplicating_nothing(tiny_scenario, tmp_path):
    path = tmp_path / "runs.sqlite"
    expected = experiments.sweep(
        tiny_scenario, VARY, ["efficiency", "effectiveness"], reps=3, samples=3, workers=1
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT.format(root=str(ROOT), store=str(path))],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        if path.exists():
            try:
                with sqlite3.connect(path, timeout=1) as db:
                    stored = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.Error:
                continue
            if stored >= 5:
                break
    assert proc.poll() is None, "the sweep finished before it could be killed; make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(path) as store:
        partial = len(store)  # readable after SIGKILL
        assert set(store.status().values()) == {"ok"}
    assert 5 <= partial < len(expected)
    resumed = experiments.sweep(
        tiny_scenario, VARY, ["efficiency", "effectiveness"], reps=3, samples=3, store=path, workers=1
    )
    assert resumed.attrs["executed"] == len(expected) - partial
    with sqlite3.connect(path) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM runs")]
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
    assert integrity == "ok"
    assert len(keys) == len(set(keys)) == len(expected)  # none lost, none duplicated
    assert resumed[COLS].equals(expected[COLS])


def test_run_points_reports_every_bad_point_before_running(tiny_scenario, counted):
    points = [{"response.retry_p": 0.5}, {"response.retry_p": 2.0}, {"response.retry_p": 3.0}]
    with pytest.raises(sim.ScenarioError, match="points 1, 2: response.retry_p"):
        experiments.run_points(tiny_scenario, points, ["efficiency"], workers=1)
    assert counted == []
