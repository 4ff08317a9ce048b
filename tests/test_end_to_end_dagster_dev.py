"""End to end, as a user runs it: `dagster dev`, then what the UI does, through its GraphQL API.

Adds the "baseline" scenario partition, backfills the inputs and the years 2025-2029 in one
asset backfill, checks the warehouse and the runs the backfill made, rematerializes 2026 and
checks that nothing was duplicated or changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from planwise_assets.dagster_home.instance import dagster_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "baseline"
FIRST_YEAR, LAST_YEAR = 2025, 2029
RERUN_YEAR = 2026
PARTITIONS_DEF = "scenarios"
LOCATION = "planwise"

STARTUP_TIMEOUT_S = 120.0
BACKFILL_TIMEOUT_S = 360.0
SHUTDOWN_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 1.0

BACKFILL_SUCCEEDED = {"COMPLETED", "COMPLETED_SUCCESS"}
BACKFILL_FAILED = {"FAILED", "FAILING", "CANCELED", "CANCELING", "COMPLETED_FAILED"}


def _sim_key(year: int) -> str:
    return f"{SCENARIO}|{year}"


# --------------------------------------------------------------------------------------------
# dagster dev as a subprocess
# --------------------------------------------------------------------------------------------


@dataclass
class DagsterDev:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    planwise_home: Path
    # filled in when the process group is stopped
    needed_sigkill: bool = False
    survivors: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no dagster dev log)"
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST one GraphQL request; fail on an HTTP error or a GraphQL error."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = json.load(response)
        except urllib.error.HTTPError as error:
            pytest.fail(
                f"GraphQL HTTP {error.code}: {error.read().decode(errors='replace')}\n"
                f"query: {query}\nvariables: {variables}"
            )
        if payload.get("errors"):
            pytest.fail(f"GraphQL errors: {payload['errors']}\nquery: {query}\nvariables: {variables}")
        return payload["data"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dagster_executable() -> str:
    candidate = Path(sys.executable).with_name("dagster")
    assert candidate.exists(), f"no dagster executable next to {sys.executable}"
    return str(candidate)


def _default_signal_handlers() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and dagster dev
    # maps SIGTERM onto the SIGINT handler: restore the defaults so SIGTERM shuts it down.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _live_processes_in_group(pgid: int) -> list[str]:
    """Processes (not zombies) whose process group is pgid, as "pid: command line"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # fields after the command name, which is in parentheses and may contain spaces
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


def _wait_for_group_exit(pgid: int, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while (alive := _live_processes_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def _stop_process_group(dev: DagsterDev) -> None:
    """SIGTERM the whole group, wait up to 30 s, then SIGKILL; record what is left."""
    pgid = dev.process.pid  # start_new_session: the leader's pid is the group id
    started = time.monotonic()
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        dev.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    if _wait_for_group_exit(pgid, timeout_s=5.0 if dev.process.poll() is not None else 0.0):
        dev.needed_sigkill = True
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    if dev.process.poll() is None:
        dev.process.wait(timeout=10)
    dev.survivors = _wait_for_group_exit(pgid, timeout_s=10.0)
    how = "SIGKILL after SIGTERM timed out" if dev.needed_sigkill else "SIGTERM"
    print(f"dagster dev process group {pgid} stopped by {how} in {time.monotonic() - started:.1f} s", flush=True)


def _wait_until_serving(dev: DagsterDev) -> None:
    """Wait for the webserver, then for the code location to load."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if dev.process.poll() is not None:
            pytest.fail(f"dagster dev exited with code {dev.process.returncode}\n{dev.log_tail()}")
        try:
            with urllib.request.urlopen(f"{dev.url}/server_info", timeout=5) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"dagster dev did not serve {dev.url} within {STARTUP_TIMEOUT_S:.0f} s\n{dev.log_tail()}")
        time.sleep(0.5)
    while True:
        data = dev.graphql(
            "{ workspaceOrError { __typename ... on Workspace { locationEntries {"
            " name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"
        )
        entries = data["workspaceOrError"].get("locationEntries", [])
        entry = next((e for e in entries if e["name"] == LOCATION), None)
        if entry and entry["loadStatus"] == "LOADED":
            error = entry["locationOrLoadError"]
            assert error["__typename"] == "RepositoryLocation", f"code location {LOCATION} failed to load: {error}"
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"code location {LOCATION!r} not loaded within {STARTUP_TIMEOUT_S:.0f} s: {entries}\n{dev.log_tail()}"
            )
        time.sleep(0.5)


@contextmanager
def _dagster_dev(tmp_path: Path, scenarios_dir: Path, planwise_ui: bool = False) -> Iterator[DagsterDev]:
    """`dagster dev` (webserver and daemon) on a fresh data root, reading scenarios from scenarios_dir;
    started by `planwise ui` (which prepares the home first) when `planwise_ui`."""
    planwise_home = tmp_path / "planwise_home"
    dagster_home = planwise_home / "dagster_home"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text(dagster_yaml(dagster_home))
    env = {
        **os.environ,
        "PLANWISE_HOME": str(planwise_home),
        "DAGSTER_HOME": str(dagster_home),
        "PYTHONUNBUFFERED": "1",
    }
    env["PLANWISE_SCENARIOS_DIR"] = str(scenarios_dir)
    port = _free_port()
    log_path = tmp_path / "dagster_dev.log"
    with open(log_path, "wb") as log:
        command = [_dagster_executable(), "dev", "-w", "workspace.yaml"]
        if planwise_ui:
            command = [str(Path(_dagster_executable()).with_name("planwise")), "ui"]
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_signal_handlers,
        )
    dev = DagsterDev(process=process, port=port, log_path=log_path, planwise_home=planwise_home)
    try:
        _wait_until_serving(dev)
        yield dev
    finally:
        _stop_process_group(dev)


# --------------------------------------------------------------------------------------------
# GraphQL: what the UI does
# --------------------------------------------------------------------------------------------

RUN_FIELDS = "runId status jobName tags { key value } assetSelection { path }"


def _expect(result: dict[str, Any], typename: str, what: str) -> dict[str, Any]:
    assert result["__typename"] == typename, f"{what}: expected {typename}, got {json.dumps(result, indent=1)}"
    return result


def _repository_selector(dev: DagsterDev) -> dict[str, str]:
    data = dev.graphql(
        "{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { name location { name } } }"
        " ... on PythonError { message } } }"
    )
    repos = _expect(data["repositoriesOrError"], "RepositoryConnection", "repositoriesOrError")["nodes"]
    matching = [r for r in repos if r["location"]["name"] == LOCATION]
    assert len(matching) == 1, f"expected one repository in location {LOCATION!r}, got {repos}"
    return {"repositoryName": matching[0]["name"], "repositoryLocationName": LOCATION}


@dataclass(frozen=True)
class AssetGroups:
    inputs: list[list[str]]  # census and the seeds: partitioned by scenario
    models: list[list[str]]  # the dbt models: partitioned by scenario x year


def _asset_groups(dev: DagsterDev) -> AssetGroups:
    data = dev.graphql(
        "{ assetNodes { assetKey { path } isMaterializable opNames"
        " partitionDefinition { type name dimensionTypes { name type dynamicPartitionsDefinitionName } } } }"
    )
    inputs, models, other = [], [], []
    for node in data["assetNodes"]:
        if not node["isMaterializable"]:
            continue
        partitions = node["partitionDefinition"] or {}
        if not partitions:  # the comparison report spans all scenarios
            continue
        dimensions = {d["name"]: d for d in partitions.get("dimensionTypes", [])}
        if partitions.get("type") == "DYNAMIC" and partitions.get("name") == PARTITIONS_DEF:
            inputs.append(node["assetKey"]["path"])
        elif (
            partitions.get("type") == "MULTIPARTITIONED"
            and set(dimensions) == {"scenario", "year"}
            and dimensions["scenario"]["dynamicPartitionsDefinitionName"] == PARTITIONS_DEF
        ):
            models.append(node["assetKey"]["path"])
        else:
            other.append(node)
    assert not other, f"assets neither scenario- nor scenario x year-partitioned: {other}"
    assert ["census"] in inputs, f"census is not among the scenario-partitioned assets {inputs}"
    assert len(inputs) > 1, f"no seed assets among the scenario-partitioned assets {inputs}"
    for model in ("stg_census", "fct_yearly_events", "fct_workforce_snapshot", "fct_yearly_summary"):
        assert [model] in models, f"{model} is not among the scenario x year assets {models}"
    return AssetGroups(inputs=sorted(inputs), models=sorted(models))


def _sensor_status(dev: DagsterDev, repository: dict[str, str]) -> str:
    from planwise_assets.defs.scenarios.sensors import SENSOR_NAME

    sensor = dev.graphql(
        "query ($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {"
        " __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }",
        {"selector": {**repository, "sensorName": SENSOR_NAME}},
    )["sensorOrError"]
    return _expect(sensor, "Sensor", "sensorOrError")["sensorState"]["status"]


def _start_scenario_sensor(dev: DagsterDev, repository: dict[str, str]) -> None:
    """Turn the scenarios-folder sensor on, as a user would with its toggle in the UI."""
    from planwise_assets.defs.scenarios.sensors import SENSOR_NAME

    started = dev.graphql(
        "mutation ($selector: SensorSelector!) { startSensor(sensorSelector: $selector) { __typename"
        " ... on Sensor { sensorState { status } } ... on PythonError { message } } }",
        {"selector": {**repository, "sensorName": SENSOR_NAME}},
    )["startSensor"]
    assert _expect(started, "Sensor", "startSensor")["sensorState"]["status"] == "RUNNING"


def _add_scenario_partition(dev: DagsterDev, repository: dict[str, str]) -> None:
    data = dev.graphql(
        """
        mutation AddPartition($repo: RepositorySelector!, $def: String!, $key: String!) {
          addDynamicPartition(repositorySelector: $repo, partitionsDefName: $def, partitionKey: $key) {
            __typename
            ... on PythonError { message stack }
            ... on DuplicateDynamicPartitionError { message }
            ... on UnauthorizedError { message }
          }
        }
        """,
        {"repo": repository, "def": PARTITIONS_DEF, "key": SCENARIO},
    )
    _expect(data["addDynamicPartition"], "AddDynamicPartitionSuccess", "addDynamicPartition")


def _launch_backfill(dev: DagsterDev, ranges: dict[tuple[str, ...], tuple[str, str]], title: str) -> str:
    """One asset backfill, as the UI launches it: a partition range per asset."""
    params = {
        "title": title,
        "partitionsByAssets": [
            {"assetKey": {"path": list(path)}, "partitions": {"range": {"start": start, "end": end}}}
            for path, (start, end) in ranges.items()
        ],
    }
    data = dev.graphql(
        """
        mutation Backfill($params: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $params) {
            __typename
            ... on LaunchBackfillSuccess { backfillId }
            ... on PythonError { message stack }
            ... on PartitionKeysNotFoundError { message partitionKeys }
            ... on InvalidSubsetError { message }
            ... on UnauthorizedError { message }
          }
        }
        """,
        {"params": params},
    )
    return _expect(data["launchPartitionBackfill"], "LaunchBackfillSuccess", f"launchPartitionBackfill {params}")[
        "backfillId"
    ]


def _backfill(dev: DagsterDev, backfill_id: str) -> dict[str, Any]:
    data = dev.graphql(
        f"""
        query Backfill($id: String!) {{
          partitionBackfillOrError(backfillId: $id) {{
            __typename
            ... on PartitionBackfill {{ id status error {{ message }} runs {{ {RUN_FIELDS} }} }}
            ... on PythonError {{ message }}
            ... on BackfillNotFoundError {{ message }}
          }}
        }}
        """,
        {"id": backfill_id},
    )
    return _expect(data["partitionBackfillOrError"], "PartitionBackfill", f"backfill {backfill_id}")


def _partition_tags(run: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"] if "partition" in t["key"]}


def _describe_runs(runs: list[dict[str, Any]]) -> str:
    return (
        "\n".join(
            f"  {r['runId']} {r['status']} job={r['jobName']} partition tags={_partition_tags(r)} "
            f"assets={len(r['assetSelection'] or [])}"
            for r in runs
        )
        or "  (no runs)"
    )


def _failure_messages(dev: DagsterDev, runs: list[dict[str, Any]]) -> str:
    failed = [r["runId"] for r in runs if r["status"] in {"FAILURE", "CANCELED"}]
    if not failed:
        return "no failed runs"
    data = dev.graphql(
        """
        query Failures($ids: [String]) {
          runsOrError(filter: {runIds: $ids}) {
            ... on Runs { results { runId eventConnection { events {
              __typename
              ... on ExecutionStepFailureEvent { stepKey message error { message } }
              ... on RunFailureEvent { message error { message } }
            } } } }
          }
        }
        """,
        {"ids": failed},
    )
    lines = []
    for run in data["runsOrError"].get("results", []):
        for event in run["eventConnection"]["events"]:
            if event["__typename"] in {"ExecutionStepFailureEvent", "RunFailureEvent"}:
                error = (event.get("error") or {}).get("message", "")
                lines.append(f"  {run['runId']} {event.get('stepKey') or ''}: {event['message']} {error}".rstrip())
    return "\n".join(lines) or f"failed runs {failed} reported no failure events"


def _wait_for_backfill(dev: DagsterDev, backfill_id: str) -> list[dict[str, Any]]:
    """Poll until the backfill completes; return its runs. Fails with the runs, their errors and the log."""
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    while True:
        backfill = _backfill(dev, backfill_id)
        status = backfill["status"]
        if status in BACKFILL_SUCCEEDED:
            return backfill["runs"]
        if status in BACKFILL_FAILED or time.monotonic() > deadline:
            problem = f"status {status}" if status in BACKFILL_FAILED else f"not done after {BACKFILL_TIMEOUT_S:.0f} s"
            pytest.fail(
                f"backfill {backfill_id}: {problem}; error: {backfill['error']}\n"
                f"runs:\n{_describe_runs(backfill['runs'])}\n"
                f"failures:\n{_failure_messages(dev, backfill['runs'])}\n{dev.log_tail()}"
            )
        time.sleep(POLL_INTERVAL_S)


def _stale_statuses(dev: DagsterDev, asset: str, years: list[int]) -> tuple[dict[int, str], str]:
    """The asset's stale status per year, and the causes and recorded provenance (for messages)."""
    keys = [_sim_key(year) for year in years]
    data = dev.graphql(
        """
        query Stale($path: [String!]!, $keys: [String!]!) {
          assetNodes(assetKeys: [{path: $path}]) { staleStatusByPartition(partitions: $keys) }
        }
        """,
        {"path": [asset], "keys": keys},
    )
    statuses = dict(zip(years, data["assetNodes"][0]["staleStatusByPartition"], strict=True))
    causes = []
    for key in keys:
        node = dev.graphql(
            """
            query Causes($path: [String!]!, $key: String!) {
              assetNodes(assetKeys: [{path: $path}]) {
                staleCauses(partition: $key) { key { path } partitionKey category reason }
                latestMaterializationByPartition(partitions: [$key]) { runId tags { key value } }
              }
            }
            """,
            {"path": [asset], "key": key},
        )["assetNodes"][0]
        causes += [
            f"  {key}: {'/'.join(c['key']['path'])} {c['partitionKey']} {c['category']} {c['reason']}"
            for c in node["staleCauses"]
        ] or [f"  {key}: no stale causes"]
        # the provenance Dagster recorded: which materialization of each input it read
        latest = node["latestMaterializationByPartition"][0] or {"runId": None, "tags": []}
        pointers = {
            t["key"].rsplit("/", 1)[1]: t["value"]
            for t in latest["tags"]
            if t["key"].startswith("dagster/input_event_pointer/")
        }
        causes.append(f"    latest materialization in run {latest['runId']}, input event pointers {pointers}")
    return statuses, "\n".join(causes)


def _check_stale(dev: DagsterDev, stale_years: list[int]) -> None:
    """Every year of a first, a middle and a last model is STALE if in `stale_years`, else FRESH."""
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    expected = {year: "STALE" if year in stale_years else "FRESH" for year in years}
    for asset in ("int_workforce_start", "int_hires", "fct_yearly_summary"):
        statuses, causes = _stale_statuses(dev, asset, years)
        assert statuses == expected, f"{asset}: stale status by year {statuses}, expected {expected}\n{causes}"


# --------------------------------------------------------------------------------------------
# the warehouse
# --------------------------------------------------------------------------------------------


@contextmanager
def _warehouse(planwise_home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # read-only, and closed at once: an open connection would block the next run's writer
    path = planwise_home / "warehouse" / f"{SCENARIO}.duckdb"
    assert path.exists(), f"no warehouse file at {path}"
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return row[0]


def _growth_rate() -> Decimal:
    config = yaml.safe_load((REPO_ROOT / "scenarios" / f"simulation_{SCENARIO}.yaml").read_text())
    simulation = config["simulation"]
    assert (simulation["start_year"], simulation["end_year"]) == (FIRST_YEAR, LAST_YEAR), (
        f"scenarios/simulation_{SCENARIO}.yaml simulates {simulation['start_year']}-{simulation['end_year']}, "
        f"the test expects {FIRST_YEAR}-{LAST_YEAR}"
    )
    return Decimal(str(simulation["target_growth_rate"]))


def _check_simulated_years(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select simulation_year, active_headcount_start, active_headcount_end"
        " from fct_yearly_summary order by simulation_year"
    ).fetchall()
    years = [row[0] for row in rows]
    assert years == list(range(FIRST_YEAR, LAST_YEAR + 1)), f"fct_yearly_summary years: {years}"
    growth = Decimal(1) + _growth_rate()
    previous_end: int | None = None
    for year, start, end in rows:
        expected_end = int((Decimal(start) * growth).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert end == expected_end, f"{year}: {start} actives at start, {end} at end, expected {expected_end}"
        if previous_end is not None:
            assert start == previous_end, f"{year} starts with {start} actives, {year - 1} ended with {previous_end}"
        previous_end = end
    for table in ("fct_yearly_summary", "fct_yearly_events", "fct_workforce_snapshot"):
        scenarios = [r[0] for r in con.execute(f"select distinct scenario_id from {table}").fetchall()]
        assert scenarios == [SCENARIO], f"{table} has scenario ids {scenarios}"
    events, distinct_ids = con.execute("select count(*), count(distinct event_id) from fct_yearly_events").fetchone()
    assert events > 0, "fct_yearly_events is empty"
    assert events == distinct_ids, f"fct_yearly_events: {events} rows, {distinct_ids} distinct event ids"


def _check_no_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    checks = {
        "fct_workforce_snapshot": "count(distinct (simulation_year, employee_id))",
        "fct_yearly_events": "count(distinct event_id)",
        "fct_yearly_summary": "count(distinct simulation_year)",
    }
    for table, distinct in checks.items():
        rows, unique = con.execute(f"select count(*), {distinct} from {table}").fetchone()
        assert rows == unique, f"{table}: {rows} rows but {unique} distinct keys ({distinct}): duplicated rows"
    events = _scalar(con, "select count(distinct (simulation_year, employee_id, event_type)) from fct_yearly_events")
    assert events == _scalar(con, "select count(*) from fct_yearly_events"), "an employee has a duplicated event"


def _fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[dict[int, int], str]]:
    """Per fact table: rows per year, and a hash of the rerun year's rows in order."""
    result = {}
    for table in ("fct_workforce_snapshot", "fct_yearly_events", "fct_yearly_summary"):
        counts = dict(con.execute(f"select simulation_year, count(*) from {table} group by all").fetchall())
        rows = con.execute(f"select * from {table} where simulation_year = {RERUN_YEAR} order by all").fetchall()
        assert rows, f"{table} has no {RERUN_YEAR} rows"
        result[table] = (counts, hashlib.sha256(repr(rows).encode()).hexdigest())
    return result


# --------------------------------------------------------------------------------------------
# the test
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dagster_dev_backfill_then_rerun_one_year(tmp_path: Path) -> None:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", flush=True)

    # the sensor is off on a fresh home, so every run here is one that the test launched as the UI does
    (tmp_path / "scenarios").mkdir()
    shutil.copy(REPO_ROOT / "scenarios" / f"simulation_{SCENARIO}.yaml", tmp_path / "scenarios")
    with _dagster_dev(tmp_path, tmp_path / "scenarios") as dev:
        log(f"dagster dev serving on {dev.url}")
        repository = _repository_selector(dev)
        assert _sensor_status(dev, repository) == "STOPPED"
        groups = _asset_groups(dev)
        _add_scenario_partition(dev, repository)

        # 1. inputs and five years, in one backfill
        first_ranges = {tuple(p): (SCENARIO, SCENARIO) for p in groups.inputs}
        first_ranges |= {tuple(p): (_sim_key(FIRST_YEAR), _sim_key(LAST_YEAR)) for p in groups.models}
        backfill_id = _launch_backfill(dev, first_ranges, f"{SCENARIO} {FIRST_YEAR}-{LAST_YEAR}")
        log(f"backfill {backfill_id}: {len(groups.inputs)} input and {len(groups.models)} model assets")
        runs = _wait_for_backfill(dev, backfill_id)
        log(f"backfill {backfill_id} completed with {len(runs)} runs:\n{_describe_runs(runs)}")

        model_keys = {tuple(p) for p in groups.models}
        simulation_runs = [r for r in runs if {tuple(a["path"]) for a in r["assetSelection"] or []} & model_keys]
        assert all(r["status"] == "SUCCESS" for r in runs), f"not every run succeeded:\n{_describe_runs(runs)}"
        assert len(simulation_runs) == 1, (
            f"expected ONE simulation run for {FIRST_YEAR}-{LAST_YEAR}, got {len(simulation_runs)}:\n"
            f"{_describe_runs(simulation_runs)}"
        )
        assert _partition_tags(simulation_runs[0]) == {
            "dagster/asset_partition_range_start": _sim_key(FIRST_YEAR),
            "dagster/asset_partition_range_end": _sim_key(LAST_YEAR),
        }, f"the simulation run does not cover {FIRST_YEAR}-{LAST_YEAR}:\n{_describe_runs(simulation_runs)}"
        assert 2 <= len(runs) <= 3, f"expected 2 or 3 runs (inputs + one simulation), got:\n{_describe_runs(runs)}"
        _check_stale(dev, stale_years=[])

        with _warehouse(dev.planwise_home) as con:
            _check_simulated_years(con)
            _check_no_duplicates(con)
            before = _fingerprint(con)
        log("warehouse checked: 5 years, growth target met, years chained, unique event ids")

        # 2. rerun one year
        rerun_ranges = {tuple(p): (_sim_key(RERUN_YEAR), _sim_key(RERUN_YEAR)) for p in groups.models}
        rerun_id = _launch_backfill(dev, rerun_ranges, f"{SCENARIO} {RERUN_YEAR} again")
        rerun_runs = _wait_for_backfill(dev, rerun_id)
        log(f"rerun backfill {rerun_id} completed with {len(rerun_runs)} runs:\n{_describe_runs(rerun_runs)}")
        assert len(rerun_runs) == 1 and rerun_runs[0]["status"] == "SUCCESS", (
            f"expected one successful run for {RERUN_YEAR}:\n{_describe_runs(rerun_runs)}"
        )

        with _warehouse(dev.planwise_home) as con:
            _check_no_duplicates(con)
            _check_simulated_years(con)
            after = _fingerprint(con)
        for table, (counts, digest) in before.items():
            assert after[table][0] == counts, f"{table} rows per year changed: {counts} -> {after[table][0]}"
            assert after[table][1] == digest, f"{table}: the {RERUN_YEAR} rows differ after rerunning {RERUN_YEAR}"
        log(f"warehouse checked after rerunning {RERUN_YEAR}: no duplicates, {RERUN_YEAR} rows identical")

        _check_stale(dev, stale_years=list(range(RERUN_YEAR + 1, LAST_YEAR + 1)))
        log(f"stale after rerunning {RERUN_YEAR}: {RERUN_YEAR + 1}-{LAST_YEAR}, and only those")

    log(f"dagster dev stopped{' (needed SIGKILL)' if dev.needed_sigkill else ''}")
    assert not dev.survivors, "processes of the dagster dev group still running:\n" + "\n".join(dev.survivors)
