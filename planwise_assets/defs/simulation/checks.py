"""dbt's data tests as Dagster asset checks: one check per test, on the model or seed it tests.

The tests run inside the simulation step (runner.py), after the years; each check reports
whether its test passed for every scenario of the run, naming the failing rows of each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, AssetSpec
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
            checks[unique_id] = spec
    return checks


def check_results(
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


def checks_on(check_specs: Mapping[str, AssetCheckSpec], keys: set[AssetKey]) -> dict[str, AssetCheckSpec]:
    return {unique_id: spec for unique_id, spec in check_specs.items() if spec.asset_key in keys}
