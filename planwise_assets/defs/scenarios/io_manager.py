"""The IO manager that stores each scenario's Python assets in that scenario's DuckDB file."""

from __future__ import annotations

import functools

import duckdb
import pandas as pd
from dagster import ConfigurableIOManager, InputContext, MultiPartitionKey, OutputContext, asset

from planwise_assets.defs.retries import TRANSIENT_RETRY
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.simulation.partitions import SCENARIO
from planwise_assets.defs.warehouse.resources import ScenarioWarehouse
from planwise_assets.lib.data_root import warehouse_path


def _scenario_of(context: InputContext | OutputContext) -> str:
    key = context.asset_partition_key
    return key.keys_by_dimension[SCENARIO] if isinstance(key, MultiPartitionKey) else key


class ScenarioWarehouseIOManager(ConfigurableIOManager):
    """A DataFrame asset becomes table main.<asset name> in warehouse_path(<scenario>)."""

    warehouse: ScenarioWarehouse

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        scenario_id = _scenario_of(context)
        table = context.asset_key.path[-1]
        with self.warehouse.writing(scenario_id) as path, duckdb.connect(str(path)) as con:
            con.register("asset_frame", obj)
            con.execute(f'create or replace table main."{table}" as select * from asset_frame')
        context.add_output_metadata({"warehouse": str(path), "table": f"main.{table}", "rows_written": len(obj)})

    def load_input(self, context: InputContext) -> pd.DataFrame:
        table = context.upstream_output.asset_key.path[-1]
        scenario_id = _scenario_of(context)
        self.warehouse.make_current(scenario_id)
        with duckdb.connect(str(warehouse_path(scenario_id)), read_only=True) as con:
            return con.execute(f'select * from main."{table}"').df()


# A Python asset with one table per scenario, written through this IO manager.
scenario_table_asset = functools.partial(
    asset,
    partitions_def=scenario_partitions,
    io_manager_key="warehouse_io_manager",
    kinds={"python", "duckdb"},
    retry_policy=TRANSIENT_RETRY,
)
