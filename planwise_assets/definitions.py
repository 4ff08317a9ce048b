"""Assembles PlanWise's Dagster definitions from its domains (planwise_assets/defs/); no logic here.

Loading them reads the dbt manifest (the simulation's asset specs come from it) and the scenario
files (the year axis spans the years they simulate: defs/simulation/partitions.py), so they are
built when Dagster, a test or the client asks for them, never when a module is imported.
`defs` is the embedded default; deployed_definitions.py assembles the same definitions with the
scenario files kept in an object store (docs/deploy.md).
"""

import functools
from pathlib import Path

import dagster as dg

from planwise_assets.defs.census.assets import census
from planwise_assets.defs.exports.assets import comparison_report, scenario_workbook
from planwise_assets.defs.exports.resources import ExportsFolder
from planwise_assets.defs.jobs import SCENARIO_JOBS
from planwise_assets.defs.scenarios.assets import scenario_overrides, scenario_parameters
from planwise_assets.defs.scenarios.files import every_scenario_file_is_valid, scenario_files
from planwise_assets.defs.scenarios.io_manager import ScenarioWarehouseIOManager
from planwise_assets.defs.scenarios.removal import remove_scenario_job
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.scenarios.sensors import scenario_files_sensor
from planwise_assets.defs.simulation.assets import simulation_assets
from planwise_assets.defs.simulation.partitions import YearAxis, simulation_partitions
from planwise_assets.defs.simulation.year_end_state import year_end_state_spec
from planwise_assets.defs.warehouse.resources import ScenarioWarehouse


@dg.definitions
def defs() -> dg.Definitions:
    """The code location: the years of the scenario files in the scenarios folder it watches."""
    return definitions_for(ScenarioFolder().folder())


def definitions_for(scenarios_folder: Path) -> dg.Definitions:
    """The definitions a run reading `scenarios_folder` executes (their years cover its files)."""
    return embedded_definitions(YearAxis.of_folder(scenarios_folder))


@functools.cache
def embedded_definitions(axis: YearAxis) -> dg.Definitions:
    """The embedded default: scenario files in the data root only."""
    return planwise_definitions(axis, ScenarioWarehouse())


def planwise_definitions(axis: YearAxis, warehouse: ScenarioWarehouse) -> dg.Definitions:
    """Every asset, job, sensor and resource over the year `axis`, `warehouse` deciding where scenario files live."""
    load_assumptions, simulate_workforce = simulation_assets(axis)
    return dg.Definitions(
        assets=[
            scenario_files,
            scenario_parameters,
            scenario_overrides,
            census,
            load_assumptions,
            year_end_state_spec(simulation_partitions(axis)),
            simulate_workforce,
            scenario_workbook,
            comparison_report,
        ],
        asset_checks=[every_scenario_file_is_valid],
        jobs=[*SCENARIO_JOBS, remove_scenario_job],
        sensors=[scenario_files_sensor(axis)],
        resources={
            "scenarios": ScenarioFolder(),
            "exports": ExportsFolder(),
            "warehouse": warehouse,
            "warehouse_io_manager": ScenarioWarehouseIOManager(warehouse=warehouse),
        },
        # every step in the run's own process: a step's work is seconds, a step process's start-up
        # about two, and the run reads its scenario files once
        executor=dg.in_process_executor,
    )
