"""The persistent Dagster home under the data root, shared by the CLI, `dagster dev` and the UI."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

from planwise_assets.warehouse import dagster_home

# Runs that carry a single scenario partition are limited to one at a time per scenario.
# Range runs (one scenario over several years) carry no such tag; scenario_write_lock
# serializes those. The event log is Dagster's SQLite one with pooled connections
# (planwise_assets/event_log.py).
DAGSTER_YAML = """\
event_log_storage:
  module: planwise_assets.event_log
  class: PooledSqliteEventLogStorage
  config:
    dagster_home:
      env: DAGSTER_HOME
run_queue:
  tag_concurrency_limits:
    - key: dagster/partition/scenario
      value:
        applyLimitPerUniqueValue: true
      limit: 1
telemetry:
  enabled: false
"""


def prepare_dagster_home() -> Path:
    """Create $PLANWISE_HOME/dagster_home with its dagster.yaml (kept if it exists) and point DAGSTER_HOME at it."""
    home = Path(os.environ.get("DAGSTER_HOME") or dagster_home())
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> DagsterInstance:
    prepare_dagster_home()
    return DagsterInstance.get()


def initialize_instance() -> None:
    """Create the instance's SQLite databases now, in one process.

    Parallel batch workers would otherwise race to create them on a fresh machine (a
    UNIQUE constraint on alembic_version).
    """
    instance = get_instance()
    instance.get_runs(limit=1)
    instance.get_asset_keys()
    instance.all_instigator_state()
