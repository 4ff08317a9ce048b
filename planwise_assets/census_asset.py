"""The census asset: a scenario's census, validated, in the scenario's DuckDB file."""

import os

import pandas as pd
from dagster import AssetExecutionContext, Output

from planwise_assets.census import file_sha256, generate_census, read_census, write_census
from planwise_assets.io_manager import scenario_table_asset
from planwise_assets.resources import ScenarioStore
from planwise_assets.retries import user_errors_fail_the_run
from planwise_assets.scenarios import ScenarioConfig
from planwise_assets.warehouse import planwise_home


def census_file(config: ScenarioConfig):
    """The scenario's census file; without one, the generated default is written once and reused."""
    if config.census.path is not None:
        return config.census.path
    settings = config.census
    path = (
        planwise_home()
        / "census"
        / (f"generated_{settings.employees}_seed{settings.seed}_{config.census_date.isoformat()}.csv")
    )
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.csv")
        write_census(generate_census(settings.employees, settings.seed, config.census_date), partial)
        partial.replace(path)
    return path


@scenario_table_asset
def census(context: AssetExecutionContext, scenarios: ScenarioStore) -> Output[pd.DataFrame]:
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
