"""Batch runs: simulate scenarios through the Dagster definitions, recorded in the Dagster home."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
from dagster import DagsterInstance
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from planwise_assets.errors import PlanwiseError
from planwise_assets.partitions import scenario_partitions, simulation_key
from planwise_assets.scenarios import ScenarioConfig
from planwise_assets.warehouse import warehouse_path


@dataclass
class ScenarioOutcome:
    scenario_id: str
    status: str
    seconds: float
    run_ids: list[str] = field(default_factory=list)
    error: str = ""
    outputs: list[str] = field(default_factory=list)


def register_scenario(instance: DagsterInstance, scenario_id: str) -> None:
    """Add the scenario's dynamic partition (its id is validated when the config is loaded)."""
    if not instance.has_dynamic_partition(scenario_partitions.name, scenario_id):
        instance.add_dynamic_partitions(scenario_partitions.name, [scenario_id])


def _failure_message(result) -> str:
    """The failed step's message: a Failure's description, else the error's first line."""
    for event in result.all_events:
        if event.is_step_failure:
            failure = event.step_failure_data
            if failure.user_failure_data is not None and failure.user_failure_data.description:
                return failure.user_failure_data.description
            if failure.error is not None:
                return failure.error.message.strip().splitlines()[0]
    return "run failed"


# Dagster logs every materialization at DEBUG; a terminal user wants the run's warnings only.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_scenario(instance: DagsterInstance, config: ScenarioConfig) -> list[str]:
    """Load the census and assumptions, then simulate all years in one run; returns the run ids. Raises on failure."""
    from planwise_assets.definitions import defs

    scenario_id = config.scenario_id
    register_scenario(instance, scenario_id)
    runs = []
    census = defs.resolve_job_def("load_scenario_inputs").execute_in_process(
        instance=instance, partition_key=scenario_id, run_config=QUIET_RUN_CONFIG, raise_on_error=False
    )
    runs.append(census.run_id)
    if not census.success:
        raise PlanwiseError(f"{scenario_id}: inputs: {_failure_message(census)}")
    first, last = config.simulation.start_year, config.simulation.end_year
    simulation = defs.resolve_job_def("simulate_workforce_job").execute_in_process(
        instance=instance,
        run_config=QUIET_RUN_CONFIG,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: str(simulation_key(scenario_id, first)),
            ASSET_PARTITION_RANGE_END_TAG: str(simulation_key(scenario_id, last)),
        },
        raise_on_error=False,
    )
    runs.append(simulation.run_id)
    if not simulation.success:
        raise PlanwiseError(f"{scenario_id}: {_failure_message(simulation)}")
    return runs


def write_scenario_outputs(config: ScenarioConfig, folder: Path) -> list[str]:
    """The scenario's yearly summary as CSV (the workbooks come from the exports)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{config.scenario_id}_summary.csv"
    with duckdb.connect(str(warehouse_path(config.scenario_id)), read_only=True) as con:
        con.execute("select * from fct_yearly_summary order by simulation_year").df().to_csv(target, index=False)
    return [str(target)]


def run_batch(
    instance: DagsterInstance,
    configs: list[ScenarioConfig],
    output_dir: Path,
    progress: Callable[[str], None] = print,
) -> tuple[Path, list[ScenarioOutcome]]:
    """Run each scenario in turn; a failing scenario is recorded and the others go on."""
    batch_dir = output_dir / f"batch_{dt.datetime.now():%Y%m%d_%H%M%S}"
    outcomes = []
    for number, config in enumerate(configs, 1):
        progress(f"[{number}/{len(configs)}] {config.scenario_id}: years {config.years[0]}-{config.years[-1]}")
        started = time.perf_counter()
        outcome = ScenarioOutcome(config.scenario_id, "succeeded", 0.0)
        try:
            outcome.run_ids = run_scenario(instance, config)
            outcome.outputs = write_scenario_outputs(config, batch_dir / config.scenario_id)
        except PlanwiseError as error:
            outcome.status, outcome.error = "failed", str(error)
        outcome.seconds = round(time.perf_counter() - started, 3)
        progress(f"    {outcome.status} in {outcome.seconds:.1f} s" + (f": {outcome.error}" if outcome.error else ""))
        outcomes.append(outcome)
    batch_dir.mkdir(parents=True, exist_ok=True)
    (batch_dir / "batch_summary.json").write_text(
        json.dumps({"batch": batch_dir.name, "scenarios": [asdict(o) for o in outcomes]}, indent=2) + "\n"
    )
    return batch_dir, outcomes
