"""Dagster's SQLite event log, keeping one connection pool per database file.

Dagster's SqliteEventLogStorage creates a new SQLAlchemy engine, and with it a new connection
and an empty statement cache, for every event it reads or writes: about 14 ms an event on this
machine, and a five-year simulation run stores some 300 events. This subclass keeps the
engine of each file it has opened (the index and a few recent runs), which brings an event to
about 5 ms, and it commits without waiting for the disk. The files, their schema, their
locking and WAL mode are Dagster's, so the webserver, the daemon and `planwise` read and write
the same Dagster home as before.

Dagster's webserver follows a live run by watching the run's database file for changes (the
run page's event stream). In WAL mode a commit changes the write-ahead log, not that file, and
Dagster's own storage changes the file only because closing its connection after every event
checkpoints the log into it. A pooled connection stays open, so after storing a run's event
this storage touches the run's file: the webserver then sees every event as it comes, and the
run page does not freeze.

`instance.py` names this class in the dagster.yaml it writes.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from dagster import EventLogEntry, StringSource

from planwise_assets.dagster_private import SQLITE_BUSY_TIMEOUT_SECONDS, ConfigurableClassData, SqliteEventLogStorage

# the index database plus the runs being written and read at the same time
ENGINES_KEPT = 4


def _sync_at_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's `synchronous=NORMAL`, its recommended setting in WAL mode: a commit no longer waits
    for the disk (0.37 against 0.08 ms here, and a run commits about 700 times); the file stays
    consistent, and only an operating-system crash can lose the last events."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage under `<dagster_home>/history/runs`, Dagster's default location."""

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sqlalchemy.Engine] = OrderedDict()
        self._tables_found: set[str] = set()
        super().__init__(os.path.join(dagster_home, "history", "runs", ""), inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sqlalchemy.Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = sqlalchemy.create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
            sqlalchemy.event.listen(engine, "connect", _sync_at_checkpoints)
        self._engines[shard] = engine
        while len(self._engines) > ENGINES_KEPT:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table, asked once per table.

        Dagster asks before it stores each check event and each asset event's tags, each time on a
        new engine and connection (0.5 s of a 10,000-employee batch's 870 events). The tables are
        created with the database and only wipe() removes them. Dagster may ask while it holds the
        pool's lock, so the first answer comes from its own connection, not from the pool.
        """
        if table_name not in self._tables_found:
            if not super().has_table(table_name):
                return False
            self._tables_found.add(table_name)
        return True

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sqlalchemy.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event(self, event: EventLogEntry) -> None:
        super().store_event(event)
        if event.run_id:
            # the change the webserver's watcher of this run's file waits for (module docstring)
            with contextlib.suppress(FileNotFoundError):
                os.utime(self.path_for_shard(event.run_id))

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        """Dagster deletes the run files: their pooled connections go first."""
        self._dispose_engines()
        self._tables_found.clear()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
