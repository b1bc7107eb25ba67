"""One code path: in-process, a process pool and a Dask cluster give the same tables."""

from __future__ import annotations

import pytest

import experiments
from experiments.executors import (
    SchedulerUnavailableError,
    SerialExecutor,
    make_executor,
    map_unordered,
    probe_scheduler,
    scheduler_address,
)


def square(x):
    return x * x


def fails_on_three(x):
    if x == 3:
        raise ValueError("three")
    return x


def test_serial_executor_delivers_results_and_errors_through_futures():
    ex = SerialExecutor()
    assert ex.submit(square, 4).result() == 16
    with pytest.raises(ValueError):
        ex.submit(fails_on_three, 3).result()


def test_map_unordered_hands_over_finished_results_before_raising():
    seen = []
    with pytest.raises(ValueError):
        for value in map_unordered(SerialExecutor(), fails_on_three, [(1,), (2,), (3,), (4,)], window=4):
            seen.append(value)
    assert sorted(seen) == [1, 2, 4]


def test_map_unordered_keeps_a_bounded_window():
    submitted = []

    class Counting(SerialExecutor):
        def submit(self, fn, /, *args, **kwargs):
            submitted.append(args)
            return super().submit(fn, *args, **kwargs)

    results = list(map_unordered(Counting(), square, ((i,) for i in range(10)), window=3))
    assert sorted(results) == [i * i for i in range(10)] and len(submitted) == 10


def test_scheduler_address_from_the_environment(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert scheduler_address(None) is None
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:1")
    assert scheduler_address(None) == "tcp://127.0.0.1:1"
    assert scheduler_address("tcp://127.0.0.1:2") == "tcp://127.0.0.1:2"


def test_workers_must_be_positive():
    with pytest.raises(ValueError), make_executor(workers=0):
        pass


def test_one_worker_runs_in_process_and_more_in_a_pool():
    with make_executor(workers=1) as pool:
        assert isinstance(pool.executor, SerialExecutor) and pool.slots == 1
    with make_executor(workers=2) as pool:
        assert pool.slots == 2 and sorted(map_unordered(pool.executor, square, [(2,), (3,)], 2)) == [4, 9]


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "nonsense", "tcp://127.0.0.1:port"])
def test_an_unreachable_or_malformed_scheduler_fails_fast_and_plainly(address, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(SchedulerUnavailableError, match="scheduler"):
        probe_scheduler(address)
    with pytest.raises(SchedulerUnavailableError), make_executor(scheduler=address):
        pass
    assert probe_scheduler(None) is None


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_tables_as_the_process_pool(tiny_scenario, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    pool = experiments.replicate(tiny_scenario, None, reps=2, seed=4, workers=2)
    local = experiments.sweep(
        tiny_scenario, {"response.retry_p": [0.5, 1.0]}, ["efficiency"], reps=2, workers=2
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        dask = experiments.replicate(tiny_scenario, None, reps=2, seed=4, scheduler=cluster.scheduler_address)
        swept = experiments.sweep(
            tiny_scenario,
            {"response.retry_p": [0.5, 1.0]},
            ["efficiency"],
            reps=2,
            store=tmp_path / "runs.sqlite",
            scheduler=cluster.scheduler_address,
        )
        with make_executor(scheduler=cluster.scheduler_address) as workers:
            assert workers.slots == 2 and "Dask" in workers.where
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)  # the environment works too
        from_env = experiments.replicate(tiny_scenario, ["efficiency"], reps=2, seed=4)
    assert dask.equals(pool)
    assert swept.equals(local)
    assert from_env.equals(pool[pool.policy == "efficiency"].reset_index(drop=True))


def test_there_is_one_executor_loop():
    """Replications, comparisons, sweeps, reports and validation all run through executors.stream."""
    from tests.conftest import ROOT

    users = {}
    for path in sorted((ROOT / "experiments").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in ("make_executor(", "map_unordered(", "progress_bar("):
            if name in text and path.name not in ("executors.py", "progress.py"):
                users.setdefault(name, []).append(path.name)
    assert users == {}, f"a second executor loop: {users}"
