"""Scenario names and files: unsafe names are refused before anything is created."""

from __future__ import annotations

import pytest

from planwise_assets.errors import ScenarioFileError, UnsafeScenarioName
from planwise_assets.scenarios import load_scenario, validate_scenario_id
from planwise_assets.warehouse import warehouse_path


@pytest.mark.parametrize("name", ["baseline", "s1_aip_new_hires", "a" * 64])
def test_safe_scenario_ids_are_accepted(name):
    assert validate_scenario_id(name) == name


@pytest.mark.parametrize("name", ["Baseline", "1st", "../etc", "a|b", "a,b", "a[1]", "", "a" * 65, "with space"])
def test_unsafe_scenario_ids_are_rejected_before_a_path_is_built(name, tmp_path, monkeypatch):
    monkeypatch.setenv("PLANWISE_HOME", str(tmp_path))
    with pytest.raises(UnsafeScenarioName):
        warehouse_path(name)
    assert list(tmp_path.iterdir()) == []


def test_scenario_file_with_unsafe_name_names_the_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "scenario: {name: '../x'}\n"
        "simulation: {start_year: 2025, end_year: 2026, random_seed: 1, target_growth_rate: 0}\n"
    )
    with pytest.raises(ScenarioFileError, match=r"bad\.yaml: scenario\.name"):
        load_scenario(path)


def test_end_year_before_start_year_is_an_error(tmp_path):
    path = tmp_path / "years.yaml"
    path.write_text(
        "scenario: {name: years}\n"
        "simulation: {start_year: 2026, end_year: 2025, random_seed: 1, target_growth_rate: 0}\n"
    )
    with pytest.raises(ScenarioFileError, match="end_year 2025 is before start_year 2026"):
        load_scenario(path)


def test_unknown_key_is_an_error_naming_it(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "scenario: {name: typo}\n"
        "simulation: {start_year: 2025, end_year: 2025, random_seed: 1, target_growth_rate: 0, growth: 1}\n"
    )
    with pytest.raises(ScenarioFileError, match=r"typo\.yaml: simulation\.growth"):
        load_scenario(path)


def test_rate_out_of_range_is_an_error(tmp_path):
    path = tmp_path / "rate.yaml"
    path.write_text(
        "scenario: {name: rate}\n"
        "simulation: {start_year: 2025, end_year: 2025, random_seed: 1, target_growth_rate: 0}\n"
        "workforce: {total_termination_rate: 1.5}\n"
    )
    with pytest.raises(ScenarioFileError, match=r"workforce\.total_termination_rate"):
        load_scenario(path)


def test_the_repository_baseline_loads():
    from planwise_assets.warehouse import REPO_ROOT

    config = load_scenario(REPO_ROOT / "scenarios" / "simulation_baseline.yaml")
    assert (config.scenario_id, config.years) == ("baseline", [2025, 2026, 2027, 2028, 2029])
