"""The scenario store against a real S3-compatible server (moto's, on 127.0.0.1): versions, fetches, publications."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import duckdb
import pytest

from planwise_assets.lib.scenario_store import (
    RUN_METADATA,
    ScenarioStore,
    ScenarioStoreError,
    file_digest,
    run_folder,
    version_marker,
)
from tests.services import s3_server

_prefixes = itertools.count()


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory):
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def store(s3) -> ScenarioStore:
    """A store of its own for each test: a fresh prefix in the server's bucket."""
    return ScenarioStore(s3.client(), s3.bucket, f"test{next(_prefixes)}")


def scenario_file(path: Path, rows: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(f"create or replace table fct_yearly_summary as select range as year from range({rows})")
    return path


def keys(store: ScenarioStore) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix + "/")
    return sorted(item["Key"].removeprefix(store.prefix + "/") for item in listed.get("Contents", []))


def test_a_version_checked_in_by_one_worker_is_what_another_worker_fetches(store, tmp_path):
    written = scenario_file(tmp_path / "worker1" / "baseline.duckdb", 10)
    stored = store.check_in("baseline", written)
    fetched_path = tmp_path / "worker2" / "baseline.duckdb"

    fetched = store.fetch_current("baseline", fetched_path)

    assert fetched == stored
    assert fetched_path.read_bytes() == written.read_bytes()
    assert version_marker(fetched_path).read_text() == file_digest(written)[0]
    assert set(keys(store)) == {
        f"warehouse/scenario_id=baseline/{stored.sha256}.duckdb",
        "warehouse/scenario_id=baseline/current.json",
    }


def test_a_copy_that_is_the_current_version_is_not_downloaded_again(store, tmp_path):
    local = scenario_file(tmp_path / "baseline.duckdb", 10)
    store.check_in("baseline", local)
    before = local.stat().st_mtime_ns

    store.fetch_current("baseline", local)

    assert local.stat().st_mtime_ns == before


def test_a_new_version_replaces_the_old_one_in_the_store_and_on_other_workers(store, tmp_path):
    first = store.check_in("baseline", scenario_file(tmp_path / "worker1" / "baseline.duckdb", 10))
    other = tmp_path / "worker2" / "baseline.duckdb"
    store.fetch_current("baseline", other)

    second = store.check_in("baseline", scenario_file(tmp_path / "worker1" / "baseline.duckdb", 20))
    store.fetch_current("baseline", other)

    assert second.sha256 != first.sha256
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("select count(*) from fct_yearly_summary").fetchone()[0] == 20
    assert f"warehouse/scenario_id=baseline/{first.sha256}.duckdb" not in keys(store)


def test_a_local_file_the_store_does_not_hold_is_removed_before_a_scenario_starts(store, tmp_path):
    leftover = scenario_file(tmp_path / "baseline.duckdb", 10)

    assert store.fetch_current("baseline", leftover) is None

    assert not leftover.exists()


def test_a_local_copy_without_its_version_marker_is_replaced_by_the_stored_version(store, tmp_path):
    local = scenario_file(tmp_path / "baseline.duckdb", 10)
    stored = store.check_in("baseline", local)
    version_marker(local).unlink()  # what a failed write leaves: a changed file that is no version
    scenario_file(local, 99)

    store.fetch_current("baseline", local)

    assert file_digest(local)[0] == stored.sha256


def test_run_metadata_lists_every_published_object_with_its_size_and_sha256(store, tmp_path):
    local = scenario_file(tmp_path / "baseline.duckdb", 10)
    version = store.check_in("baseline", local)
    scenario_yaml = tmp_path / "simulation_baseline.yaml"
    scenario_yaml.write_text("scenario: {name: baseline}\n")
    workbook = tmp_path / "baseline_results.xlsx"
    workbook.write_bytes(b"not really a workbook")
    folder = run_folder("run-1", "2026-12-02")

    store.publish_run(folder, "baseline", version, [scenario_yaml], {"run_id": "run-1"}, {"random_seed": 42})
    store.add_outputs(folder, "baseline", [workbook], {"outputs_run_id": "run-2"})

    metadata = json.loads(
        store.client.get_object(Bucket=store.bucket, Key=store.key(f"{folder}/{RUN_METADATA}"))["Body"].read()
    )
    entry = metadata["scenarios"]["baseline"]
    assert metadata["run_id"] == "run-1"
    assert (entry["random_seed"], entry["outputs_run_id"]) == (42, "run-2")
    scenario_folder = "runs/dt=2026-12-02/run_id=run-1/scenario_id=baseline"
    listed = {item["key"].removeprefix(store.prefix + "/"): item for item in entry["objects"]}
    assert sorted(listed) == [
        f"{scenario_folder}/inputs/simulation_baseline.yaml",
        f"{scenario_folder}/outputs/baseline.duckdb",
        f"{scenario_folder}/outputs/baseline_results.xlsx",
    ]
    for key, item in listed.items():
        body = store.client.get_object(Bucket=store.bucket, Key=store.key(key))["Body"].read()
        assert (len(body), hashlib.sha256(body).hexdigest()) == (item["size"], item["sha256"])
    assert listed[f"{scenario_folder}/outputs/baseline.duckdb"]["sha256"] == file_digest(local)[0]


def test_outputs_are_refused_where_no_simulation_was_published(store, tmp_path):
    workbook = tmp_path / "baseline_results.xlsx"
    workbook.write_bytes(b"x")

    with pytest.raises(ScenarioStoreError, match="no published simulation"):
        store.add_outputs(run_folder("run-9", "2026-12-02"), "baseline", [workbook], {})


@pytest.fixture
def warehouse(s3, planwise_home):
    """The deployment's warehouse resource on this server, writing in the test data root."""
    from dagster_aws.s3 import S3Resource

    from planwise_assets.defs.warehouse.stored import StoredScenarioWarehouse

    return StoredScenarioWarehouse(
        s3=S3Resource(
            endpoint_url=s3.endpoint_url,
            aws_access_key_id=s3.access_key_id,
            aws_secret_access_key=s3.secret_access_key,
            region_name=s3.region,
        ),
        bucket=s3.bucket,
        prefix=f"test{next(_prefixes)}",
    )


def test_a_step_that_fails_stores_nothing_and_the_next_step_starts_from_the_stored_version(warehouse):
    with warehouse.writing("store_failure") as path, duckdb.connect(str(path)) as con:
        con.execute("create table census as select 1 as employee_id")
    stored = warehouse.store().current("store_failure")

    with pytest.raises(RuntimeError, match="dbt failed"), warehouse.writing("store_failure") as path:
        with duckdb.connect(str(path)) as con:
            con.execute("drop table census")
        raise RuntimeError("dbt failed")

    assert warehouse.store().current("store_failure") == stored
    with warehouse.writing("store_failure") as path, duckdb.connect(str(path)) as con:
        assert con.execute("select count(*) from census").fetchone()[0] == 1
