"""Batch runs: simulate scenarios through the Dagster definitions, recorded in the Dagster home,
then write each scenario's outputs and the comparison under one batch folder.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from dagster import DagsterInstance
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from planwise_assets.errors import PlanwiseError
from planwise_assets.logs import configure, logs_as_json, scenario_logger
from planwise_assets.partitions import scenario_partitions, simulation_key
from planwise_assets.scenarios import ScenarioConfig
from planwise_assets.warehouse import planwise_home, warehouse_path

SCENARIO_TAG = "planwise/scenario"
BACKUPS_KEPT = 3
SUMMARY_FILE = "batch_summary.json"

# Dagster logs every materialization at DEBUG; a terminal user wants the run's warnings only.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class ScenarioOutcome:
    scenario_id: str
    plan_design_id: str
    status: str
    seconds: float
    run_ids: list[str] = field(default_factory=list)
    error: str = ""
    outputs: list[str] = field(default_factory=list)
    backup: str = ""


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


def run_scenario(instance: DagsterInstance, config: ScenarioConfig, years: list[int] | None = None) -> list[str]:
    """Simulate `years` (default: all) of a scenario in one run, loading its inputs first when the
    range starts at its first year. Returns the run ids; raises PlanwiseError on failure."""
    from planwise_assets.definitions import defs

    scenario_id = config.scenario_id
    years = years or config.years
    register_scenario(instance, scenario_id)
    tags = {SCENARIO_TAG: scenario_id}
    runs = []
    if years[0] == config.simulation.start_year:
        inputs = defs.resolve_job_def("load_scenario_inputs").execute_in_process(
            instance=instance, partition_key=scenario_id, run_config=QUIET_RUN_CONFIG, tags=tags, raise_on_error=False
        )
        runs.append(inputs.run_id)
        if not inputs.success:
            raise PlanwiseError(f"{scenario_id}: inputs: {_failure_message(inputs)}")
    simulation = defs.resolve_job_def("simulate_workforce_job").execute_in_process(
        instance=instance,
        run_config=QUIET_RUN_CONFIG,
        tags={
            **tags,
            ASSET_PARTITION_RANGE_START_TAG: str(simulation_key(scenario_id, years[0])),
            ASSET_PARTITION_RANGE_END_TAG: str(simulation_key(scenario_id, years[-1])),
        },
        raise_on_error=False,
    )
    runs.append(simulation.run_id)
    if not simulation.success:
        raise PlanwiseError(f"{scenario_id}: {_failure_message(simulation)}")
    return runs


def backup_warehouse(scenario_id: str) -> Path | None:
    """Copy the scenario's file to $PLANWISE_HOME/backups/<scenario>/ before a rebuild; keep the last few."""
    source = warehouse_path(scenario_id)
    if not source.exists():
        return None
    folder = planwise_home() / "backups" / scenario_id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{scenario_id}_{dt.datetime.now(dt.UTC):%Y%m%d_%H%M%S_%f}.duckdb"
    shutil.copy2(source, target)
    for old in sorted(folder.glob("*.duckdb"))[:-BACKUPS_KEPT]:
        old.unlink()
    return target


def _simulate_and_export(config: ScenarioConfig, scenario_folder: Path) -> ScenarioOutcome:
    """One scenario of a batch, in this process; failures become the outcome, never an exception."""
    from planwise_assets.exports.scenario_workbook import write_scenario_outputs
    from planwise_assets.instance import get_instance

    log = scenario_logger(config.scenario_id, config.plan_design_id)
    started = time.perf_counter()
    outcome = ScenarioOutcome(config.scenario_id, config.plan_design_id, "succeeded", 0.0)
    try:
        backup = backup_warehouse(config.scenario_id)
        outcome.backup = str(backup or "")
        log.info(f"simulating {config.years[0]}-{config.years[-1]}" + (f" (backup {backup.name})" if backup else ""))
        outcome.run_ids = run_scenario(get_instance(), config)
        outcome.outputs = [str(path) for path in write_scenario_outputs(config, scenario_folder, outcome.run_ids[-1])]
    except PlanwiseError as error:
        outcome.status, outcome.error = "failed", str(error)
    outcome.seconds = round(time.perf_counter() - started, 3)
    if outcome.error:
        log.error(f"failed after {outcome.seconds:.1f} s: {outcome.error}")
    else:
        log.info(f"succeeded in {outcome.seconds:.1f} s")
    return outcome


def _start_worker(json_lines: bool) -> None:
    """A batch worker process logs like its parent and hides Dagster's beta-API warnings."""
    import warnings

    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    configure(json_lines)


def previous_outcomes(batch_dir: Path) -> dict[str, dict]:
    summary = batch_dir / SUMMARY_FILE
    if not summary.exists():
        raise PlanwiseError(f"{batch_dir}: no {SUMMARY_FILE} to resume from")
    return {entry["scenario_id"]: entry for entry in json.loads(summary.read_text())["scenarios"]}


def run_batch(
    configs: list[ScenarioConfig],
    output_dir: Path,
    parallel: int = 1,
    resume: Path | None = None,
    clean: bool = False,
    baseline_scenario: str = "baseline",
) -> tuple[Path, list[ScenarioOutcome]]:
    """Run each scenario (a failure is recorded and the others go on), then the comparison.

    With `resume`, scenarios that succeeded in that batch (and still have their outputs) are
    kept and only the failed or missing ones run again, into the same folder.
    """
    log = scenario_logger(None, None)
    batch_dir = resume or output_dir / f"batch_{dt.datetime.now():%Y%m%d_%H%M%S}"
    kept: dict[str, ScenarioOutcome] = {}
    if resume:
        for scenario_id, entry in previous_outcomes(resume).items():
            if entry["status"] == "succeeded" and all(Path(p).exists() for p in entry["outputs"]):
                kept[scenario_id] = ScenarioOutcome(**entry)
    to_run = [config for config in configs if config.scenario_id not in kept]
    log.info(f"batch {batch_dir.name}: {len(to_run)} to run, {len(kept)} kept from before, {parallel} at a time")
    jobs = [(config, batch_dir / config.scenario_id) for config in to_run]
    if parallel > 1 and len(jobs) > 1:
        # dbt runs in-process and keeps process-wide state, so parallel scenarios need processes
        with ProcessPoolExecutor(
            max_workers=parallel,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(logs_as_json(),),
        ) as pool:
            ran = list(pool.map(_simulate_and_export, *zip(*jobs, strict=True)))
    else:
        ran = [_simulate_and_export(*job) for job in jobs]
    by_id = {**kept, **{outcome.scenario_id: outcome for outcome in ran}}
    outcomes = [by_id[config.scenario_id] for config in configs if config.scenario_id in by_id]
    succeeded = [c for c in configs if c.scenario_id in by_id and by_id[c.scenario_id].status == "succeeded"]
    comparable = [c for c in succeeded if warehouse_path(c.scenario_id).exists()]
    comparison: list[str] = []
    if len(comparable) > 1 and any(c.scenario_id == baseline_scenario for c in comparable):
        from planwise_assets.exports.comparison import write_comparison_outputs  # charts: 0.5 s of imports

        comparison = [str(p) for p in write_comparison_outputs(comparable, batch_dir, baseline_scenario, None)]
    if clean:
        # the databases go only after every output that reads them has been written
        for config in succeeded:
            warehouse_path(config.scenario_id).unlink(missing_ok=True)
    batch_dir.mkdir(parents=True, exist_ok=True)
    (batch_dir / SUMMARY_FILE).write_text(
        json.dumps(
            {
                "batch": batch_dir.name,
                "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "comparison": comparison,
                "scenarios": [asdict(outcome) for outcome in outcomes],
            },
            indent=2,
        )
        + "\n"
    )
    return batch_dir, outcomes
