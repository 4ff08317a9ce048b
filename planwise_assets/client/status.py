"""Scenario lifecycle (seed 002), read from the scenario files, the Dagster instance and the warehouse:
invalid, ready, running, succeeded, failed or cancelled, with years done and the last error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from planwise_assets.client.runs import SCENARIO_TAG, step_failure_message
from planwise_assets.dagster_private import (
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    get_multidimensional_partition_tag,
)
from planwise_assets.defs.simulation.partitions import SCENARIO
from planwise_assets.defs.simulation.runner import completed_years
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.scenario_config import ScenarioConfig
from planwise_assets.lib.scenario_files import validate_folder

IN_PROGRESS = {
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
}


@dataclass
class ScenarioStatus:
    scenario_id: str
    file: str
    state: str
    years_done: int | None
    years_total: int | None
    started: str = ""
    finished: str = ""
    duration_seconds: float | None = None
    last_error: str = ""


def scenario_runs(instance: DagsterInstance, config: ScenarioConfig) -> list[DagsterRun]:
    """Every run of the scenario, newest first: batch and API runs (tagged), UI or backfill runs
    of its inputs or of one of its years, and sensor runs of a range starting at one of its years."""
    scenario_id = config.scenario_id
    filters = [
        RunsFilter(tags={SCENARIO_TAG: scenario_id}),
        RunsFilter(tags={PARTITION_NAME_TAG: scenario_id}),
        RunsFilter(tags={get_multidimensional_partition_tag(SCENARIO): scenario_id}),
        *(RunsFilter(tags={ASSET_PARTITION_RANGE_START_TAG: f"{scenario_id}|{year}"}) for year in config.years),
    ]
    runs = {run.run_id: run for runs_filter in filters for run in instance.get_runs(filters=runs_filter)}
    return sorted(
        runs.values(), key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp, reverse=True
    )


def _years_done(config: ScenarioConfig) -> int | None:
    """The scenario's years whose tables were all written (a year stopped halfway does not count)."""
    path = warehouse_path(config.scenario_id)
    if not path.exists():
        return 0
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return len(completed_years(con) & set(config.years))
    except duckdb.Error:  # being written right now
        return None if path.with_suffix(".lock").exists() else 0


def _last_error(instance: DagsterInstance, run: DagsterRun) -> str:
    failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    return step_failure_message(record.dagster_event for record in failures) if failures else ""


def _when(timestamp: float | None) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds") if timestamp else ""


def scenario_statuses(instance: DagsterInstance, scenarios_dir: Path) -> list[ScenarioStatus]:
    valid, problems = validate_folder(scenarios_dir)
    statuses = [
        ScenarioStatus(
            Path(problem.split(":")[0]).stem,
            problem.split(":")[0],
            "invalid",
            None,
            None,
            last_error=problem.split(": ", 1)[-1],
        )
        for problem in problems
    ]
    for scenario_id, loaded in sorted(valid.items()):
        config = loaded.config
        runs = scenario_runs(instance, config)
        done, total = _years_done(config), len(config.years)
        status = ScenarioStatus(scenario_id, str(loaded.path), "ready", done, total)
        if runs:
            latest = runs[0]
            record = instance.get_run_record_by_id(latest.run_id)
            status.started, status.finished = _when(record.start_time), _when(record.end_time)
            if record.start_time and record.end_time:
                status.duration_seconds = round(record.end_time - record.start_time, 1)
            if latest.status in IN_PROGRESS or latest.status == DagsterRunStatus.CANCELING:
                status.state = "running"
            elif latest.status == DagsterRunStatus.FAILURE:
                status.state, status.last_error = "failed", _last_error(instance, latest)
            elif latest.status == DagsterRunStatus.CANCELED:
                status.state = "cancelled"
            elif done == total:
                status.state = "succeeded"
        statuses.append(status)
    return statuses


def cancel_scenario(instance: DagsterInstance, config: ScenarioConfig) -> list[str]:
    """Ask every in-progress run of the scenario to stop; returns their run ids.

    Runs launched by the daemon (UI, backfills, sensor) are terminated through the run
    launcher; an in-process batch run sees the CANCELING status between two years and stops.
    """
    stopped = []
    for run in scenario_runs(instance, config):
        if run.status not in IN_PROGRESS:
            continue
        if run.status in {DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED}:
            instance.report_run_canceled(run)
        else:
            instance.report_run_canceling(run)
            instance.run_launcher.terminate(run.run_id)
        stopped.append(run.run_id)
    return stopped
