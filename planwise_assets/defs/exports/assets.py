"""The exports as Dagster assets: a workbook per scenario partition, and the comparison of scenarios.

`planwise batch` materializes these same assets (with its batch folder as the exports folder),
so every workbook a user holds is a materialization the UI shows.
"""

import time
from pathlib import Path

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    Config,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    asset,
)
from pydantic import Field

from planwise_assets.defs.exports.comparison import write_comparison_outputs
from planwise_assets.defs.exports.headline import DEFAULT_DISCOUNT_RATE
from planwise_assets.defs.exports.resources import ExportsFolder
from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs
from planwise_assets.defs.exports.sources import has_results
from planwise_assets.defs.retries import user_errors_fail_the_run
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.simulation.partitions import SCENARIO, simulation_key
from planwise_assets.defs.warehouse.resources import ScenarioWarehouse
from planwise_assets.lib.errors import PlanwiseError

# The marts a workbook reads; it needs every year of them for its scenario.
EXPORTED_MARTS = ("fct_yearly_summary", "fct_workforce_snapshot", "fct_yearly_events")
ALL_YEARS_OF_THE_SCENARIO = MultiToSingleDimensionPartitionMapping(partition_dimension_name=SCENARIO)


def _files_metadata(paths: list[Path], seconds: float) -> dict[str, object]:
    return {
        "path": MetadataValue.path(str(paths[0])),
        "files": MetadataValue.json([str(path) for path in paths]),
        "export_seconds": round(seconds, 3),
    }


def _simulation_run_id(context: AssetExecutionContext, scenario_id: str, last_year: int) -> str | None:
    """The run that simulated the scenario's last year: the run whose numbers the workbook shows."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(
            asset_key=AssetKey(EXPORTED_MARTS[0]), asset_partitions=[str(simulation_key(scenario_id, last_year))]
        ),
        limit=1,
    ).records
    return records[0].run_id if records else None


@asset(
    partitions_def=scenario_partitions,
    deps=[AssetDep(mart, partition_mapping=ALL_YEARS_OF_THE_SCENARIO) for mart in EXPORTED_MARTS],
    group_name="outputs",
    kinds={"python", "excel"},
)
def scenario_workbook(
    context: AssetExecutionContext, scenarios: ScenarioFolder, exports: ExportsFolder, warehouse: ScenarioWarehouse
) -> MaterializeResult:
    """The scenario's results workbook with its CSV and JSON twins, in `<exports folder>/<scenario>/`."""
    with user_errors_fail_the_run():
        config = scenarios.load(context.partition_key)
        started = time.perf_counter()
        simulation_run_id = _simulation_run_id(context, config.scenario_id, config.simulation.end_year)
        warehouse.make_current(config.scenario_id)
        paths = write_scenario_outputs(config, exports.scenario_folder(config.scenario_id), simulation_run_id)
        warehouse.publish_outputs(context, config.scenario_id, simulation_run_id, paths)
    seconds = time.perf_counter() - started
    context.log.info(f"{config.scenario_id}: exported in {seconds:.2f} s")
    return MaterializeResult(metadata=_files_metadata(paths, seconds))


class ComparisonConfig(Config):
    baseline_scenario: str = Field(default="baseline", description="The scenario every other one is compared against.")
    scenarios: list[str] = Field(
        default=[], description="The scenarios to compare (default: every scenario with a materialized workbook)."
    )
    discount_rate: float = Field(
        default=DEFAULT_DISCOUNT_RATE,
        ge=0,
        le=0.25,
        description="The yearly rate the Headline discounts each year's net employer cost at (0.04 is 4%).",
    )


@asset(deps=[scenario_workbook], group_name="outputs", kinds={"python", "excel"})
def comparison_report(
    context: AssetExecutionContext,
    config: ComparisonConfig,
    scenarios: ScenarioFolder,
    exports: ExportsFolder,
    warehouse: ScenarioWarehouse,
) -> MaterializeResult:
    """The scenarios compared with the baseline, in the exports folder.

    A scenario whose file no longer loads or whose results are gone is left out with a
    warning rather than failing the comparison of the others.
    """
    if config.scenarios:
        candidates = config.scenarios
    else:
        materialized = context.instance.get_materialized_partitions(scenario_workbook.key)
        candidates = sorted(materialized & set(context.instance.get_dynamic_partitions(scenario_partitions.name)))
    compared = []
    for scenario_id in candidates:
        try:
            scenario = scenarios.load(scenario_id)
        except PlanwiseError as error:
            context.log.warning(f"{scenario_id} left out of the comparison: {error}")
            continue
        warehouse.make_current(scenario_id)
        if not has_results(scenario_id):
            context.log.warning(f"{scenario_id} left out of the comparison: it has no simulated results")
            continue
        compared.append(scenario)
    started = time.perf_counter()
    with user_errors_fail_the_run():
        paths = write_comparison_outputs(
            compared,
            exports.folder(),
            config.baseline_scenario,
            context.run.run_id,
            discount_rate=config.discount_rate,
        )
    seconds = time.perf_counter() - started
    return MaterializeResult(
        metadata={
            **_files_metadata(paths, seconds),
            "baseline_scenario": config.baseline_scenario,
            "scenarios": ", ".join(s.scenario_id for s in compared),
            "discount_rate": config.discount_rate,
        }
    )
