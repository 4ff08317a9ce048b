"""The census asset: a scenario's census, validated, in the scenario's DuckDB file."""

import pandas as pd
from dagster import AssetExecutionContext, Output

from planwise_assets.defs.retries import user_errors_fail_the_run
from planwise_assets.defs.scenarios.io_manager import scenario_table_asset
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.lib.census import census_file, read_census
from planwise_assets.lib.files import file_sha256


@scenario_table_asset(group_name="census")
def census(context: AssetExecutionContext, scenarios: ScenarioFolder) -> Output[pd.DataFrame]:
    """The scenario's census, validated (a bad row fails the run naming the file and lines)."""
    with user_errors_fail_the_run():
        config = scenarios.load(context.partition_key)
        path = census_file(config)
        frame = read_census(path, config.census_date)
    return Output(
        frame,
        metadata={
            "census_file": str(path),
            "census_sha256": file_sha256(path),
            "census_date": config.census_date.isoformat(),
            "employees": len(frame),
            "active_employees": int(frame["active"].sum()),
        },
    )
