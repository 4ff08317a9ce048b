"""The warehouse resource of a deployment (docs/deploy.md): scenario files shared through an S3-compatible store.

The data root is a worker's scratch copy and the store holds the scenario's current file. Before
a step reads or writes the file it fetches the current version unless its copy already is that
version; after a step wrote it, the step stores the new version (lib/scenario_store.py), so the
next step, on any worker, starts from it. A simulation run is published in seed 003's run layout
with its metadata, and the workbook later next to it.

One writer per scenario across machines comes from the run queue (dagster_home/run_coordinator.py).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetRecordsFilter
from dagster_aws.s3 import S3Resource
from pydantic import Field

from planwise_assets.defs.exports.provenance import code_version, created_at
from planwise_assets.defs.warehouse.resources import ScenarioWarehouse
from planwise_assets.lib.data_root import scenario_write_lock, warehouse_path
from planwise_assets.lib.fingerprint import file_fingerprint
from planwise_assets.lib.scenario_files import LoadedScenario
from planwise_assets.lib.scenario_store import (
    ScenarioStore,
    ScenarioStoreError,
    file_digest,
    run_folder,
    version_marker,
)


def _run_day(context: AssetExecutionContext, run_id: str) -> str:
    """The UTC day a run started: its folder's `dt=`, the same for each of its steps and for its workbook."""
    record = context.instance.get_run_record_by_id(run_id)
    started = record.start_time if record is not None and record.start_time is not None else time.time()
    return dt.datetime.fromtimestamp(started, dt.UTC).date().isoformat()


def _census_identity(context: AssetExecutionContext, scenario_id: str) -> dict[str, str]:
    """The census file and sha256 recorded by the scenario's latest census materialization: the census it holds."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("census"), asset_partitions=[scenario_id]), limit=1
    ).records
    if not records:
        return {}
    metadata = records[0].asset_materialization.metadata
    return {"census_file": str(metadata["census_file"].value), "census_sha256": str(metadata["census_sha256"].value)}


class StoredScenarioWarehouse(ScenarioWarehouse):
    """Scenario files shared through an S3-compatible store; the data root is this worker's scratch copy."""

    s3: S3Resource
    bucket: str = Field(description="The bucket holding the scenario files and the published runs.")
    prefix: str = Field(default="planwise", description="The key prefix everything is stored under.")

    def store(self) -> ScenarioStore:
        return ScenarioStore(self.s3.get_client(), self.bucket, self.prefix)

    @contextmanager
    def writing(self, scenario_id: str) -> Iterator[Path]:
        """The scenario's current file, to write; stored as its new version if the block succeeds.

        A block that fails leaves a local file that is no stored version (its version marker is
        gone), so the next step fetches the stored one again.
        """
        store = self.store()
        with scenario_write_lock(scenario_id) as path:
            store.fetch_current(scenario_id, path)
            version_marker(path).unlink(missing_ok=True)
            yield path
            store.check_in(scenario_id, path)

    def make_current(self, scenario_id: str) -> None:
        with scenario_write_lock(scenario_id) as path:
            self.store().fetch_current(scenario_id, path)

    def publish_simulation(self, context: AssetExecutionContext, loaded: LoadedScenario) -> None:
        """Publish the simulated file and the scenario's files in this run's folder, with the run's metadata."""
        started = time.perf_counter()
        config = loaded.config
        scenario_id = config.scenario_id
        store = self.store()
        run_id = context.run.run_id
        day = _run_day(context, run_id)
        folder = run_folder(run_id, day)
        version = store.current(scenario_id)
        if version is None:
            raise ScenarioStoreError(f"{scenario_id}: the store holds no file of it to publish")
        scenario_files = [loaded.path, *loaded.base_chain]
        objects = store.publish_run(
            folder,
            scenario_id,
            version,
            inputs=scenario_files,
            run_metadata={"run_id": run_id, "dt": day, "created_at_utc": created_at()},
            scenario_metadata={
                "scenario_id": scenario_id,
                "plan_design_id": config.plan_design_id,
                "scenario_file": loaded.path.name,
                "scenario_sha256": file_digest(loaded.path)[0],
                "base_files": {path.name: file_digest(path)[0] for path in loaded.base_chain},
                **_census_identity(context, scenario_id),
                "random_seed": config.simulation.random_seed,
                "years": [config.simulation.start_year, config.simulation.end_year],
                "code_version": code_version(),
                "results_fingerprint": file_fingerprint(warehouse_path(scenario_id)),
            },
        )
        context.log.info(
            f"{scenario_id}: published {len(objects)} objects to s3://{self.bucket}/{store.key(folder)}/ "
            f"in {time.perf_counter() - started:.2f} s"
        )

    def publish_outputs(
        self, context: AssetExecutionContext, scenario_id: str, simulation_run_id: str | None, files: list[Path]
    ) -> None:
        """Publish the workbook and its twins in the folder of the simulation run whose numbers they show."""
        if simulation_run_id is None:
            raise ScenarioStoreError(f"{scenario_id}: no simulation run recorded to publish its outputs next to")
        started = time.perf_counter()
        store = self.store()
        folder = run_folder(simulation_run_id, _run_day(context, simulation_run_id))
        store.add_outputs(folder, scenario_id, files, {"outputs_run_id": context.run.run_id})
        context.log.info(
            f"{scenario_id}: published {len(files)} outputs to s3://{self.bucket}/{store.key(folder)}/ "
            f"in {time.perf_counter() - started:.2f} s"
        )
