"""The persistent Dagster home under the data root, shared by the client, `dagster dev` and the UI.

Everything PlanWise tunes about Dagster's instance is in the dagster.yaml written here: the
event log with pooled connections (event_log.py) and the run queue's one-run-per-scenario limit.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterInstance

from planwise_assets.lib.data_root import dagster_home
from planwise_assets.lib.files import atomic_file

# Runs that carry a single scenario partition are limited to one at a time per scenario.
# Range runs (one scenario over several years) carry no such tag; scenario_write_lock
# serializes those. The event log is Dagster's SQLite one with pooled connections, in the
# home's own folder. A run whose config names no logger (those the UI, a backfill or the sensor
# launch) prints on its console at python_log_level: the years' progress lines and the warnings,
# not a DEBUG line per Dagster event; every event is still stored and shown in the UI.
DAGSTER_YAML = """\
event_log_storage:
  module: planwise_assets.dagster_home.event_log
  class: PooledSqliteEventLogStorage
  config:
    dagster_home: {home}
run_queue:
  tag_concurrency_limits:
    - key: dagster/partition/scenario
      value:
        applyLimitPerUniqueValue: true
      limit: 1
python_logs:
  python_log_level: INFO
telemetry:
  enabled: false
"""


def dagster_yaml(home: Path) -> str:
    return DAGSTER_YAML.format(home=json.dumps(str(home)))


def home_path() -> Path:
    """$DAGSTER_HOME when the user set it, else $PLANWISE_HOME/dagster_home."""
    return Path(os.environ.get("DAGSTER_HOME") or dagster_home()).resolve()


# Written once the home's databases exist: later commands skip the creation lock.
CREATED_MARKER = ".planwise_created"


@contextmanager
def _creation_lock(home: Path) -> Iterator[None]:
    with open(home / ".planwise_create.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def prepare_dagster_home() -> Path:
    """The Dagster home with its dagster.yaml (a user's own is kept) and its databases, created once.

    Two commands starting at the same moment on a fresh home would both create Dagster's SQLite
    databases and stamp their schema version; one of them can then leave the run storage with
    two alembic heads, broken for good. Creation therefore happens once, under a file lock.
    """
    home = home_path()
    if (home / CREATED_MARKER).exists():
        return home
    home.mkdir(parents=True, exist_ok=True)
    with _creation_lock(home):
        if not (home / CREATED_MARKER).exists():
            if not (home / "dagster.yaml").exists():
                with atomic_file(home / "dagster.yaml") as partial:
                    partial.write_text(dagster_yaml(home))
            instance = DagsterInstance.from_config(str(home))
            try:
                # each storage creates its tables on first use
                instance.get_runs(limit=1)
                instance.get_asset_keys()
                instance.all_instigator_state()
            finally:
                instance.dispose()
            (home / CREATED_MARKER).write_text("the databases of this Dagster home have been created\n")
    return home


def get_instance() -> DagsterInstance:
    return DagsterInstance.from_config(str(prepare_dagster_home()))
