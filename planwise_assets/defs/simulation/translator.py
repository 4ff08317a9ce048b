"""How dbt's nodes become Dagster assets: groups, and the partition mappings of the simulation.

A model's year N depends on its own year N-1 (the self-dependency that orders a backfill) and
on `year_end_state` N-1 (year_end_state.py: what marks later years stale); census and seeds
are partitioned by scenario only, so every year of a scenario reads its scenario's partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetDep, AssetSpec, MultiToSingleDimensionPartitionMapping, PartitionMapping
from dagster_dbt import DagsterDbtTranslator

from planwise_assets.defs.jobs import SIMULATION_GROUPS
from planwise_assets.defs.simulation.partitions import SCENARIO, previous_year_mapping
from planwise_assets.defs.simulation.year_end_state import YEAR_END_STATE


class PlanwiseDbtTranslator(DagsterDbtTranslator):
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

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """A seed's description from the dbt docs, without the empty "Raw SQL" block dagster-dbt appends."""
        if dbt_resource_props["resource_type"] == "seed":
            return dbt_resource_props["description"]
        return super().get_description(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """Seeds: the assumptions; models: their part of the simulation (jobs.SIMULATION_GROUPS), the
        marts' folder or the `dc_plan` tag, else the workforce."""
        if dbt_resource_props["resource_type"] == "seed":
            return "assumptions"
        workforce, dc_plan, results = SIMULATION_GROUPS
        if dbt_resource_props["fqn"][1] == "marts":
            return results
        return dc_plan if dc_plan in dbt_resource_props.get("tags", []) else workforce
