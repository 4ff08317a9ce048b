"""Processes: a run whose process is gone is failed (or cancelled), not "running" forever; a batch
worker dies with its batch. Real processes and a real Dagster instance."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml
from dagster import DagsterRun, DagsterRunStatus

from planwise_assets.client.runs import PROCESS_TAG, SCENARIO_TAG
from planwise_assets.lib.processes import process_identity, process_is_gone
from tests.conftest import baseline_document


def _identity_of_a_finished_process() -> str:
    """The identity a killed batch left on its runs: a process that no longer exists."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    identity = process_identity(child.pid)
    child.kill()
    child.wait()
    return identity


def test_a_process_is_gone_once_it_exited_and_a_reused_pid_is_not_mistaken_for_it():
    gone = _identity_of_a_finished_process()
    assert process_is_gone(gone)
    assert not process_is_gone(process_identity())
    host, pid, _ = process_identity().split(":")
    assert process_is_gone(f"{host}:{pid}:1")  # this pid, but a process started at another time
    assert not process_is_gone(f"another-host:{pid}:1")  # cannot be known from here


def test_an_exited_process_nobody_reaped_is_gone():
    # a zombie keeps its /proc entry until its parent waits for it, which an orphan's init may never do
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    identity = process_identity(child.pid)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.05)
    assert process_is_gone(identity)
    child.wait()


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(baseline_document(name, census={"employees": 100})))
    return folder


def test_status_fails_a_run_whose_process_was_killed(tmp_path, instance):
    from planwise_assets.client.status import scenario_statuses

    folder = _folder(tmp_path, "orphaned")
    gone = _identity_of_a_finished_process()
    run = instance.add_run(
        DagsterRun(
            job_name="simulate_workforce_job",
            status=DagsterRunStatus.STARTED,
            tags={SCENARIO_TAG: "orphaned", PROCESS_TAG: gone},
        )
    )
    (status,) = scenario_statuses(instance, folder)
    assert (status.state, status.last_error) == ("failed", f"its process {gone} is gone (killed)")
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE


def test_cancel_cancels_at_once_a_run_whose_process_was_killed(tmp_path, instance):
    from planwise_assets.client.status import cancel_scenario, scenario_statuses
    from planwise_assets.lib.scenario_files import load_scenario_file

    folder = _folder(tmp_path, "abandoned")
    run = instance.add_run(
        DagsterRun(
            job_name="simulate_workforce_job",
            status=DagsterRunStatus.STARTED,
            tags={SCENARIO_TAG: "abandoned", PROCESS_TAG: _identity_of_a_finished_process()},
        )
    )
    assert cancel_scenario(instance, load_scenario_file(folder / "abandoned.yaml").config) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED
    assert [s.state for s in scenario_statuses(instance, folder)] == ["cancelled"]


# a parent that starts a worker the way a batch does, prints the worker's pid, and waits
PARENT = textwrap.dedent(
    """
    import multiprocessing, os, time
    from planwise_assets.client.batch import _start_worker

    def work():
        _start_worker(False, os.getppid())
        time.sleep(120)

    if __name__ == "__main__":
        context = multiprocessing.get_context("spawn")
        worker = context.Process(target=work)
        worker.start()
        print(worker.pid, flush=True)
        time.sleep(120)
    """
)


def test_a_batch_worker_dies_when_its_batch_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    time.sleep(3)  # the worker has imported the batch module and asked to die with its parent
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker)


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
