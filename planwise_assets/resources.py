"""Dagster resources: where scenario files are read from."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from planwise_assets.errors import ScenarioFileError
from planwise_assets.scenarios import (
    LoadedScenario,
    ScenarioConfig,
    load_scenario_file,
    validate_folder,
    validate_scenario_id,
)
from planwise_assets.warehouse import REPO_ROOT


class ScenarioStore(ConfigurableResource):
    """The folder of scenario YAML files; a scenario partition is read from its file at run time.

    Default: $PLANWISE_SCENARIOS_DIR, else scenarios/ in the repository.
    """

    scenarios_dir: str | None = None

    def folder(self) -> Path:
        return Path(self.scenarios_dir or os.environ.get("PLANWISE_SCENARIOS_DIR") or REPO_ROOT / "scenarios")

    def load_file(self, scenario_id: str) -> LoadedScenario:
        """The scenario's file, resolved through its bases, with its override register."""
        validate_scenario_id(scenario_id)
        valid, _ = validate_folder(self.folder())
        if scenario_id not in valid:
            raise ScenarioFileError(f"{self.folder()}: no valid scenario file defines {scenario_id!r}")
        return load_scenario_file(valid[scenario_id].path, self.folder())

    def load(self, scenario_id: str) -> ScenarioConfig:
        return self.load_file(scenario_id).config
