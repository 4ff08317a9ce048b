"""The dbt project as Dagster assets: the seeds (a scenario's assumption tables) and the models.

Seeds are partitioned by scenario and load with the census. Every model is partitioned by
scenario x year and depends on its own previous year, and on `year_end_state` of the previous
year (year_end_state.py: how a rerun year marks the later ones stale). All models form one
multi-asset that cannot be subset: a year is simulated whole, and Dagster would otherwise refuse
to run a self-dependent asset in the same run as its upstream models. With a single-run backfill
policy, a backfill of one scenario's years is one run whose body simulates the years in order,
recording each year (its materializations, with that year's figures, and checks) as soon as it
is written (year_end_state.py).

The specs come from dbt's manifest, so they are built when the definitions are loaded
(simulation_assets()), not when this module is imported.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from graphlib import TopologicalSorter
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DagsterRunStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    TableColumn,
    TableRecord,
    TableSchema,
    multi_asset,
)
from dagster_dbt import build_dbt_asset_specs

from planwise_assets.defs.retries import TRANSIENT_RETRY, user_errors_fail_the_run
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.simulation.checks import (
    check_evaluations,
    check_results,
    checks_on,
    dbt_test_check_specs,
    partitioned,
)
from planwise_assets.defs.simulation.dbt_project import dbt_manifest, parsed_manifest
from planwise_assets.defs.simulation.partitions import (
    YearAxis,
    simulation_key,
    simulation_partitions,
    years_by_scenario,
)
from planwise_assets.defs.simulation.runner import (
    YearReport,
    later_years,
    load_seeds,
    run_data_tests,
    simulate_years,
)
from planwise_assets.defs.simulation.translator import PlanwiseDbtTranslator
from planwise_assets.defs.simulation.year_end_state import YEAR_END_STATE, YearRecorder, current_check_spec
from planwise_assets.defs.warehouse.resources import ScenarioWarehouse


def _in_dependency_order(specs: list[AssetSpec]) -> list[AssetSpec]:
    """Dagster requires a multi-asset to yield its results upstream first."""
    by_key = {spec.key: spec for spec in specs}
    graph = {spec.key: {dep.asset_key for dep in spec.deps if dep.asset_key in by_key} - {spec.key} for spec in specs}
    return [by_key[key] for key in TopologicalSorter(graph).static_order()]


@dataclass(frozen=True)
class DbtAssetSpecs:
    """The dbt project's seeds and models as asset specs, with the checks on each and what the simulation needs."""

    seeds: list[AssetSpec]
    models: list[AssetSpec]
    seed_checks: dict[str, AssetCheckSpec]
    model_checks: dict[str, AssetCheckSpec]
    # models stored as tables (not views): the ones with rows per year
    table_models: list[str]
    # for each model, the models of the same year it reads (its own previous year is not one)
    same_year_inputs: dict[AssetKey, list[AssetKey]]
    # for each model, the inputs loaded before a simulation run (census, seeds)
    loaded_inputs: dict[AssetKey, list[AssetKey]]


@functools.cache
def dbt_asset_specs() -> DbtAssetSpecs:
    manifest = dbt_manifest()
    translator = PlanwiseDbtTranslator()

    def specs(select: str) -> list[AssetSpec]:
        return _in_dependency_order(
            build_dbt_asset_specs(manifest=manifest, dagster_dbt_translator=translator, select=select)
        )

    seeds, models = specs("resource_type:seed"), specs("resource_type:model")
    checks = dbt_test_check_specs(manifest, [*seeds, *models], translator)
    model_keys = {spec.key for spec in models}
    simulated = model_keys | {YEAR_END_STATE}
    return DbtAssetSpecs(
        seeds=seeds,
        models=models,
        seed_checks=checks_on(checks, {spec.key for spec in seeds}),
        model_checks=checks_on(checks, model_keys),
        table_models=[
            node["name"]
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"]["materialized"] != "view"
        ],
        same_year_inputs={
            spec.key: [dep.asset_key for dep in spec.deps if dep.asset_key in model_keys - {spec.key}]
            for spec in models
        },
        loaded_inputs={
            spec.key: [dep.asset_key for dep in spec.deps if dep.asset_key not in simulated] for spec in models
        },
    )


def _events_table(report: YearReport) -> MetadataValue:
    return MetadataValue.table(
        records=[
            TableRecord({"event_type": event_type, "events": count})
            for event_type, count in sorted(report.events_by_type.items())
        ],
        schema=TableSchema(columns=[TableColumn("event_type", "string"), TableColumn("events", "int")]),
    )


# The nondiscrimination figures fct_compliance's materialization shows for its year (docs/dc_plan.md,
# rules 11 to 13); the UI plots the numeric ones across the year partitions.
COMPLIANCE_FIGURES = (
    "highly_compensated_employees",
    "adp_result",
    "adp_hce_average_rate",
    "adp_nhce_average_rate",
    "adp_limit_rate",
    "adp_margin_rate",
    "adp_corrective_refund_amount",
    "acp_result",
    "acp_hce_average_rate",
    "acp_nhce_average_rate",
    "acp_limit_rate",
    "acp_margin_rate",
    "acp_corrective_refund_amount",
    "top_heavy_ratio_rate",
    "top_heavy_result",
    "top_heavy_minimum_amount",
)


# The metrics whose band over an ensemble's replicates fct_yearly_summary's materialization shows for
# its year (the comparison's fan charts plot the same): P10, median and P90 of each.
BAND_FIGURES = ("participation_rate", "total_employer_cost_amount", "active_headcount_end")


def _metadata_value(value: Any) -> Any:
    """A figure as Dagster metadata: decimals as floats (plotted), text as text."""
    return float(value) if isinstance(value, Decimal) else value


def _year_metadata(name: str, scenario_id: str, report: YearReport, table_models: list[str]) -> dict[str, Any]:
    """What one model's materialization of one scenario-year records: that year's figures only."""
    metadata: dict[str, Any] = {
        "scenario_id": scenario_id,
        "simulation_year": report.year,
        # the whole year (every model, dbt included), and the time during which SQL ran
        "year_seconds": round(report.seconds, 3),
        "year_sql_seconds": round(report.sql_seconds, 3),
    }
    if name in table_models:
        metadata["dagster/row_count"] = report.rows_by_model.get(name, 0)
    if name == "fct_yearly_events":
        metadata["events_by_type"] = _events_table(report)
    if name == "fct_yearly_summary":
        # replicate 0's, like the single run it is
        metadata["year_end_actives"] = report.year_end_actives
        for metric in BAND_FIGURES if report.bands else ():
            for percentile, value in zip(("p10", "p50", "p90"), report.bands[metric], strict=True):
                metadata[f"{metric}_{percentile}"] = _metadata_value(value)
    if name == "fct_compliance":
        metadata.update({column: _metadata_value(report.compliance.get(column)) for column in COMPLIANCE_FIGURES})
    return metadata


def _cancelling(context: AssetExecutionContext) -> bool:
    """`planwise cancel` marks the run CANCELING; an in-process run notices it between years."""
    run = context.instance.get_run_by_id(context.run.run_id)
    return run is not None and run.status == DagsterRunStatus.CANCELING


def _load_assumptions(
    context: AssetExecutionContext, scenarios: ScenarioFolder, warehouse: ScenarioWarehouse, specs: DbtAssetSpecs
) -> Iterator[Any]:
    scenario_id = context.partition_key
    with user_errors_fail_the_run():
        config = scenarios.load(scenario_id)
        with warehouse.writing(scenario_id):
            outcomes = load_seeds(config, parsed_manifest())
    for spec in specs.seeds:
        yield MaterializeResult(asset_key=spec.key, metadata={"scenario_id": scenario_id})
    yield from check_results(specs.seed_checks, outcomes)


def _simulate_workforce(
    context: AssetExecutionContext, scenarios: ScenarioFolder, warehouse: ScenarioWarehouse, specs: DbtAssetSpecs
) -> Iterator[Any]:
    parsed = parsed_manifest()
    for scenario_id, years in years_by_scenario(context.assets_def.partitions_def, context.partition_keys).items():
        recorder = YearRecorder(context, scenario_id, specs.models, specs.same_year_inputs, specs.loaded_inputs)
        with user_errors_fail_the_run():
            loaded = scenarios.load_file(scenario_id)
            config = loaded.config
            with warehouse.writing(scenario_id):
                for report in simulate_years(
                    config, years, parsed, specs.table_models, should_stop=lambda: _cancelling(context)
                ):
                    yield from recorder.year_events(
                        report.year,
                        {"year_end_actives": report.year_end_actives},
                        {
                            spec.key: _year_metadata(spec.key.path[-1], scenario_id, report, specs.table_models)
                            for spec in specs.models
                        },
                    )
                    context.log.info(
                        f"{scenario_id} {report.year}: simulated in {report.seconds:.2f} s "
                        f"({report.sql_seconds:.2f} s running SQL), {report.year_end_actives} actives at year end"
                    )
                outdated = later_years(scenario_id, years[-1])
                yield from recorder.superseded_events(years[-1], outdated)
                if outdated:
                    context.log.warning(
                        f"{scenario_id}: {', '.join(map(str, outdated))} started from the years before "
                        f"{years[-1]} as they were; run them again to bring them up to date"
                    )
                outcomes = run_data_tests(config, years, parsed)
            warehouse.publish_simulation(context, loaded)
        failed = [outcome.name for outcome in outcomes if not outcome.passed]
        context.log.info(
            f"{scenario_id}: data tests over {years[0]}-{years[-1]}: {len(outcomes) - len(failed)} passed"
            + (f", failed: {', '.join(failed)}" if failed else "")
        )
        evaluations = list(
            check_evaluations(specs.model_checks, outcomes, [str(simulation_key(scenario_id, year)) for year in years])
        )
        yield from evaluations
        _fail_on_blocking_checks(scenario_id, evaluations)
    # Dagster requires each check's output from a multi-asset that cannot be subset; the results are
    # the evaluations per scenario-year recorded above, so the outputs carry nothing
    for output_name in context.assets_def.check_specs_by_output_name:
        yield Output(None, output_name=output_name)


def _fail_on_blocking_checks(scenario_id: str, evaluations: list[AssetCheckEvaluation]) -> None:
    """Name the blocking checks that failed, with their failing rows; Dagster's own error only counts them."""
    failed = {
        f"{evaluation.check_name} on {evaluation.asset_key.to_user_string()} "
        f"({scenario_id}: {evaluation.metadata['failures'].value})"
        for evaluation in evaluations
        if evaluation.blocking and not evaluation.passed
    }
    if failed:
        raise Failure(description=f"blocking check failed: {'; '.join(sorted(failed))}", allow_retries=False)


@functools.cache
def simulation_assets(axis: YearAxis) -> tuple[AssetsDefinition, AssetsDefinition]:
    """The seeds' multi-asset (load_assumptions) and the models' (simulate_workforce) over the axis' years."""
    specs = dbt_asset_specs()
    partitions_def = simulation_partitions(axis)

    @multi_asset(
        name="load_assumptions",
        specs=specs.seeds,
        check_specs=partitioned(specs.seed_checks, scenario_partitions),
        can_subset=False,
        partitions_def=scenario_partitions,
        retry_policy=TRANSIENT_RETRY,
    )
    def load_assumptions(
        context: AssetExecutionContext, scenarios: ScenarioFolder, warehouse: ScenarioWarehouse
    ) -> Iterator[Any]:
        """Load the seed tables (bands, hazards, merit) into the scenario's DuckDB file."""
        yield from _load_assumptions(context, scenarios, warehouse, specs)

    @multi_asset(
        name="simulate_workforce",
        # each year's materializations are recorded by the step as the year is written, not as outputs
        specs=[spec.replace_attributes(skippable=True) for spec in specs.models],
        check_specs=[
            *partitioned(specs.model_checks, partitions_def),
            *(current_check_spec(spec.key, partitions_def) for spec in specs.models),
        ],
        can_subset=False,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        retry_policy=TRANSIENT_RETRY,
    )
    def simulate_workforce(
        context: AssetExecutionContext, scenarios: ScenarioFolder, warehouse: ScenarioWarehouse
    ) -> Iterator[Any]:
        """Simulate the selected years of each selected scenario with dbt, years in order."""
        yield from _simulate_workforce(context, scenarios, warehouse, specs)

    return load_assumptions, simulate_workforce
