"""Fuzzed scenario files and censuses: whatever the bytes, the answer is a result or one line naming
the file, in bounded time; never a traceback, never a hang.

Hypothesis generates the cases from a fixed seed (derandomize), so a run of the suite is repeatable;
each case has a deadline, and an alarm turns a hang into a failure instead of a stuck CI.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planwise_assets.lib.census import MAX_AGE, MAX_ANNUAL_PAY, MIN_WORKING_AGE, read_census
from planwise_assets.lib.errors import CensusError, ScenarioFileError
from planwise_assets.lib.scenario_files import load_scenario_file
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

SCENARIO_CASES = 400
CENSUS_CASES = 300
CASE_SECONDS = 5
FUZZ = settings(
    max_examples=SCENARIO_CASES,
    deadline=dt.timedelta(seconds=CASE_SECONDS),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASELINE = (REPO_ROOT / "scenarios" / "simulation_baseline.yaml").read_bytes()
# the pieces hostile YAML is made of: structure, anchors and aliases, merges, tags, odd scalars and bytes
YAML_PIECES = [
    b": ",
    b"\n",
    b"  ",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!python/object ",
    b"!!binary ",
    b"!!timestamp ",
    b"? ",
    b"|\n",
    b">\n",
    b"'",
    b'"',
    b"#",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"base_config: ",
    b"override_reasons: ",
    b"1e999",
    b"-0",
    b"0x1F",
    b"2025-13-45",
    b"~",
    b"null",
    b"\t",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\x1b[31m",
    b"\xef\xbb\xbf",
    b"a" * 300,
    b"[" * 50,
    b"{a: " * 40,
]


@contextmanager
def alarm(seconds: int) -> Iterator[None]:
    """A hang ends the case with an error (the deadline only measures cases that finish)."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def mutated_yaml(draw: st.DrawFn) -> bytes:
    """The baseline scenario file with a few slices replaced by YAML pieces or random bytes."""
    content = BASELINE
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(content)))
        end = draw(st.integers(start, min(len(content), start + 40)))
        piece = draw(st.one_of(st.sampled_from(YAML_PIECES), st.binary(max_size=20)))
        content = content[:start] + piece * draw(st.integers(1, 3)) + content[end:]
    return content


def yaml_values() -> st.SearchStrategy:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates(), st.binary(max_size=8)
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=30,
    )


@st.composite
def typed_documents(draw: st.DrawFn) -> bytes:
    """A well-formed document whose sections and values have arbitrary types."""
    document = yaml.safe_load(BASELINE)
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from([*document, "override_reasons", "base_config", "census"]))
        if draw(st.booleans()) and isinstance(document.get(section), dict) and document[section]:
            key = draw(st.sampled_from(sorted(document[section])))
            document[section] = {**document[section], key: draw(yaml_values())}
        else:
            document[section] = draw(yaml_values())
    return yaml.safe_dump(document, allow_unicode=draw(st.booleans())).encode()


def _answer_is_a_config_or_one_line(path: Path, folder: Path) -> None:
    try:
        with alarm(CASE_SECONDS * 2):
            load_scenario_file(path, folder)
    except ScenarioFileError as error:
        lines = str(error).splitlines()
        assert lines and all(line.startswith(str(path)) and line.isprintable() for line in lines), lines


@FUZZ
@given(content=st.one_of(mutated_yaml(), typed_documents(), st.binary(max_size=2000)))
def test_any_scenario_file_gives_a_config_or_one_line_per_problem(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "base.yaml").write_bytes(BASELINE.replace(b"name: baseline", b"name: base"))
    path = folder / "fuzzed.yaml"
    path.write_bytes(content)
    _answer_is_a_config_or_one_line(path, folder)


# --------------------------------------------------------------------------- censuses

CENSUS_DATE = dt.date(2024, 12, 31)
HEADER = "employee_id,birth_date,hire_date,termination_date,active,annual_pay,deferral_rate,scheduled_hours"
GOOD_ROW = ["EMP0001", "1980-01-15", "2010-03-01", "", "true", "85000.00", "0.05", "2080"]
FIELD_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "1800-01-01",
            "2024-12-31",
            "2030-01-01",
            "0001-01-01",
            "9999-12-31",
            "2024-02-30",
            "1e15",
            "-1",
            "nan",
            "inf",
            "1e-300",
            "100000000.01",
            "0",
            "8785",
            "2080.5",
            "yes",
            "maybe",
            "EMP\x1b[31m",
            "\x00",
            '"',
            "\n",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.dates().map(dt.date.isoformat),
)


@st.composite
def censuses(draw: st.DrawFn) -> bytes:
    rows = []
    for index in range(draw(st.integers(1, 8))):
        row = [*GOOD_ROW]
        row[0] = f"EMP{index:04d}"
        for _ in range(draw(st.integers(0, 3))):
            row[draw(st.integers(0, len(row) - 1))] = draw(FIELD_VALUES)
        rows.append(",".join(f'"{value}"' if "," in value else value for value in row))
    content = ("\n".join([HEADER, *rows]) + "\n").encode()
    if draw(st.booleans()):
        # a few raw bytes somewhere: non-UTF-8, NUL, a quote
        at = draw(st.integers(0, len(content)))
        content = content[:at] + draw(st.binary(min_size=1, max_size=4)) + content[at:]
    return content


@settings(FUZZ, max_examples=CENSUS_CASES)
@given(content=censuses())
def test_any_census_gives_plausible_rows_or_one_line_naming_the_file(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("census") / "census.csv"
    path.write_bytes(content)
    try:
        with alarm(CASE_SECONDS * 2):
            frame = read_census(path, CENSUS_DATE)
    except CensusError as error:
        message = str(error)
        assert message.startswith(str(path)) and message.isprintable(), message
        return
    # what was accepted is what the simulation can hold: nobody is dropped by the age bands
    for row in frame.itertuples():
        age = (CENSUS_DATE - row.birth_date).days / 365.25
        assert MIN_WORKING_AGE - 1 <= age <= MAX_AGE + 1
        assert (row.hire_date - row.birth_date).days / 365.25 >= MIN_WORKING_AGE - 1
        assert 0 < row.annual_pay <= MAX_ANNUAL_PAY
        assert row.employee_id.isprintable()


def test_validate_on_a_folder_of_hostile_files_answers_without_a_traceback(tmp_path):
    """The command itself, as a user runs it, over many bad files at once."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    examples = st.lists(st.one_of(mutated_yaml(), typed_documents()), min_size=60, max_size=60)
    for index, content in enumerate(_seeded_examples(examples)):
        (folder / f"f{index:02d}.yaml").write_bytes(content)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("planwise")), "validate", "--scenarios-dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr + result.stdout
    assert len([line for line in result.stdout.splitlines() if line.startswith(str(folder))]) >= 30


def _seeded_examples(strategy: st.SearchStrategy) -> list[bytes]:
    found: list[list[bytes]] = []

    @settings(max_examples=1, derandomize=True, database=None)
    @given(strategy)
    def draw(value: list[bytes]) -> None:
        found.append(value)

    draw()
    return found[0]
