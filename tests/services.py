"""Real services on 127.0.0.1 for the deployment tests: PostgreSQL, Redis and an S3-compatible server.

Each is started in a temporary folder on a free port and stopped when its context ends. PostgreSQL
is Debian's (`apt-get install postgresql`; it refuses to run as root, so as root it runs as the
`postgres` user), Redis is Debian's `redis-server`, and the S3 server is moto's (`moto[server]`,
a dev dependency). .ci/run installs the Debian packages.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {STARTUP_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def postgres_bin(program: str) -> str:
    """A PostgreSQL server program: on the PATH, else in Debian's versioned folder."""
    found = shutil.which(program) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"))[::-1]), None)
    if found is None:
        raise RuntimeError(f"{program} not found: install PostgreSQL (apt-get install postgresql)")
    return found


@contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL server with an empty database `dagster`; yields its SQLAlchemy URL.

    Its folder is a new one in the system's temporary folder: as root the server runs as the
    `postgres` user, who cannot enter pytest's (root-only) temporary folders.
    """
    folder = Path(tempfile.mkdtemp(prefix="planwise-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log, port = folder / "data", folder / "postgres.log", free_port()
    subprocess.run(
        [*as_user, postgres_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "planwise", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [*as_user, postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*as_user, postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "planwise", "dagster"],
            check=True,
            capture_output=True,
        )
        # the driver dagster-postgres installs (SQLAlchemy 2.1 would pick psycopg 3 for postgresql://)
        yield f"postgresql+psycopg2://planwise@127.0.0.1:{port}/dagster"
    finally:
        subprocess.run(
            [*as_user, postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis(folder: Path) -> Iterator[str]:
    """A Redis server without persistence; yields its URL (database 0)."""
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "redis.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield f"redis://127.0.0.1:{port}"
    finally:
        _stop(process)


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    # moto accepts any credentials; boto3 needs some
    access_key_id: str = "planwise-test"
    secret_access_key: str = "planwise-test"
    region: str = "us-east-1"

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
        )

    def environment(self) -> dict[str, str]:
        """The variables a deployment sets for boto3 to reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
        }


@contextmanager
def s3_server(folder: Path, bucket: str = "planwise") -> Iterator[S3Server]:
    """moto's S3-compatible server with one empty bucket."""
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "moto.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        server = S3Server(f"http://127.0.0.1:{port}", bucket)
        server.client().create_bucket(Bucket=bucket)
        yield server
    finally:
        _stop(process)
