"""Scenario files in an S3-compatible object store (S3, MinIO): the copy every worker starts from, and the lake.

Layout under the store's prefix (docs/deploy.md shows an example):

    warehouse/scenario_id=<S>/current.json         the scenario's current DuckDB file: its key, size and sha256
    warehouse/scenario_id=<S>/<sha256>.duckdb      one version of that file, named by its content
    runs/dt=<YYYY-MM-DD>/run_id=<R>/run_metadata.json                written last: what the run published
    runs/dt=<YYYY-MM-DD>/run_id=<R>/scenario_id=<S>/inputs/...     the scenario file and its base files
    runs/dt=<YYYY-MM-DD>/run_id=<R>/scenario_id=<S>/outputs/...    <S>.duckdb, then the workbook and its twins

A reader never sees half a file. S3 replaces an object whole (a PUT, or a multipart upload when
it completes), so no single object is ever partial; what needs an order is a set of objects:
- a version is uploaded under its own key, and only then does current.json point to it;
- a run's objects are uploaded first, and run_metadata.json, written last, lists each with its
  size and sha256. Readers go through current.json and run_metadata.json: an object they do not
  list is not there yet.
Fetching verifies the sha256 the pointer names and moves the file into place only then.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.scenario_id import validate_scenario_id

RUN_METADATA = "run_metadata.json"
SINGLE_COPY_LIMIT_BYTES = 5 * 1024**3
CHUNK_BYTES = 8 << 20
# a pointer read just before its version was replaced names a version that is then deleted:
# read the pointer again (a writer of the scenario moves it at most once per step)
FETCH_ATTEMPTS = 3


class ScenarioStoreError(PlanwiseError):
    """The store holds something other than what its pointer or run metadata says."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "size": self.size, "sha256": self.sha256}


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def version_marker(local: Path) -> Path:
    """`<file>.sha256`: which stored version the local file is. It exists only while the file is that version."""
    return local.with_name(local.name + ".sha256")


def run_folder(run_id: str, day: str) -> str:
    return f"runs/dt={day}/run_id={run_id}"


@dataclass(frozen=True)
class ScenarioStore:
    """A bucket (and key prefix) of an S3 client: where scenario files and published runs live."""

    client: Any  # a botocore S3 client
    bucket: str
    prefix: str = ""

    def key(self, relative: str) -> str:
        return f"{self.prefix.strip('/')}/{relative}" if self.prefix.strip("/") else relative

    def _get_json(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return json.loads(body)

    def _put_json(self, key: str, document: dict[str, Any]) -> None:
        body = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def _upload(self, path: Path, key: str) -> StoredFile:
        sha256, size = file_digest(path)
        self.client.upload_file(str(path), self.bucket, key)
        return StoredFile(key, size, sha256)

    # ------------------------------------------------------------------ the scenario's current file

    def _pointer_key(self, scenario_id: str) -> str:
        return self.key(f"warehouse/scenario_id={validate_scenario_id(scenario_id)}/current.json")

    def current(self, scenario_id: str) -> StoredFile | None:
        """The scenario's current version, or None if no run has stored the scenario yet."""
        pointer = self._get_json(self._pointer_key(scenario_id))
        return None if pointer is None else StoredFile(pointer["key"], pointer["size"], pointer["sha256"])

    def fetch_current(self, scenario_id: str, local: Path) -> StoredFile | None:
        """Make `local` the scenario's current version (downloaded unless it already is); the caller holds its lock.

        With nothing stored, a local file is a leftover of another deployment or of a failed run
        and is removed: the store, not a worker's disk, says what a scenario holds.
        """
        marker = version_marker(local)
        wal = local.with_name(local.name + ".wal")
        for _ in range(FETCH_ATTEMPTS):
            stored = self.current(scenario_id)
            if stored is None:
                for path in (marker, local, wal):
                    path.unlink(missing_ok=True)
                return None
            if local.exists() and marker.exists() and marker.read_text() == stored.sha256:
                return stored
            marker.unlink(missing_ok=True)
            if self._download(stored, local):
                wal.unlink(missing_ok=True)
                marker.write_text(stored.sha256)
                return stored
        raise ScenarioStoreError(f"{scenario_id}: its current file kept changing while it was fetched")

    def _download(self, stored: StoredFile, local: Path) -> bool:
        """Download a version next to `local`, check it, move it into place; False if it is gone."""
        partial = local.with_name(f".{local.name}.{os.getpid()}.download")
        local.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=stored.key)["Body"]
        except self.client.exceptions.NoSuchKey:
            return False
        try:
            with partial.open("wb") as handle:
                for chunk in body.iter_chunks(CHUNK_BYTES):
                    digest.update(chunk)
                    handle.write(chunk)
            if digest.hexdigest() != stored.sha256 or partial.stat().st_size != stored.size:
                raise ScenarioStoreError(
                    f"s3://{self.bucket}/{stored.key}: its content does not match the sha256 its pointer names"
                )
            partial.replace(local)
        finally:
            partial.unlink(missing_ok=True)
        return True

    def check_in(self, scenario_id: str, local: Path) -> StoredFile:
        """Store `local` as the scenario's new current version; the caller holds its lock and has closed the file."""
        wal = local.with_name(local.name + ".wal")
        if wal.exists():
            # a write-ahead log left by a writer that did not close cleanly: fold it into the file
            with duckdb.connect(str(local)) as con:
                con.execute("checkpoint")
        sha256, size = file_digest(local)
        stored = StoredFile(
            self.key(f"warehouse/scenario_id={validate_scenario_id(scenario_id)}/{sha256}.duckdb"), size, sha256
        )
        previous = self.current(scenario_id)
        if previous is None or previous.key != stored.key:
            self.client.upload_file(str(local), self.bucket, stored.key)
            self._put_json(self._pointer_key(scenario_id), stored.as_json())
        version_marker(local).write_text(sha256)
        if previous is not None and previous.key != stored.key:
            self.client.delete_object(Bucket=self.bucket, Key=previous.key)
        return stored

    # ------------------------------------------------------------------ published runs (seed 003's layout)

    def run_metadata(self, folder: str) -> dict[str, Any] | None:
        return self._get_json(self.key(f"{folder}/{RUN_METADATA}"))

    def publish_run(
        self,
        folder: str,
        scenario_id: str,
        version: StoredFile,
        inputs: Iterable[Path],
        run_metadata: dict[str, Any],
        scenario_metadata: dict[str, Any],
    ) -> list[StoredFile]:
        """Publish a scenario's file (copied within the store) and its inputs under `folder`, then run_metadata.json."""
        scenario_folder = f"{folder}/scenario_id={validate_scenario_id(scenario_id)}"
        database = StoredFile(self.key(f"{scenario_folder}/outputs/{scenario_id}.duckdb"), version.size, version.sha256)
        source = {"Bucket": self.bucket, "Key": version.key}
        if version.size < SINGLE_COPY_LIMIT_BYTES:
            self.client.copy_object(Bucket=self.bucket, Key=database.key, CopySource=source)
        else:  # S3 copies at most 5 GiB in one request; past that, part by part
            self.client.copy(source, self.bucket, database.key)
        objects = [self._upload(path, self.key(f"{scenario_folder}/inputs/{path.name}")) for path in inputs]
        objects.append(database)
        document = self.run_metadata(folder) or {}
        document.update(run_metadata)
        document.setdefault("scenarios", {})[scenario_id] = {
            **scenario_metadata,
            "objects": [stored.as_json() for stored in objects],
        }
        self._put_json(self.key(f"{folder}/{RUN_METADATA}"), document)
        return objects

    def add_outputs(
        self, folder: str, scenario_id: str, files: Iterable[Path], outputs_metadata: dict[str, Any]
    ) -> list[StoredFile]:
        """Publish output files next to the scenario file they were computed from, then rewrite run_metadata.json."""
        document = self.run_metadata(folder)
        if document is None or scenario_id not in document.get("scenarios", {}):
            raise ScenarioStoreError(
                f"{scenario_id}: s3://{self.bucket}/{self.key(folder)} has no published simulation to add outputs to"
            )
        outputs_folder = f"{folder}/scenario_id={validate_scenario_id(scenario_id)}/outputs"
        added = [self._upload(path, self.key(f"{outputs_folder}/{path.name}")) for path in files]
        entry = document["scenarios"][scenario_id]
        kept = [item for item in entry["objects"] if item["key"] not in {stored.key for stored in added}]
        entry["objects"] = kept + [stored.as_json() for stored in added]
        entry.update(outputs_metadata)
        self._put_json(self.key(f"{folder}/{RUN_METADATA}"), document)
        return added
