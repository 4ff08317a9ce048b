"""Assembles PlanWise's Dagster definitions; the pieces live in their own modules."""

from dagster import AssetSelection, Definitions, define_asset_job

from planwise_assets.census_asset import census
from planwise_assets.dbt_assets import load_assumptions, simulate_workforce
from planwise_assets.exports.assets import comparison_report, scenario_workbook
from planwise_assets.io_manager import ScenarioWarehouseIOManager
from planwise_assets.resources import ScenarioStore
from planwise_assets.scenario_assets import scenario_overrides, scenario_parameters
from planwise_assets.sensors import build_scenario_files_sensor
from planwise_assets.year_end_state import year_end_state

load_scenario_inputs = define_asset_job(
    "load_scenario_inputs",
    AssetSelection.assets(census, scenario_parameters, scenario_overrides, load_assumptions),
)
simulate_workforce_job = define_asset_job("simulate_workforce_job", AssetSelection.assets(simulate_workforce))

defs = Definitions(
    assets=[
        census,
        scenario_parameters,
        scenario_overrides,
        load_assumptions,
        year_end_state,
        simulate_workforce,
        scenario_workbook,
        comparison_report,
    ],
    jobs=[load_scenario_inputs, simulate_workforce_job],
    sensors=[build_scenario_files_sensor(load_scenario_inputs, simulate_workforce_job)],
    resources={
        "scenarios": ScenarioStore(),
        "warehouse_io_manager": ScenarioWarehouseIOManager(),
    },
)
