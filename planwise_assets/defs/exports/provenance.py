"""What names the run behind an output: code version, creation time."""

from __future__ import annotations

import datetime as dt
import subprocess
from importlib.metadata import PackageNotFoundError, version

from planwise_assets.lib.data_root import REPO_ROOT


def code_version() -> str:
    """`git describe --always --dirty` of the checkout, else the installed package's version.

    A dirty tree is named as such: results from uncommitted code cannot be reproduced from a commit.
    """
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        described = None
    if described is not None and described.returncode == 0 and described.stdout.strip():
        return f"git {described.stdout.strip()}"
    try:
        return f"planwise {version('planwise')}"
    except PackageNotFoundError:
        return "unknown"


def created_at() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
