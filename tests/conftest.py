"""Shared fixtures: a temporary data root with a real Dagster instance, and scenario runs in it."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
warnings.filterwarnings("ignore", message=".*is currently in beta.*")


@pytest.fixture(scope="session")
def planwise_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("planwise_home")
    os.environ["PLANWISE_HOME"] = str(home)
    os.environ.pop("DAGSTER_HOME", None)
    os.environ["PLANWISE_SCENARIOS_DIR"] = str(home / "scenarios")
    (home / "scenarios").mkdir()
    return home


@pytest.fixture(scope="session")
def instance(planwise_home: Path):
    from planwise_assets.instance import get_instance

    return get_instance()


def baseline_document(name: str, **sections: dict[str, Any]) -> dict[str, Any]:
    """The repository's baseline scenario renamed, with sections merged in."""
    document = yaml.safe_load((REPO_ROOT / "scenarios" / "simulation_baseline.yaml").read_text())
    document["scenario"]["name"] = name
    for section, values in sections.items():
        document.setdefault(section, {}).update(values)
    return document


@pytest.fixture(scope="session")
def write_scenario(planwise_home: Path) -> Callable[..., Any]:
    """Write scenarios/<name>.yaml in the test data root and return its loaded config."""
    from planwise_assets.scenarios import load_scenario

    def write(name: str, **sections: dict[str, Any]):
        path = planwise_home / "scenarios" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(baseline_document(name, **sections), sort_keys=False))
        return load_scenario(path)

    return write


@pytest.fixture(scope="session")
def run_scenario(instance) -> Callable[..., Any]:
    """Run a scenario through the Dagster definitions (inputs run, then one run for all years)."""
    from planwise_assets.batch import run_scenario as run

    return lambda config: run(instance, config)


def query(scenario_id: str, sql: str, parameters: list[Any] | None = None) -> list[tuple]:
    from planwise_assets.warehouse import warehouse_path

    with duckdb.connect(str(warehouse_path(scenario_id)), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


@pytest.fixture(scope="session")
def baseline(write_scenario, run_scenario):
    """The baseline scenario (default 10,000-employee census, 2025-2029), simulated once."""
    config = write_scenario("baseline")
    run_ids = run_scenario(config)
    return config, run_ids
