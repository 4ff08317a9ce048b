"""End to end, deployed (docs/deploy.md): PostgreSQL, Redis, an S3-compatible store and two Celery workers.

The seed scenarios (on a 500-employee census) are dropped in the scenarios folder of a deployment
started from deploy/: Dagster's instance in PostgreSQL (`dagster dev` runs the webserver and the
daemon with deploy/dagster.yaml), runs launched as Celery tasks through Redis, two workers with
their own scratch folders, scenario files in moto's S3 server. The sensor runs each scenario's
inputs and years, a backfill its workbook. Mid-way one worker is killed while it simulates a
scenario. The test then reads the lake back and checks:
- both workers ran scenarios (each scratch folder holds scenario files);
- the killed run failed and its retry completed the scenario;
- every run was queued under its scenario's tag (one writer per scenario);
- each scenario's simulation is published in seed 003's layout, run_metadata.json listing every
  object with its size and sha256, and its results are identical (fingerprints) to an embedded
  `planwise batch` of the same files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from planwise_assets.lib.fingerprint import file_fingerprint
from tests.services import S3Server, free_port, postgres, redis, s3_server
from tests.test_end_to_end_dagster_dev import (
    DagsterDev,
    _default_signal_handlers,
    _repository_selector,
    _start_scenario_sensor,
    _stop_process_group,
    _wait_until_serving,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED_SCENARIOS = ("baseline", "s1_aip_new_hires", "s2_aip_all", "s3_enhanced_match")
EMPLOYEES = 500
# Redis hands a task out again once a worker has held it this long without acknowledging it: the
# deployment's value (2 hours) sized down to these runs (seconds each), so the killed worker's run
# is picked up within the test
VISIBILITY_TIMEOUT_S = 45
RUNS_TIMEOUT_S = 600.0
POLL_S = 1.0
LAYOUT = re.compile(
    r"^runs/dt=\d{4}-\d{2}-\d{2}/run_id=(?P<run>[0-9a-f-]{36})/"
    r"(run_metadata\.json|scenario_id=(?P<scenario>[a-z0-9_]+)/(?P<part>inputs|outputs)/[^/]+)$"
)


def _seed_scenarios(folder: Path) -> Path:
    """The repository's scenario files, their base on a small census (the others inherit it)."""
    shutil.copytree(REPO_ROOT / "scenarios", folder)
    base = folder / "simulation_baseline.yaml"
    document = yaml.safe_load(base.read_text())
    document["census"] = {"employees": EMPLOYEES, "seed": 42}
    base.write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def _embedded_fingerprints(tmp_path: Path, scenarios: Path) -> dict[str, str]:
    """The embedded default, as `make run` does it: `planwise batch` with a data root of its own."""
    home = tmp_path / "embedded"
    env = {**os.environ, "PLANWISE_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    subprocess.run(
        [str(Path(sys.executable).with_name("planwise")), "batch", "--scenarios-dir", str(scenarios)],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return {scenario: file_fingerprint(home / "warehouse" / f"{scenario}.duckdb") for scenario in SEED_SCENARIOS}


def _with_visibility_timeout(source: Path, target: Path, *path: str) -> None:
    """A copy of a deploy/ file with the broker's visibility timeout sized for this test."""
    document = yaml.safe_load(source.read_text())
    node = document
    for key in path:
        node = node[key]
    node["config_source"]["broker_transport_options"].update(
        {"visibility_timeout": VISIBILITY_TIMEOUT_S, "unacked_restore_interval": 1}
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(document))


@dataclass
class Deployment:
    root: Path
    environment: dict[str, str]
    store: S3Server

    def home(self, name: str) -> tuple[Path, Path]:
        """A machine's data root (its scratch folder) and Dagster home, with the deployment's dagster.yaml."""
        planwise_home = self.root / name
        dagster_home = planwise_home / "dagster_home"
        _with_visibility_timeout(
            REPO_ROOT / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml", "run_launcher", "config"
        )
        return planwise_home, dagster_home


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    scratch: Path
    log: Path

    def pids(self) -> set[int]:
        """The worker's processes: the dagster-celery command, Celery's main process and its pool."""
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, ValueError):
                    if os.getpgid(int(entry.name)) == self.process.pid:
                        found.add(int(entry.name))
        return found

    def kill(self) -> None:
        """The machine goes away: every process of the worker dies at once, acknowledging nothing."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def _worker(deployment: Deployment, name: str) -> Iterator[Worker]:
    scratch, dagster_home = deployment.home(name)
    celery_yaml = scratch / "celery.yaml"
    _with_visibility_timeout(REPO_ROOT / "deploy" / "celery.yaml", celery_yaml, "execution", "config")
    log = deployment.root / f"{name}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dagster-celery")),
                *("worker", "start", "-A", "dagster_celery.app", "-y", str(celery_yaml), "-n", name),
                *("--", "--concurrency=1"),
            ],
            cwd=REPO_ROOT,
            env={**deployment.environment, "PLANWISE_HOME": str(scratch), "DAGSTER_HOME": str(dagster_home)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(name, process, scratch, log)
    try:
        deadline = time.monotonic() + 120
        while b"ready." not in log.read_bytes():
            assert process.poll() is None, f"worker {name} exited:\n{log.read_text(errors='replace')[-3000:]}"
            assert time.monotonic() < deadline, f"worker {name} not ready:\n{log.read_text(errors='replace')[-3000:]}"
            time.sleep(0.5)
        yield worker
    finally:
        worker.stop()


@contextmanager
def _dagster_dev(deployment: Deployment) -> Iterator[DagsterDev]:
    """The webserver and the daemon (with its run queue, sensor and run retries) of the deployment."""
    planwise_home, dagster_home = deployment.home("head")
    port = free_port()
    log = deployment.root / "dagster_dev.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dagster")),
                *("dev", "-w", "deploy/workspace.yaml", "-h", "127.0.0.1", "-p", str(port)),
            ],
            cwd=REPO_ROOT,
            env={**deployment.environment, "PLANWISE_HOME": str(planwise_home), "DAGSTER_HOME": str(dagster_home)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_signal_handlers,
        )
    dev = DagsterDev(process=process, port=port, log_path=log, planwise_home=planwise_home)
    try:
        _wait_until_serving(dev)
        yield dev
    finally:
        _stop_process_group(dev)


RUN_FIELDS = "runId status jobName tags { key value }"
EVENTS = "eventConnection { events { __typename ... on MessageEvent { message } } }"


def _runs(dev: DagsterDev, statuses: tuple[str, ...] = (), events: bool = False) -> list[dict[str, Any]]:
    query = "query ($filter: RunsFilter) { runsOrError(filter: $filter) { ... on Runs { results { %s %s } } } }"
    runs = dev.graphql(query % (RUN_FIELDS, EVENTS if events else ""), {"filter": {"statuses": list(statuses)}})
    runs = runs["runsOrError"]["results"]
    for run in runs:
        run["tags"] = {tag["key"]: tag["value"] for tag in run["tags"]}
    return runs


def _wait_for(
    dev: DagsterDev, what: str, condition, statuses: tuple[str, ...] = (), events: bool = False
) -> list[dict[str, Any]]:
    """Poll the runs until `condition(runs)` holds; fail with every run's status and the logs."""
    deadline = time.monotonic() + RUNS_TIMEOUT_S
    while True:
        runs = _runs(dev, statuses, events)
        if condition(runs):
            return runs
        if time.monotonic() > deadline:
            described = "\n".join(f"  {r['runId']} {r['jobName']} {r['status']} {r['tags']}" for r in _runs(dev))
            pytest.fail(f"{what}: not after {RUNS_TIMEOUT_S:.0f} s\nruns:\n{described}\n{dev.log_tail(80)}")
        time.sleep(POLL_S)


def _simulated(runs: list[dict[str, Any]]) -> set[str]:
    return {
        r["tags"].get("planwise/scenario")
        for r in runs
        if r["jobName"] == "simulate_workforce_job" and r["status"] == "SUCCESS"
    }


def _run_pid(run: dict[str, Any]) -> int | None:
    for event in run["eventConnection"]["events"]:
        found = re.search(r"Started process for run \(pid: (\d+)\)", event.get("message") or "")
        if found:
            return int(found.group(1))
    return None


def _simulating(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A simulation run that has started its step: the moment to kill its worker."""
    for run in runs:
        if run["jobName"] == "simulate_workforce_job" and run["status"] == "STARTED":
            types = {event["__typename"] for event in run["eventConnection"]["events"]}
            if "ExecutionStepStartEvent" in types and _run_pid(run) is not None:
                return run
    return None


def _launch_workbooks(dev: DagsterDev) -> str:
    data = dev.graphql(
        """
        mutation Backfill($params: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $params) {
            __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack }
          }
        }
        """,
        {
            "params": {
                "title": "workbooks",
                "assetSelection": [{"path": ["scenario_workbook"]}],
                "partitionNames": list(SEED_SCENARIOS),
            }
        },
    )["launchPartitionBackfill"]
    assert data["__typename"] == "LaunchBackfillSuccess", data
    return data["backfillId"]


@dataclass(frozen=True)
class Lake:
    keys: list[str]  # every object, without the store's prefix
    metadata: dict[str, dict[str, Any]]  # run_metadata.json by run folder
    databases: dict[str, Path]  # each published scenario file, downloaded, by key


def _launch_years(dev: DagsterDev, scenario: str, first: int, last: int) -> str:
    """One run simulating some years of a scenario, as a single-run backfill of them makes it."""
    data = dev.graphql(
        """
        mutation Launch($params: ExecutionParams!) {
          launchRun(executionParams: $params) {
            __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
          }
        }
        """,
        {
            "params": {
                "selector": {**_repository_selector(dev), "jobName": "simulate_workforce_job"},
                "runConfigData": {},
                "executionMetadata": {
                    "tags": [
                        {"key": "dagster/asset_partition_range_start", "value": f"{scenario}|{first}"},
                        {"key": "dagster/asset_partition_range_end", "value": f"{scenario}|{last}"},
                    ]
                },
            }
        },
    )["launchRun"]
    assert data["__typename"] == "LaunchRunSuccess", data
    return data["run"]["runId"]


def _read_lake(store: S3Server, folder: Path) -> Lake:
    client = store.client()
    keys = [
        item["Key"].removeprefix("planwise/")
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix="planwise/")
        for item in page.get("Contents", [])
    ]
    metadata = {
        key.rsplit("/", 1)[0]: json.loads(client.get_object(Bucket=store.bucket, Key=f"planwise/{key}")["Body"].read())
        for key in keys
        if key.endswith("/run_metadata.json")
    }
    databases = {}
    for key in keys:
        if key.startswith("runs/") and key.endswith(".duckdb"):
            databases[key] = folder / key
            databases[key].parent.mkdir(parents=True, exist_ok=True)
            client.download_file(store.bucket, f"planwise/{key}", str(databases[key]))
    return Lake(keys, metadata, databases)


@pytest.mark.slow
def test_seed_scenarios_on_two_workers_survive_a_killed_worker_and_match_the_embedded_run(tmp_path):
    started = time.monotonic()
    scenarios = _seed_scenarios(tmp_path / "scenarios")
    embedded = _embedded_fingerprints(tmp_path, scenarios)
    embedded_s = time.monotonic() - started

    with postgres() as postgres_url, redis(tmp_path / "redis") as redis_url, s3_server(tmp_path / "s3") as store:
        deployment = Deployment(
            root=tmp_path / "deployment",
            store=store,
            environment={
                **os.environ,
                **store.environment(),
                "PLANWISE_POSTGRES_URL": postgres_url,
                "PLANWISE_CELERY_BROKER": f"{redis_url}/0",
                "PLANWISE_CELERY_BACKEND": f"{redis_url}/1",
                "PLANWISE_STORE_BUCKET": store.bucket,
                "PLANWISE_SCENARIOS_DIR": str(scenarios),
                "PYTHONUNBUFFERED": "1",
                # as in an activated virtualenv: dagster-celery starts `celery` from the PATH
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            },
        )
        with (
            _worker(deployment, "worker1") as worker1,
            _worker(deployment, "worker2") as worker2,
            _dagster_dev(deployment) as dev,
        ):
            deployed_started = time.monotonic()
            # the operator turns the sensor on once (it is off on a new instance, docs/deploy.md); it
            # registers the scenarios and runs their inputs, then their years
            _start_scenario_sensor(dev, _repository_selector(dev))
            runs = _wait_for(
                dev,
                "a simulation under way",
                lambda runs: _simulating(runs) is not None,
                statuses=("STARTED",),
                events=True,
            )
            victim_run = _simulating(runs)
            victim_pid = _run_pid(victim_run)
            victim = next(w for w in (worker1, worker2) if victim_pid in w.pids())
            victim_scenario = victim_run["tags"]["planwise/scenario"]
            victim.kill()

            runs = _wait_for(dev, "every scenario simulated", lambda runs: _simulated(runs) >= set(SEED_SCENARIOS))
            backfill = _launch_workbooks(dev)
            runs = _wait_for(
                dev,
                f"the workbooks (backfill {backfill})",
                lambda runs: (
                    sum(r["tags"].get("dagster/backfill") == backfill for r in runs) == len(SEED_SCENARIOS)
                    and all(r["status"] == "SUCCESS" for r in runs if r["tags"].get("dagster/backfill") == backfill)
                ),
            )
            deployed_s = time.monotonic() - deployed_started

            # rerunning some years on a worker that lacks the scenario's file: it fetches the stored one
            survivor = worker2 if victim is worker1 else worker1
            for leftover in (survivor.scratch / "warehouse").glob(f"{victim_scenario}.duckdb*"):
                leftover.unlink()
            rerun = _launch_years(dev, victim_scenario, 2028, 2029)
            runs = _wait_for(
                dev,
                f"the rerun of 2028-2029 ({rerun})",
                lambda runs: any(r["runId"] == rerun and r["status"] in {"SUCCESS", "FAILURE"} for r in runs),
            )
            assert next(r for r in runs if r["runId"] == rerun)["status"] == "SUCCESS"
        lake = _read_lake(store, tmp_path / "lake")

    # both workers ran scenarios: each scratch folder holds scenario files it worked on
    for worker in (worker1, worker2):
        assert list((worker.scratch / "warehouse").glob("*.duckdb")), f"{worker.name} ran no scenario"

    # the killed run failed, and its retry simulated the scenario
    killed = next(r for r in runs if r["runId"] == victim_run["runId"])
    assert killed["status"] == "FAILURE", killed
    retries = [r for r in runs if r["tags"].get("dagster/parent_run_id") == killed["runId"]]
    assert [r["status"] for r in retries] == ["SUCCESS"], retries

    # one writer per scenario: every run that writes a scenario was queued under its scenario tag
    # (the sensor's comparison reads every scenario and writes none)
    for run in (run for run in runs if run["jobName"] != "compare_scenarios"):
        assert run["tags"].get("planwise/scenario") in SEED_SCENARIOS, run

    # the lake: seed 003's layout, nothing else under runs/
    published = [key for key in lake.keys if key.startswith("runs/")]
    assert published and all(LAYOUT.match(key) for key in published), published
    simulations = [r for r in runs if r["jobName"] == "simulate_workforce_job" and r["status"] == "SUCCESS"]
    assert sorted(r["tags"]["planwise/scenario"] for r in simulations) == sorted([*SEED_SCENARIOS, victim_scenario])
    workbooks = {}
    for run in simulations:
        scenario, run_id = run["tags"]["planwise/scenario"], run["runId"]
        (folder,) = [f for f in lake.metadata if f.endswith(f"/run_id={run_id}")]
        entry = lake.metadata[folder]["scenarios"][scenario]
        listed = {item["key"].removeprefix("planwise/").removeprefix(folder + "/") for item in entry["objects"]}
        base = f"scenario_id={scenario}"
        assert {f"{base}/inputs/simulation_{scenario}.yaml", f"{base}/outputs/{scenario}.duckdb"} <= listed, listed
        assert {
            key.removeprefix(folder + "/") for key in lake.keys if key.startswith(folder + "/scenario_id=")
        } == listed
        assert entry["random_seed"] == 42 and entry["census_sha256"] and entry["code_version"]
        # identical results: the fingerprint recorded, and the published file's own
        assert entry["results_fingerprint"] == embedded[scenario], (scenario, run_id)
        assert file_fingerprint(lake.databases[f"{folder}/{base}/outputs/{scenario}.duckdb"]) == embedded[scenario]
        if f"{base}/outputs/{scenario}_results.xlsx" in listed:
            workbooks[scenario] = run_id
    # each workbook is published next to the file it was computed from: the full simulation's
    assert sorted(workbooks) == sorted(SEED_SCENARIOS) and rerun not in workbooks.values()
    print(
        f"embedded batch {embedded_s:.1f} s; deployed: 4 scenarios, a worker killed ({victim_scenario}), "
        f"{deployed_s:.1f} s; whole test {time.monotonic() - started:.1f} s"
    )
