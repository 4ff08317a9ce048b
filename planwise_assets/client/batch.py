"""Batch runs: each scenario's jobs (inputs, years, workbook) into one batch folder, then the comparison.

Every step is a Dagster run recorded in the Dagster home (runs.py), so the UI shows what a batch did.
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

from planwise_assets.lib.data_root import planwise_home, warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.logs import configure, logs_as_json, scenario_logger
from planwise_assets.lib.scenario_config import ScenarioConfig

BACKUPS_KEPT = 3
SUMMARY_FILE = "batch_summary.json"


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


def _simulate_and_export(config: ScenarioConfig, scenarios_dir: Path, batch_dir: Path) -> ScenarioOutcome:
    """One scenario of a batch, in this process; failures become the outcome, never an exception."""
    from planwise_assets.client.runs import export_scenario, run_scenario
    from planwise_assets.dagster_home.instance import get_instance

    log = scenario_logger(config.scenario_id, config.plan_design_id)
    started = time.perf_counter()
    outcome = ScenarioOutcome(config.scenario_id, config.plan_design_id, "succeeded", 0.0)
    try:
        backup = backup_warehouse(config.scenario_id)
        outcome.backup = str(backup or "")
        log.info(f"simulating {config.years[0]}-{config.years[-1]}" + (f" (backup {backup.name})" if backup else ""))
        instance = get_instance()
        outcome.run_ids = run_scenario(instance, config, scenarios_dir)
        export_run, files = export_scenario(instance, config, scenarios_dir, batch_dir)
        outcome.run_ids.append(export_run)
        outcome.outputs = [str(path) for path in files]
    except PlanwiseError as error:
        outcome.status, outcome.error = "failed", str(error)
    outcome.seconds = round(time.perf_counter() - started, 3)
    if outcome.error:
        log.error(f"failed after {outcome.seconds:.1f} s: {outcome.error}")
    else:
        log.info(f"succeeded in {outcome.seconds:.1f} s")
    return outcome


def previous_outcomes(batch_dir: Path) -> dict[str, dict]:
    summary = batch_dir / SUMMARY_FILE
    if not summary.exists():
        raise PlanwiseError(f"{batch_dir}: no {SUMMARY_FILE} to resume from")
    return {entry["scenario_id"]: entry for entry in json.loads(summary.read_text())["scenarios"]}


def run_batch(
    configs: list[ScenarioConfig],
    scenarios_dir: Path,
    output_dir: Path,
    parallel: int = 1,
    resume: Path | None = None,
    clean: bool = False,
    baseline_scenario: str = "baseline",
    discount_rate: float | None = None,
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
    jobs = [(config, scenarios_dir, batch_dir) for config in to_run]
    if parallel > 1 and len(jobs) > 1:
        # dbt runs in-process and keeps process-wide state, so parallel scenarios need processes
        with ProcessPoolExecutor(
            max_workers=parallel,
            mp_context=get_context("spawn"),
            initializer=configure,
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
        from planwise_assets.client.runs import compare
        from planwise_assets.dagster_home.instance import get_instance

        ids = [c.scenario_id for c in comparable]
        _, files = compare(get_instance(), ids, baseline_scenario, scenarios_dir, batch_dir, discount_rate)
        comparison = [str(path) for path in files]
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
