"""The reliability guarantees of DESIGN.md, tried with real processes (docs/reliability.md lists them).

A kill -9 at seeded random moments of a batch, then `--resume`: the marts are identical to an
uninterrupted batch's. Two commands on a fresh Dagster home. Restore after corruption. A full
disk on a small tmpfs. Every subprocess has a timeout, so a hang fails the test instead of CI.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

PLANWISE = str(Path(sys.executable).with_name("planwise"))


def _environment(home: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in {"DAGSTER_HOME", "PLANWISE_HOME"}}
    return {**environment, "PLANWISE_HOME": str(home)}


# --------------------------------------------------------------------------- a fresh Dagster home

CREATE_AT_ONCE = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from dagster import DagsterRun, DagsterRunStatus
    from planwise_assets.dagster_home.instance import get_instance

    # a barrier: every process has imported Dagster before any of them creates the home
    barrier, processes = Path(sys.argv[1]), int(sys.argv[2])
    (barrier / str(os.getpid())).touch()
    while len(list(barrier.iterdir())) < processes:
        time.sleep(0.01)
    instance = get_instance()
    instance.add_run(DagsterRun(job_name="probe", status=DagsterRunStatus.SUCCESS))
    """
)


def test_four_commands_creating_one_fresh_dagster_home_at_once_all_succeed(tmp_path):
    """Without the creation lock this failed 3 times in 3 (alembic: "more than one head", or a
    UNIQUE constraint on the schema version)."""
    processes = 4
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    commands = [
        subprocess.Popen(
            [sys.executable, "-c", CREATE_AT_ONCE, str(barrier), str(processes)],
            env=_environment(tmp_path / "home"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [command.communicate(timeout=120) for command in commands]
    assert [command.returncode for command in commands] == [0] * processes, [err[-2000:] for _, err in outputs]
    from dagster import DagsterInstance

    # the home works afterwards, for a new process too: each process's run is there
    with DagsterInstance.from_config(str(tmp_path / "home" / "dagster_home")) as instance:
        assert len(instance.get_runs()) == processes


# --------------------------------------------------------------------------- batches killed and resumed

SMALL = {"simulation": {"start_year": 2025, "end_year": 2026}, "census": {"employees": 300}}
SCENARIOS = {
    "baseline": {},
    "richer_match": {"employer_match": {"active_formula": "tiered_match"}},
}
# seeded: the same kill moments on every run of the suite
KILL_SEED = 13
KILL_POINTS = 3


def _scenario_folder(folder: Path) -> Path:
    import yaml

    from tests.conftest import baseline_document

    folder.mkdir(parents=True, exist_ok=True)
    for name, extra in SCENARIOS.items():
        document = baseline_document(name, **SMALL)
        for section, values in extra.items():
            document.setdefault(section, {}).update(values)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def _batch(home: Path, scenarios: Path, *extra: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [PLANWISE, "batch", "--scenarios-dir", str(scenarios), "--parallel", "2", *extra],
        env=_environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _fingerprints(home: Path) -> dict[str, str]:
    from planwise_assets.lib.fingerprint import file_fingerprint

    return {name: file_fingerprint(home / "warehouse" / f"{name}.duckdb") for name in SCENARIOS}


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`."""
    found, frontier = set(), {pid}
    while frontier:
        parents, frontier = frontier, set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) in parents and fields[0] != "Z":
                    frontier.add(int(entry.name))
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)}


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict[str, str], float]:
    """The scenarios' fingerprints after an uninterrupted batch, in a home of its own, and its duration."""
    home = tmp_path_factory.mktemp("reference_home")
    scenarios = _scenario_folder(home / "scenarios")
    started = time.monotonic()
    batch = _batch(home, scenarios)
    _, err = batch.communicate(timeout=300)
    assert batch.returncode == 0, err[-3000:]
    return _fingerprints(home), time.monotonic() - started


@pytest.fixture(scope="module")
def kill_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("kill_home")
    _scenario_folder(home / "scenarios")
    return home


def _resume_and_compare(home: Path, output: Path, reference: dict[str, str]) -> str:
    """Resume the batch started in `output` (or start one if the kill came before it had a folder),
    then check every scenario succeeded with the reference's results. Returns the resume's log."""
    folders = list(output.iterdir()) if output.exists() else []
    extra = ["--resume", str(folders[0])] if folders else ["--output-dir", str(output)]
    resumed = _batch(home, home / "scenarios", *extra)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    (batch_dir,) = output.iterdir()
    summary = json.loads((batch_dir / "batch_summary.json").read_text())
    assert {entry["scenario_id"]: entry["status"] for entry in summary["scenarios"]} == dict.fromkeys(
        SCENARIOS, "succeeded"
    )
    assert all(Path(path).exists() for entry in summary["scenarios"] for path in entry["outputs"])
    assert (batch_dir / "comparison_report.xlsx").exists()
    assert _fingerprints(home) == reference
    return err


def test_a_batch_killed_at_random_moments_resumes_to_identical_results(kill_home, reference):
    fingerprints, seconds = reference
    moments = random.Random(KILL_SEED).sample(range(5, int(seconds * 10)), KILL_POINTS)
    for point, tenths in enumerate(sorted(moments)):
        output = kill_home / f"kill_{point}"
        batch = _batch(kill_home, kill_home / "scenarios", "--output-dir", str(output))
        time.sleep(tenths / 10)
        descendants = _children(batch.pid)
        batch.kill()
        _, err = batch.communicate(timeout=60)
        # the workers die with the batch
        assert _wait_gone(descendants, 10) == set(), f"kill at {tenths / 10} s left workers running"
        status = subprocess.run(
            [PLANWISE, "status", "--scenarios-dir", str(kill_home / "scenarios")],
            env=_environment(kill_home),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert status.returncode == 0 and " running " not in status.stdout, status.stdout + status.stderr
        _resume_and_compare(kill_home, output, fingerprints)


def test_sigterm_stops_a_parallel_batch_and_its_workers_and_resume_completes_it(kill_home, reference):
    output = kill_home / "sigterm"
    batch = _batch(kill_home, kill_home / "scenarios", "--output-dir", str(output), start_new_session=True)
    # stop it while its workers simulate
    for line in batch.stderr:
        if "year 2025 simulated" in line:
            break
    descendants = _children(batch.pid)
    assert descendants, "the batch has no workers"
    batch.terminate()
    batch.communicate(timeout=60)
    assert batch.returncode == 130
    assert _wait_gone(descendants, 10) == set()
    (batch_dir,) = output.iterdir()
    statuses = {e["status"] for e in json.loads((batch_dir / "batch_summary.json").read_text())["scenarios"]}
    assert "interrupted" in statuses and statuses <= {"interrupted", "succeeded"}
    _resume_and_compare(kill_home, output, reference[0])


def _ctrl_c_as_in_a_terminal() -> None:
    """A command typed in a terminal starts with SIGINT at its default. One started in the background
    by a shell without job control (as a CI runner may start the tests) inherits SIGINT ignored,
    and so would a batch started by these tests: it would rightly run on through Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_serial_batch_with_one_line(kill_home):
    batch = subprocess.Popen(
        [
            PLANWISE,
            "batch",
            "--scenarios-dir",
            str(kill_home / "scenarios"),
            "--parallel",
            "1",
            "--output-dir",
            str(kill_home / "sigint"),
        ],
        env=_environment(kill_home),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    lines = []
    for line in batch.stderr:
        lines.append(line)
        if "year 2025 simulated" in line:
            break
    batch.send_signal(signal.SIGINT)
    _, err = batch.communicate(timeout=60)
    said = f"before the signal:\n{''.join(lines)}\nafter:\n{err}"
    assert any("year 2025 simulated" in line for line in lines), said
    assert batch.returncode == 130, said
    assert "Traceback" not in err
    assert "planwise: stopped" in err.splitlines()
    assert "`planwise batch --resume" in err


def test_two_batches_started_at_once_on_a_fresh_home_both_succeed_in_folders_of_their_own(tmp_path, reference):
    home = tmp_path / "home"
    scenarios = _scenario_folder(home / "scenarios")
    batches = [_batch(home, scenarios, "--scenarios", "baseline", "--output-dir", str(home / "out")) for _ in range(2)]
    outputs = [batch.communicate(timeout=600) for batch in batches]
    assert [batch.returncode for batch in batches] == [0, 0], [err[-3000:] for _, err in outputs]
    folders = sorted((home / "out").iterdir())
    assert len(folders) == 2
    for folder in folders:
        summary = json.loads((folder / "batch_summary.json").read_text())
        assert [entry["status"] for entry in summary["scenarios"]] == ["succeeded"]
    from planwise_assets.lib.fingerprint import file_fingerprint

    assert file_fingerprint(home / "warehouse" / "baseline.duckdb") == reference[0]["baseline"]


def test_cancel_stops_the_scenario_a_batch_is_simulating(tmp_path, monkeypatch):
    import yaml
    from dagster import DagsterInstance

    from planwise_assets.client.status import cancel_scenario, scenario_statuses
    from planwise_assets.lib.scenario_files import load_scenario_file
    from tests.conftest import baseline_document

    home, folder = tmp_path / "home", tmp_path / "scenarios"
    folder.mkdir()
    long = baseline_document("long", simulation={"start_year": 2025, "end_year": 2032}, census={"employees": 500})
    (folder / "long.yaml").write_text(yaml.safe_dump(long))
    batch = _batch(home, folder, "--output-dir", str(tmp_path / "out"))
    for line in batch.stderr:
        if "year 2025 simulated" in line:
            break
    monkeypatch.setenv("PLANWISE_HOME", str(home))
    with DagsterInstance.from_config(str(home / "dagster_home")) as instance:
        assert len(cancel_scenario(instance, load_scenario_file(folder / "long.yaml").config)) == 1
        _, err = batch.communicate(timeout=120)
        assert batch.returncode == 1
        assert "long: cancelled after" in err and "cancelled (planwise cancel) during its simulation run" in err
        (status,) = scenario_statuses(instance, folder)
        assert status.state == "cancelled" and status.years_done < 8
    (batch_dir,) = (tmp_path / "out").iterdir()
    (entry,) = json.loads((batch_dir / "batch_summary.json").read_text())["scenarios"]
    assert entry["status"] == "cancelled" and entry["outputs"] == []


# --------------------------------------------------------------------------- backups and restore


def _run(home: Path, *arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PLANWISE, *arguments], env=_environment(home), capture_output=True, text=True, timeout=timeout
    )


def _corrupt(path: Path) -> None:
    """Overwrite the start of every block holding the snapshot's rows, after the block's checksum
    (DuckDB's blocks follow its three 4 KiB headers; a block's checksum covers what it holds, not
    the unused rest): the file still opens, and reading the table fails its checksums.
    Bytes at fixed offsets could land in free blocks and leave the file readable; the checkpoint
    first puts the tables in the file (a batch leaves its last writes in the write-ahead log)."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
        (block_size,) = con.execute("select block_size from pragma_database_size()").fetchone()
        blocks = [
            row[0]
            for row in con.execute(
                "select distinct block_id from pragma_storage_info('fct_workforce_snapshot') where block_id >= 0"
            ).fetchall()
        ]
    assert blocks
    with open(path, "r+b") as handle:
        for block in blocks:
            handle.seek(3 * 4096 + block * block_size + 64)
            handle.write(b"\xde\xad" * 2000)


def test_a_corrupted_scenario_never_evicts_its_good_backups_and_restores(kill_home, reference):
    from planwise_assets.lib.backups import BACKUPS_KEPT

    scenarios = str(kill_home / "scenarios")
    warehouse = kill_home / "warehouse" / "baseline.duckdb"
    # two complete batches: the backup taken before the second one holds the complete results
    for _ in range(2):
        assert _run(kill_home, "batch", "--scenarios-dir", scenarios, "--scenarios", "baseline").returncode == 0
    backups = sorted((kill_home / "backups" / "baseline").glob("*.duckdb"))
    assert 1 <= len(backups) <= BACKUPS_KEPT
    _corrupt(warehouse)
    # more batches than backups kept: not one good backup is rotated out
    for _ in range(BACKUPS_KEPT + 1):
        failed = _run(kill_home, "batch", "--scenarios-dir", scenarios, "--scenarios", "baseline")
        assert failed.returncode == 1
        (line,) = [line for line in failed.stderr.splitlines() if line.startswith("baseline: failed")]
        assert f"{warehouse} cannot be read as a DuckDB file (Corrupt database file" in line
        assert "`planwise restore baseline` brings back its last good backup" in line
        assert "Traceback" not in failed.stderr
    assert sorted((kill_home / "backups" / "baseline").glob("*.duckdb")) == backups
    restored = _run(kill_home, "restore", "baseline")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"baseline: restored from {backups[-1]}")
    from planwise_assets.lib.fingerprint import file_fingerprint

    assert file_fingerprint(warehouse) == reference[0]["baseline"]
    # the corrupted file was moved aside, not deleted
    assert len(list((kill_home / "warehouse" / "replaced").glob("baseline_*.duckdb"))) == 1


# --------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 160 MiB tmpfs as the data root, where the machine allows mounting one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip() or mounted.returncode}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(disk: Path, leave_bytes: int) -> None:
    """Fill the disk but for `leave_bytes` (tmpfs counts whole 4 KiB pages)."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb") as handle:
        handle.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = max(free - leave_bytes, 0)
        while remaining > 0:
            remaining -= handle.write(chunk[: min(len(chunk), remaining)])


def _file_digests(folder: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize(
    ("leave_mib", "where"),
    [
        (0, "batch_summary.json"),  # nothing can be written: the batch's first file
        (40, "not enough free space for a backup"),  # room to start, not for the backup
        (3, "no space left on the device"),  # no backup needed (a new scenario): fills up while it runs
    ],
)
def test_a_full_disk_gives_one_line_naming_the_path_and_keeps_earlier_results(small_disk, leave_mib, where):
    home = small_disk / "home"
    scenarios = str(_scenario_folder(home / "scenarios"))
    first = _run(
        home, "batch", "--scenarios-dir", scenarios, "--scenarios", "baseline", "--output-dir", str(home / "out")
    )
    assert first.returncode == 0, first.stderr[-3000:]
    earlier = _file_digests(home / "out")
    backups = _file_digests(home / "backups")
    (earlier_batch,) = (home / "out").iterdir()
    wanted = "richer_match" if leave_mib == 3 else "baseline"
    _fill(small_disk, leave_mib << 20)
    full = _run(home, "batch", "--scenarios-dir", scenarios, "--scenarios", wanted, "--output-dir", str(home / "out"))
    (small_disk / "filler").unlink()
    assert full.returncode == 1
    assert "Traceback" not in full.stderr, full.stderr[-3000:]
    problems = [line for line in full.stderr.splitlines() if where in line]
    assert len(problems) == 1, full.stderr[-3000:]
    assert str(small_disk) in problems[0]
    # earlier results intact, and every batch summary readable
    assert {path: digest for path, digest in _file_digests(home / "out").items() if path in earlier} == earlier
    assert _file_digests(home / "backups") == backups
    for summary in (home / "out").glob("*/batch_summary.json"):
        json.loads(summary.read_text())
    assert json.loads((earlier_batch / "batch_summary.json").read_text())["scenarios"][0]["status"] == "succeeded"


# --------------------------------------------------------------------------- planwise ui


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_planwise_ui_started_in_the_background_stops_with_everything_it_started(tmp_path, signum):
    """A shell starts `planwise ui &` with SIGINT ignored; Dagster then ignored SIGTERM too."""
    import urllib.request

    port = _free_port()
    (tmp_path / "scenarios").mkdir()
    environment = {**_environment(tmp_path / "home"), "PLANWISE_SCENARIOS_DIR": str(tmp_path / "scenarios")}
    shell = subprocess.Popen(
        ["bash", "-c", f"{PLANWISE} ui --port {port} > {tmp_path}/ui.log 2>&1 & echo $!; wait"],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    ui = int(shell.stdout.readline())
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, (tmp_path / "ui.log").read_text()[-3000:]
            time.sleep(1)
    started = _children(ui)
    assert len(started) >= 3  # dagster dev, the webserver, the daemon (and code servers)
    os.kill(ui, signum)
    shell.wait(timeout=60)
    assert _wait_gone({ui, *started}, 10) == set()
