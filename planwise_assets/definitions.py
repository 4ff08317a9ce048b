"""Assembles PlanWise's Dagster definitions from its domains (planwise_assets/defs/); no logic here.

Loading them reads the dbt manifest (the simulation's asset specs come from it), so they are
built when Dagster, a test or the client asks for them, never when a module is imported.
`defs` is the embedded default; deployed_definitions.py assembles the same definitions with the
scenario files kept in an object store (docs/deploy.md).
"""

import functools

import dagster as dg

from planwise_assets.defs.census.assets import census
from planwise_assets.defs.exports.assets import comparison_report, scenario_workbook
from planwise_assets.defs.exports.resources import ExportsFolder
from planwise_assets.defs.jobs import SCENARIO_JOBS
from planwise_assets.defs.scenarios.assets import scenario_overrides, scenario_parameters
from planwise_assets.defs.scenarios.io_manager import ScenarioWarehouseIOManager
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.scenarios.sensors import scenario_files_sensor
from planwise_assets.defs.simulation.assets import simulation_assets
from planwise_assets.defs.simulation.year_end_state import year_end_state
from planwise_assets.defs.warehouse.resources import ScenarioWarehouse


def planwise_definitions(warehouse: ScenarioWarehouse) -> dg.Definitions:
    """Every asset, job, sensor and resource, with `warehouse` deciding where scenario files live."""
    load_assumptions, simulate_workforce = simulation_assets()
    return dg.Definitions(
        assets=[
            scenario_parameters,
            scenario_overrides,
            census,
            load_assumptions,
            year_end_state,
            simulate_workforce,
            scenario_workbook,
            comparison_report,
        ],
        jobs=SCENARIO_JOBS,
        sensors=[scenario_files_sensor],
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


@dg.definitions
@functools.cache
def defs() -> dg.Definitions:
    """The embedded default: scenario files in the data root only."""
    return planwise_definitions(ScenarioWarehouse())
