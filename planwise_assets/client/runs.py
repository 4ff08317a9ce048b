"""Launching a scenario's jobs in this process, recorded in the Dagster home (defs/jobs.py lists them).

`planwise batch` and the Python API run scenarios through these functions: the same jobs, assets
and checks the UI and the sensor run, so every result and every workbook is a materialization the
UI shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dagster import DagsterEvent, DagsterEventType, DagsterInstance, DagsterRunStatus, ExecuteInProcessResult

from planwise_assets.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from planwise_assets.defs.exports.resources import exports_resource_config
from planwise_assets.defs.jobs import (
    compare_scenarios,
    export_scenario_workbook,
    load_scenario_inputs,
    simulate_workforce_job,
)
from planwise_assets.defs.scenarios.partitions import SCENARIO_TAG, scenario_partitions
from planwise_assets.defs.scenarios.resources import scenarios_resource_config
from planwise_assets.defs.simulation.partitions import simulation_key
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.processes import process_identity
from planwise_assets.lib.scenario_config import ScenarioConfig

# The process executing a run in-process (host:pid:start time): `planwise status` marks the run
# failed once that process is gone, since nothing else ever will.
PROCESS_TAG = "planwise/process"

# Dagster logs every materialization at DEBUG; a terminal user wants the run's warnings only.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class ScenarioCancelled(PlanwiseError):
    """`planwise cancel` stopped one of the scenario's runs."""


def _stop_if_cancelled(instance: DagsterInstance, run_id: str, scenario_id: str, what: str) -> None:
    """Raise ScenarioCancelled if `planwise cancel` marked the run CANCELING while it executed.

    An in-process run cannot be interrupted from outside: its simulation stops before its next
    year, and whatever run it was, the scenario goes no further. A run that ended failed because
    of the cancel is recorded as cancelled.
    """
    if not instance.all_logs(run_id, of_type=DagsterEventType.RUN_CANCELING):
        return
    run = instance.get_run_by_id(run_id)
    if run.status == DagsterRunStatus.FAILURE:
        instance.report_run_canceled(run, message="stopped by planwise cancel")
    raise ScenarioCancelled(f"{scenario_id}: cancelled (planwise cancel) during its {what} run")


def register_scenario(instance: DagsterInstance, scenario_id: str) -> None:
    """Add the scenario's dynamic partition (its id is validated when the config is loaded)."""
    if not instance.has_dynamic_partition(scenario_partitions.name, scenario_id):
        instance.add_dynamic_partitions(scenario_partitions.name, [scenario_id])


def step_failure_message(events: Iterable[DagsterEvent]) -> str:
    """The failed step's message: a Failure's description, else the error's first line."""
    for event in events:
        if event.is_step_failure:
            failure = event.step_failure_data
            if failure.user_failure_data is not None and failure.user_failure_data.description:
                return failure.user_failure_data.description
            if failure.error is not None:
                return failure.error.message.strip().splitlines()[0]
    return "run failed"


def _execute(
    instance: DagsterInstance,
    job_name: str,
    scenarios_dir: Path,
    exports_dir: Path | None = None,
    run_config: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    **options: Any,
) -> ExecuteInProcessResult:
    """Run a job of the definitions for `scenarios_dir` (their years cover its files), with the run config
    naming the folders it reads scenario files from and writes exports to."""
    from planwise_assets.definitions import definitions_for

    resources = scenarios_resource_config(scenarios_dir)
    if exports_dir is not None:
        resources = {**resources, **exports_resource_config(exports_dir)}
    return (
        definitions_for(scenarios_dir)
        .resolve_job_def(job_name)
        .execute_in_process(
            instance=instance,
            run_config={**QUIET_LOGS, "resources": resources, **(run_config or {})},
            raise_on_error=False,
            tags={**(tags or {}), PROCESS_TAG: process_identity()},
            **options,
        )
    )


def run_scenario(
    instance: DagsterInstance, config: ScenarioConfig, scenarios_dir: Path, years: list[int] | None = None
) -> list[str]:
    """Simulate `years` (default: all) of a scenario in one run, loading its inputs first when the
    range starts at its first year. Returns the run ids; raises PlanwiseError on failure."""
    scenario_id = config.scenario_id
    years = years or config.years
    register_scenario(instance, scenario_id)
    tags = {SCENARIO_TAG: scenario_id}
    runs = []
    if years[0] == config.simulation.start_year:
        inputs = _execute(instance, load_scenario_inputs.name, scenarios_dir, partition_key=scenario_id, tags=tags)
        runs.append(inputs.run_id)
        _stop_if_cancelled(instance, inputs.run_id, scenario_id, "inputs")
        if not inputs.success:
            raise PlanwiseError(f"{scenario_id}: inputs: {step_failure_message(inputs.all_events)}")
    simulation = _execute(
        instance,
        simulate_workforce_job.name,
        scenarios_dir,
        tags={
            **tags,
            ASSET_PARTITION_RANGE_START_TAG: str(simulation_key(scenario_id, years[0])),
            ASSET_PARTITION_RANGE_END_TAG: str(simulation_key(scenario_id, years[-1])),
        },
    )
    runs.append(simulation.run_id)
    _stop_if_cancelled(instance, simulation.run_id, scenario_id, "simulation")
    if not simulation.success:
        raise PlanwiseError(f"{scenario_id}: {step_failure_message(simulation.all_events)}")
    return runs


def _written_files(result: ExecuteInProcessResult, asset_name: str) -> list[Path]:
    (materialization,) = result.asset_materializations_for_node(asset_name)
    return [Path(path) for path in materialization.metadata["files"].value]


def export_scenario(
    instance: DagsterInstance, config: ScenarioConfig, scenarios_dir: Path, exports_dir: Path
) -> tuple[str, list[Path]]:
    """Materialize the scenario's workbook into `exports_dir/<scenario>/`; returns the run id and the files."""
    result = _execute(
        instance,
        export_scenario_workbook.name,
        scenarios_dir,
        exports_dir,
        partition_key=config.scenario_id,
        tags={SCENARIO_TAG: config.scenario_id},
    )
    _stop_if_cancelled(instance, result.run_id, config.scenario_id, "workbook")
    if not result.success:
        raise PlanwiseError(f"{config.scenario_id}: workbook: {step_failure_message(result.all_events)}")
    return result.run_id, _written_files(result, "scenario_workbook")


def compare(
    instance: DagsterInstance,
    scenario_ids: list[str],
    baseline: str,
    scenarios_dir: Path,
    exports_dir: Path,
    discount_rate: float | None = None,
) -> tuple[str, list[Path]]:
    """Materialize the comparison of `scenario_ids` against `baseline` into `exports_dir` (with the
    asset's default discount rate unless one is given)."""
    config: dict[str, object] = {"baseline_scenario": baseline, "scenarios": scenario_ids}
    if discount_rate is not None:
        config["discount_rate"] = discount_rate
    result = _execute(
        instance,
        compare_scenarios.name,
        scenarios_dir,
        exports_dir,
        run_config={"ops": {"comparison_report": {"config": config}}},
    )
    if not result.success:
        raise PlanwiseError(f"comparison: {step_failure_message(result.all_events)}")
    return result.run_id, _written_files(result, "comparison_report")
