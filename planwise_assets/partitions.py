"""Partitions: scenario (dynamic, one per scenario file) x simulation year."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import (
    DimensionPartitionMapping,
    DynamicPartitionsDefinition,
    IdentityPartitionMapping,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
)

from planwise_assets.scenarios import FIRST_SIMULATION_YEAR, LAST_SIMULATION_YEAR

SCENARIO = "scenario"
YEAR = "year"

scenario_partitions = DynamicPartitionsDefinition(name="scenarios")

# Simulation years lie in the future, so the dimension has an explicit end instead of
# stopping at "now" (the end is exclusive). A time-window dimension (not a static one) is what
# Dagster accepts for a self-dependency on the previous year.
year_partitions = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start=str(FIRST_SIMULATION_YEAR),
    end=str(LAST_SIMULATION_YEAR + 1),
    end_offset=30,
    fmt="%Y",
    timezone="UTC",
)

simulation_partitions = MultiPartitionsDefinition({SCENARIO: scenario_partitions, YEAR: year_partitions})

# A model's year N depends on its own year N-1 (the self-dependency that makes a backfill run
# the years in order) and on year_end_state N-1 (what marks later years stale).
previous_year_mapping = MultiPartitionMapping(
    {
        SCENARIO: DimensionPartitionMapping(SCENARIO, IdentityPartitionMapping()),
        YEAR: DimensionPartitionMapping(YEAR, TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)),
    }
)


def simulation_key(scenario_id: str, year: int) -> MultiPartitionKey:
    return MultiPartitionKey({SCENARIO: scenario_id, YEAR: str(year)})


def years_by_scenario(partition_keys: Sequence[str]) -> dict[str, list[int]]:
    """Group a run's partition keys ("scenario|year") by scenario, years in ascending order."""
    grouped: dict[str, list[int]] = {}
    for key in partition_keys:
        by_name = simulation_partitions.get_partition_key_from_str(key).keys_by_dimension
        grouped.setdefault(by_name[SCENARIO], []).append(int(by_name[YEAR]))
    return {scenario: sorted(years) for scenario, years in grouped.items()}
