"""Hostile scenario files: each is refused in a moment with one line naming the file and the line or
key, and never stops `validate`, `status`, the sensor or the valid files beside it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from planwise_assets.lib.errors import ScenarioFileError
from planwise_assets.lib.scenario_files import load_scenario_file, validate_folder
from tests.conftest import baseline_document

VALID = (
    "scenario: {name: %s}\nsimulation: {start_year: 2025, end_year: 2026, random_seed: 1, target_growth_rate: 0.03}\n"
)

# each list holds 9 aliases of the list before: 9^6 = 531,441 strings once expanded, in 400 bytes
ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcde", "bcdef", strict=True)
)


def _refusal(path: Path, folder: Path | None = None) -> str:
    started = time.perf_counter()
    with pytest.raises(ScenarioFileError) as error:
        load_scenario_file(path, folder)
    assert time.perf_counter() - started < 2
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    assert _refusal(tmp_path / "pipe.yaml") == f"{tmp_path}/pipe.yaml: cannot read: a FIFO, not a regular file"


def test_a_link_to_dev_zero_is_refused_naming_the_link(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    assert _refusal(tmp_path / "zero.yaml") == f"{tmp_path}/zero.yaml: cannot read: a device, not a regular file"


def test_a_folder_named_like_a_scenario_and_a_loop_of_links_are_refused(tmp_path):
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    assert _refusal(tmp_path / "folder.yaml").endswith("folder.yaml: cannot read: a folder, not a regular file")
    assert _refusal(tmp_path / "loop.yaml").endswith("loop.yaml: cannot read: Too many levels of symbolic links")


def test_the_size_limit_applies_to_the_bytes_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(VALID % "big" + "#" * (1024 * 1024))
    assert _refusal(path) == f"{path}: is more than the 1 MiB a scenario file may have"


def test_a_duplicate_key_is_refused_naming_both_lines(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(VALID % "twice" + "workforce:\n  promotion_base_rate: 0.1\n  promotion_base_rate: 0.2\n")
    # lines 1-2: scenario, simulation; 3: workforce; 4 and 5: the key
    assert _refusal(path) == (f"{path}: line 5 is not valid YAML: key 'promotion_base_rate' repeats the one on line 4")


def test_a_key_overriding_a_merged_one_is_not_a_duplicate(tmp_path):
    path = tmp_path / "merged.yaml"
    path.write_text(
        "scenario: {name: merged}\n"
        "simulation: &years {start_year: 2025, end_year: 2026, random_seed: 1, target_growth_rate: 0.03}\n"
        "compensation: {<<: {cola_rate: 0.02, merit_budget: 0.04}, cola_rate: 0.03}\n"
    )
    compensation = load_scenario_file(path).config.compensation
    assert (compensation.cola_rate, compensation.merit_budget) == (0.03, 0.04)


def test_an_alias_bomb_in_a_base_and_its_child_is_refused_in_a_moment(tmp_path):
    (tmp_path / "base.yaml").write_text(VALID % "base" + ALIAS_BOMB)
    (tmp_path / "child.yaml").write_text("base_config: base.yaml\nscenario: {name: child}\n" + ALIAS_BOMB)
    for name in ("base.yaml", "child.yaml"):
        assert _refusal(tmp_path / name) == (
            f"{tmp_path}/{name}: its aliases and merges expand to more than 100000 values"
        )


def test_an_alias_inside_its_own_value_is_refused(tmp_path):
    path = tmp_path / "cycle.yaml"
    path.write_text("a: &a [1, *a]\n")
    assert _refusal(path) == f"{path}: line 1: an alias refers to a value that contains it"


def test_five_thousand_nested_brackets_are_refused_at_the_33rd(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("scenario: " + "[" * 5000 + "]" * 5000 + "\n")
    assert _refusal(path) == f"{path}: line 1 is not valid YAML: more than 32 levels of nesting"


def test_bytes_that_are_not_utf8_are_refused_naming_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes((VALID % "latin1").encode() + "scenario_description: caf\u00e9\n".encode("latin-1"))
    assert _refusal(path) == f"{path}: line 3 is not UTF-8 text (byte 0xe9)"


@pytest.mark.parametrize("reasons", ["[simulation.random_seed]", "{simulation.random_seed: [why]}", "just text"])
def test_override_reasons_of_the_wrong_type_are_refused_naming_the_key(tmp_path, reasons):
    (tmp_path / "base.yaml").write_text(VALID % "base")
    path = tmp_path / "child.yaml"
    path.write_text(f"base_config: base.yaml\nscenario: {{name: child}}\noverride_reasons: {reasons}\n")
    assert _refusal(path).startswith(f"{path}: override_reasons: must map dotted keys to reasons")


def test_an_impossible_date_and_a_nul_byte_in_a_file_name_are_one_line(tmp_path):
    (tmp_path / "date.yaml").write_text(
        VALID % "date" + "enrollment: {auto_enrollment: {hire_date_cutoff: 2025-13-45}}\n"
    )
    (tmp_path / "nul.yaml").write_text(VALID % "nul" + 'base_config: "a\\0b.yaml"\n')
    assert _refusal(tmp_path / "date.yaml") == f"{tmp_path}/date.yaml: is not valid YAML: month must be in 1..12"
    assert "base_config: 'a\\x00b.yaml' is not a usable file name" in _refusal(tmp_path / "nul.yaml")


def test_a_newline_in_a_key_is_shown_escaped_on_one_line(tmp_path):
    (tmp_path / "keys.yaml").write_text(VALID % "keys" + '"work\\nforce": {}\n')
    _, problems = validate_folder(tmp_path)
    assert problems == [
        f"{tmp_path}/keys.yaml: work\\nforce: Extra inputs are not permitted (did you mean 'workforce'?)"
    ]


def test_a_chain_of_seventeen_bases_is_refused(tmp_path):
    (tmp_path / "s0.yaml").write_text(VALID % "s0")
    for index in range(1, 18):
        (tmp_path / f"s{index}.yaml").write_text(f"base_config: s{index - 1}.yaml\nscenario: {{name: s{index}}}\n")
    assert len(load_scenario_file(tmp_path / "s16.yaml").base_chain) == 16
    assert _refusal(tmp_path / "s17.yaml") == f"{tmp_path}/s17.yaml: base_config: more than 16 bases in a chain"


def hostile_folder(folder: Path) -> dict[str, str]:
    """One valid scenario beside one file of each hostile kind; returns each bad file's expected problem."""
    folder.mkdir(exist_ok=True)
    (folder / "good.yaml").write_text(
        yaml.safe_dump(baseline_document("good", simulation={"end_year": 2025}, census={"employees": 100}))
    )
    os.mkfifo(folder / "pipe.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "bomb.yaml").write_text(VALID % "bomb" + ALIAS_BOMB)
    (folder / "deep.yaml").write_text("scenario: " + "[" * 5000 + "]" * 5000 + "\n")
    (folder / "latin1.yaml").write_bytes(b"scenario: {name: caf\xe9}\n")
    (folder / "reasons.yaml").write_text("base_config: good.yaml\nscenario: {name: reasons}\noverride_reasons: [x]\n")
    (folder / "twice.yaml").write_text(VALID % "twice" + VALID % "twice")
    return {
        "pipe.yaml": "cannot read: a FIFO, not a regular file",
        "zero.yaml": "cannot read: a device, not a regular file",
        "bomb.yaml": "its aliases and merges expand to more than 100000 values",
        "deep.yaml": "line 1 is not valid YAML: more than 32 levels of nesting",
        "latin1.yaml": "line 1 is not UTF-8 text (byte 0xe9)",
        "reasons.yaml": "override_reasons: must map dotted keys to reasons",
        "twice.yaml": "line 3 is not valid YAML: key 'scenario' repeats the one on line 1",
    }


def _one_line_per_bad_file(lines: list[str], folder: Path, expected: dict[str, str]) -> None:
    for name, problem in expected.items():
        (line,) = [line for line in lines if f"{folder}/{name}" in line]
        assert problem in line, line


def test_validate_reports_each_hostile_file_on_one_line_and_the_good_one_as_ok(tmp_path, capsys):
    from planwise_assets.client.cli import main

    expected = hostile_folder(tmp_path / "scenarios")
    assert main(["validate", "--scenarios-dir", str(tmp_path / "scenarios")]) == 1
    lines = capsys.readouterr().out.splitlines()
    _one_line_per_bad_file(lines, tmp_path / "scenarios", expected)
    assert "ok good.yaml: good (0 overrides of its base)" in lines
    assert len(lines) == len(expected) + 1


def test_status_lists_each_hostile_file_as_invalid_and_the_good_one_as_ready(tmp_path, instance):
    from planwise_assets.client.status import scenario_statuses

    expected = hostile_folder(tmp_path / "scenarios")
    statuses = scenario_statuses(instance, tmp_path / "scenarios")
    invalid = {Path(s.file).name: s.last_error for s in statuses if s.state == "invalid"}
    assert sorted(invalid) == sorted(expected)
    assert all(problem in invalid[name] for name, problem in expected.items())
    assert [(s.scenario_id, s.state) for s in statuses if s.state != "invalid"] == [("good", "ready")]


def test_status_names_an_invalid_file_in_a_folder_whose_path_has_colons(tmp_path, instance):
    from planwise_assets.client.status import scenario_statuses

    folder = tmp_path / "plans: 2026" / "scenarios"
    folder.mkdir(parents=True)
    (folder / "typo.yaml").write_text(
        "scenario: {name: typo}\nsimulation: {start_year: 2025, end_year: 2026}\nsimulaton: {}\n"
    )
    (folder / "broken.yaml").write_text("scenario: [unclosed\n")
    statuses = {s.scenario_id: s for s in scenario_statuses(instance, folder)}
    assert {name: (s.file, s.state) for name, s in statuses.items()} == {
        "broken": (str(folder / "broken.yaml"), "invalid"),
        "typo": (str(folder / "typo.yaml"), "invalid"),
    }
    assert "simulaton" in statuses["typo"].last_error and not statuses["typo"].last_error.startswith(":")
    assert "line 2" in statuses["broken"].last_error or "line 1" in statuses["broken"].last_error


def test_the_sensor_reports_each_hostile_file_and_requests_the_good_one(tmp_path, monkeypatch):
    from dagster import build_sensor_context
    from dagster._core.test_utils import instance_for_test

    from planwise_assets.defs.scenarios.sensors import evaluate_scenario_files
    from planwise_assets.defs.simulation.partitions import YearAxis

    monkeypatch.setenv("PLANWISE_HOME", str(tmp_path / "home"))
    hostile_folder(tmp_path / "scenarios")
    with instance_for_test() as instance:
        result = evaluate_scenario_files(
            build_sensor_context(instance=instance), tmp_path / "scenarios", YearAxis.every_year()
        )
    assert [request.partition_key for request in result.run_requests] == ["good"]
