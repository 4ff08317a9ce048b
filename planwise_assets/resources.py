"""Dagster resources: where scenario files are read from."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from planwise_assets.errors import ScenarioFileError
from planwise_assets.scenarios import ScenarioConfig, discover_scenarios, validate_scenario_id
from planwise_assets.warehouse import REPO_ROOT


def default_scenarios_dir() -> str:
    return os.environ.get("PLANWISE_SCENARIOS_DIR") or str(REPO_ROOT / "scenarios")


class ScenarioStore(ConfigurableResource):
    """The folder of scenario YAML files; a scenario partition is read from its file at run time."""

    scenarios_dir: str = default_scenarios_dir()

    def load(self, scenario_id: str) -> ScenarioConfig:
        from planwise_assets.scenarios import load_scenario

        validate_scenario_id(scenario_id)
        path = discover_scenarios(Path(self.scenarios_dir)).get(scenario_id)
        if path is None:
            raise ScenarioFileError(f"{self.scenarios_dir}: no valid scenario file defines {scenario_id!r}")
        return load_scenario(path)
