"""Scenario lifecycle (seed 002), read from the scenario files, the Dagster instance and the warehouse:
invalid, ready, running, succeeded, failed or cancelled, with years done and the last error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from planwise_assets.client.runs import PROCESS_TAG, SCENARIO_TAG, step_failure_message
from planwise_assets.dagster_private import (
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    get_multidimensional_partition_tag,
)
from planwise_assets.defs.simulation.partitions import SCENARIO
from planwise_assets.defs.simulation.runner import completed_years
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.processes import process_is_gone
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


def _process_gone(run: DagsterRun) -> bool:
    return run.status in IN_PROGRESS | {DagsterRunStatus.CANCELING} and process_is_gone(run.tags.get(PROCESS_TAG, ""))


def close_orphaned_runs(instance: DagsterInstance, runs: list[DagsterRun]) -> list[DagsterRun]:
    """Mark failed (or cancelled, if a cancel was asked) the in-progress runs whose process is gone:
    a killed batch can never finish them. Returns the runs as they now are."""
    current = []
    for run in runs:
        if _process_gone(run):
            process = run.tags[PROCESS_TAG]
            if run.status == DagsterRunStatus.CANCELING:
                instance.report_run_canceled(run, message=f"its process {process} is gone")
            else:
                instance.report_run_failed(run, message=f"its process {process} is gone (killed)")
            run = instance.get_run_by_id(run.run_id)
        current.append(run)
    return current


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
    """The failed step's message, else the run's failure message (e.g. a run whose process is gone)."""
    failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    if failures:
        return step_failure_message(record.dagster_event for record in failures)
    run_failures = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    return run_failures[-1].dagster_event.message or "" if run_failures else ""


def _when(timestamp: float | None) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds") if timestamp else ""


def _problems_by_file(scenarios_dir: Path, problems: list[str]) -> dict[str, str]:
    """Each file's problems (a problem line starts with the file's path and a colon; a path may hold
    colons too), those of the folder itself under the folder's path."""
    files = [str(path) for path in sorted(Path(scenarios_dir).glob("*.yaml"))]
    by_file: dict[str, list[str]] = {}
    for problem in problems:
        file = max((f for f in files if problem.startswith(f"{f}:")), key=len, default=str(scenarios_dir))
        by_file.setdefault(file, []).append(problem.removeprefix(file).removeprefix(":").strip())
    return {file: "; ".join(errors) for file, errors in by_file.items()}


def scenario_statuses(instance: DagsterInstance, scenarios_dir: Path) -> list[ScenarioStatus]:
    valid, problems = validate_folder(scenarios_dir)
    statuses = [
        ScenarioStatus(Path(file).stem, file, "invalid", None, None, last_error=error)
        for file, error in _problems_by_file(scenarios_dir, problems).items()
    ]
    for scenario_id, loaded in sorted(valid.items()):
        config = loaded.config
        runs = close_orphaned_runs(instance, scenario_runs(instance, config))
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
    """Stop every in-progress run of the scenario; returns their run ids.

    A run not started yet, or whose process is gone (a killed batch), is cancelled at once. A
    run executing in a live `planwise` process is marked CANCELING, and its simulation stops
    before its next year. Runs launched by the daemon (UI, backfills, sensor) are terminated
    through the run launcher.
    """
    stopped = []
    for run in scenario_runs(instance, config):
        if run.status not in IN_PROGRESS:
            continue
        process = run.tags.get(PROCESS_TAG)
        if run.status in {DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED}:
            instance.report_run_canceled(run)
        elif _process_gone(run):
            instance.report_run_canceled(run, message=f"cancelled; its process {process} was already gone")
        else:
            instance.report_run_canceling(run)
            if process is None:
                instance.run_launcher.terminate(run.run_id)
        stopped.append(run.run_id)
    return stopped
