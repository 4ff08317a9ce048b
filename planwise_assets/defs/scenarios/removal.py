"""Removing a scenario: its partition, and its DuckDB file moved aside (never deleted), without leftovers.

The sensor does it when a scenario's file is removed; a user does it from the UI (the
`remove_scenario` job, its scenario id in the launchpad's config) or with `planwise remove`.
"""

import datetime as dt
from pathlib import Path

from dagster import Config, DagsterInstance, OpExecutionContext, job, op
from pydantic import Field

from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.lib.data_root import planwise_home, scenario_write_lock, warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.scenario_id import validate_scenario_id


def retire_warehouse(scenario_id: str, now: dt.datetime) -> Path | None:
    """Move the scenario's DuckDB file (and write-ahead log) to warehouse/removed/<id>_<UTC time>.duckdb,
    and delete its lock file. Returns the new path (None when it had no file).

    Done under the scenario's write lock without waiting: while a run writes the file this raises
    TimeoutError, and the caller tries again later. The lock file goes last, still held: a writer
    that opens it afterwards makes a new one for a new file.
    """
    source = warehouse_path(scenario_id)
    with scenario_write_lock(scenario_id, timeout_seconds=0):
        moved = None
        if source.exists():
            moved = planwise_home() / "warehouse" / "removed" / f"{scenario_id}_{now:%Y%m%dT%H%M%SZ}.duckdb"
            if moved.exists():
                raise FileExistsError(f"{moved} exists")
            moved.parent.mkdir(parents=True, exist_ok=True)
            source.rename(moved)
            wal = source.with_name(source.name + ".wal")
            if wal.exists():
                wal.rename(moved.with_name(moved.name + ".wal"))
        source.with_suffix(".lock").unlink(missing_ok=True)
    return moved


def remove_scenario(instance: DagsterInstance, scenario_id: str) -> Path | None:
    """Delete the scenario's partition and retire its warehouse file; returns where the file went.

    The runs and materializations stay in the Dagster home, as the history of what was done; a
    scenario file still in the folder is registered again by the sensor.
    """
    validate_scenario_id(scenario_id)
    try:
        moved = retire_warehouse(scenario_id, dt.datetime.now(dt.UTC))
    except TimeoutError as error:
        raise PlanwiseError(f"{scenario_id}: {error}; remove it once that run has ended") from error
    if instance.has_dynamic_partition(scenario_partitions.name, scenario_id):
        instance.delete_dynamic_partition(scenario_partitions.name, scenario_id)
    return moved


class RemoveScenarioConfig(Config):
    scenario_id: str = Field(description="The scenario partition to remove (its file, if any, stays in the folder).")


@op(description="Delete a scenario's partition and move its DuckDB file to warehouse/removed/.")
def remove_scenario_partition(context: OpExecutionContext, config: RemoveScenarioConfig) -> None:
    moved = remove_scenario(context.instance, config.scenario_id)
    context.log.info(
        f"{config.scenario_id}: partition deleted" + (f"; warehouse file moved to {moved}" if moved else "")
    )


@job(
    description=(
        "Remove a scenario partition (e.g. one added by mistake): the partition is deleted and its DuckDB "
        "file moved to warehouse/removed/. Set config.scenario_id in the launchpad."
    )
)
def remove_scenario_job() -> None:
    remove_scenario_partition()
