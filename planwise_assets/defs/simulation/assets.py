"""The dbt project as Dagster assets: the seeds (a scenario's assumption tables) and the models.

Seeds are partitioned by scenario and load with the census. Every model is partitioned by
scenario x year and depends on its own previous year, and on `year_end_state` of the previous
year (year_end_state.py: how a rerun year marks the later ones stale). All models form one
multi-asset that cannot be subset: a year is simulated whole, and Dagster would otherwise refuse
to run a self-dependent asset in the same run as its upstream models. With a single-run backfill
policy, a backfill of one scenario's years is one run whose body simulates the years in order.

The specs come from dbt's manifest, so they are built when the definitions are loaded
(simulation_assets()), not when this module is imported.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DagsterRunStatus,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    multi_asset,
)
from dagster_dbt import build_dbt_asset_specs

from planwise_assets.defs.retries import TRANSIENT_RETRY, user_errors_fail_the_run
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.simulation.checks import check_results, checks_on, dbt_test_check_specs
from planwise_assets.defs.simulation.dbt_project import dbt_manifest, parsed_manifest
from planwise_assets.defs.simulation.partitions import simulation_partitions, years_by_scenario
from planwise_assets.defs.simulation.runner import SimulationReport, load_seeds, simulate
from planwise_assets.defs.simulation.translator import PlanwiseDbtTranslator
from planwise_assets.defs.simulation.year_end_state import input_pointer_tags, observe_year_end_states
from planwise_assets.lib.data_root import scenario_write_lock


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
    # for each model, the models of the same step it reads (its own previous year is not one)
    same_step_inputs: dict[AssetKey, list[AssetKey]]


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
        same_step_inputs={
            spec.key: [dep.asset_key for dep in spec.deps if dep.asset_key in model_keys] for spec in models
        },
    )


def _year_table(report: SimulationReport, model: str) -> MetadataValue:
    """Rows written and seconds spent (all models of the year, and in SQL) per simulated year."""
    return MetadataValue.table(
        records=[
            TableRecord(
                {
                    "year": y.year,
                    "rows": y.rows_by_model.get(model, 0),
                    "year_seconds": round(y.seconds, 3),
                    "year_sql_seconds": round(y.sql_seconds, 3),
                }
            )
            for y in report.years
        ],
        schema=TableSchema(
            columns=[
                TableColumn("year", "int"),
                TableColumn("rows", "int"),
                TableColumn("year_seconds", "float"),
                TableColumn("year_sql_seconds", "float"),
            ]
        ),
    )


def _events_table(report: SimulationReport) -> MetadataValue:
    return MetadataValue.table(
        records=[
            TableRecord({"year": y.year, "event_type": event_type, "events": count})
            for y in report.years
            for event_type, count in sorted(y.events_by_type.items())
        ],
        schema=TableSchema(
            columns=[
                TableColumn("year", "int"),
                TableColumn("event_type", "string"),
                TableColumn("events", "int"),
            ]
        ),
    )


# The nondiscrimination figures fct_compliance's materialization shows per year (docs/dc_plan.md,
# rules 11 to 13): (column, the table's column type)
COMPLIANCE_FIGURES = (
    ("highly_compensated_employees", "int"),
    ("adp_result", "string"),
    ("adp_hce_average_rate", "float"),
    ("adp_nhce_average_rate", "float"),
    ("adp_limit_rate", "float"),
    ("adp_margin_rate", "float"),
    ("adp_corrective_refund_amount", "float"),
    ("acp_result", "string"),
    ("acp_hce_average_rate", "float"),
    ("acp_nhce_average_rate", "float"),
    ("acp_limit_rate", "float"),
    ("acp_margin_rate", "float"),
    ("acp_corrective_refund_amount", "float"),
    ("top_heavy_ratio_rate", "float"),
    ("top_heavy_result", "string"),
    ("top_heavy_minimum_amount", "float"),
)


def _compliance_table(report: SimulationReport) -> MetadataValue:
    """The year's ADP, ACP and top-heavy results, one row per simulated year."""

    def shown(value: Any, kind: str) -> Any:
        return float(value) if kind == "float" and value is not None else value

    return MetadataValue.table(
        records=[
            TableRecord({"year": y.year, **{c: shown(y.compliance.get(c), kind) for c, kind in COMPLIANCE_FIGURES}})
            for y in report.years
        ],
        schema=TableSchema(
            columns=[TableColumn("year", "int"), *(TableColumn(c, kind) for c, kind in COMPLIANCE_FIGURES)]
        ),
    )


def _model_metadata(name: str, reports: list[SimulationReport], table_models: list[str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "scenarios": ", ".join(r.scenario_id for r in reports),
        "years": ", ".join(f"{r.years[0].year}-{r.years[-1].year}" for r in reports),
        "seconds_spent": round(sum(r.seconds for r in reports), 3),
        "seconds_in_sql": round(sum(r.sql_seconds for r in reports), 3),
        "dbt_invocations": sum(r.dbt_invocations for r in reports),
    }
    if name in table_models:
        metadata["rows_written"] = sum(y.rows_by_model.get(name, 0) for r in reports for y in r.years)
        if len(reports) == 1:
            metadata["rows_by_year"] = _year_table(reports[0], name)
    if name == "fct_yearly_events" and len(reports) == 1:
        metadata["events_by_type"] = _events_table(reports[0])
    if name == "fct_compliance" and len(reports) == 1:
        metadata["compliance_by_year"] = _compliance_table(reports[0])
        metadata["years_failing_adp_or_acp"] = sum(
            "fail" in (y.compliance.get("adp_result"), y.compliance.get("acp_result")) for y in reports[0].years
        )
    return metadata


def _cancelling(context: AssetExecutionContext) -> bool:
    """`planwise cancel` marks the run CANCELING; an in-process run notices it between years."""
    run = context.instance.get_run_by_id(context.run.run_id)
    return run is not None and run.status == DagsterRunStatus.CANCELING


def _load_assumptions(context: AssetExecutionContext, scenarios: ScenarioFolder, specs: DbtAssetSpecs) -> Iterator[Any]:
    scenario_id = context.partition_key
    with user_errors_fail_the_run():
        config = scenarios.load(scenario_id)
        with scenario_write_lock(scenario_id):
            outcomes = load_seeds(config, parsed_manifest())
    for spec in specs.seeds:
        yield MaterializeResult(asset_key=spec.key, metadata={"scenario_id": scenario_id})
    yield from check_results(specs.seed_checks, {scenario_id: outcomes})


def _simulate_workforce(
    context: AssetExecutionContext, scenarios: ScenarioFolder, specs: DbtAssetSpecs
) -> Iterator[Any]:
    reports: list[SimulationReport] = []
    parsed = parsed_manifest()
    for scenario_id, years in years_by_scenario(context.partition_keys).items():
        with user_errors_fail_the_run():
            config = scenarios.load(scenario_id)
            with scenario_write_lock(scenario_id):
                report = simulate(config, years, parsed, specs.table_models, should_stop=lambda: _cancelling(context))
        context.log.info(
            f"{scenario_id} {years[0]}-{years[-1]}: {report.seconds:.2f} s, "
            f"{report.sql_seconds:.2f} s in SQL, {report.dbt_invocations} dbt invocations"
        )
        reports.append(report)
    yield from observe_year_end_states(context, reports)
    pointers = input_pointer_tags(context, reports, specs.same_step_inputs)
    for spec in specs.models:
        yield MaterializeResult(
            asset_key=spec.key,
            metadata=_model_metadata(spec.key.path[-1], reports, specs.table_models),
            tags=pointers[spec.key],
        )
    yield from check_results(specs.model_checks, {r.scenario_id: r.tests for r in reports})


@functools.cache
def simulation_assets() -> tuple[AssetsDefinition, AssetsDefinition]:
    """The seeds' multi-asset (load_assumptions) and the models' (simulate_workforce)."""
    specs = dbt_asset_specs()

    @multi_asset(
        name="load_assumptions",
        specs=specs.seeds,
        check_specs=list(specs.seed_checks.values()),
        can_subset=False,
        partitions_def=scenario_partitions,
        retry_policy=TRANSIENT_RETRY,
    )
    def load_assumptions(context: AssetExecutionContext, scenarios: ScenarioFolder) -> Iterator[Any]:
        """Load the seed tables (bands, hazards, merit) into the scenario's DuckDB file."""
        yield from _load_assumptions(context, scenarios, specs)

    @multi_asset(
        name="simulate_workforce",
        specs=specs.models,
        check_specs=list(specs.model_checks.values()),
        can_subset=False,
        partitions_def=simulation_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        retry_policy=TRANSIENT_RETRY,
    )
    def simulate_workforce(context: AssetExecutionContext, scenarios: ScenarioFolder) -> Iterator[Any]:
        """Simulate the selected years of each selected scenario with dbt, years in order."""
        yield from _simulate_workforce(context, scenarios, specs)

    return load_assumptions, simulate_workforce
