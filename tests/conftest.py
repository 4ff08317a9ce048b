"""Shared fixtures: a temporary data root with a real Dagster instance, and scenario runs in it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def planwise_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("planwise_home")
    os.environ["PLANWISE_HOME"] = str(home)
    os.environ.pop("DAGSTER_HOME", None)
    (home / "scenarios").mkdir()
    return home


@pytest.fixture(scope="session")
def scenarios_dir(planwise_home: Path) -> Path:
    """The folder write_scenario writes to and the runs read from."""
    return planwise_home / "scenarios"


@pytest.fixture(scope="session")
def instance(planwise_home: Path):
    from planwise_assets.dagster_home.instance import get_instance

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
    from planwise_assets.lib.scenario_files import load_scenario_file

    def write(name: str, **sections: dict[str, Any]):
        path = planwise_home / "scenarios" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(baseline_document(name, **sections), sort_keys=False))
        return load_scenario_file(path).config

    return write


@pytest.fixture(scope="session")
def run_scenario(instance, scenarios_dir: Path) -> Callable[..., Any]:
    """Run a scenario through the Dagster definitions (inputs run, then one run for all its years or `years`)."""
    from planwise_assets.client.runs import run_scenario as run

    return lambda config, years=None: run(instance, config, scenarios_dir, years)


def query(scenario_id: str, sql: str, parameters: list[Any] | None = None) -> list[tuple]:
    from planwise_assets.lib.data_root import warehouse_path

    with duckdb.connect(str(warehouse_path(scenario_id)), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


@pytest.fixture(scope="session")
def baseline(write_scenario, run_scenario):
    """The baseline scenario (default 10,000-employee census, 2025-2029), simulated once."""
    config = write_scenario("baseline")
    run_ids = run_scenario(config)
    return config, run_ids


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots", action="store_true", help="rewrite tests/snapshots/ and docs/screenshots/ from the code"
    )
