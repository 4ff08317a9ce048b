"""The run queue of a deployment: Dagster's queued run coordinator, with every run tagged by its scenario.

One writer per scenario across machines comes from the queue's tag concurrency limit on
`planwise/scenario` (deploy/dagster.yaml). Dagster tags a run with its scenario only when it
targets a single partition; a backfill of a scenario's years is one run that carries a partition
range instead. This coordinator adds the scenario tag to every run that targets one scenario,
whoever launched it (the UI, a backfill, the sensor, a retry), before the run enters the queue.
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster import DagsterRun, QueuedRunCoordinator, SubmitRunContext

from planwise_assets.dagster_private import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    get_multidimensional_partition_tag,
)
from planwise_assets.defs.scenarios.partitions import SCENARIO_TAG
from planwise_assets.defs.simulation.partitions import SCENARIO, YearAxis, simulation_partitions


def _scenario_of_key(key: str) -> str:
    """A partition key's scenario: the key itself (scenario partitions) or its scenario dimension."""
    if "|" not in key:
        return key
    return simulation_partitions(YearAxis.every_year()).get_partition_key_from_str(key).keys_by_dimension[SCENARIO]


def scenario_of_run(tags: Mapping[str, str]) -> str | None:
    """The one scenario a run's partition tags name, or None (no partition, or a range over scenarios)."""
    if SCENARIO_TAG in tags:
        return tags[SCENARIO_TAG]
    if get_multidimensional_partition_tag(SCENARIO) in tags:
        return tags[get_multidimensional_partition_tag(SCENARIO)]
    if PARTITION_NAME_TAG in tags:
        return _scenario_of_key(tags[PARTITION_NAME_TAG])
    if ASSET_PARTITION_RANGE_START_TAG in tags and ASSET_PARTITION_RANGE_END_TAG in tags:
        first = _scenario_of_key(tags[ASSET_PARTITION_RANGE_START_TAG])
        last = _scenario_of_key(tags[ASSET_PARTITION_RANGE_END_TAG])
        return first if first == last else None
    return None


class ScenarioRunCoordinator(QueuedRunCoordinator):
    """QueuedRunCoordinator (same configuration) that tags each run with its scenario before queueing it."""

    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        scenario_id = scenario_of_run(run.tags)
        if scenario_id is not None and SCENARIO_TAG not in run.tags:
            # the queue reads the run's tags from storage when it decides which run starts next
            self._instance.add_run_tags(run.run_id, {SCENARIO_TAG: scenario_id})
        return super().submit_run(context)
