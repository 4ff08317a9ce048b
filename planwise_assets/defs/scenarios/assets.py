"""The scenario's resolved parameters and override register, stored in its DuckDB file.

The exports read them from there (Assumptions sheet), so a workbook always shows the
parameters of the run that produced its numbers.
"""

import json

import pandas as pd
from dagster import AssetExecutionContext, Output

from planwise_assets.defs.retries import user_errors_fail_the_run
from planwise_assets.defs.scenarios.io_manager import scenario_table_asset
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.lib.files import file_sha256
from planwise_assets.lib.scenario_files import CENSUS_DIGEST, LoadedScenario, flatten


def parameter_values(loaded: LoadedScenario) -> dict[str, str]:
    """Every resolved parameter by dotted key (JSON values), and the content of a given census file
    (`census.sha256`): what the scenario's results were computed from. The sensor compares them with
    the ones stored in the warehouse to tell whether a file's results are current."""
    values = {path: json.dumps(value) for path, value in flatten(loaded.config.model_dump(mode="json")).items()}
    if loaded.config.census.path is not None:
        # a generated census is identified by its settings; a given one by its content
        values[CENSUS_DIGEST] = json.dumps(file_sha256(loaded.config.census.path))
    return values


@scenario_table_asset(group_name="scenario")
def scenario_parameters(context: AssetExecutionContext, scenarios: ScenarioFolder) -> Output[pd.DataFrame]:
    """Every resolved parameter of the scenario (defaults filled in), one row per dotted key, and the
    SHA-256 of its census file when the scenario names one."""
    with user_errors_fail_the_run():
        loaded = scenarios.load_file(context.partition_key)
        values = parameter_values(loaded)
    rows = [{"path": path, "value": value, "source_file": loaded.path.name} for path, value in values.items()]
    return Output(pd.DataFrame(rows, columns=["path", "value", "source_file"]), metadata={"parameters": len(rows)})


@scenario_table_asset(group_name="scenario")
def scenario_overrides(context: AssetExecutionContext, scenarios: ScenarioFolder) -> Output[pd.DataFrame]:
    """The override register: each leaf that differs from the base scenario, with the base value and reason."""
    with user_errors_fail_the_run():
        loaded = scenarios.load_file(context.partition_key)
    rows = [
        {
            "path": override.path,
            "base_value": json.dumps(override.base_value),
            "scenario_value": json.dumps(override.scenario_value),
            "reason": override.reason,
        }
        for override in loaded.overrides
    ]
    frame = pd.DataFrame(rows, columns=["path", "base_value", "scenario_value", "reason"])
    base = loaded.base_chain[0].name if loaded.base_chain else "none"
    return Output(frame, metadata={"overrides": len(rows), "base_config": base})
