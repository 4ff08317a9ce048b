"""The sensor on scenarios/: new, changed, unchanged, invalid, fixed and removed scenario files.

The unit tests call the sensor directly on a temporary folder and a temporary Dagster
instance, playing the daemon's part by hand: they apply the partition requests and record
the inputs run as finished. The slow test runs it for real under `dagster dev`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dagster import (
    AddDynamicPartitionsRequest,
    AssetCheckEvaluation,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    SensorResult,
    build_sensor_context,
)
from dagster._core.storage.tags import RUN_KEY_TAG
from dagster._core.test_utils import create_run_for_test, instance_for_test

from planwise_assets.definitions import defs
from planwise_assets.defs.scenarios.partitions import scenario_partitions
from planwise_assets.defs.scenarios.resources import ScenarioFolder
from planwise_assets.defs.scenarios.sensors import SENSOR_NAME
from planwise_assets.lib.data_root import scenario_write_lock, warehouse_path
from tests.conftest import REPO_ROOT, baseline_document
from tests.test_end_to_end_dagster_dev import (
    DagsterDev,
    _dagster_dev,
    _describe_runs,
    _failure_messages,
    _repository_selector,
    _start_scenario_sensor,
)

SENSOR = defs().get_repository_def().get_sensor_def(SENSOR_NAME)
INPUTS_JOB, SIMULATION_JOB = "load_scenario_inputs", "simulate_workforce_job"
WORKBOOK_JOB, COMPARISON_JOB = "export_scenario_workbook", "compare_scenarios"


@dataclass
class Daemon:
    """Ticks the sensor the way the sensor daemon does, keeping its cursor and applying its partition requests."""

    instance: Any
    folder: Path
    cursor: str | None = None
    ticks: list[SensorResult] = field(default_factory=list)

    def tick(self) -> SensorResult:
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"scenarios": ScenarioFolder(path=str(self.folder))},
        )
        result = SENSOR(context)
        self.cursor = result.cursor
        for request in result.dynamic_partitions_requests or []:
            if isinstance(request, AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        self.ticks.append(result)
        return result

    def finish(self, run_request: RunRequest, status: DagsterRunStatus = DagsterRunStatus.SUCCESS) -> None:
        """Record the requested run as finished, as the daemon would once it has run."""
        tags = {**run_request.tags, RUN_KEY_TAG: run_request.run_key}
        create_run_for_test(self.instance, job_name=run_request.job_name, tags=tags, status=status)

    def partitions(self) -> list[str]:
        return list(self.instance.get_dynamic_partitions(scenario_partitions.name))


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data root of the test's own, so warehouse_path() points into tmp_path."""
    home = tmp_path / "planwise_home"
    monkeypatch.setenv("PLANWISE_HOME", str(home))
    return home


@pytest.fixture
def daemon(tmp_path: Path, data_root: Path) -> Iterator[Daemon]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    with instance_for_test() as instance:
        yield Daemon(instance, folder)


def write(folder: Path, name: str, file_name: str | None = None, **sections: dict[str, Any]) -> Path:
    """scenarios/<name>.yaml: the repository's baseline renamed, with sections merged in."""
    path = folder / (file_name or f"{name}.yaml")
    path.write_text(yaml.safe_dump(baseline_document(name, **sections), sort_keys=False))
    return path


def years(first: int, last: int) -> dict[str, Any]:
    return {"start_year": first, "end_year": last}


def inputs_request(result: SensorResult, scenario_id: str) -> RunRequest:
    found = [r for r in result.run_requests if r.job_name == INPUTS_JOB and r.partition_key == scenario_id]
    assert len(found) == 1, f"expected one inputs run for {scenario_id}, got {result.run_requests}"
    return found[0]


def run_through(daemon: Daemon, scenario_id: str) -> tuple[RunRequest, RunRequest]:
    """Tick until the scenario's inputs run is requested, and finish each of its runs as it is requested."""
    inputs = inputs_request(daemon.tick(), scenario_id)
    daemon.finish(inputs)
    (simulation,) = daemon.tick().run_requests
    daemon.finish(simulation)
    (workbook,) = daemon.tick().run_requests
    daemon.finish(workbook)
    return inputs, simulation


def test_new_file_adds_its_partition_and_requests_its_inputs_run(daemon: Daemon) -> None:
    write(daemon.folder, "alpha", simulation=years(2025, 2027))

    result = daemon.tick()

    assert result.dynamic_partitions_requests == [scenario_partitions.build_add_request(["alpha"])]
    (request,) = result.run_requests
    assert (request.job_name, request.partition_key, request.run_key) == (INPUTS_JOB, "alpha", "alpha:1:inputs")


def test_inputs_request_resolves_to_the_new_partition_as_the_daemon_sees_it(daemon: Daemon) -> None:
    """The daemon resolves a request against the partitions as they will be after this tick's additions."""
    write(daemon.folder, "alpha")
    context = build_sensor_context(
        instance=daemon.instance,
        instance_ref=daemon.instance.get_ref(),
        repository_def=defs().get_repository_def(),
        resources={"scenarios": ScenarioFolder(path=str(daemon.folder))},
    )

    (request,) = SENSOR.evaluate_tick(context).run_requests

    assert request.tags["dagster/partition"] == "alpha" and request.tags["dagster/sensor_name"] == SENSOR_NAME


def test_all_years_are_requested_in_one_run_once_the_inputs_run_succeeded(daemon: Daemon) -> None:
    write(daemon.folder, "alpha", simulation=years(2025, 2027))
    inputs = inputs_request(daemon.tick(), "alpha")

    waiting = daemon.tick()
    assert waiting.run_requests == [] and "alpha: waiting for its inputs run" in waiting.skip_reason.skip_message

    daemon.finish(inputs)
    (simulation,) = daemon.tick().run_requests
    assert simulation.job_name == SIMULATION_JOB and simulation.partition_key is None
    assert simulation.run_key == "alpha:1:simulation"
    assert simulation.tags["dagster/asset_partition_range_start"] == "alpha|2025"
    assert simulation.tags["dagster/asset_partition_range_end"] == "alpha|2027"
    assert simulation.tags["planwise/scenario_fingerprint"] == inputs.tags["planwise/scenario_fingerprint"]


def test_failed_inputs_run_is_reported_and_its_years_are_not_simulated(
    daemon: Daemon, capfd: pytest.CaptureFixture[str]
) -> None:
    write(daemon.folder, "alpha")
    daemon.finish(inputs_request(daemon.tick(), "alpha"), DagsterRunStatus.FAILURE)

    assert daemon.tick().run_requests == []
    assert "alpha: the inputs run failed" in capfd.readouterr().err
    assert daemon.tick().run_requests == []


def test_the_sensor_is_off_until_a_user_turns_it_on() -> None:
    assert SENSOR.default_status == DefaultSensorStatus.STOPPED


def test_after_the_simulation_the_workbook_then_the_comparison_are_requested(daemon: Daemon) -> None:
    write(daemon.folder, "baseline", simulation=years(2025, 2026))
    write(daemon.folder, "alpha", simulation=years(2025, 2026))
    for request in daemon.tick().run_requests:
        daemon.finish(request)
    for request in daemon.tick().run_requests:
        daemon.finish(request)
    workbooks = daemon.tick().run_requests
    assert sorted((r.job_name, r.partition_key) for r in workbooks) == [
        (WORKBOOK_JOB, "alpha"),
        (WORKBOOK_JOB, "baseline"),
    ]
    daemon.finish(workbooks[0])
    assert daemon.tick().run_requests == [], "the comparison waits for every scenario in progress"
    daemon.finish(workbooks[1])

    (comparison,) = daemon.tick().run_requests

    assert comparison.job_name == COMPARISON_JOB and comparison.partition_key is None
    assert daemon.tick().run_requests == []


def test_unchanged_file_requests_nothing(daemon: Daemon) -> None:
    write(daemon.folder, "alpha")
    run_through(daemon, "alpha")

    result = daemon.tick()

    assert result.run_requests == [] and not result.dynamic_partitions_requests
    assert result.skip_reason.skip_message == "no scenario file changed"


def test_changed_file_reruns_its_inputs_and_all_its_years_under_new_run_keys(daemon: Daemon) -> None:
    write(daemon.folder, "alpha", simulation=years(2025, 2027))
    first_inputs, first_simulation = run_through(daemon, "alpha")

    write(daemon.folder, "alpha", simulation=years(2025, 2029))
    result = daemon.tick()
    inputs = inputs_request(result, "alpha")
    assert not result.dynamic_partitions_requests, "the partition exists already"
    daemon.finish(inputs)
    (simulation,) = daemon.tick().run_requests

    assert (inputs.run_key, simulation.run_key) == ("alpha:2:inputs", "alpha:2:simulation")
    assert simulation.tags["dagster/asset_partition_range_end"] == "alpha|2029"
    assert inputs.tags["planwise/scenario_fingerprint"] != first_inputs.tags["planwise/scenario_fingerprint"]

    # back to the first content: a change again, so new run keys (Dagster skips a reused key)
    write(daemon.folder, "alpha", simulation=years(2025, 2027))
    assert inputs_request(daemon.tick(), "alpha").run_key == "alpha:3:inputs"


def test_changed_census_content_reruns_the_scenarios_that_use_it(daemon: Daemon, tmp_path: Path) -> None:
    census = tmp_path / "census.csv"
    census.write_text("employee_id\nE1\n")
    write(daemon.folder, "alpha", census={"path": str(census)})
    write(daemon.folder, "beta")
    run_through(daemon, "alpha")
    assert daemon.tick().run_requests == []

    census.write_text("employee_id\nE2\n")  # same name, new content
    (rerun,) = daemon.tick().run_requests

    assert (rerun.job_name, rerun.partition_key) == (INPUTS_JOB, "alpha")


def test_a_scenario_whose_warehouse_holds_current_results_is_taken_as_it_is(daemon: Daemon) -> None:
    """Turning the sensor on after a batch (or on a home whose cursor was lost) reruns nothing current."""
    from planwise_assets.client.runs import run_scenario
    from planwise_assets.lib.scenario_files import load_scenario_file

    path = write(daemon.folder, "alpha", simulation=years(2025, 2025), census={"employees": 100})
    run_scenario(daemon.instance, load_scenario_file(path).config, daemon.folder)

    adopted = daemon.tick()
    assert adopted.run_requests == []
    assert adopted.dynamic_partitions_requests == [], "the batch registered the partition"
    assert "alpha: its warehouse holds the results of this file" in adopted.skip_reason.skip_message

    write(daemon.folder, "alpha", simulation=years(2025, 2025), census={"employees": 100, "seed": 7})
    assert inputs_request(daemon.tick(), "alpha").run_key == "alpha:2:inputs"


def test_changed_base_file_reruns_every_scenario_built_on_it(daemon: Daemon) -> None:
    base = write(daemon.folder, "base")
    child = daemon.folder / "child.yaml"
    child.write_text(yaml.safe_dump({"base_config": "base.yaml", "scenario": {"name": "child"}}))
    first = daemon.tick()
    assert {r.partition_key for r in first.run_requests} == {"base", "child"}
    for request in first.run_requests:
        daemon.finish(request)
    assert len(daemon.tick().run_requests) == 2  # the two simulations
    assert daemon.tick().run_requests == []

    base.write_text(base.read_text().replace("target_growth_rate: 0.03", "target_growth_rate: 0.05"))
    rerun = daemon.tick()

    assert {(r.partition_key, r.run_key) for r in rerun.run_requests} == {
        ("base", "base:3:inputs"),
        ("child", "child:4:inputs"),
    }


def test_invalid_file_is_reported_while_the_others_proceed_and_is_picked_up_once_fixed(
    daemon: Daemon, capfd: pytest.CaptureFixture[str]
) -> None:
    write(daemon.folder, "alpha")
    broken = write(daemon.folder, "beta", workforce={"total_termination_rat": 0.1})

    result = daemon.tick()

    assert [r.partition_key for r in result.run_requests] == ["alpha"]
    assert result.dynamic_partitions_requests == [scenario_partitions.build_add_request(["alpha"])]
    assert (
        f"{broken.resolve()}: workforce.total_termination_rat: Extra inputs are not permitted" in capfd.readouterr().err
    )
    later = daemon.tick()
    assert later.run_requests == [] and "workforce.total_termination_rat" in later.skip_reason.skip_message

    write(daemon.folder, "beta", workforce={"total_termination_rate": 0.1})
    fixed = daemon.tick()

    assert inputs_request(fixed, "beta").run_key == "beta:2:inputs"
    assert fixed.dynamic_partitions_requests == [scenario_partitions.build_add_request(["beta"])]


def test_file_simulating_years_beyond_the_loaded_year_axis_is_reported_not_run(daemon: Daemon) -> None:
    # the sensor's definitions were loaded with the repository's scenario years, 2025-2029
    write(daemon.folder, "alpha", simulation=years(2025, 2031))

    result = daemon.tick()

    assert result.run_requests == [] and not result.dynamic_partitions_requests
    assert "alpha simulates 2025-2031, outside the years 2025-2029" in result.skip_reason.skip_message
    assert "reload the code location" in result.skip_reason.skip_message


def test_invalid_file_fails_the_scenario_files_check_once_per_change_naming_file_and_error(daemon: Daemon) -> None:
    write(daemon.folder, "alpha")
    write(daemon.folder, "beta", workforce={"total_termination_rat": 0.1})

    (failed,) = daemon.tick().asset_events
    unchanged = daemon.tick().asset_events
    write(daemon.folder, "beta", workforce={"total_termination_rate": 0.1})
    (passed,) = daemon.tick().asset_events

    assert isinstance(failed, AssetCheckEvaluation) and not failed.passed
    assert failed.check_name == "every_scenario_file_is_valid"
    files = {row.data["file"]: row.data for row in failed.metadata["files"].value.records}
    assert files["alpha.yaml"]["error"] == "" and files["alpha.yaml"]["scenario"] == "alpha"
    assert files["beta.yaml"]["error"].startswith("workforce.total_termination_rat: Extra inputs are not permitted")
    assert unchanged == []
    assert passed.passed and passed.description == "2 valid scenario files"


def test_file_that_becomes_invalid_keeps_its_partition_and_warehouse(daemon: Daemon) -> None:
    path = write(daemon.folder, "alpha")
    run_through(daemon, "alpha")
    warehouse_path("alpha").parent.mkdir(parents=True)
    warehouse_path("alpha").write_bytes(b"alpha's tables")

    path.write_text(path.read_text() + "\nnot_a_section: 1\n")
    result = daemon.tick()

    assert result.run_requests == [] and not result.dynamic_partitions_requests
    assert daemon.partitions() == ["alpha"] and warehouse_path("alpha").exists()


def test_removed_file_deletes_its_partition_and_moves_its_warehouse_aside(daemon: Daemon, data_root: Path) -> None:
    path = write(daemon.folder, "alpha")
    write(daemon.folder, "beta")
    daemon.tick()
    warehouse = warehouse_path("alpha")
    warehouse.parent.mkdir(parents=True)
    warehouse.write_bytes(b"alpha's tables")
    warehouse.with_name("alpha.duckdb.wal").write_bytes(b"alpha's log")

    path.unlink()
    result = daemon.tick()

    assert result.dynamic_partitions_requests == [scenario_partitions.build_delete_request(["alpha"])]
    assert daemon.partitions() == ["beta"]
    assert not warehouse.exists() and not warehouse.with_name("alpha.duckdb.wal").exists()
    assert not warehouse.with_suffix(".lock").exists()
    (moved,) = (data_root / "warehouse" / "removed").glob("alpha_*Z.duckdb")
    assert moved.read_bytes() == b"alpha's tables"
    assert moved.with_name(moved.name + ".wal").read_bytes() == b"alpha's log"
    assert daemon.tick().dynamic_partitions_requests == []


def test_removal_waits_while_a_run_writes_the_warehouse(daemon: Daemon) -> None:
    path = write(daemon.folder, "alpha")
    daemon.tick()
    path.unlink()

    with scenario_write_lock("alpha"):
        warehouse_path("alpha").write_bytes(b"being written")
        blocked = daemon.tick()
    done = daemon.tick()

    assert not blocked.dynamic_partitions_requests and "cannot be moved yet" in blocked.skip_reason.skip_message
    assert not warehouse_path("alpha").exists()
    assert done.dynamic_partitions_requests == [scenario_partitions.build_delete_request(["alpha"])]


def test_a_stray_partition_is_removed_by_the_remove_job_without_leftovers(daemon: Daemon, data_root: Path) -> None:
    from planwise_assets.defs.scenarios.removal import remove_scenario_job

    daemon.instance.add_dynamic_partitions(scenario_partitions.name, ["typo"])
    with scenario_write_lock("typo"):
        warehouse_path("typo").write_bytes(b"typo's tables")

    result = remove_scenario_job.execute_in_process(
        instance=daemon.instance, run_config={"ops": {"remove_scenario_partition": {"config": {"scenario_id": "typo"}}}}
    )

    assert result.success and daemon.partitions() == []
    assert sorted(path.name for path in (data_root / "warehouse").iterdir()) == ["removed"]
    (moved,) = (data_root / "warehouse" / "removed").iterdir()
    assert moved.read_bytes() == b"typo's tables"


def test_unsafe_scenario_id_is_reported_and_never_acted_on(daemon: Daemon, data_root: Path) -> None:
    write(daemon.folder, "../escape", file_name="escape.yaml")

    result = daemon.tick()

    assert result.run_requests == [] and not result.dynamic_partitions_requests
    assert "scenario.name" in result.skip_reason.skip_message and "is not allowed" in result.skip_reason.skip_message
    assert daemon.partitions() == [] and not (data_root / "warehouse").exists()


def test_missing_scenarios_folder_removes_nothing(daemon: Daemon) -> None:
    write(daemon.folder, "alpha")
    daemon.tick()
    daemon.folder.rename(daemon.folder.with_name("elsewhere"))

    result = daemon.tick()

    assert not result.dynamic_partitions_requests and "does not exist" in result.skip_reason.skip_message
    assert daemon.partitions() == ["alpha"]


# --------------------------------------------------------------------------------------------
# end to end: dagster dev with its daemon
# --------------------------------------------------------------------------------------------

E2E_SCENARIO = "baseline"
E2E_TIMEOUT_S = 300.0
RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status jobName startTime endTime tags { key value } } } } }"


def _runs(dev: DagsterDev) -> list[dict[str, Any]]:
    return sorted(dev.graphql(RUNS_QUERY)["runsOrError"]["results"], key=lambda run: run["startTime"] or 0)


def _wait_for_workbook(dev: DagsterDev) -> list[dict[str, Any]]:
    """Poll the runs until the workbook run (the last of a scenario's) succeeded; fail at once on a failed run."""
    deadline = time.monotonic() + E2E_TIMEOUT_S
    while True:
        runs = _runs(dev)
        failed = [r for r in runs if r["status"] in {"FAILURE", "CANCELED"}]
        if failed or time.monotonic() > deadline:
            pytest.fail(
                f"{'a run failed' if failed else f'no simulation after {E2E_TIMEOUT_S:.0f} s'}:\n"
                f"{_describe_runs(runs)}\n{_failure_messages(dev, runs)}\n{dev.log_tail()}"
            )
        if any(r["jobName"] == WORKBOOK_JOB and r["status"] == "SUCCESS" for r in runs):
            return runs
        time.sleep(1.0)


@pytest.mark.slow
def test_sensor_turned_on_under_dagster_dev_simulates_and_exports_a_scenario_file(tmp_path: Path) -> None:
    scenarios_dir = tmp_path / "scenarios"
    scenarios_dir.mkdir()
    document = yaml.safe_load((REPO_ROOT / "scenarios" / "simulation_baseline.yaml").read_text())
    document["census"] = {"employees": 300}
    document["simulation"]["end_year"] = 2026
    (scenarios_dir / "simulation_baseline.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    with _dagster_dev(tmp_path, scenarios_dir) as dev:
        _start_scenario_sensor(dev, _repository_selector(dev))
        runs = _wait_for_workbook(dev)
        time.sleep(12)  # two more ticks: an unchanged file must not start anything
        assert _runs(dev) == runs, f"runs started after the workbook:\n{_describe_runs(_runs(dev))}"

    inputs, simulation, workbook = runs
    assert workbook["jobName"] == WORKBOOK_JOB
    for run in runs:
        assert {"key": "dagster/sensor_name", "value": SENSOR_NAME} in run["tags"], _describe_runs(runs)
    assert inputs["jobName"] == INPUTS_JOB and {"key": "dagster/partition", "value": E2E_SCENARIO} in inputs["tags"]
    assert simulation["startTime"] >= inputs["endTime"], "the simulation started before its inputs were loaded"
    range_tags = {t["key"]: t["value"] for t in simulation["tags"] if "partition_range" in t["key"]}
    assert range_tags == {
        "dagster/asset_partition_range_start": f"{E2E_SCENARIO}|2025",
        "dagster/asset_partition_range_end": f"{E2E_SCENARIO}|2026",
    }
    warehouse = dev.planwise_home / "warehouse" / f"{E2E_SCENARIO}.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summary = con.execute(
            "select simulation_year, active_headcount_start from fct_yearly_summary order by simulation_year"
        ).fetchall()
    assert [year for year, _ in summary] == [2025, 2026]
    assert 0 < summary[0][1] <= 300, f"2025 starts with {summary[0][1]} actives, the census has 300 employees"
