"""Backups of a scenario's DuckDB file that always restore.

A backup is taken before a batch rebuilds a scenario. It is consistent (the file is
checkpointed first, so nothing is left in its write-ahead log), written under a temporary name,
read back in full and only then renamed into place; only then are the oldest backups beyond the
last few good ones removed. A file that does not open therefore never becomes a backup nor
evicts one, and a kill at any moment leaves at worst a temporary file, removed by the next backup.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from planwise_assets.lib.data_root import planwise_home, scenario_write_lock, warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.files import DiskFullError, atomic_file, one_line

BACKUPS_KEPT = 3
# room left beyond the copy itself: DuckDB's and the exports' next writes need some too
FREE_SPACE_MARGIN_BYTES = 64 * 1024 * 1024


class BackupError(PlanwiseError):
    """A scenario's file that cannot be backed up or restored."""


def backups_folder(scenario_id: str) -> Path:
    return planwise_home() / "backups" / scenario_id


def list_backups(scenario_id: str) -> list[Path]:
    """The scenario's backups, newest first (their names sort by the UTC time they were taken)."""
    folder = backups_folder(scenario_id)
    return sorted(folder.glob(f"{scenario_id}_*.duckdb"), reverse=True) if folder.is_dir() else []


def duckdb_file_problem(path: Path) -> str | None:
    """Why `path` is not a usable DuckDB file, or None: it opens, and every row of every table reads back.

    Reading every column of every row makes DuckDB check every block's checksum, so a file
    damaged anywhere is caught here, not on the day it is restored.
    """
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
            for schema, table in tables:
                con.execute(f'select count(*), sum(hash(columns(*))) from "{schema}"."{table}"').fetchall()
    except duckdb.Error as error:
        return one_line(str(error)).split(" (")[0][:300]
    return None


def _require_free_space(folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed + FREE_SPACE_MARGIN_BYTES:
        raise DiskFullError(
            f"{folder}: not enough free space for {what}: {needed / 2**20:.1f} MiB needed, "
            f"{free / 2**20:.1f} MiB free (with a {FREE_SPACE_MARGIN_BYTES // 2**20} MiB margin)"
        )


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the file alone holds every committed table."""
    try:
        with duckdb.connect(str(path)) as con:
            con.execute("checkpoint")
    except duckdb.Error as error:
        raise BackupError(_does_not_open(path, one_line(str(error))[:300])) from error


def _does_not_open(path: Path, problem: str) -> str:
    scenario_id = path.stem
    return (
        f"{path} cannot be read as a DuckDB file ({problem}); it was not backed up and not rebuilt: "
        f"`planwise restore {scenario_id}` brings back its last good backup, or delete it to start afresh"
    )


def backup_warehouse(scenario_id: str) -> Path | None:
    """Back up the scenario's file to $PLANWISE_HOME/backups/<scenario>/; keep the last few good ones.

    Returns the backup, or None when the scenario has no file yet. Raises BackupError when the
    file does not open (the existing backups stay) and DiskFullError when the copy would not fit.
    """
    source = warehouse_path(scenario_id)
    if not source.exists():
        return None
    folder = backups_folder(scenario_id)
    folder.mkdir(parents=True, exist_ok=True)
    with scenario_write_lock(scenario_id):
        _checkpoint(source)
        _require_free_space(folder, source.stat().st_size, f"a backup of {source}")
        for partial in folder.glob(".*.partial"):  # left by a backup that was killed
            partial.unlink()
        target = folder / f"{scenario_id}_{dt.datetime.now(dt.UTC):%Y%m%d_%H%M%S_%f}.duckdb"
        with atomic_file(target) as partial:
            shutil.copyfile(source, partial)
            problem = duckdb_file_problem(partial)
            if problem:
                raise BackupError(_does_not_open(source, problem))
    good = [backup for backup in list_backups(scenario_id) if backup == target or not duckdb_file_problem(backup)]
    for old in set(list_backups(scenario_id)) - set(good[:BACKUPS_KEPT]):
        old.unlink()
    return target


def restore_warehouse(scenario_id: str, backup_name: str | None = None) -> tuple[Path, Path | None]:
    """Put a backup (the newest good one, or the one named) in place of the scenario's file.

    The file it replaces, with its write-ahead log, is moved to warehouse/replaced/ rather than
    deleted. Returns (the backup restored, where the replaced file went or None).
    """
    backups = list_backups(scenario_id)
    available = ", ".join(path.name for path in backups) or "none"
    if backup_name is not None:
        chosen = [path for path in backups if path.name == backup_name]
        if not chosen:
            raise BackupError(f"{backups_folder(scenario_id)}: no backup {backup_name!r}; available: {available}")
        problem = duckdb_file_problem(chosen[0])
        if problem:
            raise BackupError(f"{chosen[0]} does not open as a DuckDB file ({problem}); available: {available}")
    else:
        chosen = [path for path in backups if not duckdb_file_problem(path)][:1]
        if not chosen:
            raise BackupError(
                f"{backups_folder(scenario_id)}: no backup of {scenario_id} opens; available: {available}"
            )
    backup = chosen[0]
    target = warehouse_path(scenario_id)
    wal = target.with_name(target.name + ".wal")
    aside = target.parent / "replaced" / f"{scenario_id}_{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}.duckdb"
    with scenario_write_lock(scenario_id, timeout_seconds=0):
        _require_free_space(target.parent, backup.stat().st_size, f"restoring {backup.name}")
        replaced = target.exists()
        with atomic_file(target) as partial:
            shutil.copyfile(backup, partial)
            aside.parent.mkdir(exist_ok=True)
            if replaced:
                target.rename(aside)
            # a write-ahead log left beside the old file would be replayed into the restored one
            if wal.exists():
                wal.rename(aside.with_name(aside.name + ".wal"))
    return backup, aside if replaced else None
