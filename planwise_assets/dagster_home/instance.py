"""The persistent Dagster home under the data root, shared by the client, `dagster dev` and the UI.

Everything PlanWise tunes about Dagster's instance is in the dagster.yaml written here: the
event log with pooled connections (event_log.py) and the run queue's one-run-per-scenario limit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster import DagsterInstance

from planwise_assets.lib.data_root import dagster_home

# Runs that carry a single scenario partition are limited to one at a time per scenario.
# Range runs (one scenario over several years) carry no such tag; scenario_write_lock
# serializes those. The event log is Dagster's SQLite one with pooled connections, in the
# home's own folder.
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
telemetry:
  enabled: false
"""


def dagster_yaml(home: Path) -> str:
    return DAGSTER_YAML.format(home=json.dumps(str(home)))


def home_path() -> Path:
    """$DAGSTER_HOME when the user set it, else $PLANWISE_HOME/dagster_home."""
    return Path(os.environ.get("DAGSTER_HOME") or dagster_home()).resolve()


def prepare_dagster_home() -> Path:
    """Create the Dagster home with its dagster.yaml (a user's own dagster.yaml is kept)."""
    home = home_path()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # written whole under a temporary name: a second command starting at the same moment
        # reads either no file or the complete one
        partial = home / f".dagster.yaml.{os.getpid()}.partial"
        partial.write_text(dagster_yaml(home))
        partial.replace(config)
    return home


def get_instance() -> DagsterInstance:
    return DagsterInstance.from_config(str(prepare_dagster_home()))


def initialize_instance() -> None:
    """Create the instance's SQLite databases now, in one process.

    Parallel batch workers would otherwise race to create them on a fresh machine (a
    UNIQUE constraint on alembic_version).
    """
    instance = get_instance()
    instance.get_runs(limit=1)
    instance.get_asset_keys()
    instance.all_instigator_state()
