"""Every dbt model and seed as a Dagster asset partitioned by scenario x year.

All dbt nodes form one multi-asset that cannot be subset: a year is simulated whole, and
Dagster would otherwise refuse to run a self-dependent asset in the same run as its
upstream models. With a single-run backfill policy a backfill of one scenario's years is
one run, and the body simulates the years in order.
"""


from collections.abc import Iterator, Mapping
from graphlib import TopologicalSorter
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    MultiToSingleDimensionPartitionMapping,
    PartitionMapping,
    TableColumn,
    TableRecord,
    TableSchema,
    multi_asset,
)
from dagster_dbt import DagsterDbtTranslator, build_dbt_asset_specs

from planwise_assets.census_asset import TRANSIENT_RETRY
from planwise_assets.dbt_project import manifest, parse_project
from planwise_assets.errors import PlanwiseError
from planwise_assets.partitions import SCENARIO, previous_year_mapping, simulation_partitions, years_by_scenario
from planwise_assets.resources import ScenarioStore
from planwise_assets.simulation import SimulationReport, simulate
from planwise_assets.warehouse import scenario_write_lock


class PlanwiseDbtTranslator(DagsterDbtTranslator):
    """Partition mappings: year N-1 for a model's own previous year, the scenario for the census."""

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> PartitionMapping | None:
        if dbt_parent_resource_props["unique_id"] == dbt_resource_props["unique_id"]:
            return previous_year_mapping
        if dbt_parent_resource_props["resource_type"] == "source":
            return MultiToSingleDimensionPartitionMapping(partition_dimension_name=SCENARIO)
        return None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return "workforce"


translator = PlanwiseDbtTranslator()
dbt_manifest = manifest()

def _in_dependency_order(specs: list[AssetSpec]) -> list[AssetSpec]:
    """Dagster requires a multi-asset to yield its results upstream first."""
    by_key = {spec.key: spec for spec in specs}
    graph = {spec.key: {dep.asset_key for dep in spec.deps if dep.asset_key in by_key} - {spec.key} for spec in specs}
    return [by_key[key] for key in TopologicalSorter(graph).static_order()]


dbt_specs = _in_dependency_order(build_dbt_asset_specs(manifest=dbt_manifest, dagster_dbt_translator=translator))
_spec_by_unique_id = {
    unique_id: spec
    for spec in dbt_specs
    for unique_id in [spec.metadata["dagster_dbt/unique_id"]]
}


def _check_specs() -> dict[str, AssetCheckSpec]:
    """One Dagster asset check per dbt data test, attached to the model it tests."""
    checks: dict[str, AssetCheckSpec] = {}
    for unique_id, node in dbt_manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        attached = node.get("attached_node") or (node.get("config", {}).get("meta", {}).get("dagster", {}).get("ref"))
        if isinstance(attached, dict):
            attached = next(
                (uid for uid, n in dbt_manifest["nodes"].items() if n["name"] == attached["name"]), None
            )
        if attached not in _spec_by_unique_id:
            continue
        spec = translator.get_asset_check_spec(_spec_by_unique_id[attached], dbt_manifest, unique_id, None)
        if spec is not None:
            checks[unique_id] = spec
    return checks


dbt_check_specs = _check_specs()
_table_models = [
    node["name"]
    for node in dbt_manifest["nodes"].values()
    if node["resource_type"] == "model" and node["config"]["materialized"] != "view"
]


def _year_table(report: SimulationReport, model: str) -> MetadataValue:
    return MetadataValue.table(
        records=[
            TableRecord({"year": year.year, "rows": year.rows_by_model.get(model, 0)}) for year in report.years
        ],
        schema=TableSchema(columns=[TableColumn("year", "int"), TableColumn("rows", "int")]),
    )


def _events_table(report: SimulationReport) -> MetadataValue:
    return MetadataValue.table(
        records=[
            TableRecord({"year": year.year, "event_type": event_type, "events": count})
            for year in report.years
            for event_type, count in sorted(year.events_by_type.items())
        ],
        schema=TableSchema(
            columns=[TableColumn("year", "int"), TableColumn("event_type", "string"), TableColumn("events", "int")]
        ),
    )


def _asset_metadata(name: str, report: SimulationReport) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "scenario_id": report.scenario_id,
        "years": ", ".join(str(year.year) for year in report.years),
        "seconds_spent": round(report.seconds, 3),
        "dbt_invocations": report.dbt_invocations,
    }
    if name in _table_models:
        metadata["rows_written"] = sum(year.rows_by_model.get(name, 0) for year in report.years)
        metadata["rows_by_year"] = _year_table(report, name)
    if name == "fct_yearly_events":
        metadata["events_by_type"] = _events_table(report)
    return metadata


@multi_asset(
    name="simulate_workforce",
    specs=dbt_specs,
    check_specs=list(dbt_check_specs.values()),
    can_subset=False,
    partitions_def=simulation_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    retry_policy=TRANSIENT_RETRY,
)
def simulate_workforce(context: AssetExecutionContext, scenarios: ScenarioStore) -> Iterator[Any]:
    """Simulate the selected years of each selected scenario with dbt, in year order."""
    reports: list[SimulationReport] = []
    parsed = parse_project()
    for scenario_id, years in years_by_scenario(context.partition_keys).items():
        try:
            config = scenarios.load(scenario_id)
            with scenario_write_lock(scenario_id):
                report = simulate(config, years, parsed, _table_models)
        except PlanwiseError as error:
            raise Failure(description=str(error), allow_retries=False) from error
        context.log.info(
            f"{scenario_id} {years[0]}-{years[-1]}: {report.seconds:.2f} s, "
            f"{report.sql_seconds:.2f} s in SQL, {report.dbt_invocations} dbt invocations"
        )
        reports.append(report)

    for spec in dbt_specs:
        name = spec.key.path[-1]
        metadata = _asset_metadata(name, reports[0]) if len(reports) == 1 else {
            "scenarios": ", ".join(report.scenario_id for report in reports)
        }
        yield MaterializeResult(asset_key=spec.key, metadata=metadata)

    outcomes = {outcome.unique_id: [] for outcome in reports[0].tests}
    for report in reports:
        for outcome in report.tests:
            outcomes.setdefault(outcome.unique_id, []).append((report.scenario_id, outcome))
    for unique_id, spec in dbt_check_specs.items():
        results = outcomes.get(unique_id, [])
        failing = [f"{scenario}: {outcome.failures} failing rows" for scenario, outcome in results if not outcome.passed]
        yield AssetCheckResult(
            asset_key=spec.asset_key,
            check_name=spec.name,
            passed=bool(results) and not failing,
            severity=AssetCheckSeverity.ERROR,
            metadata={"failures": "; ".join(failing) or "none"},
        )
