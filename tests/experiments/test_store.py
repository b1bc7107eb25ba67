"""The result store: a file that is not a store is refused; exports keep every run and column."""

from __future__ import annotations

import sqlite3
import sys

import pandas as pd
import pytest

import experiments
import sim
from experiments.cli import main
from experiments.store import MissingDependencyError, Store, StoreError, parameter_columns


@pytest.fixture(scope="module")
def filled(tmp_path_factory, tiny_scenario):
    """A store holding two sweeps with different parameters (ints in one, floats in the other)."""
    path = tmp_path_factory.mktemp("store") / "runs.sqlite"
    experiments.sweep(
        tiny_scenario, {"response.retry_p": [0.5, 1.0]}, ["efficiency"], reps=2, store=path, workers=1
    )
    experiments.sweep(
        tiny_scenario,
        {"policies.effectiveness.staffing.agents": [2, 3], "policies.effectiveness.staffing.mode": ["fixed"]},
        ["effectiveness"],
        store=path,
        workers=1,
    )
    return path


def test_export_csv_and_parquet_agree_and_keep_every_column(filled, tmp_path):
    with Store(filled) as store:
        assert store.export(tmp_path / "out.csv", "csv") == 6
        assert store.export(tmp_path / "out.parquet", "parquet") == 6
        table = store.table()
    csv = pd.read_csv(tmp_path / "out.csv")
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert len(csv) == len(parquet) == len(table) == 6
    for frame in (csv, parquet):
        assert {
            "key",
            "status",
            "scenario_hash",
            "root_seed",
            "package_version",
            "started_utc",
            "error",
        } <= set(frame)
        assert {"response.retry_p", "policies.effectiveness.staffing.agents", *sim.METRICS} <= set(frame)
    assert parameter_columns(table) == [
        "response.retry_p",
        "policies.effectiveness.staffing.agents",
        "policies.effectiveness.staffing.mode",
    ]
    assert parquet["policies.effectiveness.staffing.agents"].dropna().tolist() == [2, 3]
    assert parquet["response.retry_p"].dropna().tolist() == [0.5, 0.5, 1.0, 1.0]
    assert (parquet["fcr"].to_numpy() == table["fcr"].to_numpy()).all()


def test_an_empty_store_exports_a_header(tmp_path):
    with Store(tmp_path / "empty.sqlite") as store:
        assert store.export(tmp_path / "e.csv", "csv") == 0
        assert store.table().empty
    assert "key,status" in (tmp_path / "e.csv").read_text()


def test_export_is_chunked_with_the_same_columns_in_every_chunk(filled):
    with Store(filled) as store:
        chunks = list(store.iter_tables(chunk_rows=4))
        whole = store.table(include_failed=True)
    assert [len(c) for c in chunks] == [4, 2]
    assert all(list(c.columns) == list(whole.columns) for c in chunks)
    assert all((c.dtypes == whole.dtypes).all() for c in chunks)


def test_parquet_without_pyarrow_is_refused_before_writing(filled, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    with Store(filled) as store, pytest.raises(MissingDependencyError, match="pip install pyarrow"):
        store.export(tmp_path / "out.parquet", "parquet")
    assert not (tmp_path / "out.parquet").exists()
    code = main(["export", str(filled), "--format", "parquet", "--out", str(tmp_path / "x.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and "pyarrow" in err and "not installed" in err and "Traceback" not in err
    assert not (tmp_path / "x.parquet").exists()


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not SQLite\n" * 10)
    with pytest.raises(StoreError, match="not a result store"):
        Store(text)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE runs (id INTEGER)")
    with pytest.raises(StoreError, match="not a result store"):
        Store(other)
    with pytest.raises(StoreError, match="directory"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="no directory"):
        Store(tmp_path / "missing" / "runs.sqlite")


def test_a_store_of_another_format_version_is_refused(tmp_path):
    path = tmp_path / "old.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    with pytest.raises(StoreError, match="format 1"):
        Store(path)


def test_the_store_is_in_wal_mode(filled):
    with sqlite3.connect(filled) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
