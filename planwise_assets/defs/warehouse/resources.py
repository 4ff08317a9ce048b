"""Where a run finds and leaves a scenario's DuckDB file, as a resource every asset that touches the file uses.

`ScenarioWarehouse` (the embedded default): the file in the data root is the only copy; a
per-scenario OS lock gives one writer at a time on this machine. A deployment uses its subclass
`StoredScenarioWarehouse` (stored.py), kept apart so that the embedded definitions do not import
boto3 and dagster-aws (0.6 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetExecutionContext, ConfigurableResource

from planwise_assets.lib.data_root import scenario_write_lock
from planwise_assets.lib.scenario_files import LoadedScenario


class ScenarioWarehouse(ConfigurableResource):
    """Scenario files in the data root only (`warehouse_path()`); nothing is fetched or published."""

    @contextmanager
    def writing(self, scenario_id: str) -> Iterator[Path]:
        """The scenario's file, to write: held under its OS lock (one writer per file on this machine)."""
        with scenario_write_lock(scenario_id) as path:
            yield path

    def make_current(self, scenario_id: str) -> None:
        """Before reading the scenario's file: the local file is the only one, nothing to do."""

    def publish_simulation(self, context: AssetExecutionContext, loaded: LoadedScenario) -> None:
        """After simulating: the results are in the data root, nothing to publish."""

    def publish_outputs(
        self, context: AssetExecutionContext, scenario_id: str, simulation_run_id: str | None, files: list[Path]
    ) -> None:
        """After exporting: the files are in the exports folder, nothing to publish."""
