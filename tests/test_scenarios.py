"""Scenario names and files: unsafe names are refused before anything is created."""

from __future__ import annotations

import pytest

from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.errors import ScenarioFileError, UnsafeScenarioName
from planwise_assets.lib.scenario_files import load_scenario_file
from planwise_assets.lib.scenario_id import validate_scenario_id


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
        load_scenario_file(path)


def test_end_year_before_start_year_is_an_error(tmp_path):
    path = tmp_path / "years.yaml"
    path.write_text(
        "scenario: {name: years}\n"
        "simulation: {start_year: 2026, end_year: 2025, random_seed: 1, target_growth_rate: 0}\n"
    )
    with pytest.raises(ScenarioFileError, match="end_year 2025 is before start_year 2026"):
        load_scenario_file(path)


def test_unknown_key_is_an_error_naming_it(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "scenario: {name: typo}\n"
        "simulation: {start_year: 2025, end_year: 2025, random_seed: 1, target_growth_rate: 0, growth: 1}\n"
    )
    with pytest.raises(ScenarioFileError, match=r"typo\.yaml: simulation\.growth"):
        load_scenario_file(path)


def test_rate_out_of_range_is_an_error(tmp_path):
    path = tmp_path / "rate.yaml"
    path.write_text(
        "scenario: {name: rate}\n"
        "simulation: {start_year: 2025, end_year: 2025, random_seed: 1, target_growth_rate: 0}\n"
        "workforce: {total_termination_rate: 1.5}\n"
    )
    with pytest.raises(ScenarioFileError, match=r"workforce\.total_termination_rate"):
        load_scenario_file(path)


def test_the_repository_baseline_loads():
    from planwise_assets.lib.data_root import REPO_ROOT

    config = load_scenario_file(REPO_ROOT / "scenarios" / "simulation_baseline.yaml").config
    assert (config.scenario_id, config.years) == ("baseline", [2025, 2026, 2027, 2028, 2029])


def _write(folder, name: str, text: str):
    path = folder / name
    path.write_text(text)
    return path


VALID = (
    "scenario: {name: %s}\nsimulation: {start_year: 2025, end_year: 2026, random_seed: 1, target_growth_rate: 0.03}\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scenario: [unclosed\n", "line 2 is not valid YAML"),
        ("- just\n- a list\n", "must be a mapping of sections, not list"),
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
    ],
)
def test_malformed_files_give_one_clear_error(tmp_path, text, expected):
    path = _write(tmp_path, "broken.yaml", text)
    with pytest.raises(ScenarioFileError, match=expected) as error:
        load_scenario_file(path)
    assert str(path) in str(error.value)


def test_a_file_over_one_mebibyte_is_refused_unread(tmp_path):
    path = _write(tmp_path, "huge.yaml", VALID % "huge" + "# " + "x" * (1024 * 1024) + "\n")
    with pytest.raises(ScenarioFileError, match="more than the 1 MiB"):
        load_scenario_file(path)


def test_inheritance_deep_merges_and_records_overrides_with_reasons(tmp_path):
    from planwise_assets.lib.scenario_files import load_scenario_file

    _write(
        tmp_path, "base.yaml", VALID % "base" + "workforce: {total_termination_rate: 0.1, promotion_base_rate: 0.05}\n"
    )
    _write(
        tmp_path,
        "middle.yaml",
        "base_config: base.yaml\nscenario: {name: middle}\nworkforce: {total_termination_rate: 0.2}\n",
    )
    child = _write(
        tmp_path,
        "child.yaml",
        "base_config: middle.yaml\nscenario: {name: child}\nsimulation: {random_seed: 9}\n"
        "override_reasons: {simulation.random_seed: another draw}\n",
    )
    loaded = load_scenario_file(child)
    assert loaded.config.workforce.total_termination_rate == 0.2  # from the middle file
    assert loaded.config.workforce.promotion_base_rate == 0.05  # from the base, not overwritten by the merge
    assert [(o.path, o.base_value, o.scenario_value, o.reason) for o in loaded.overrides] == [
        ("simulation.random_seed", 1, 9, "another draw")
    ]
    assert [path.name for path in loaded.base_chain] == ["middle.yaml", "base.yaml"]


def test_a_cycle_of_base_configs_is_an_error(tmp_path):
    _write(tmp_path, "a.yaml", "base_config: b.yaml\n" + VALID % "a")
    _write(tmp_path, "b.yaml", "base_config: a.yaml\n" + VALID % "b")
    with pytest.raises(ScenarioFileError, match=r"base_config: cycle a.yaml -> b.yaml -> a.yaml"):
        load_scenario_file(tmp_path / "a.yaml")


def test_a_missing_base_or_one_outside_the_scenarios_folder_is_an_error(tmp_path):
    from planwise_assets.lib.scenario_files import load_scenario_file

    folder = tmp_path / "scenarios"
    folder.mkdir()
    _write(tmp_path, "outside.yaml", VALID % "outside")
    _write(folder, "missing.yaml", "base_config: nowhere.yaml\n" + VALID % "missing")
    _write(folder, "escape.yaml", "base_config: ../outside.yaml\n" + VALID % "escape")
    with pytest.raises(ScenarioFileError, match="base_config: nowhere.yaml does not exist"):
        load_scenario_file(folder / "missing.yaml", folder)
    with pytest.raises(ScenarioFileError, match="is outside the scenarios folder"):
        load_scenario_file(folder / "escape.yaml", folder)


def test_one_invalid_file_never_hides_the_others_and_duplicate_ids_are_reported(tmp_path):
    from planwise_assets.lib.scenario_files import validate_folder

    _write(tmp_path, "good.yaml", VALID % "good")
    _write(tmp_path, "typo.yaml", VALID % "typo" + "workforce: {total_terminaton_rate: 0.1}\n")
    _write(tmp_path, "twin_a.yaml", VALID % "twin")
    _write(tmp_path, "twin_b.yaml", VALID % "twin")
    valid, problems = validate_folder(tmp_path)
    assert sorted(valid) == ["good"]
    assert any("typo.yaml: workforce.total_terminaton_rate" in p and "total_termination_rate" in p for p in problems)
    assert any("twin_b.yaml: scenario.name: 'twin' is also defined by twin_a.yaml" in p for p in problems)


def test_the_seed_files_validate_and_s3_changes_the_match_and_the_response_to_it(tmp_path):
    from planwise_assets.lib.data_root import REPO_ROOT
    from planwise_assets.lib.scenario_files import validate_folder

    valid, problems = validate_folder(REPO_ROOT / "scenarios")
    assert problems == []
    assert {o.path.split(".")[0] for o in valid["s3_enhanced_match"].overrides} == {"employer_match", "match_response"}
    assert valid["s1_aip_new_hires"].config.enrollment.auto_enrollment.scope == "new_hires_only"


def test_the_installed_command_exits_with_mains_status(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    _write(tmp_path, "bad.yaml", VALID.replace("2026", "2024") % "bad")
    command = Path(sys.executable).parent / "planwise"
    failed = subprocess.run([command, "validate", "--scenarios-dir", str(tmp_path)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "end_year 2024 is before start_year 2025" in failed.stdout
    (tmp_path / "bad.yaml").unlink()
    _write(tmp_path, "good.yaml", VALID % "good")
    passed = subprocess.run([command, "validate", "--scenarios-dir", str(tmp_path)], capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_validate_command_prints_one_line_per_problem_and_exits_1(tmp_path, capsys):
    from planwise_assets.client.cli import main

    _write(tmp_path, "good.yaml", VALID % "good")
    _write(tmp_path, "bad.yaml", VALID.replace("2026", "2024") % "bad" + "vesting: {schedule: sometimes}\n")
    assert main(["validate", "--scenarios-dir", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.endswith("simulation.end_year: end_year 2024 is before start_year 2025") for line in lines)
    assert any("bad.yaml: vesting.schedule" in line for line in lines)
    assert "ok good.yaml: good (0 overrides of its base)" in lines


def test_a_reason_given_for_a_section_covers_every_change_inside_it(tmp_path):
    _write(tmp_path, "base.yaml", VALID % "base")
    child = _write(
        tmp_path,
        "child.yaml",
        "base_config: base.yaml\nscenario: {name: child}\n"
        "enrollment: {auto_enrollment: {enabled: true, default_deferral_rate: 0.04}}\n"
        "workforce: {promotion_base_rate: 0.2}\n"
        "override_reasons:\n"
        "  enrollment.auto_enrollment: auto-enroll at 4%\n"
        "  enrollment.auto_enrollment.enabled: turned on for everyone\n",
    )
    reasons = {o.path: o.reason for o in load_scenario_file(child).overrides}
    assert reasons == {
        "enrollment.auto_enrollment.enabled": "turned on for everyone",  # its own reason first
        "enrollment.auto_enrollment.default_deferral_rate": "auto-enroll at 4%",  # then its section's
        "workforce.promotion_base_rate": "",
    }


def test_validate_strict_reports_each_change_without_a_reason_naming_file_and_key(tmp_path, capsys):
    from planwise_assets.client.cli import main

    _write(tmp_path, "base.yaml", VALID % "base")
    _write(
        tmp_path,
        "child.yaml",
        "base_config: base.yaml\nscenario: {name: child}\nsimulation: {random_seed: 9, target_growth_rate: 0.05}\n"
        "override_reasons: {simulation.random_seed: another draw}\n",
    )
    assert main(["validate", "--scenarios-dir", str(tmp_path)]) == 0  # a missing reason is not an error...
    capsys.readouterr()
    assert main(["validate", "--strict", "--scenarios-dir", str(tmp_path)]) == 1  # ...unless strict
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"{tmp_path / 'child.yaml'}: override_reasons: no reason for simulation.target_growth_rate "
        "(0.03 in the base, 0.05 here)"
    )
    assert "ok child.yaml: child (2 overrides of its base)" in lines


def test_every_change_in_the_seed_scenarios_has_its_reason(capsys):
    from planwise_assets.client.cli import main
    from planwise_assets.lib.data_root import REPO_ROOT

    assert main(["validate", "--strict", "--scenarios-dir", str(REPO_ROOT / "scenarios")]) == 0, capsys.readouterr().out


def test_match_and_core_eligibility_default_to_the_deferral_eligibility(tmp_path):
    path = tmp_path / "eligibility.yaml"
    path.write_text(
        "scenario: {name: eligibility}\n"
        "simulation: {start_year: 2025, end_year: 2025, random_seed: 1, target_growth_rate: 0}\n"
        "eligibility: {waiting_period_days: 90, entry_dates: monthly}\n"
        "employer_core: {eligibility: {entry_dates: quarterly}}\n"
    )
    config = load_scenario_file(path).config
    match = config.employer_match.eligibility.dates(config.eligibility)
    core = config.employer_core.eligibility.dates(config.eligibility)
    assert (match.waiting_period_days, match.minimum_age, match.entry_dates) == (90, 21, "monthly")
    assert (core.waiting_period_days, core.minimum_age, core.entry_dates) == (90, 21, "quarterly")


@pytest.mark.parametrize("start_year", [2020, 2022, 2050])
def test_any_year_of_the_partitions_may_start_a_scenario(tmp_path, start_year):
    from planwise_assets.defs.simulation.partitions import YEAR, YearAxis, simulation_partitions

    path = tmp_path / "years.yaml"
    path.write_text(
        "scenario: {name: years}\n"
        f"simulation: {{start_year: {start_year}, end_year: {start_year}, random_seed: 1, target_growth_rate: 0}}\n"
    )
    config = load_scenario_file(path).config
    assert config.years == [start_year]
    years = simulation_partitions(YearAxis.of_scenarios([config])).get_partitions_def_for_dimension(YEAR)
    assert years.get_partition_keys() == [str(start_year)]


def test_a_year_before_the_partitions_is_an_error(tmp_path):
    path = tmp_path / "early.yaml"
    path.write_text(
        "scenario: {name: early}\n"
        "simulation: {start_year: 2019, end_year: 2020, random_seed: 1, target_growth_rate: 0}\n"
    )
    with pytest.raises(ScenarioFileError, match=r"early\.yaml: simulation\.start_year: .*2020"):
        load_scenario_file(path)
