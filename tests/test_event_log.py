"""The pooled SQLite event log: the instance uses it, and it stores what Dagster's stores, where Dagster would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    asset,
    asset_check,
    materialize,
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from planwise_assets.dagster_home.instance import dagster_yaml

    (tmp_path / "dagster.yaml").write_text(dagster_yaml(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


@asset
def counted() -> None:
    return None


@asset_check(asset=counted)
def counted_is_fine() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


def test_the_planwise_instance_stores_events_in_dagsters_default_files(home: Path) -> None:
    from planwise_assets.dagster_home.event_log import PooledSqliteEventLogStorage

    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        result = materialize([counted], instance=instance)
        assert result.success
    assert (home / "history" / "runs" / "index.db").exists()
    assert (home / "history" / "runs" / f"{result.run_id}.db").exists()


def test_event_databases_are_written_in_wal_mode_with_normal_sync(home: Path) -> None:
    with DagsterInstance.get() as instance:
        run_id = materialize([counted], instance=instance).run_id
        for shard in ("index", run_id):
            with instance.event_log_storage._connect(shard) as conn:  # noqa: SLF001
                journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            assert (journal, sync) == ("wal", 1)  # 1 = NORMAL


def test_another_process_reads_what_was_stored(home: Path) -> None:
    with DagsterInstance.get() as instance:
        for n in range(3):
            instance.report_runless_asset_event(AssetMaterialization("counted", metadata={"n": n}))
    script = (
        "from dagster import AssetKey, DagsterInstance\n"
        "with DagsterInstance.get() as instance:\n"
        "    records = instance.fetch_materializations(AssetKey('counted'), limit=10).records\n"
        "    print(sorted(r.asset_materialization.metadata['n'].value for r in records))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True)
    assert out.stdout.strip() == "[0, 1, 2]"


def test_many_runs_keep_a_bounded_number_of_open_databases(home: Path) -> None:
    from planwise_assets.dagster_home.event_log import ENGINES_KEPT

    with DagsterInstance.get() as instance:
        runs = [materialize([counted], instance=instance).run_id for _ in range(ENGINES_KEPT + 2)]
        assert len(instance.event_log_storage._engines) <= ENGINES_KEPT  # noqa: SLF001
        # every run's events are still there, whether its database is still open or not
        assert all(instance.all_logs(run_id) for run_id in runs)
        assert len(instance.fetch_materializations(AssetKey("counted"), limit=100).records) == len(runs)


def test_wipe_removes_the_run_databases_and_the_index_rows(home: Path) -> None:
    with DagsterInstance.get() as instance:
        run_id = materialize([counted], instance=instance).run_id
        instance.event_log_storage.wipe()
        assert not (home / "history" / "runs" / f"{run_id}.db").exists()
        assert instance.fetch_materializations(AssetKey("counted"), limit=10).records == []
        assert materialize([counted], instance=instance).success


def test_a_watcher_of_a_run_sees_each_event_as_it_is_stored(home: Path) -> None:
    """The UI's live run page follows a run this way; with an open connection the run's file would
    not change until SQLite checkpoints, and the page would stop at the last checkpoint."""
    import time

    from dagster import EventLogEntry

    seen: list[str] = []
    with DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        run_id = "watched-run"
        storage.store_event(EventLogEntry(None, "INFO", "first", run_id, time.time()))
        storage.watch(run_id, None, lambda entry, _cursor: seen.append(entry.user_message))
        for n in range(3):
            storage.store_event(EventLogEntry(None, "INFO", f"event {n}", run_id, time.time()))
            deadline = time.monotonic() + 5
            while f"event {n}" not in seen and time.monotonic() < deadline:
                time.sleep(0.05)
        assert seen[-3:] == ["event 0", "event 1", "event 2"]


def test_the_index_database_is_asked_for_each_table_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster asks whether a table exists before storing each check event and each asset event's tags."""
    from planwise_assets.dagster_private import SqliteEventLogStorage

    asked: list[str] = []
    original = SqliteEventLogStorage.has_table

    def counting(storage: SqliteEventLogStorage, table_name: str) -> bool:
        asked.append(table_name)
        return original(storage, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counting)
    with DagsterInstance.get() as instance:
        for _ in range(3):
            assert materialize([counted, counted_is_fine], instance=instance).success
        assert len(instance.fetch_materializations(AssetKey("counted"), limit=10).records) == 3
        assert instance.event_log_storage.supports_asset_checks
    assert sorted(asked) == sorted(set(asked))
    assert "asset_check_executions" in asked
