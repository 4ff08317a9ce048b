"""Assembles PlanWise's Dagster definitions; the pieces live in their own modules."""

from dagster import AssetSelection, Definitions, define_asset_job

from planwise_assets.census_asset import census
from planwise_assets.dbt_assets import load_assumptions, simulate_workforce
from planwise_assets.exports.assets import comparison_report, scenario_workbook
from planwise_assets.io_manager import ScenarioWarehouseIOManager
from planwise_assets.resources import ScenarioStore

defs = Definitions(
    assets=[census, load_assumptions, simulate_workforce, scenario_workbook, comparison_report],
    jobs=[
        define_asset_job("load_scenario_inputs", AssetSelection.assets(census, load_assumptions)),
        define_asset_job("simulate_workforce_job", AssetSelection.assets(simulate_workforce)),
    ],
    resources={
        "scenarios": ScenarioStore(),
        "warehouse_io_manager": ScenarioWarehouseIOManager(),
    },
)
