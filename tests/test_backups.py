"""Backups that always restore: consistent with the write-ahead log, never made from or evicted by a
damaged file, and put back by `planwise restore`. Real DuckDB files, real processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from planwise_assets.lib.backups import BACKUPS_KEPT, BackupError, backup_warehouse, list_backups, restore_warehouse

SCENARIO = "kept"

# A process that commits rows and dies without closing DuckDB: the rows are only in the write-ahead log.
DIE_WITH_A_WAL = textwrap.dedent(
    """
    import os, sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("create table if not exists years (simulation_year integer)")
    con.execute("insert into years select * from range(2025, 2025 + ?)", [int(sys.argv[2])])
    os._exit(0)
    """
)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PLANWISE_HOME", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    return tmp_path


def _write_then_die(path: Path, years: int) -> None:
    subprocess.run([sys.executable, "-c", DIE_WITH_A_WAL, str(path), str(years)], check=True, timeout=60)


def _years(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from years").fetchone()[0]


def _damage(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xde\xad" * (size // 8))


def test_a_backup_holds_what_only_the_write_ahead_log_held(home):
    warehouse = home / "warehouse" / f"{SCENARIO}.duckdb"
    _write_then_die(warehouse, 3)
    assert warehouse.with_name(warehouse.name + ".wal").exists()
    backup = backup_warehouse(SCENARIO)
    assert _years(backup) == 3


def test_a_damaged_file_is_not_backed_up_and_every_good_backup_stays(home):
    warehouse = home / "warehouse" / f"{SCENARIO}.duckdb"
    _write_then_die(warehouse, 3)
    good = [backup_warehouse(SCENARIO) for _ in range(BACKUPS_KEPT)]
    _damage(warehouse)
    for _ in range(BACKUPS_KEPT + 1):
        with pytest.raises(BackupError, match=f"{warehouse} cannot be read as a DuckDB file") as error:
            backup_warehouse(SCENARIO)
        assert "`planwise restore kept` brings back its last good backup" in str(error.value)
    assert sorted(list_backups(SCENARIO)) == sorted(good)
    assert list((home / "backups" / SCENARIO).glob(".*")) == []  # no temporary copy left


def test_only_the_last_three_good_backups_are_kept_and_a_damaged_one_goes_first(home):
    warehouse = home / "warehouse" / f"{SCENARIO}.duckdb"
    _write_then_die(warehouse, 1)
    first, second = backup_warehouse(SCENARIO), backup_warehouse(SCENARIO)
    _damage(second)
    third, fourth, fifth = (backup_warehouse(SCENARIO) for _ in range(3))
    # newest first: fifth, fourth, third are good; second is damaged; first is the oldest
    assert list_backups(SCENARIO) == [fifth, fourth, third]
    assert not first.exists() and not second.exists()


def test_restore_puts_the_newest_good_backup_back_and_moves_the_file_and_its_log_aside(home):
    warehouse = home / "warehouse" / f"{SCENARIO}.duckdb"
    _write_then_die(warehouse, 2)
    older = backup_warehouse(SCENARIO)
    _write_then_die(warehouse, 1)  # three years now
    newer = backup_warehouse(SCENARIO)
    _write_then_die(warehouse, 4)  # seven years, four of them only in the log
    _damage(newer)
    restored, replaced = restore_warehouse(SCENARIO)
    assert restored == older and _years(warehouse) == 2
    assert not warehouse.with_name(warehouse.name + ".wal").exists()
    assert replaced.parent == home / "warehouse" / "replaced"
    assert replaced.with_name(replaced.name + ".wal").exists()


def test_restoring_a_named_backup_and_an_unknown_name(home):
    warehouse = home / "warehouse" / f"{SCENARIO}.duckdb"
    _write_then_die(warehouse, 2)
    chosen = backup_warehouse(SCENARIO)
    _write_then_die(warehouse, 3)
    backup_warehouse(SCENARIO)
    assert restore_warehouse(SCENARIO, chosen.name)[0] == chosen and _years(warehouse) == 2
    with pytest.raises(BackupError, match=f"no backup 'nope.duckdb'; available: .*{chosen.name}"):
        restore_warehouse(SCENARIO, "nope.duckdb")


def test_restore_command_prints_one_line(home, capsys):
    from planwise_assets.client.cli import main

    assert main(["restore", SCENARIO]) == 1
    assert (
        capsys.readouterr().err
        == f"planwise: {home}/backups/{SCENARIO}: no backup of {SCENARIO} opens; available: none\n"
    )
