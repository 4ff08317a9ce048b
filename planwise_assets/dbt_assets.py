"""The dbt project as Dagster assets.

Seeds (the scenario's assumption tables) are partitioned by scenario and load with the
census. Every model is partitioned by scenario x year and depends on its own previous
year, and on `year_end_state` of the previous year (planwise_assets/year_end_state.py: how a
rerun year marks the later ones stale). All models form one multi-asset that cannot be
subset: a year is simulated whole, and Dagster would otherwise refuse to run a
self-dependent asset in the same run as its upstream models. With a single-run backfill
policy, a backfill of one scenario's years is one run whose body simulates the years in
order.
"""

from collections.abc import Iterator, Mapping
from graphlib import TopologicalSorter
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    DagsterRunStatus,
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

from planwise_assets.dbt_project import manifest, parsed_manifest
from planwise_assets.partitions import (
    SCENARIO,
    previous_year_mapping,
    scenario_partitions,
    simulation_partitions,
    years_by_scenario,
)
from planwise_assets.resources import ScenarioStore
from planwise_assets.retries import TRANSIENT_RETRY, user_errors_fail_the_run
from planwise_assets.simulation import SimulationReport, TestOutcome, load_seeds, simulate
from planwise_assets.warehouse import scenario_write_lock
from planwise_assets.year_end_state import YEAR_END_STATE, input_pointer_tags, observe_year_end_states


class PlanwiseDbtTranslator(DagsterDbtTranslator):
    """Partition mappings: a model's own previous year and the state it handed on; the scenario
    for census and seeds."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if manifest["nodes"].get(unique_id, {}).get("resource_type") != "model":
            return spec
        return spec.merge_attributes(deps=[AssetDep(YEAR_END_STATE, partition_mapping=previous_year_mapping)])

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> PartitionMapping | None:
        if dbt_parent_resource_props["unique_id"] == dbt_resource_props["unique_id"]:
            return previous_year_mapping
        if dbt_parent_resource_props["resource_type"] in {"source", "seed"}:
            return MultiToSingleDimensionPartitionMapping(partition_dimension_name=SCENARIO)
        return None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return "assumptions" if dbt_resource_props["resource_type"] == "seed" else "workforce"


translator = PlanwiseDbtTranslator()
dbt_manifest = manifest()


def _in_dependency_order(specs: list[AssetSpec]) -> list[AssetSpec]:
    """Dagster requires a multi-asset to yield its results upstream first."""
    by_key = {spec.key: spec for spec in specs}
    graph = {spec.key: {dep.asset_key for dep in spec.deps if dep.asset_key in by_key} - {spec.key} for spec in specs}
    return [by_key[key] for key in TopologicalSorter(graph).static_order()]


def _specs(select: str) -> list[AssetSpec]:
    return _in_dependency_order(
        build_dbt_asset_specs(manifest=dbt_manifest, dagster_dbt_translator=translator, select=select)
    )


seed_specs = _specs("resource_type:seed")
model_specs = _specs("resource_type:model")
_model_keys = {spec.key for spec in model_specs}
_same_step_inputs = {
    spec.key: [dep.asset_key for dep in spec.deps if dep.asset_key in _model_keys] for spec in model_specs
}
_spec_by_unique_id = {spec.metadata["dagster_dbt/unique_id"]: spec for spec in [*seed_specs, *model_specs]}
_node_by_name = {node["name"]: unique_id for unique_id, node in dbt_manifest["nodes"].items()}


def _check_specs() -> dict[str, AssetCheckSpec]:
    """One Dagster asset check per dbt data test, on the model or seed it tests."""
    checks: dict[str, AssetCheckSpec] = {}
    for unique_id, node in dbt_manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        attached = node.get("attached_node")
        ref = node.get("config", {}).get("meta", {}).get("dagster", {}).get("ref")
        if ref:
            attached = _node_by_name.get(ref["name"])
        if attached not in _spec_by_unique_id:
            continue
        spec = translator.get_asset_check_spec(_spec_by_unique_id[attached], dbt_manifest, unique_id, None)
        if spec is not None:
            checks[unique_id] = spec
    return checks


_all_check_specs = _check_specs()
_seed_keys = {spec.key for spec in seed_specs}
seed_check_specs = {uid: spec for uid, spec in _all_check_specs.items() if spec.asset_key in _seed_keys}
model_check_specs = {uid: spec for uid, spec in _all_check_specs.items() if spec.asset_key not in _seed_keys}
table_models = [
    node["name"]
    for node in dbt_manifest["nodes"].values()
    if node["resource_type"] == "model" and node["config"]["materialized"] != "view"
]


def _check_results(
    check_specs: Mapping[str, AssetCheckSpec], outcomes_by_scenario: Mapping[str, list[TestOutcome]]
) -> Iterator[AssetCheckResult]:
    """A check passes when its dbt test passed for every scenario in the run."""
    by_test: dict[str, list[tuple[str, TestOutcome]]] = {}
    for scenario_id, outcomes in outcomes_by_scenario.items():
        for outcome in outcomes:
            by_test.setdefault(outcome.unique_id, []).append((scenario_id, outcome))
    for unique_id, spec in check_specs.items():
        results = by_test.get(unique_id, [])
        failing = [
            f"{scenario_id}: {outcome.failures} failing rows {outcome.message}".strip()
            for scenario_id, outcome in results
            if not outcome.passed
        ]
        yield AssetCheckResult(
            asset_key=spec.asset_key,
            check_name=spec.name,
            passed=bool(results) and not failing,
            severity=AssetCheckSeverity.ERROR,
            metadata={"failures": "; ".join(failing) or "none"},
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


def _model_metadata(name: str, reports: list[SimulationReport]) -> dict[str, Any]:
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
    return metadata


def _cancelling(context: AssetExecutionContext) -> bool:
    """`planwise cancel` marks the run CANCELING; an in-process run notices it between years."""
    run = context.instance.get_run_by_id(context.run.run_id)
    return run is not None and run.status == DagsterRunStatus.CANCELING


@multi_asset(
    name="load_assumptions",
    specs=seed_specs,
    check_specs=list(seed_check_specs.values()),
    can_subset=False,
    partitions_def=scenario_partitions,
    retry_policy=TRANSIENT_RETRY,
)
def load_assumptions(context: AssetExecutionContext, scenarios: ScenarioStore) -> Iterator[Any]:
    """Load the seed tables (bands, hazards, merit) into the scenario's DuckDB file."""
    scenario_id = context.partition_key
    with user_errors_fail_the_run():
        config = scenarios.load(scenario_id)
        with scenario_write_lock(scenario_id):
            outcomes = load_seeds(config, parsed_manifest())
    for spec in seed_specs:
        yield MaterializeResult(asset_key=spec.key, metadata={"scenario_id": scenario_id})
    yield from _check_results(seed_check_specs, {scenario_id: outcomes})


@multi_asset(
    name="simulate_workforce",
    specs=model_specs,
    check_specs=list(model_check_specs.values()),
    can_subset=False,
    partitions_def=simulation_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    retry_policy=TRANSIENT_RETRY,
)
def simulate_workforce(context: AssetExecutionContext, scenarios: ScenarioStore) -> Iterator[Any]:
    """Simulate the selected years of each selected scenario with dbt, years in order."""
    reports: list[SimulationReport] = []
    parsed = parsed_manifest()
    for scenario_id, years in years_by_scenario(context.partition_keys).items():
        with user_errors_fail_the_run():
            config = scenarios.load(scenario_id)
            with scenario_write_lock(scenario_id):
                report = simulate(config, years, parsed, table_models, should_stop=lambda: _cancelling(context))
        context.log.info(
            f"{scenario_id} {years[0]}-{years[-1]}: {report.seconds:.2f} s, "
            f"{report.sql_seconds:.2f} s in SQL, {report.dbt_invocations} dbt invocations"
        )
        reports.append(report)
    yield from observe_year_end_states(context, reports)
    pointers = input_pointer_tags(context, reports, _same_step_inputs)
    for spec in model_specs:
        yield MaterializeResult(
            asset_key=spec.key, metadata=_model_metadata(spec.key.path[-1], reports), tags=pointers[spec.key]
        )
    yield from _check_results(model_check_specs, {r.scenario_id: r.tests for r in reports})
