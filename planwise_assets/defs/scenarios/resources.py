"""The scenarios folder as a Dagster resource: where a run reads its scenario files.

The folder is the resource's configuration, so a run started by `planwise batch --scenarios-dir`
or by the sensor records it in its run config, and the UI shows it there.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from planwise_assets.lib.data_root import DEFAULT_SCENARIOS_DIR
from planwise_assets.lib.errors import ScenarioFileError
from planwise_assets.lib.scenario_config import ScenarioConfig
from planwise_assets.lib.scenario_files import LoadedScenario, validate_folder
from planwise_assets.lib.scenario_id import validate_scenario_id


class ScenarioFolder(ConfigurableResource):
    """The folder of scenario YAML files; a scenario partition is read from its file.

    The folder is validated once per run, on first use: every asset of the run sees the same
    files, read once.
    """

    path: str | None = Field(
        default=None,
        description=(
            "The folder of scenario YAML files (default: $PLANWISE_SCENARIOS_DIR, else scenarios/ in the repository)."
        ),
    )
    _valid: dict[str, LoadedScenario] | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._valid = None

    def folder(self) -> Path:
        # the environment variable is the user's way to point the UI's sensor at another folder
        return Path(self.path or os.environ.get("PLANWISE_SCENARIOS_DIR") or DEFAULT_SCENARIOS_DIR).resolve()

    def load_file(self, scenario_id: str) -> LoadedScenario:
        """The scenario's file, resolved through its bases, with its override register."""
        validate_scenario_id(scenario_id)
        if self._valid is None:
            self._valid, _ = validate_folder(self.folder())
        if scenario_id not in self._valid:
            raise ScenarioFileError(f"{self.folder()}: no valid scenario file defines {scenario_id!r}")
        return self._valid[scenario_id]

    def load(self, scenario_id: str) -> ScenarioConfig:
        return self.load_file(scenario_id).config


def scenarios_resource_config(folder: Path) -> dict[str, object]:
    """The run config's `resources` entry that gives a run this scenarios folder (the UI shows it with the run)."""
    return {"scenarios": {"config": {"path": str(Path(folder).resolve())}}}
