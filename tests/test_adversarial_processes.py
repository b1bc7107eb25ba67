"""Attacks on the processes: killed parents, killed workers, absurd worker counts, fake schedulers.

A sweep's workers must end with it however it ends (SIGKILL, SIGTERM); a worker
killed under a sweep costs at most the run it was doing, recorded as failed,
and the sweep goes on; a thousand workers for six runs are six; a scheduler
address that is not a Dask scheduler is refused at once, never waited on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import experiments
import sim
from experiments.cli import main
from experiments.executors import make_executor, map_unordered
from experiments.store import Store
from tests.conftest import ROOT
from tests.experiments.conftest import tiny

CUSTSIM = [sys.executable, "-m", "experiments"]
SCENARIO = str(ROOT / "scenarios" / "utility_callcentre.toml")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def start_sweep(tmp_path: Path, workers: int = 2) -> subprocess.Popen:
    """A sweep that keeps two workers busy for well over ten seconds."""
    args = [
        *CUSTSIM,
        "sweep",
        SCENARIO,
        "--set",
        "population.initial_customers=20000",
        "--set",
        "horizon.days=200",
        "--vary",
        "response.retry_p=0.5,0.6,0.7,0.8,0.9,1.0",
        "--policies",
        "efficiency",
        "--reps",
        "2",
        "--store",
        str(tmp_path / "runs.sqlite"),
        "--workers",
        str(workers),
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)


def wait_for_workers(parent: subprocess.Popen, n: int, seconds: float = 60.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # a process pool has its workers, and on Python < 3.12 no other children
        kids = children(parent.pid)
        if len(kids) >= n:
            time.sleep(1.0)  # let them import and start a run
            return children(parent.pid)
        if parent.poll() is not None:
            pytest.fail(f"the sweep ended early: {parent.stderr.read()}")
        time.sleep(0.2)
    pytest.fail("the workers never started")


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path, how):
    sweep = start_sweep(tmp_path)
    workers = wait_for_workers(sweep, 2)
    try:
        os.kill(sweep.pid, how)
        sweep.wait(timeout=30)
        assert gone_within(workers, 10.0), f"orphaned workers: {[p for p in workers if alive(p)]}"
    finally:
        for pid in workers:  # never leave a stray process behind, even when the test fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    if how == signal.SIGTERM:
        assert sweep.returncode == 143 and "terminated" in sweep.stderr.read()
    with Store(tmp_path / "runs.sqlite", readonly=True) as store:  # whatever finished is readable
        assert set(store.status().values()) <= {"ok", "failed"}


@pytest.mark.slow
def test_a_worker_killed_under_a_sweep_costs_nothing_and_the_sweep_goes_on(tmp_path):
    sweep = start_sweep(tmp_path)
    workers = wait_for_workers(sweep, 2)
    os.kill(workers[0], signal.SIGKILL)
    _, err = sweep.communicate(timeout=600)
    assert sweep.returncode == 0, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err
    with Store(tmp_path / "runs.sqlite", readonly=True) as store:
        status = store.status()
    assert len(status) == 12 and set(status.values()) == {"ok"}  # the killed run was retried alone


def kills_its_worker(x: int) -> int:
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return x


def test_a_task_that_kills_its_worker_is_found_and_reported_lost_and_the_rest_finish():
    lost = []
    with make_executor(2, tasks=8) as pool:
        results = list(
            map_unordered(
                pool,
                kills_its_worker,
                [(i,) for i in range(8)],
                window=4,
                lost=lambda task, error: lost.append((task, type(error).__name__)) or -1,
            )
        )
    assert sorted(results) == [-1, 0, 1, 2, 4, 5, 6, 7]
    assert lost == [((3,), "BrokenProcessPool")]


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patch reaches workers by fork")
def test_a_run_that_kills_its_worker_is_recorded_failed_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = sim.run

    def deadly(scenario, policy=None, seed=None, **kwargs):
        if scenario.response.retry_p == 0.7:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        return real(scenario, policy, seed=seed, **kwargs)

    monkeypatch.setattr(sim, "run", deadly)
    path = tmp_path / "runs.sqlite"
    with pytest.warns(experiments.SweepWarning, match="2 of 8 runs failed"):
        table = experiments.sweep(
            tiny(), {"response.retry_p": [0.5, 0.6, 0.7, 0.8]}, ["efficiency"], reps=2, store=path, workers=2
        )
    assert table.attrs["failed"] == 2 and len(table) == 6
    assert all("worker process died" in f["error"] for f in table.attrs["failures"])
    with Store(path, readonly=True) as store:
        failed = store.table(include_failed=True).query("status == 'failed'")
    assert sorted(failed["response.retry_p"]) == [0.7, 0.7]


def test_a_thousand_workers_for_three_runs_are_three(monkeypatch):
    started = []
    real = experiments.executors.ProcessPoolExecutor

    def counting(max_workers, **kwargs):
        started.append(max_workers)
        return real(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(experiments.executors, "ProcessPoolExecutor", counting)
    table = experiments.replicate(tiny(), None, reps=1, workers=1000)
    assert len(table) == 3 and started == [3]
    with make_executor(1000, tasks=1) as pool:
        assert pool.slots == 1 and pool.where == "this process"


# -- schedulers that are not schedulers --------------------------------------------------------
@pytest.fixture
def silent_listener():
    """Something that accepts connections and never speaks (as a web server waits for a request)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    conns = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for c in conns:
        c.close()
    server.close()


def test_a_listener_that_is_not_a_scheduler_is_refused_in_seconds(silent_listener, capsys, tmp_path):
    t0 = time.monotonic()
    code = main(["sweep", SCENARIO, "--vary", "response.retry_p=0.5", "--store", str(tmp_path / "s.sqlite"),
                 "--scheduler", silent_listener])  # fmt: skip
    assert code == 2 and time.monotonic() - t0 < 15
    err = capsys.readouterr().err
    assert "not a Dask scheduler" in err and "Traceback" not in err
    assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.parametrize(
    "address, words",
    [
        ("ws://127.0.0.1:8786", "only tcp://"),
        ("inproc://anything", "only tcp://"),
        ("ucx://127.0.0.1:8786", "only tcp://"),
        ("tcp://127.0.0.1:99999", "port from 1 to 65535"),
        ("tcp://127.0.0.1:0", "port from 1 to 65535"),
        ("tcp://:8786", "HOST:PORT"),
        ("tcp://no-such-host.invalid:8786", "no Dask scheduler answers"),
    ],
)
def test_scheduler_addresses_of_the_wrong_kind_exit_2_at_once(address, words, capsys):
    t0 = time.monotonic()
    assert main(["compare", SCENARIO, "--scheduler", address]) == 2
    assert time.monotonic() - t0 < 15
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and "internal error" not in err
