"""The deployment's run queue tags every run with the one scenario it writes, however it was launched."""

from __future__ import annotations

import pytest

from planwise_assets.dagster_home.run_coordinator import scenario_of_run


@pytest.mark.parametrize(
    ("tags", "scenario"),
    [
        # a scenario partition (inputs, workbook): the partition is the scenario
        ({"dagster/partition": "baseline"}, "baseline"),
        # one scenario-year of the simulation
        ({"dagster/partition": "baseline|2026", "dagster/partition/scenario": "baseline"}, "baseline"),
        # a single-run backfill of a scenario's years carries only its range
        (
            {
                "dagster/asset_partition_range_start": "s2_aip_all|2025",
                "dagster/asset_partition_range_end": "s2_aip_all|2029",
            },
            "s2_aip_all",
        ),
        # the client tags its runs itself
        ({"planwise/scenario": "baseline", "dagster/asset_partition_range_start": "baseline|2025"}, "baseline"),
    ],
)
def test_a_run_is_tagged_with_the_scenario_its_partitions_name(tags, scenario):
    assert scenario_of_run(tags) == scenario


@pytest.mark.parametrize(
    "tags",
    [
        {},  # the comparison: no partition
        {"dagster/asset_partition_range_start": "a|2025", "dagster/asset_partition_range_end": "b|2025"},
    ],
)
def test_a_run_over_no_scenario_or_several_is_not_limited(tags):
    assert scenario_of_run(tags) is None
