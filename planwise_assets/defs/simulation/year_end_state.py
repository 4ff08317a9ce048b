"""`year_end_state`: the state each simulated year hands to the next, and how Dagster sees it.

Year N of a scenario starts from year N-1's year-end actives (fct_workforce_snapshot), former
employees' accounts (int_account_balances) and NHCE averages (fct_compliance), so a rerun of year
N makes every later year out of date. Dagster can show that as "stale" on each
later partition, but not through the models alone:

- the models' dependency on their own previous year (the self-dependency that orders a
  backfill) is ignored by Dagster's stale check once an asset has 100 partitions or more
  (scenarios x 31 years: four scenarios are enough), and
- a model cannot depend on another model's earlier years: Dagster rejects a cycle of asset
  keys whatever the partition mapping, and year N-1's snapshot is downstream of year N's models.

So the simulation reports one more asset: `year_end_state`, external to Dagster (the
simulation step observes it; nothing materializes it on its own), partitioned like the models.
Every model's year N depends on `year_end_state` N-1. Each run records an observation, with a
data version new to the run, of every year it simulated, and of every later year the file
already holds: those later years were computed from the state as it was, so what they hand on
is superseded too. After a rerun of year N, Dagster therefore marks N+1, N+2, ... of every
model stale, naming `year_end_state` N, N+1, ... as the cause, until they are run again.
(Depending on all earlier years instead would need no observations of later years, but
Dagster's partition mapping over 31 years costs about 50 ms a call, and the backfill daemon
makes thousands.)

Dagster records, on each materialization, which event of each input it was computed from (the
`dagster/input_event_pointer/<asset>` tags). Two of its defaults are wrong for this step,
which simulates consecutive years and records all their events at once, so the step sets those
tags itself (user tags take precedence over Dagster's):

- `year_end_state`: Dagster would point at the last observation before the step started, so
  that the step's own observations would read as updates and every year as stale at once; the
  step points at its own last observation instead.
- the models of the same step (a model's own previous year, and the models upstream of it in
  the same year): Dagster reads a self-dependent asset's latest record before storing its new
  materialization and keeps it for the rest of the step, so downstream models would point at
  the previous run. These edges can never be stale on their own, since the models of a year
  always run together and the previous year is covered by `year_end_state`, so they point at no
  event ("NULL"), which Dagster reads as "not updated".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from dagster import AssetExecutionContext, AssetKey, AssetObservation, AssetRecordsFilter, AssetSpec

from planwise_assets.dagster_private import DATA_VERSION_TAG, NULL_EVENT_POINTER, get_input_event_pointer_tag
from planwise_assets.defs.simulation.partitions import simulation_key, simulation_partitions
from planwise_assets.defs.simulation.runner import SimulationReport

YEAR_END_STATE = AssetKey("year_end_state")

year_end_state = AssetSpec(
    YEAR_END_STATE,
    partitions_def=simulation_partitions,
    group_name="workforce",
    description=(
        "The state a simulated year hands to the next: its year-end actives (fct_workforce_snapshot), "
        "the next year's starting population, with the former employees' accounts (int_account_balances) "
        "and the NHCE averages of prior-year testing (fct_compliance). Observed by the simulation runs; "
        "every model's year depends on the previous year's, so re-running a year marks the later years stale."
    ),
)


def _observed(reports: list[SimulationReport]) -> Iterator[tuple[str, dict[str, object]]]:
    """Partition keys observed by this step, with their metadata."""
    for report in reports:
        for year in report.years:
            yield str(simulation_key(report.scenario_id, year.year)), {"year_end_actives": year.year_end_actives}
        first = report.years[0].year
        for later in report.later_years:
            yield (
                str(simulation_key(report.scenario_id, later)),
                {"superseded": f"computed from {first} as it was before this run; run {later} again to update it"},
            )


def observe_year_end_states(
    context: AssetExecutionContext, reports: list[SimulationReport]
) -> Iterator[AssetObservation]:
    """One observation per simulated or superseded scenario-year, with a data version new to this run."""
    for key, metadata in _observed(reports):
        yield AssetObservation(
            asset_key=YEAR_END_STATE,
            partition=key,
            metadata=metadata,
            tags={DATA_VERSION_TAG: f"{context.run.run_id}:{key}"},
        )


def input_pointer_tags(
    context: AssetExecutionContext,
    reports: list[SimulationReport],
    same_step_inputs: Mapping[AssetKey, Iterable[AssetKey]],
) -> dict[AssetKey, dict[str, str]]:
    """The input event pointers each model of this step records (see the module docstring).

    Call after this step's observations have been yielded, and so stored.
    """
    (latest,) = context.instance.fetch_observations(
        AssetRecordsFilter(asset_key=YEAR_END_STATE, asset_partitions=[key for key, _ in _observed(reports)]),
        limit=1,
    ).records
    return {
        model: {
            get_input_event_pointer_tag(YEAR_END_STATE): str(latest.storage_id),
            **{get_input_event_pointer_tag(key): NULL_EVENT_POINTER for key in inputs},
        }
        for model, inputs in same_step_inputs.items()
    }
