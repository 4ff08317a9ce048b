"""How dbt's nodes become Dagster assets: groups, and the partition mappings of the simulation.

A model's year N depends on its own year N-1 (the self-dependency that orders a backfill) and
on `year_end_state` N-1 (year_end_state.py: what marks later years stale); census and seeds
are partitioned by scenario only, so every year of a scenario reads its scenario's partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetDep, AssetSpec, MultiToSingleDimensionPartitionMapping, PartitionMapping
from dagster_dbt import DagsterDbtTranslator, DbtProject

from planwise_assets.defs.simulation.partitions import SCENARIO, previous_year_mapping
from planwise_assets.defs.simulation.year_end_state import YEAR_END_STATE


class PlanwiseDbtTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if manifest["nodes"].get(unique_id, {}).get("resource_type") != "model":
            return spec
        return spec.merge_attributes(deps=[AssetDep(YEAR_END_STATE, partition_mapping=previous_year_mapping)])

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetCheckSpec | None:
        """The test's check, partitioned like the asset it checks (results per scenario and year), with the
        test's description from the dbt docs (dagster-dbt reads only `meta.description`)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            description=data_test_description(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            partitions_def=asset_spec.partitions_def,
        )

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


_GENERIC_TESTS = {
    "unique": "every {column} is unique",
    "not_null": "{column} is never null",
    "unique_per_year": "every {column} is unique within each simulation year",
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
