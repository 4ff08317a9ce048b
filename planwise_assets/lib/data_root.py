"""Where PlanWise's files live: the data root, a scenario's DuckDB file, and the right to write it.

The dbt invocation, the IO manager, the exports and the client all call warehouse_path();
nothing else builds these paths.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from planwise_assets.lib.scenario_id import validate_scenario_id

REPO_ROOT = Path(__file__).resolve().parents[2]
# The scenario files `make run`, the UI and the sensor read unless told otherwise.
DEFAULT_SCENARIOS_DIR = REPO_ROOT / "scenarios"


def planwise_home() -> Path:
    """The data root: $PLANWISE_HOME, or ./var in the repository (git-ignored)."""
    return Path(os.environ.get("PLANWISE_HOME") or REPO_ROOT / "var").resolve()


def warehouse_path(scenario_id: str) -> Path:
    """$PLANWISE_HOME/warehouse/<scenario_id>.duckdb, for a validated scenario id only."""
    return planwise_home() / "warehouse" / f"{validate_scenario_id(scenario_id)}.duckdb"


def dagster_home() -> Path:
    return planwise_home() / "dagster_home"


@contextmanager
def scenario_write_lock(scenario_id: str, timeout_seconds: float = 3600.0) -> Iterator[Path]:
    """Hold the exclusive right to write one scenario's file.

    DuckDB allows one writing process per file. Dagster's per-scenario run limit only
    covers runs tagged with a single partition, not range runs, so every writer takes this
    OS lock too; a second writer waits rather than failing.
    """
    path = warehouse_path(scenario_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    with open(path.with_suffix(".lock"), "w") as lock_file:
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} is being written by another run") from None
                time.sleep(0.2)
        try:
            yield path
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
