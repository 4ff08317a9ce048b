"""Which process runs what, whether it is still alive, and worker processes that die with their parent.

A run records the process that executes it (host, pid and the process's start time, since pids
are reused). `planwise status` and `planwise cancel` use it to tell a run that is still going
from one whose process was killed and can never finish.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

# prctl(2): ask the kernel to send a signal to this process when its parent exits
_PR_SET_PDEATHSIG = 1


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or None if it
    is gone. A zombie is gone: it has exited, and only waits for a parent that may never reap it (an
    orphan under an init that does not reap keeps its /proc entry)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in {"Z", "X"} else fields[19]


def process_identity(pid: int | None = None) -> str:
    """`host:pid:start` of this process (or of `pid`)."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or ''}"


def process_is_gone(identity: str) -> bool:
    """Whether the process named by process_identity() has exited; False when it cannot be known
    (another host, or an identity this version did not write)."""
    try:
        host, pid, start = identity.split(":")
    except ValueError:
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _start_ticks(int(pid)) != start


def die_with_parent(parent_pid: int, signum: int = signal.SIGKILL) -> None:
    """In a child process: receive `signum` when the parent exits, even by kill -9.

    A batch's workers would otherwise run on after their batch was killed, writing scenario
    files nobody waits for. Linux only; elsewhere this does nothing.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent exited before the request took effect
        os._exit(1)


def _session_members(session_id: int) -> list[int]:
    """The processes of a session (field 6 of /proc/<pid>/stat), whatever their process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _stop_session(session_id: int, grace_seconds: float) -> None:
    """SIGTERM every process left in the session, then SIGKILL whatever is still there after the grace."""
    for signum, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        members = _session_members(session_id)
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        deadline = time.monotonic() + wait
        while members and time.monotonic() < deadline:
            time.sleep(0.1)
            members = _session_members(session_id)
        if not members:
            return


def _prepare_service_process(parent_pid: int) -> None:
    """In the service's process before it starts (preexec_fn): default signal handlers, since a
    shell starting `planwise ui &` ignores SIGINT in it and Dagster would then ignore SIGTERM too;
    and a SIGTERM if `planwise ui` itself is killed."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent_pid, signal.SIGTERM)


def run_service(command: list[str], cwd: Path, env: dict[str, str], grace_seconds: float = 30.0) -> int:
    """Run a long-lived command (`dagster dev`) until it exits or this process gets SIGINT or SIGTERM.

    The command runs in a session of its own. A signal is passed on to it as SIGINT (its orderly
    shutdown); after `grace_seconds` it is killed; in every case, whatever it started and left
    behind in its session is stopped before this returns. Returns its exit status, or 128 +
    the signal received.
    """
    parent = os.getpid()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, start_new_session=True, preexec_fn=lambda: _prepare_service_process(parent)
    )
    received: list[int] = []
    deadline: list[float] = []

    def forward(signum: int, frame: object) -> None:
        received.append(signum)
        deadline[:] = deadline or [time.monotonic() + grace_seconds]
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGINT)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                code = child.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                if deadline and time.monotonic() > deadline[0]:
                    child.kill()
    finally:
        _stop_session(child.pid, grace_seconds=5.0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 + received[0] if received else code
