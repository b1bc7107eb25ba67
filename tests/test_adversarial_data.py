"""Attacks on the user's data: no command destroys an input or a file it did not write.

Each test tries what a careless or hostile user would: an export named like its
store, an output that is the scenario, a symbolic or hard link to the store, a
report folder holding the user's own figures, another application's SQLite
database given as a store, a device as an output, a write that dies half-way.
The rule they check: an output never overwrites an input of the command, nor a
file custsim did not write (unless ``--force``); read-only commands write
nothing into what they read; every file is written aside and renamed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import experiments
from experiments.cli import main
from experiments.outputs import OutputError
from experiments.store import Store, StoreError
from tests.conftest import SCENARIOS
from tests.experiments.conftest import tiny

SCENARIO = SCENARIOS / "utility_callcentre.toml"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A small finished store (2 runs) to copy under hostile names."""
    path = tmp_path_factory.mktemp("stored") / "runs.sqlite"
    experiments.sweep(tiny(), {"response.retry_p": [0.5, 1.0]}, ["efficiency"], store=path, workers=1)
    return path


def copy_store(stored: Path, target: Path) -> Path:
    target.write_bytes(stored.read_bytes())
    return target


def refused(args: list[str], capsys, *words: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    for word in words:
        assert word in err, err
    return err


# -- D1: export never destroys its own store ------------------------------------------------
@pytest.mark.parametrize("name, fmt", [("runs.csv", "csv"), ("results.parquet", "parquet")])
def test_a_store_named_like_its_export_is_not_overwritten(stored, tmp_path, capsys, name, fmt):
    store = copy_store(stored, tmp_path / name)
    before = digest(store)
    refused(["export", str(store), "--format", fmt], capsys, "store itself", "--out")
    refused(["export", str(store), "--format", fmt, "--out", str(store)], capsys, "input")
    refused(["export", str(store), "--format", fmt, "--out", str(store), "--force"], capsys, "input")
    assert digest(store) == before
    assert len(Store(store, readonly=True)) == 2


def test_links_to_the_store_and_its_companions_are_inputs_too(stored, tmp_path, capsys):
    store = copy_store(stored, tmp_path / "runs.sqlite")
    before = digest(store)
    (tmp_path / "soft.csv").symlink_to(store)
    os.link(store, tmp_path / "hard.csv")
    for out in ("soft.csv", "hard.csv", "runs.sqlite-wal", "runs.sqlite-shm"):
        refused(["export", str(store), "--out", str(tmp_path / out), "--force"], capsys, "input")
    assert digest(store) == before
    assert not (tmp_path / "runs.sqlite-wal").exists()


def test_export_replaces_its_own_output_but_not_a_stranger(stored, tmp_path, capsys):
    out = tmp_path / "runs.csv"
    for fmt, name in (("csv", "runs.csv"), ("parquet", "runs.parquet")):
        out = tmp_path / name
        assert main(["export", str(stored), "--format", fmt, "--out", str(out)]) == 0
        assert main(["export", str(stored), "--format", fmt, "--out", str(out)]) == 0  # again: its own
    mine = tmp_path / "mine.csv"
    mine.write_text("my,own\n1,2\n")
    refused(["export", str(stored), "--out", str(mine)], capsys, "not a custsim export", "--force")
    assert mine.read_text() == "my,own\n1,2\n"
    assert main(["export", str(stored), "--out", str(mine), "--force"]) == 0
    assert len(pd.read_csv(mine)) == 2


@pytest.mark.parametrize("target", ["/dev/full", "/dev/null", "DIR", "FIFO"])
def test_export_refuses_devices_folders_and_fifos(stored, tmp_path, capsys, target):
    (tmp_path / "DIR").mkdir()
    os.mkfifo(tmp_path / "FIFO")
    out = target if target.startswith("/") else str(tmp_path / target)
    refused(["export", str(stored), "--out", out, "--force"], capsys, "--out")


def test_export_into_a_missing_folder_is_refused(stored, tmp_path, capsys):
    refused(["export", str(stored), "--out", str(tmp_path / "no" / "x.csv")], capsys, "does not exist")


def test_a_write_that_fails_half_way_leaves_the_old_file_whole(stored, tmp_path, monkeypatch):
    out = tmp_path / "runs.csv"
    with Store(stored, readonly=True) as store:
        store.export(out, "csv")
    before = digest(out)

    def broken(self, include_failed=True, chunk_rows=20_000):
        yield pd.DataFrame({"key": ["half"]})
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Store, "iter_tables", broken)
    with Store(stored, readonly=True) as store, pytest.raises(OutputError, match="No space left"):
        store.export(out, "csv")
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv"]  # no temporary file left


# -- D19: outputs that are inputs ---------------------------------------------------------
def test_compare_csv_onto_its_own_scenario_is_refused_before_any_run(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_bytes(SCENARIO.read_bytes())
    before = digest(scenario)
    refused(["compare", str(scenario), "--reps", "2", "--csv", str(scenario), "--force"], capsys, "input")
    assert digest(scenario) == before


def test_a_scenario_given_as_a_store_is_not_touched(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_bytes(SCENARIO.read_bytes())
    before = digest(scenario)
    refused(
        ["sweep", str(scenario), "--vary", "response.retry_p=0.5", "--store", str(scenario)],
        capsys,
        "scenario file",
    )
    assert digest(scenario) == before


def test_validate_markdown_refuses_a_document_it_did_not_write(tmp_path, capsys):
    doc = tmp_path / "validation.md"
    doc.write_text("# My notes\n\nprose\n")
    refused(["validate", "--cases", "poisson", "--markdown", str(doc)], capsys, "--force")
    assert doc.read_text() == "# My notes\n\nprose\n"


# -- D18: report folders ------------------------------------------------------------------
def test_compare_report_refuses_a_folder_with_the_users_own_figures(tmp_path, capsys):
    (tmp_path / "figure-01-comparison.png").write_bytes(b"my chart")
    (tmp_path / "figure-12-mine.png").write_bytes(b"my other chart")
    before = listing(tmp_path)
    refused(["compare", "utility_callcentre", "--reps", "2", "--report", str(tmp_path)], capsys, "--force")
    assert listing(tmp_path) == before


def test_a_report_page_that_is_not_a_report_is_not_replaced(stored, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("<html>my page</html>")
    refused(["report", str(stored), "--out", str(out)], capsys, "not a custsim report")
    assert (out / "report.html").read_text() == "<html>my page</html>"


# -- D7: read-only commands write nothing, and no store is written into a stranger -------------
@pytest.fixture
def foreign(tmp_path) -> Path:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ada')")
    return path


def test_export_of_another_applications_database_changes_nothing(foreign, capsys):
    before = listing(foreign.parent)
    refused(["export", str(foreign)], capsys, "not a result store", "users")
    assert listing(foreign.parent) == before
    with sqlite3.connect(foreign) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_sweep_never_writes_its_runs_into_another_applications_database(foreign, capsys):
    before = listing(foreign.parent)
    refused(
        ["sweep", "utility_callcentre", "--vary", "response.retry_p=0.5", "--store", str(foreign)],
        capsys,
        "not a result store",
    )
    assert listing(foreign.parent) == before
    with pytest.raises(StoreError, match="not a result store"):
        Store(foreign)


def test_report_and_export_of_an_empty_file_leave_it_empty(tmp_path, capsys):
    empty = tmp_path / "empty.db"
    empty.touch()
    refused(["report", str(empty), "--out", str(tmp_path / "r")], capsys, "not a result store")
    refused(["export", str(empty)], capsys, "not a result store")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    assert empty.stat().st_size == 0


def test_reading_a_store_leaves_its_folder_as_it_was(stored, tmp_path):
    store = copy_store(stored, tmp_path / "runs.sqlite")
    before = listing(tmp_path)
    with Store(store, readonly=True) as s:
        assert len(s.table()) == 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s._db.execute("DELETE FROM runs")
    assert listing(tmp_path) == before


def test_a_new_store_appears_whole_and_with_ordinary_permissions(tmp_path):
    path = tmp_path / "new.sqlite"
    Store(path).close()
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
