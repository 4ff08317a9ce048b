"""Scenario files: the safe-name rule, the typed configuration and loading from YAML.

A scenario id becomes a DuckDB file name, a Dagster partition key and a dbt variable, so
it is validated once, here, before anything is created for it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planwise_assets.errors import ScenarioFileError, UnsafeScenarioName

SCENARIO_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def validate_scenario_id(scenario_id: str) -> str:
    """Return the id unchanged if it is safe as a file name and partition key, else raise."""
    if not isinstance(scenario_id, str) or not SCENARIO_ID_PATTERN.fullmatch(scenario_id):
        raise UnsafeScenarioName(
            f"scenario id {scenario_id!r} is not allowed: use a lower-case letter followed by "
            "up to 63 lower-case letters, digits or underscores"
        )
    return scenario_id


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Rate = Field(ge=0, le=1)


class ScenarioSection(_Section):
    name: str
    description: str = ""
    plan_design_id: str = "standard"


class SimulationSection(_Section):
    start_year: int = Field(ge=2020, le=2050)
    end_year: int = Field(ge=2020, le=2050)
    random_seed: int = Field(ge=0)
    target_growth_rate: float = Field(ge=-0.5, le=1)

    @model_validator(mode="after")
    def _end_not_before_start(self) -> SimulationSection:
        if self.end_year < self.start_year:
            raise ValueError(f"end_year {self.end_year} is before start_year {self.start_year}")
        return self


class WorkforceSection(_Section):
    total_termination_rate: float = Field(default=0.12, ge=0, le=1)
    new_hire_termination_rate: float = Field(default=0.25, ge=0, lt=1)
    promotion_base_rate: float = Field(default=0.10, ge=0, le=1)


class CompensationSection(_Section):
    cola_rate: float = Field(default=0.01, ge=0, le=0.5)
    merit_budget: float = Field(default=0.03, ge=0, le=0.5)
    promotion_raise_rate: float = Field(default=0.20, ge=0, le=1)
    review_month: int = Field(default=7, ge=1, le=12)
    review_day: int = Field(default=1, ge=1, le=28)


class CensusSection(_Section):
    path: Path | None = None
    employees: int = Field(default=10_000, ge=1)
    seed: int = Field(default=42, ge=0)


class ScenarioConfig(_Section):
    """One resolved scenario: everything the simulation reads, with its defaults filled in."""

    scenario: ScenarioSection
    simulation: SimulationSection
    workforce: WorkforceSection = WorkforceSection()
    compensation: CompensationSection = CompensationSection()
    census: CensusSection = CensusSection()

    @property
    def scenario_id(self) -> str:
        return self.scenario.name

    @property
    def plan_design_id(self) -> str:
        return self.scenario.plan_design_id

    @property
    def years(self) -> list[int]:
        return list(range(self.simulation.start_year, self.simulation.end_year + 1))

    @property
    def census_date(self) -> dt.date:
        """The census is taken on the last day before the first simulated year."""
        return dt.date(self.simulation.start_year - 1, 12, 31)

    @model_validator(mode="after")
    def _safe_ids(self) -> ScenarioConfig:
        validate_scenario_id(self.scenario.name)
        validate_scenario_id(self.scenario.plan_design_id)
        return self


def load_scenario(path: Path) -> ScenarioConfig:
    """Read and validate one scenario file; any problem raises ScenarioFileError naming the file and key."""
    try:
        raw: Any = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioFileError(f"{path}: cannot read YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ScenarioFileError(f"{path}: a scenario file must be a mapping of sections")
    census = raw.get("census")
    if isinstance(census, dict) and census.get("path"):
        # a census path is relative to the scenario file, like any other file reference
        census["path"] = str((path.parent / census["path"]).resolve())
    try:
        return ScenarioConfig.model_validate(raw)
    except UnsafeScenarioName as error:
        raise ScenarioFileError(f"{path}: scenario.name: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}" for issue in error.errors()
        )
        raise ScenarioFileError(f"{path}: {problems}") from error


def discover_scenarios(scenarios_dir: Path) -> dict[str, Path]:
    """Map each scenario id to its file. Files are read only for their id; invalid ones are skipped here."""
    found: dict[str, Path] = {}
    for path in sorted(scenarios_dir.glob("*.yaml")):
        try:
            found[load_scenario(path).scenario_id] = path
        except ScenarioFileError:
            continue
    return found
