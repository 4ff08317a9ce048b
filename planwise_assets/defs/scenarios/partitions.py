"""The scenario dimension: one dynamic partition per scenario file, keyed by its scenario id."""

from dagster import DynamicPartitionsDefinition

scenario_partitions = DynamicPartitionsDefinition(name="scenarios")

# The tag naming the one scenario a run writes: the client sets it, and a deployment's run queue
# (dagster_home/run_coordinator.py) adds it to every other run and allows one run per value.
SCENARIO_TAG = "planwise/scenario"
