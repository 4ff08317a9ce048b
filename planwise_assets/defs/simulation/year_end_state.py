"""How each simulated year is recorded in Dagster, and how a rerun year marks the later ones stale.

Year N of a scenario starts from year N-1's year-end actives (fct_workforce_snapshot), former
employees' accounts (int_account_balances) and NHCE averages (fct_compliance), so a rerun of year
N makes every later year out of date. Dagster can show that as "stale" on each
later partition, but not through the models alone:

- the models' dependency on their own previous year (the self-dependency that orders a
  backfill) is ignored by Dagster's stale check once an asset has 100 partitions or more, and
- a model cannot depend on another model's earlier years: Dagster rejects a cycle of asset
  keys whatever the partition mapping, and year N-1's snapshot is downstream of year N's models.

So the simulation reports one more asset: `year_end_state`, external to Dagster (the
simulation step observes it; nothing materializes it on its own), partitioned like the models.
Every model's year N depends on `year_end_state` N-1. Each run records an observation, with a
data version new to the run, of every year it simulated, and of every later year the file
already holds: those later years were computed from the state as it was, so what they hand on
is superseded too. After a rerun of year N, Dagster therefore marks N+1, N+2, ... of every
model stale, naming `year_end_state` N, N+1, ... as the cause, until they are run again.

The step records each year as soon as it is written (YearRecorder): the year's `year_end_state`
observation, then each model's materialization of that scenario-year with the year's own
figures. Dagster writes the provenance of a materialization (its code version, data version and,
per input, the data version and the event it was computed from: the `dagster/input_event_pointer/
<asset>` tags) only for the outputs it records at the end of a step, for every partition of the
range at once; a year recorded earlier carries these tags from here:

- `year_end_state` N-1 and the inputs loaded before the run (census, seeds): the latest event of
  that partition, so that a later observation or reload marks the year stale;
- the models of the same year, and the model's own previous year: no event ("NULL"), which
  Dagster reads as "not updated". They can never be stale on their own, since the models of a
  year always run together and the previous year is covered by `year_end_state`.

Dagster shows stale status only on a single partition's page (the lineage, the catalog and the
partition grid call a partitioned asset fresh), so each model also has the check
`current_with_previous_year`, partitioned like it: it passes for each year a run simulates and
warns, naming the rerun year, on each later year the run leaves out of date. The check's grid
and the lineage's check badge show which years need running again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetObservation,
    AssetRecordsFilter,
    AssetSpec,
    MultiPartitionKey,
    PartitionsDefinition,
)

from planwise_assets.dagster_private import (
    CODE_VERSION_TAG,
    DATA_VERSION_TAG,
    DEFAULT_DATA_VERSION,
    NULL_EVENT_POINTER,
    get_input_data_version_tag,
    get_input_event_pointer_tag,
    get_multidimensional_partition_tag,
)
from planwise_assets.defs.simulation.partitions import simulation_key

YEAR_END_STATE = AssetKey("year_end_state")
CURRENT_WITH_PREVIOUS_YEAR = "current_with_previous_year"


def year_end_state_spec(partitions_def: PartitionsDefinition) -> AssetSpec:
    return AssetSpec(
        YEAR_END_STATE,
        partitions_def=partitions_def,
        group_name="results",
        description=(
            "The state a simulated year hands to the next: its year-end actives (fct_workforce_snapshot), "
            "the next year's starting population, with the former employees' accounts (int_account_balances) "
            "and the NHCE averages of prior-year testing (fct_compliance). Observed by the simulation runs; "
            "every model's year depends on the previous year's, so re-running a year marks the later years stale."
        ),
    )


def current_check_spec(model: AssetKey, partitions_def: PartitionsDefinition) -> AssetCheckSpec:
    return AssetCheckSpec(
        CURRENT_WITH_PREVIOUS_YEAR,
        asset=model,
        partitions_def=partitions_def,
        description=(
            "The year was simulated from the previous year as it is now. Warns on the later years "
            "of a scenario after an earlier year is simulated again, naming that year: run them again."
        ),
    )


def _partition_tags(key: MultiPartitionKey) -> dict[str, str]:
    """The tags Dagster puts on a multi-partitioned event, to filter by one dimension."""
    return {get_multidimensional_partition_tag(name): value for name, value in key.keys_by_dimension.items()}


@dataclass
class _Event:
    data_version: str
    pointer: str


@dataclass
class YearRecorder:
    """Makes the Dagster events of each simulated year of one scenario in one run (module docstring)."""

    context: AssetExecutionContext
    scenario_id: str
    models: Sequence[AssetSpec]
    # each model and the models of the same year it reads (its own previous year is not one)
    same_year_inputs: Mapping[AssetKey, Iterable[AssetKey]]
    # each model's inputs loaded before the run (census, seeds), with their latest event for the scenario
    loaded_inputs: Mapping[AssetKey, Iterable[AssetKey]]
    _loaded: dict[AssetKey, _Event] = field(default_factory=dict)
    _recorded_years: set[int] = field(default_factory=set)

    @property
    def run_id(self) -> str:
        return self.context.run.run_id

    def data_version(self, key: MultiPartitionKey) -> str:
        return f"{self.run_id}:{key}"

    def _latest(self, asset_key: AssetKey, partition: str, observation: bool) -> _Event:
        records_filter = AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition])
        instance = self.context.instance
        fetch = instance.fetch_observations if observation else instance.fetch_materializations
        records = fetch(records_filter, limit=1).records
        if not records:
            return _Event(DEFAULT_DATA_VERSION.value, NULL_EVENT_POINTER)
        tags = records[0].event_log_entry.tags or {}
        return _Event(tags.get(DATA_VERSION_TAG, DEFAULT_DATA_VERSION.value), str(records[0].storage_id))

    def _loaded_input(self, asset_key: AssetKey) -> _Event:
        if asset_key not in self._loaded:
            self._loaded[asset_key] = self._latest(asset_key, self.scenario_id, observation=False)
        return self._loaded[asset_key]

    def year_events(
        self,
        year: int,
        state_metadata: Mapping[str, Any],
        metadata_by_model: Mapping[AssetKey, Mapping[str, Any]],
    ) -> Iterator[AssetObservation | AssetMaterialization | AssetCheckEvaluation]:
        """The year's year_end_state observation, each model's materialization, and each model's current check."""
        key = simulation_key(self.scenario_id, year)
        previous = simulation_key(self.scenario_id, year - 1)
        yield AssetObservation(
            asset_key=YEAR_END_STATE,
            partition=str(key),
            metadata=state_metadata,
            tags={DATA_VERSION_TAG: self.data_version(key), **_partition_tags(key)},
        )
        state_before = self._latest(YEAR_END_STATE, str(previous), observation=True)
        for spec in self.models:
            model = spec.key
            inputs = {
                YEAR_END_STATE: state_before,
                model: _Event(
                    self.data_version(previous) if year - 1 in self._recorded_years else DEFAULT_DATA_VERSION.value,
                    NULL_EVENT_POINTER,
                ),
                **{
                    upstream: _Event(self.data_version(key), NULL_EVENT_POINTER)
                    for upstream in self.same_year_inputs[model]
                },
                **{loaded: self._loaded_input(loaded) for loaded in self.loaded_inputs.get(model, ())},
            }
            tags = {
                # what Dagster records: the model's code version (its SQL's hash), else the run
                CODE_VERSION_TAG: spec.code_version or self.run_id,
                DATA_VERSION_TAG: self.data_version(key),
                **_partition_tags(key),
            }
            for input_key, event in inputs.items():
                tags[get_input_data_version_tag(input_key)] = event.data_version
                tags[get_input_event_pointer_tag(input_key)] = event.pointer
            yield AssetMaterialization(
                asset_key=model, partition=str(key), metadata=metadata_by_model[model], tags=tags
            )
            yield AssetCheckEvaluation(
                asset_key=model,
                check_name=CURRENT_WITH_PREVIOUS_YEAR,
                passed=True,
                partition=str(key),
                metadata={"simulated_in_run": self.run_id},
            )
        self._recorded_years.add(year)

    def superseded_events(
        self, rerun_year: int, later_years: list[int]
    ) -> Iterator[AssetObservation | AssetCheckEvaluation]:
        """For each later year the file holds: a new year_end_state observation, and a warning on each model."""
        for year in later_years:
            key = simulation_key(self.scenario_id, year)
            reason = (
                f"{year} was simulated before {rerun_year} was simulated again (run {self.run_id[:8]}): "
                f"run {year} again to update it"
            )
            yield AssetObservation(
                asset_key=YEAR_END_STATE,
                partition=str(key),
                metadata={"superseded": reason},
                tags={DATA_VERSION_TAG: self.data_version(key), **_partition_tags(key)},
            )
            for spec in self.models:
                yield AssetCheckEvaluation(
                    asset_key=spec.key,
                    check_name=CURRENT_WITH_PREVIOUS_YEAR,
                    passed=False,
                    severity=AssetCheckSeverity.WARN,
                    partition=str(key),
                    description=reason,
                    metadata={"out_of_date_since": rerun_year, "rerun_by": self.run_id},
                )
