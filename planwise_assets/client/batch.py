"""Batch runs: each scenario's jobs (inputs, years, workbook) into one batch folder, then the comparison.

Every step is a Dagster run recorded in the Dagster home (runs.py), so the UI shows what a batch did.

A batch survives being killed at any moment: its summary is written when it starts and replaced
whole after each scenario and after the comparison, so `--resume` always finds what is done;
each scenario's outputs and its database are rebuilt from scratch when it runs again, with
identical results. A resumed batch also reruns a scenario whose file, base files or census
changed since it ran, and says why.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from logging.handlers import QueueListener
from pathlib import Path
from typing import Any

from planwise_assets.lib.backups import backup_warehouse
from planwise_assets.lib.data_root import planwise_home, warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.files import describe_disk_full, file_sha256, one_line, read_regular_file, write_json
from planwise_assets.lib.logs import (
    configure,
    live_progress_wanted,
    logs_as_json,
    progress_bars,
    scenario_logger,
    send_to_queue,
)
from planwise_assets.lib.processes import die_with_parent, process_identity
from planwise_assets.lib.scenario_files import LoadedScenario

SUMMARY_FILE = "batch_summary.json"
MAX_SUMMARY_BYTES = 64 * 1024 * 1024
# a batch folder per second; two batches started in the same second get _2, _3, ...
MAX_SAME_SECOND_BATCHES = 100


@dataclass
class ScenarioOutcome:
    scenario_id: str
    plan_design_id: str
    status: str  # pending (not finished yet), succeeded, failed, cancelled (planwise cancel), interrupted
    seconds: float
    run_ids: list[str] = field(default_factory=list)
    error: str = ""
    outputs: list[str] = field(default_factory=list)
    backup: str = ""
    # what the scenario was computed from, so that --resume can tell a changed input
    scenario_fingerprint: str = ""
    census_sha256: str = ""


@dataclass
class _ScenarioInputs:
    scenario_fingerprint: str
    census_sha256: str

    @classmethod
    def of(cls, loaded: LoadedScenario) -> _ScenarioInputs:
        """The scenario file and its bases (as read), and the census file's bytes when it names one
        (a generated census is fixed by the scenario file)."""
        census = loaded.config.census.path
        try:
            census_sha256 = file_sha256(census) if census else ""
        except PlanwiseError:  # missing or unreadable: the run says so
            census_sha256 = "unreadable"
        return cls(loaded.fingerprint, census_sha256)


def _simulate_and_export(
    loaded: LoadedScenario, inputs: _ScenarioInputs, scenarios_dir: Path, batch_dir: Path
) -> ScenarioOutcome:
    """One scenario of a batch, in this process; failures become the outcome, never an exception."""
    from planwise_assets.client.runs import ScenarioCancelled, export_scenario, run_scenario
    from planwise_assets.dagster_home.instance import get_instance

    config = loaded.config
    log = scenario_logger(config.scenario_id, config.plan_design_id)
    started = time.perf_counter()
    outcome = ScenarioOutcome(config.scenario_id, config.plan_design_id, "succeeded", 0.0, **asdict(inputs))
    try:
        backup = backup_warehouse(config.scenario_id)
        outcome.backup = str(backup or "")
        log.info(f"simulating {config.years[0]}-{config.years[-1]}" + (f" (backup {backup.name})" if backup else ""))
        instance = get_instance()
        outcome.run_ids = run_scenario(instance, config, scenarios_dir)
        export_run, files = export_scenario(instance, config, scenarios_dir, batch_dir)
        outcome.run_ids.append(export_run)
        outcome.outputs = [str(path) for path in files]
    except ScenarioCancelled as error:
        outcome.status, outcome.error = "cancelled", one_line(str(error))
    except PlanwiseError as error:
        outcome.status, outcome.error = "failed", one_line(str(error))
    except Exception as error:  # a full disk, or a bug: recorded on one line, and the other scenarios go on
        outcome.status = "failed"
        outcome.error = describe_disk_full(error, planwise_home()) or one_line(f"{type(error).__name__}: {error}")[:600]
    outcome.seconds = round(time.perf_counter() - started, 3)
    if outcome.error:
        log.error(f"{outcome.status} after {outcome.seconds:.1f} s: {outcome.error}")
    else:
        log.info(f"succeeded in {outcome.seconds:.1f} s")
    return outcome


def _exit_without_final_collection() -> None:
    """A worker's last exit handler: the interpreter's final garbage collection is skipped.

    By the time the pool stops a worker, its scenarios' files are written and closed and
    multiprocessing has flushed its queues; the exit handlers registered after the worker
    started (dbt's, Dagster's) have run. What is left is the walk over every object dbt and
    Dagster made, about 1 s after a 10,000-employee scenario, which the batch would wait for.
    The two handlers registered before (logging's, and multiprocessing's, already run by the
    worker's bootstrap) are not run again; logging's flush is done here.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _start_worker(json_logs: bool, parent_pid: int, progress: Any) -> None:
    """A batch worker: dies with the batch, even after kill -9, and leaves Ctrl-C to the batch,
    which stops its workers itself. Its log records go to the batch's progress bars through the
    `progress` queue when there are bars, else straight to stderr. It exits without Python's
    final garbage collection (_exit_without_final_collection)."""
    die_with_parent(parent_pid)
    # registered first, so it runs last
    atexit.register(_exit_without_final_collection)
    # dbt and Dagster keep millions of objects for the worker's whole life (modules, the parsed
    # manifest, the definitions). With the default thresholds (700, 10, 10) the collector walked
    # them all 8 times in a 10,000-employee scenario and made 1,576 young collections: 2.4 s in
    # all. Young collections every 10,000 allocations, and a full one after 100 of the middle
    # generation's, take 0.7 s; the peak memory at 100,000 employees is unchanged.
    gc.set_threshold(10_000, 10, 100)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if progress is None:
        configure(json_logs)
    else:
        send_to_queue(progress)


def previous_outcomes(batch_dir: Path) -> dict[str, dict]:
    summary = batch_dir / SUMMARY_FILE
    try:
        document = json.loads(read_regular_file(summary, MAX_SUMMARY_BYTES))
        return {entry["scenario_id"]: entry for entry in document["scenarios"]}
    except OSError as error:
        raise PlanwiseError(f"{summary}: cannot resume from it: {error.strerror}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise PlanwiseError(f"{summary}: cannot resume from it: not a batch summary ({error})") from error


def _rerun_reason(entry: dict | None, inputs: _ScenarioInputs) -> str | None:
    """Why a scenario of the batch being resumed runs again, or None when its results are kept."""
    if entry is None:
        return "it was not in the batch"
    if entry.get("status") != "succeeded":
        return f"it had not succeeded ({entry.get('status')})"
    if not all(Path(path).exists() for path in entry.get("outputs", [])):
        return "some of its outputs are missing"
    if entry.get("scenario_fingerprint") != inputs.scenario_fingerprint:
        return "its scenario file or one of its base files changed"
    if entry.get("census_sha256") != inputs.census_sha256:
        return "its census file changed"
    return None


def _new_batch_dir(output_dir: Path) -> Path:
    """A folder of its own: created here, so two batches started in the same second never share one."""
    stem = f"batch_{dt.datetime.now():%Y%m%d_%H%M%S}"
    output_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, MAX_SAME_SECOND_BATCHES + 1):
        candidate = output_dir / (stem if attempt == 1 else f"{stem}_{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise PlanwiseError(f"{output_dir}: {MAX_SAME_SECOND_BATCHES} batches already started this second")


@dataclass
class _Summary:
    """batch_summary.json, replaced whole each time something finishes."""

    batch_dir: Path
    outcomes: dict[str, ScenarioOutcome]
    comparison: list[str] = field(default_factory=list)
    comparison_error: str = ""
    finished_at: str = ""

    def write(self) -> None:
        write_json(
            self.batch_dir / SUMMARY_FILE,
            {
                "batch": self.batch_dir.name,
                "process": process_identity(),
                "finished_at": self.finished_at,
                "comparison": self.comparison,
                "comparison_error": self.comparison_error,
                "scenarios": [asdict(outcome) for outcome in self.outcomes.values()],
            },
        )


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a batch the way Ctrl-C does (KeyboardInterrupt), so both end cleanly."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _workers(parallel: int, progress: Any) -> Iterator[ProcessPoolExecutor]:
    """Worker processes for the batch's Dagster runs; the batch process itself runs none.

    dbt runs in-process and keeps process-wide state, so parallel scenarios need processes; and
    Dagster, while it executes a run, holds back SIGINT and SIGTERM until the run ends, so a batch
    that ran Dagster itself could not be stopped. On any interruption the workers are killed at
    once; a scenario they were running is redone by `--resume`.
    """
    pool = ProcessPoolExecutor(
        max_workers=parallel,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(logs_as_json(), os.getpid(), progress),
    )
    try:
        yield pool
    except BaseException:
        for worker in multiprocessing.active_children():
            worker.kill()
        # waiting for the killed workers releases the pool's semaphores (no resource-tracker warning)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


@contextmanager
def _live_progress(years_by_scenario: dict[str, int]) -> Iterator[Any]:
    """In a terminal (text logs), `rich` progress bars per scenario and year fed by the workers'
    log records through the yielded queue; elsewhere plain lines, and None."""
    if not live_progress_wanted():
        yield None
        return
    queue = multiprocessing.get_context("spawn").Queue()
    with progress_bars(years_by_scenario) as bars:
        listener = QueueListener(queue, bars)
        listener.start()
        try:
            yield queue
        finally:
            listener.stop()


def _compare(
    scenario_ids: list[str], baseline: str, scenarios_dir: Path, batch_dir: Path, discount_rate: float | None
) -> tuple[list[str], str]:
    """The comparison workbook, in a worker: (its files, or the error on one line)."""
    from planwise_assets.client.runs import compare
    from planwise_assets.dagster_home.instance import get_instance

    try:
        _, files = compare(get_instance(), scenario_ids, baseline, scenarios_dir, batch_dir, discount_rate)
    except PlanwiseError as error:
        return [], one_line(str(error))
    return [str(path) for path in files], ""


def run_batch(
    scenarios: list[LoadedScenario],
    scenarios_dir: Path,
    output_dir: Path,
    parallel: int = 1,
    resume: Path | None = None,
    clean: bool = False,
    baseline_scenario: str = "baseline",
    discount_rate: float | None = None,
) -> tuple[Path, list[ScenarioOutcome]]:
    """Run each scenario (a failure is recorded and the others go on), then the comparison.

    With `resume`, scenarios that succeeded in that batch (and still have their outputs and the
    same inputs) are kept and only the others run again, into the same folder.
    """
    log = scenario_logger(None, None)
    inputs = {loaded.config.scenario_id: _ScenarioInputs.of(loaded) for loaded in scenarios}
    outcomes: dict[str, ScenarioOutcome] = {}
    if resume:
        batch_dir = resume
        previous = previous_outcomes(resume)
        for loaded in scenarios:
            scenario_id = loaded.config.scenario_id
            reason = _rerun_reason(previous.get(scenario_id), inputs[scenario_id])
            if reason is None:
                entry = previous[scenario_id]
                outcomes[scenario_id] = ScenarioOutcome(**{f.name: entry[f.name] for f in fields(ScenarioOutcome)})
            else:
                log.info(f"{scenario_id}: runs again: {reason}")
    else:
        batch_dir = _new_batch_dir(output_dir)
    to_run = [loaded for loaded in scenarios if loaded.config.scenario_id not in outcomes]
    kept = len(outcomes)
    for loaded in to_run:
        config = loaded.config
        outcomes[config.scenario_id] = ScenarioOutcome(
            config.scenario_id, config.plan_design_id, "pending", 0.0, **asdict(inputs[config.scenario_id])
        )
    summary = _Summary(
        batch_dir, {loaded.config.scenario_id: outcomes[loaded.config.scenario_id] for loaded in scenarios}
    )
    summary.write()
    log.info(f"batch {batch_dir.name}: {len(to_run)} to run, {kept} kept from before, {parallel} at a time")

    def finished(outcome: ScenarioOutcome) -> None:
        summary.outcomes[outcome.scenario_id] = outcome
        summary.write()

    jobs = {
        loaded.config.scenario_id: (loaded, inputs[loaded.config.scenario_id], scenarios_dir, batch_dir)
        for loaded in to_run
    }
    try:
        with (
            _sigterm_interrupts(),
            _live_progress({loaded.config.scenario_id: len(loaded.config.years) for loaded in to_run}) as progress,
            _workers(max(1, min(parallel, len(jobs) or 1)), progress) as pool,
        ):
            futures = {pool.submit(_simulate_and_export, *job): scenario_id for scenario_id, job in jobs.items()}
            for future in as_completed(futures):
                try:
                    finished(future.result())
                except BrokenProcessPool:  # a worker killed from outside (the kernel's OOM killer, kill -9)
                    outcome = summary.outcomes[futures[future]]
                    outcome.status, outcome.error = "failed", "its worker process was killed"
                    finished(outcome)
            succeeded = [
                loaded.config
                for loaded in scenarios
                if summary.outcomes[loaded.config.scenario_id].status == "succeeded"
            ]
            comparable = [c.scenario_id for c in succeeded if warehouse_path(c.scenario_id).exists()]
            if len(comparable) > 1 and baseline_scenario in comparable:
                try:
                    comparison = pool.submit(
                        _compare, comparable, baseline_scenario, scenarios_dir, batch_dir, discount_rate
                    )
                    summary.comparison, summary.comparison_error = comparison.result()
                except BrokenProcessPool:
                    summary.comparison_error = "comparison: a worker process of the batch was killed"
    except KeyboardInterrupt:
        for outcome in summary.outcomes.values():
            if outcome.status == "pending":
                outcome.status, outcome.error = "interrupted", "the batch was stopped before this scenario finished"
        summary.write()
        log.error(f"batch stopped; `planwise batch --resume {batch_dir}` completes it")
        raise
    if clean:
        # the databases go only after every output that reads them has been written
        for config in succeeded:
            warehouse_path(config.scenario_id).unlink(missing_ok=True)
    summary.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    summary.write()
    if summary.comparison_error:
        raise PlanwiseError(
            f"{summary.comparison_error}; the scenarios' results are in {batch_dir}, and "
            f"`planwise batch --resume {batch_dir}` makes the comparison again"
        )
    return batch_dir, list(summary.outcomes.values())
