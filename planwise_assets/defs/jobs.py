"""The jobs a scenario goes through, in order, and the comparison across scenarios.

1. `load_scenario_inputs` (scenario partition): its resolved parameters and override register,
   its census and its assumption tables (the dbt seeds);
2. `simulate_workforce_job` (scenario x year partitions): its years, in one run per scenario;
3. `export_scenario_workbook` (scenario partition): its workbook;
4. `compare_scenarios`: the comparison workbook.

The sensor and the client (`planwise batch`, the Python API) launch these jobs. They select
assets by group and key, so defining them reads no dbt manifest.
"""

from dagster import AssetSelection, define_asset_job

load_scenario_inputs = define_asset_job(
    "load_scenario_inputs", AssetSelection.groups("scenario", "census", "assumptions").materializable()
)
# The simulation's asset groups, one per part of the model, so each group's lineage reads at default
# zoom: the workforce (its start, growth, hires, leavers, pay), the DC plan (limits, enrollment,
# contributions, vesting) and the results (the marts and the state each year hands on).
SIMULATION_GROUPS = ("workforce", "dc_plan", "results")

simulate_workforce_job = define_asset_job(
    "simulate_workforce_job", AssetSelection.groups(*SIMULATION_GROUPS).materializable()
)
export_scenario_workbook = define_asset_job("export_scenario_workbook", AssetSelection.assets("scenario_workbook"))
compare_scenarios = define_asset_job("compare_scenarios", AssetSelection.assets("comparison_report"))

SCENARIO_JOBS = [load_scenario_inputs, simulate_workforce_job, export_scenario_workbook, compare_scenarios]
