"""The parts of Dagster's private API that PlanWise relies on (planwise_assets/dagster_private.py).

A Dagster upgrade that renames, moves or changes one of them fails here, with the name, rather
than somewhere inside a run.
"""

from __future__ import annotations

import re
from pathlib import Path

from dagster import AssetKey

from planwise_assets import dagster_private

PACKAGE = Path(__file__).resolve().parent.parent / "planwise_assets"


def test_only_dagster_private_imports_from_dagsters_private_modules():
    importers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^\s*(from|import) dagster\._", path.read_text(), re.MULTILINE)
    ]
    assert importers == ["dagster_private.py"]


def test_run_tags_have_the_values_stored_in_existing_run_storages():
    # runs recorded by earlier versions carry these strings; a change would hide them from status and cancel
    assert dagster_private.ASSET_PARTITION_RANGE_START_TAG == "dagster/asset_partition_range_start"
    assert dagster_private.ASSET_PARTITION_RANGE_END_TAG == "dagster/asset_partition_range_end"
    assert dagster_private.PARTITION_NAME_TAG == "dagster/partition"
    assert dagster_private.get_multidimensional_partition_tag("scenario") == "dagster/partition/scenario"
    assert dagster_private.RUN_KEY_TAG == "dagster/run_key"


def test_provenance_tags_are_the_ones_the_stale_check_reads():
    assert dagster_private.DATA_VERSION_TAG == "dagster/data_version"
    assert dagster_private.CODE_VERSION_TAG == "dagster/code_version"
    assert dagster_private.DEFAULT_DATA_VERSION.value == "INITIAL"
    assert dagster_private.NULL_EVENT_POINTER == "NULL"
    assert dagster_private.get_input_event_pointer_tag(AssetKey("year_end_state")) == (
        "dagster/input_event_pointer/year_end_state"
    )
    assert dagster_private.get_input_data_version_tag(AssetKey("census")) == "dagster/input_data_version/census"


def test_the_stale_check_reads_a_materializations_provenance_from_these_tags():
    from dagster._core.definitions.data_version import DataProvenance

    provenance = DataProvenance.from_tags(
        {
            dagster_private.CODE_VERSION_TAG: "sql-hash",
            dagster_private.get_input_data_version_tag(AssetKey("census")): "v1",
            dagster_private.get_input_event_pointer_tag(AssetKey("census")): "42",
            dagster_private.get_input_data_version_tag(AssetKey("int_hires")): "v2",
            dagster_private.get_input_event_pointer_tag(AssetKey("int_hires")): dagster_private.NULL_EVENT_POINTER,
        }
    )
    assert provenance.code_version == "sql-hash"
    assert provenance.input_storage_ids == {AssetKey("census"): 42, AssetKey("int_hires"): None}


def test_the_sqlite_event_log_still_has_what_the_pooled_subclass_overrides_and_uses():
    storage = dagster_private.SqliteEventLogStorage
    for name in ("_connect", "_initdb", "conn_string_for_shard", "wipe", "dispose", "config_type"):
        assert callable(getattr(storage, name)), name
    assert isinstance(dagster_private.SQLITE_BUSY_TIMEOUT_SECONDS, int | float)
    assert dagster_private.ConfigurableClassData.__name__ == "ConfigurableClassData"
