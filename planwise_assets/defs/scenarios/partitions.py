"""The scenario dimension: one dynamic partition per scenario file, keyed by its scenario id."""

from dagster import DynamicPartitionsDefinition

scenario_partitions = DynamicPartitionsDefinition(name="scenarios")
