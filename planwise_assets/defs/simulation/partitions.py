"""The simulation's partitions: scenario (dynamic, one per scenario file) x simulation year.

The year axis spans the years the scenario files simulate, from the earliest first year to the
latest last year of the valid files in the scenarios folder, read when the definitions are
loaded (YearAxis.of_folder). Dagster offers no per-scenario years: a multi-partitioned asset has
every combination of its dimensions, and the self-dependency on the previous year needs a time
window dimension, one axis for all scenarios. Deriving it from the files keeps the grid, "%
filled", the Missing counts and the backfill dialog on the years that are simulated (2025-2029 for
the repository's scenarios) instead of every year a scenario may use (2020-2050). A scenario
shorter than the axis shows its other years as missing; a file whose years fall outside the axis
needs the definitions reloaded (README: the year axis).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    DimensionPartitionMapping,
    IdentityPartitionMapping,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
)

from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.lib.scenario_config import FIRST_SIMULATION_YEAR, LAST_SIMULATION_YEAR, ScenarioConfig
from planwise_assets.lib.scenario_files import validate_folder

SCENARIO = "scenario"
YEAR = "year"


@dataclass(frozen=True)
class YearAxis:
    """The simulation years the partitions offer, first to last."""

    first: int
    last: int

    @classmethod
    def every_year(cls) -> YearAxis:
        """Every year a scenario may simulate (the scenario schema's bounds)."""
        return cls(FIRST_SIMULATION_YEAR, LAST_SIMULATION_YEAR)

    @classmethod
    def of_scenarios(cls, configs: Iterable[ScenarioConfig]) -> YearAxis:
        """From the earliest first year to the latest last year; every year a scenario may use if there is none."""
        configs = list(configs)
        if not configs:
            return cls.every_year()
        return cls(
            min(config.simulation.start_year for config in configs),
            max(config.simulation.end_year for config in configs),
        )

    @classmethod
    def of_folder(cls, folder: Path) -> YearAxis:
        valid, _ = validate_folder(folder)
        return cls.of_scenarios(loaded.config for loaded in valid.values())

    def covers(self, config: ScenarioConfig) -> bool:
        return self.first <= config.simulation.start_year and config.simulation.end_year <= self.last

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


@functools.cache
def simulation_partitions(axis: YearAxis) -> MultiPartitionsDefinition:
    # Simulation years lie in the future: a time window stops at "now" unless its end offset
    # reaches past it, so the offset spans every year a scenario may use (from any "now" after the
    # first of them) and `end` bounds it. A time-window
    # dimension (not a static one) is what Dagster accepts for a self-dependency on the previous year.
    years = TimeWindowPartitionsDefinition(
        cron_schedule="0 0 1 1 *",
        start=str(axis.first),
        end=str(axis.last + 1),
        end_offset=LAST_SIMULATION_YEAR - FIRST_SIMULATION_YEAR + 1,
        fmt="%Y",
        timezone="UTC",
    )
    return MultiPartitionsDefinition({SCENARIO: scenario_partitions, YEAR: years})


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


def years_by_scenario(partitions_def: MultiPartitionsDefinition, keys: Sequence[str]) -> dict[str, list[int]]:
    """Group a run's partition keys ("scenario|year") by scenario, years in ascending order."""
    grouped: dict[str, list[int]] = {}
    for key in keys:
        by_name = partitions_def.get_partition_key_from_str(key).keys_by_dimension
        grouped.setdefault(by_name[SCENARIO], []).append(int(by_name[YEAR]))
    return {scenario: sorted(years) for scenario, years in grouped.items()}
