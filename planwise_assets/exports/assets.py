"""The exports as Dagster assets: a workbook per scenario partition, and the comparison of all of them."""

import time
from pathlib import Path

from dagster import (
    AssetDep,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    asset,
)
from pydantic import Field

from planwise_assets.dbt_assets import model_specs
from planwise_assets.errors import PlanwiseError
from planwise_assets.exports.comparison import write_comparison_outputs
from planwise_assets.exports.files import COMPARISON_FOLDER, exports_root
from planwise_assets.exports.scenario_workbook import write_scenario_outputs
from planwise_assets.exports.sources import has_results
from planwise_assets.partitions import SCENARIO, scenario_partitions
from planwise_assets.resources import ScenarioStore

# A scenario's workbook needs every year of every model of that scenario.
ALL_YEARS_OF_THE_SCENARIO = MultiToSingleDimensionPartitionMapping(partition_dimension_name=SCENARIO)


def _files_metadata(paths: list[Path], seconds: float) -> dict[str, object]:
    return {
        "path": MetadataValue.path(str(paths[0])),
        "files": MetadataValue.json([str(path) for path in paths]),
        "export_seconds": round(seconds, 3),
    }


@asset(
    partitions_def=scenario_partitions,
    deps=[AssetDep(spec.key, partition_mapping=ALL_YEARS_OF_THE_SCENARIO) for spec in model_specs],
    group_name="outputs",
    kinds={"python", "excel"},
)
def scenario_workbook(context: AssetExecutionContext, scenarios: ScenarioStore) -> MaterializeResult:
    """The scenario's results workbook with its CSV and JSON twins, in $PLANWISE_HOME/exports/<scenario>/."""
    config = scenarios.load(context.partition_key)
    started = time.perf_counter()
    paths = write_scenario_outputs(config, exports_root() / config.scenario_id, context.run.run_id)
    seconds = time.perf_counter() - started
    context.log.info(f"{config.scenario_id}: exported in {seconds:.2f} s")
    return MaterializeResult(metadata=_files_metadata(paths, seconds))


class ComparisonConfig(Config):
    baseline_scenario: str = Field(default="baseline", description="The scenario every other one is compared against.")


@asset(deps=[scenario_workbook], group_name="outputs", kinds={"python", "excel"})
def comparison_report(
    context: AssetExecutionContext, config: ComparisonConfig, scenarios: ScenarioStore
) -> MaterializeResult:
    """Every scenario with a materialized workbook, compared with the baseline, in $PLANWISE_HOME/exports/comparison/.

    A scenario whose file no longer loads or whose results are gone is left out with a
    warning rather than failing the comparison of the others.
    """
    materialized = context.instance.get_materialized_partitions(scenario_workbook.key)
    registered = set(context.instance.get_dynamic_partitions(scenario_partitions.name))
    compared = []
    for scenario_id in sorted(materialized & registered):
        try:
            scenario = scenarios.load(scenario_id)
        except PlanwiseError as error:
            context.log.warning(f"{scenario_id} left out of the comparison: {error}")
            continue
        if not has_results(scenario_id):
            context.log.warning(f"{scenario_id} left out of the comparison: it has no simulated results")
            continue
        compared.append(scenario)
    started = time.perf_counter()
    paths = write_comparison_outputs(
        compared, exports_root() / COMPARISON_FOLDER, config.baseline_scenario, context.run.run_id
    )
    seconds = time.perf_counter() - started
    return MaterializeResult(
        metadata={
            **_files_metadata(paths, seconds),
            "baseline_scenario": config.baseline_scenario,
            "scenarios": ", ".join(s.scenario_id for s in compared),
        }
    )
