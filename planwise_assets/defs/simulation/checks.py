"""dbt's data tests as Dagster asset checks: one check per test, on the model or seed it tests.

Each check carries its test's description from the dbt docs (dagster-dbt reads only a test's
`meta.description`), and is partitioned like what it checks, so the UI shows each scenario's
results (and each year's). The seeds' tests run when a scenario's assumptions are loaded; the
models' tests run inside the simulation step (runner.py) after its last year, over every
simulated year of the scenario, and their results are recorded on each year of the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetSpec,
    PartitionsDefinition,
)
from dagster_dbt import DagsterDbtTranslator

from planwise_assets.defs.simulation.runner import TestOutcome


def dbt_test_check_specs(
    manifest: Mapping[str, Any], specs: list[AssetSpec], translator: DagsterDbtTranslator
) -> dict[str, AssetCheckSpec]:
    """The check spec of every dbt data test attached to one of `specs`, by the test's unique id.

    A singular test names the model it checks in `meta: {dagster: {ref: ...}}`.
    """
    spec_by_unique_id = {spec.metadata["dagster_dbt/unique_id"]: spec for spec in specs}
    node_by_name = {node["name"]: unique_id for unique_id, node in manifest["nodes"].items()}
    checks: dict[str, AssetCheckSpec] = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        attached = node.get("attached_node")
        ref = node.get("config", {}).get("meta", {}).get("dagster", {}).get("ref")
        if ref:
            attached = node_by_name.get(ref["name"])
        if attached not in spec_by_unique_id:
            continue
        spec = translator.get_asset_check_spec(spec_by_unique_id[attached], manifest, unique_id, None)
        if spec is not None:
            checks[unique_id] = _copy(spec, description=data_test_description(node))
    return checks


_GENERIC_TESTS = {
    "unique": "every {column} is unique",
    "not_null": "{column} is never null",
    "unique_per_year": "every {column} is unique within each simulation year and replicate",
    "one_row_per_replicate": "one row for each {column} in each simulation year",
    "accepted_values": "{column} is one of: {values}",
}


def data_test_description(test: Mapping[str, Any]) -> str:
    """A data test's description: the dbt docs' one, else what the generic test asserts of its column."""
    if test.get("description"):
        return test["description"]
    generic = test.get("test_metadata") or {}
    arguments = generic.get("kwargs", {})
    template = _GENERIC_TESTS.get(generic.get("name", ""), "{test}")
    return template.format(
        test=test["name"],
        column=arguments.get("column_name", ""),
        values=", ".join(map(str, arguments.get("values", []))),
    )


def _copy(spec: AssetCheckSpec, **changes: Any) -> AssetCheckSpec:
    """The check spec with some attributes changed (AssetCheckSpec has no method for it)."""
    attributes = {
        "description": spec.description,
        "additional_deps": spec.additional_deps,
        "blocking": spec.blocking,
        "metadata": spec.metadata,
        "automation_condition": spec.automation_condition,
        "partitions_def": spec.partitions_def,
        **changes,
    }
    return AssetCheckSpec(spec.name, asset=spec.asset_key, **attributes)


def partitioned(
    check_specs: Mapping[str, AssetCheckSpec], partitions_def: PartitionsDefinition
) -> list[AssetCheckSpec]:
    """The checks partitioned like the assets they check."""
    return [_copy(spec, partitions_def=partitions_def) for spec in check_specs.values()]


def _verdicts(
    check_specs: Mapping[str, AssetCheckSpec], outcomes: list[TestOutcome]
) -> Iterator[tuple[AssetCheckSpec, bool, dict[str, str]]]:
    """Each check, whether its dbt test passed, and the failing rows' summary."""
    by_test = {outcome.unique_id: outcome for outcome in outcomes}
    for unique_id, spec in check_specs.items():
        outcome = by_test.get(unique_id)
        if outcome is None:
            yield spec, False, {"failures": "the test did not run"}
        else:
            failures = "none" if outcome.passed else f"{outcome.failures} failing rows {outcome.message}".strip()
            yield spec, outcome.passed, {"failures": failures}


def check_results(check_specs: Mapping[str, AssetCheckSpec], outcomes: list[TestOutcome]) -> Iterator[AssetCheckResult]:
    """The checks' results in a run of one scenario partition (the seeds')."""
    for spec, passed, metadata in _verdicts(check_specs, outcomes):
        yield AssetCheckResult(
            asset_key=spec.asset_key,
            check_name=spec.name,
            passed=passed,
            severity=AssetCheckSeverity.ERROR,
            metadata=metadata,
        )


def check_evaluations(
    check_specs: Mapping[str, AssetCheckSpec], outcomes: list[TestOutcome], partition_keys: list[str]
) -> Iterator[AssetCheckEvaluation]:
    """The checks' evaluations on each scenario-year of a simulation run (the tests ran over all its years)."""
    for spec, passed, metadata in _verdicts(check_specs, outcomes):
        for partition_key in partition_keys:
            yield AssetCheckEvaluation(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=passed,
                severity=AssetCheckSeverity.ERROR,
                blocking=spec.blocking,
                partition=partition_key,
                metadata=metadata,
            )


def checks_on(check_specs: Mapping[str, AssetCheckSpec], keys: set[AssetKey]) -> dict[str, AssetCheckSpec]:
    return {unique_id: spec for unique_id, spec in check_specs.items() if spec.asset_key in keys}
