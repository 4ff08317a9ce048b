"""The sensor on the scenarios folder: a new or changed scenario file is registered and simulated.

Each tick validates every YAML file, fingerprints each valid scenario (its file and its
base_config chain) and compares the fingerprints with the ones kept in the cursor:

- new or changed: add the scenario's dynamic partition and request its inputs run;
- inputs run succeeded (seen on a later tick): request ONE simulation run over all its years;
- gone: delete the partition and move its DuckDB file aside (never delete it);
- invalid: report the problem on the tick and leave the scenario as it was.

Sequencing: the simulation needs the inputs run to have finished, so the sensor requests the
two runs on different ticks, keeping each scenario's stage in its cursor. A run-status sensor
would split one scenario's state between two sensors; an asset backfill requested by a sensor
(RunRequest.for_asset_graph_subset) is a private Dagster API and carries no run key. Here both
runs are ordinary job runs with run keys, so a retried tick never duplicates them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from dagster import (
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
from planwise_assets.defs.jobs import load_scenario_inputs, simulate_workforce_job
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.scenarios.resources import ScenarioFolder, scenarios_resource_config
from planwise_assets.defs.simulation.partitions import YearAxis, simulation_key
from planwise_assets.lib.data_root import planwise_home, scenario_write_lock, warehouse_path
from planwise_assets.lib.scenario_files import LoadedScenario, validate_folder
from planwise_assets.lib.scenario_id import SCENARIO_ID_PATTERN

SENSOR_NAME = "scenario_files_sensor"
FINGERPRINT_TAG = "planwise/scenario_fingerprint"
FAILED_STATUSES = {DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED, DagsterRunStatus.CANCELING}


def scenario_fingerprint(loaded: LoadedScenario) -> str:
    """sha256 of the scenario file and each file of its base_config chain, in chain order.

    A change to a base file changes every scenario built on it, so the bases are part of the
    fingerprint; file names are not, so renaming a file does not rerun it.
    """
    digest = hashlib.sha256()
    for path in [loaded.path, *loaded.base_chain]:
        content = path.read_bytes()
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


@dataclass
class TrackedScenario:
    """What the cursor remembers about one scenario."""

    path: str
    fingerprint: str
    request: int  # numbers the run keys: reverting a file to older content must still rerun it
    first_year: int
    last_year: int
    stage: str  # "inputs" (waiting for the inputs run), "inputs_failed", "simulation" (requested)

    def run_key(self, scenario_id: str, job: str) -> str:
        return f"{scenario_id}:{self.request}:{job}"


def _load_cursor(cursor: str | None) -> tuple[int, dict[str, TrackedScenario]]:
    """The last request number and the tracked scenarios; ids that are not safe are dropped."""
    data = json.loads(cursor) if cursor else {}
    tracked = {
        scenario_id: TrackedScenario(**entry)
        for scenario_id, entry in data.get("scenarios", {}).items()
        if SCENARIO_ID_PATTERN.fullmatch(scenario_id)
    }
    return int(data.get("requests", 0)), tracked


def _dump_cursor(requests: int, tracked: dict[str, TrackedScenario]) -> str:
    scenarios = {scenario_id: asdict(entry) for scenario_id, entry in sorted(tracked.items())}
    return json.dumps({"requests": requests, "scenarios": scenarios}, sort_keys=True)


def move_warehouse_aside(scenario_id: str, now: dt.datetime) -> Path | None:
    """Move the scenario's DuckDB file (and write-ahead log) to warehouse/removed/<id>_<UTC time>.duckdb.

    Done under the scenario's write lock without waiting: while a run writes the file this
    raises TimeoutError and the sensor tries again on a later tick. Returns the new path.
    """
    source = warehouse_path(scenario_id)
    with scenario_write_lock(scenario_id, timeout_seconds=0):
        if not source.exists():
            return None
        target = planwise_home() / "warehouse" / "removed" / f"{scenario_id}_{now:%Y%m%dT%H%M%SZ}.duckdb"
        if target.exists():
            raise FileExistsError(f"{target} exists")
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        wal = source.with_name(source.name + ".wal")
        if wal.exists():
            wal.rename(target.with_name(target.name + ".wal"))
        return target


def _inputs_run_status(context: SensorEvaluationContext, run_key: str) -> DagsterRunStatus | None:
    runs = context.instance.get_runs(RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
    return runs[0].status if runs else None


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
    for problem in problems:
        context.log.warning(problem)
    requests, tracked = _load_cursor(context.cursor)
    invalid_files = {str(path.resolve()) for path in folder.glob("*.yaml")} - {str(s.path) for s in valid.values()}
    run_requests: list[RunRequest] = []
    added: list[str] = []
    deleted: list[str] = []
    notes: list[str] = []

    # gone: no valid file defines the id, and its file is not merely invalid for the moment
    for scenario_id, entry in list(tracked.items()):
        if scenario_id in valid or entry.path in invalid_files:
            continue
        try:
            moved = move_warehouse_aside(scenario_id, dt.datetime.now(dt.UTC))
        except (TimeoutError, FileExistsError) as error:
            notes.append(f"{scenario_id}: removed, but its warehouse file cannot be moved yet ({error})")
            continue
        notes.append(f"{scenario_id}: file removed; partition deleted, warehouse file moved to {moved}")
        context.log.info(notes[-1])
        deleted.append(scenario_id)
        del tracked[scenario_id]

    for scenario_id, loaded in valid.items():
        fingerprint = scenario_fingerprint(loaded)
        entry = tracked.get(scenario_id)
        if entry is None or entry.fingerprint != fingerprint:
            requests += 1
            years = loaded.config.years
            entry = TrackedScenario(str(loaded.path), fingerprint, requests, years[0], years[-1], "inputs")
            tracked[scenario_id] = entry
            if not context.instance.has_dynamic_partition(scenario_partitions.name, scenario_id):
                added.append(scenario_id)
            run_requests.append(
                RunRequest(
                    run_key=entry.run_key(scenario_id, "inputs"),
                    job_name=load_scenario_inputs.name,
                    partition_key=scenario_id,
                    run_config={"resources": scenarios_resource_config(folder)},
                    tags={FINGERPRINT_TAG: fingerprint},
                )
            )
            context.log.info(f"{scenario_id}: {loaded.path.name} is new or changed; inputs run requested")
            continue
        entry.path = str(loaded.path)
        if entry.stage == "simulation":
            continue
        status = _inputs_run_status(context, entry.run_key(scenario_id, "inputs"))
        if status == DagsterRunStatus.SUCCESS:
            entry.stage = "simulation"
            run_requests.append(
                RunRequest(
                    run_key=entry.run_key(scenario_id, "simulation"),
                    job_name=simulate_workforce_job.name,
                    run_config={"resources": scenarios_resource_config(folder)},
                    tags={
                        ASSET_PARTITION_RANGE_START_TAG: str(simulation_key(scenario_id, entry.first_year)),
                        ASSET_PARTITION_RANGE_END_TAG: str(simulation_key(scenario_id, entry.last_year)),
                        FINGERPRINT_TAG: fingerprint,
                    },
                )
            )
            context.log.info(
                f"{scenario_id}: inputs done; simulation of {entry.first_year}-{entry.last_year} requested"
            )
        elif status in FAILED_STATUSES and entry.stage == "inputs":
            entry.stage = "inputs_failed"
            context.log.warning(f"{scenario_id}: the inputs run failed; save a corrected file to run it again")
        elif entry.stage == "inputs":
            notes.append(f"{scenario_id}: waiting for its inputs run")

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
        cursor=_dump_cursor(requests, tracked),
        skip_reason=skip_reason,
    )


def scenario_files_sensor(axis: YearAxis) -> SensorDefinition:
    """The sensor of definitions whose year axis is `axis` (a file simulating other years needs a reload)."""

    @sensor(
        name=SENSOR_NAME,
        jobs=[load_scenario_inputs, simulate_workforce_job],
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description="Registers and runs new or changed scenario files; retires removed ones.",
    )
    def scenario_files(context: SensorEvaluationContext, scenarios: ScenarioFolder) -> SensorResult:
        return evaluate_scenario_files(context, scenarios.folder(), axis)

    return scenario_files
