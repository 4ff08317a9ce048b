"""The sensor on the scenarios folder: a new or changed scenario file is registered, simulated and exported.

It is off on a fresh Dagster home (README: the first start), so that nothing runs until a user
asks: a backfill from the UI, or turning the sensor on. Each tick validates every YAML file,
fingerprints each valid scenario (its file, its base_config chain and the content of the census
file it names) and compares the fingerprints with the ones kept in the cursor:

- new or changed: add the scenario's dynamic partition and request its inputs run, unless the
  warehouse already holds results of these very inputs (the same parameters and census, every
  year simulated after they were loaded): then the scenario is taken as it is, and nothing runs;
- each stage's run succeeded (seen on a later tick): request the next one, the simulation of all
  its years in ONE run, then the scenario's workbook; once no scenario is in progress, the
  comparison of every scenario with a workbook against the baseline;
- gone: delete the partition and move its DuckDB file aside (never delete it);
- invalid: a failed check on the `scenario_files` asset names the file and its error (files.py),
  recorded when the folder's problems change; the scenario is left as it was.

Sequencing: each run needs the previous one to have finished, so the sensor requests them on
different ticks, keeping each scenario's stage in its cursor. A run-status sensor would split one
scenario's state between two sensors; an asset backfill requested by a sensor
(RunRequest.for_asset_graph_subset) is a private Dagster API and carries no run key. Here every
run is an ordinary job run with a run key, so a retried tick never duplicates one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from planwise_assets.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, RUN_KEY_TAG
from planwise_assets.defs.jobs import (
    compare_scenarios,
    export_scenario_workbook,
    load_scenario_inputs,
    simulate_workforce_job,
)
from planwise_assets.defs.scenarios.assets import parameter_values
from planwise_assets.defs.scenarios.files import files_verdict
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.scenarios.removal import retire_warehouse
from planwise_assets.defs.scenarios.resources import ScenarioFolder, scenarios_resource_config
from planwise_assets.defs.simulation.partitions import YearAxis, simulation_key
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.files import file_sha256, resolved
from planwise_assets.lib.scenario_files import LoadedScenario, validate_folder
from planwise_assets.lib.scenario_id import SCENARIO_ID_PATTERN

SENSOR_NAME = "scenario_files_sensor"
FINGERPRINT_TAG = "planwise/scenario_fingerprint"
FAILED_STATUSES = {DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED, DagsterRunStatus.CANCELING}
BASELINE = "baseline"

# A scenario's runs in order: the job each stage requests. A stage's run succeeded: the next one.
STAGES = {
    "inputs": load_scenario_inputs.name,
    "simulation": simulate_workforce_job.name,
    "workbook": export_scenario_workbook.name,
}
DONE = "done"


def scenario_fingerprint(loaded: LoadedScenario) -> str:
    """The scenario's inputs as one digest: its file and base_config chain as read (the files'
    bytes: a change to a base file changes every scenario built on it, and renaming a file does
    not) and the content of the census file it names, so a changed census reruns the scenarios
    that use it.
    """
    digest = hashlib.sha256(loaded.fingerprint.encode())
    if loaded.config.census.path is not None:
        digest.update(file_sha256(loaded.config.census.path).encode())
    # 64 bits tell one file's versions apart, and keep the cursor the sensor's page shows short
    return digest.hexdigest()[:16]


@dataclass
class TrackedScenario:
    """What the cursor remembers about one scenario."""

    path: str
    fingerprint: str
    request: int  # numbers the run keys: reverting a file to older content must still rerun it
    first_year: int
    last_year: int
    stage: str  # a key of STAGES (its run requested), "<stage>_failed", or "done"

    def run_key(self, scenario_id: str, stage: str) -> str:
        return f"{scenario_id}:{self.request}:{stage}"


@dataclass
class Cursor:
    requests: int
    scenarios: dict[str, TrackedScenario]
    compare: bool  # a scenario's workbook was written since the last comparison
    problems: str  # digest of the folder's problems when last reported

    @classmethod
    def load(cls, cursor: str | None) -> Cursor:
        """The sensor's state; ids that are not safe are dropped."""
        data = json.loads(cursor) if cursor else {}
        tracked = {
            scenario_id: TrackedScenario(**entry)
            for scenario_id, entry in data.get("scenarios", {}).items()
            if SCENARIO_ID_PATTERN.fullmatch(scenario_id)
        }
        return cls(int(data.get("requests", 0)), tracked, bool(data.get("compare")), data.get("problems", ""))

    def dump(self) -> str:
        scenarios = {scenario_id: asdict(entry) for scenario_id, entry in sorted(self.scenarios.items())}
        return json.dumps(
            {"requests": self.requests, "compare": self.compare, "problems": self.problems, "scenarios": scenarios},
            sort_keys=True,
            separators=(",", ":"),
        )


def _run_status(context: SensorEvaluationContext, run_key: str) -> DagsterRunStatus | None:
    runs = context.instance.get_runs(RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
    return runs[0].status if runs else None


def _latest_storage_id(context: SensorEvaluationContext, asset: str, partition: str) -> int | None:
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[partition]), limit=1
    ).records
    return records[0].storage_id if records else None


def results_are_current(context: SensorEvaluationContext, loaded: LoadedScenario) -> bool:
    """Whether the scenario's warehouse holds results of its file's inputs as they are now.

    The stored parameters (the census file's content included) equal the file's, every year is in
    the warehouse, and Dagster recorded the last year's simulation after the inputs were loaded.
    """
    config = loaded.config
    path = warehouse_path(config.scenario_id)
    if not path.exists():
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            stored = dict(con.execute("select path, value from scenario_parameters").fetchall())
            years = {
                row[0] for row in con.execute("select distinct simulation_year from fct_workforce_snapshot").fetchall()
            }
    except duckdb.Error:  # a table missing (never simulated), or a run writing it right now
        return False
    if stored != parameter_values(loaded) or not set(config.years) <= years:
        return False
    loaded_at = _latest_storage_id(context, "scenario_parameters", config.scenario_id)
    simulated_at = _latest_storage_id(
        context, "fct_workforce_snapshot", str(simulation_key(config.scenario_id, config.years[-1]))
    )
    return loaded_at is not None and simulated_at is not None and simulated_at > loaded_at


def _stage_request(folder: Path, scenario_id: str, entry: TrackedScenario, fingerprint: str) -> RunRequest:
    """The run of the scenario's current stage."""
    options: dict = {"partition_key": scenario_id}
    if entry.stage == "simulation":
        # one run over all its years: the single-run backfill range
        options = {
            "tags": {
                ASSET_PARTITION_RANGE_START_TAG: str(simulation_key(scenario_id, entry.first_year)),
                ASSET_PARTITION_RANGE_END_TAG: str(simulation_key(scenario_id, entry.last_year)),
            }
        }
    return RunRequest(
        run_key=entry.run_key(scenario_id, entry.stage),
        job_name=STAGES[entry.stage],
        run_config={"resources": scenarios_resource_config(folder)},
        **{**options, "tags": {**options.get("tags", {}), FINGERPRINT_TAG: fingerprint}},
    )


def evaluate_scenario_files(context: SensorEvaluationContext, folder: Path, axis: YearAxis) -> SensorResult:
    """One tick over the scenarios folder; see the module docstring."""
    if not folder.is_dir():
        # a missing folder (a typo in the folder's path, an unmounted share) is not a removal
        return SensorResult(skip_reason=f"scenario folder {folder} does not exist", cursor=context.cursor)
    valid, problems = validate_folder(folder)
    for scenario_id, loaded in list(valid.items()):
        if not axis.covers(loaded.config):
            # the partitions' years are fixed when the definitions load (defs/simulation/partitions.py)
            years = f"{loaded.config.years[0]}-{loaded.config.years[-1]}"
            problems.append(
                f"{loaded.path}: simulation: {scenario_id} simulates {years}, outside the years {axis} the "
                "definitions were loaded with; reload the code location to simulate it"
            )
            del valid[scenario_id]
    cursor = Cursor.load(context.cursor)
    asset_events = []
    problems_digest = hashlib.sha256("\n".join(problems).encode()).hexdigest()[:16]
    if problems_digest != cursor.problems:
        # reported once per change, not on every tick
        for problem in problems:
            context.log.warning(problem)
        asset_events.append(files_verdict(folder))
        cursor.problems = problems_digest
    invalid_files = {str(resolved(path)) for path in folder.glob("*.yaml")} - {str(s.path) for s in valid.values()}
    run_requests: list[RunRequest] = []
    added: list[str] = []
    deleted: list[str] = []
    notes: list[str] = []

    # gone: no valid file defines the id, and its file is not merely invalid for the moment
    for scenario_id, entry in list(cursor.scenarios.items()):
        if scenario_id in valid or entry.path in invalid_files:
            continue
        try:
            moved = retire_warehouse(scenario_id, dt.datetime.now(dt.UTC))
        except (TimeoutError, FileExistsError) as error:
            notes.append(f"{scenario_id}: removed, but its warehouse file cannot be moved yet ({error})")
            continue
        notes.append(f"{scenario_id}: file removed; partition deleted, warehouse file moved to {moved}")
        context.log.info(notes[-1])
        deleted.append(scenario_id)
        del cursor.scenarios[scenario_id]

    registered = set(context.instance.get_dynamic_partitions(scenario_partitions.name))
    for scenario_id, loaded in valid.items():
        fingerprint = scenario_fingerprint(loaded)
        entry = cursor.scenarios.get(scenario_id)
        if entry is None or entry.fingerprint != fingerprint or scenario_id not in registered:
            cursor.requests += 1
            years = loaded.config.years
            entry = TrackedScenario(str(loaded.path), fingerprint, cursor.requests, years[0], years[-1], "inputs")
            cursor.scenarios[scenario_id] = entry
            if scenario_id not in registered:
                added.append(scenario_id)
            if results_are_current(context, loaded):
                entry.stage = DONE
                notes.append(f"{scenario_id}: its warehouse holds the results of this file; nothing to run")
                context.log.info(notes[-1])
                continue
            run_requests.append(_stage_request(folder, scenario_id, entry, fingerprint))
            context.log.info(f"{scenario_id}: {loaded.path.name} is new or changed; inputs run requested")
            continue
        entry.path = str(loaded.path)
        if entry.stage not in STAGES:
            continue
        status = _run_status(context, entry.run_key(scenario_id, entry.stage))
        if status == DagsterRunStatus.SUCCESS:
            stages = [*STAGES, DONE]
            entry.stage = stages[stages.index(entry.stage) + 1]
            if entry.stage == DONE:
                cursor.compare = True
                context.log.info(f"{scenario_id}: simulated and exported")
            else:
                run_requests.append(_stage_request(folder, scenario_id, entry, fingerprint))
                context.log.info(f"{scenario_id}: {entry.stage} run requested")
        elif status in FAILED_STATUSES:
            context.log.warning(f"{scenario_id}: the {entry.stage} run failed; save a corrected file to run it again")
            entry.stage = f"{entry.stage}_failed"
        else:
            notes.append(f"{scenario_id}: waiting for its {entry.stage} run")

    in_progress = [scenario_id for scenario_id, entry in cursor.scenarios.items() if entry.stage in STAGES]
    if cursor.compare and not in_progress:
        exported = sorted(s for s, entry in cursor.scenarios.items() if entry.stage == DONE)
        if BASELINE in exported and len(exported) > 1:
            cursor.requests += 1
            run_requests.append(
                RunRequest(
                    run_key=f"comparison:{cursor.requests}",
                    job_name=compare_scenarios.name,
                    run_config={"resources": scenarios_resource_config(folder)},
                )
            )
            context.log.info(f"comparison of {', '.join(exported)} against {BASELINE} requested")
        cursor.compare = False

    partition_requests = []
    if added:
        partition_requests.append(scenario_partitions.build_add_request(added))
    if deleted:
        partition_requests.append(scenario_partitions.build_delete_request(deleted))
    skip_reason = None
    if not run_requests:
        skip_reason = "; ".join([*notes, *problems]) or "no scenario file changed"
    return SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=partition_requests,
        cursor=cursor.dump(),
        skip_reason=skip_reason,
        asset_events=asset_events,
    )


def scenario_files_sensor(axis: YearAxis) -> SensorDefinition:
    """The sensor of definitions whose year axis is `axis` (a file simulating other years needs a reload)."""

    @sensor(
        name=SENSOR_NAME,
        jobs=[load_scenario_inputs, simulate_workforce_job, export_scenario_workbook, compare_scenarios],
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.STOPPED,
        description=(
            "Off on a fresh Dagster home: turn it on to run every new or changed scenario file (its inputs, "
            "its years, its workbook, then the comparison), without rerunning a scenario whose results are "
            "current. Registers new files as partitions and retires removed ones; an invalid file fails the "
            "check on scenario_files."
        ),
    )
    def scenario_files(context: SensorEvaluationContext, scenarios: ScenarioFolder) -> SensorResult:
        return evaluate_scenario_files(context, scenarios.folder(), axis)

    return scenario_files
