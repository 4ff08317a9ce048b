"""The batch's bookkeeping, without running a scenario: its folder, its summary and what `--resume` reruns."""

from __future__ import annotations

from pathlib import Path

import pytest

from planwise_assets.client.batch import _new_batch_dir, _rerun_reason, _ScenarioInputs, previous_outcomes
from planwise_assets.lib.errors import PlanwiseError


def test_batches_started_in_the_same_second_get_folders_of_their_own(tmp_path):
    (tmp_path / "batch_20261202_120000").mkdir()  # as if another batch had started this second
    folders = [_new_batch_dir(tmp_path) for _ in range(3)]
    assert len(set(folders)) == 3 and all(folder.is_dir() and folder.name.startswith("batch_") for folder in folders)


INPUTS = _ScenarioInputs(scenario_fingerprint="f1", census_sha256="c1")


def _entry(tmp_path: Path, **changes) -> dict:
    output = tmp_path / "baseline_results.xlsx"
    output.touch()
    return {
        "status": "succeeded",
        "outputs": [str(output)],
        "scenario_fingerprint": "f1",
        "census_sha256": "c1",
        **changes,
    }


def test_a_scenario_that_succeeded_with_the_same_inputs_is_kept(tmp_path):
    assert _rerun_reason(_entry(tmp_path), INPUTS) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "pending"}, "it had not succeeded (pending)"),
        ({"status": "interrupted"}, "it had not succeeded (interrupted)"),
        ({"outputs": ["/nowhere/baseline_results.xlsx"]}, "some of its outputs are missing"),
        ({"scenario_fingerprint": "f0"}, "its scenario file or one of its base files changed"),
        ({"census_sha256": "c0"}, "its census file changed"),
    ],
)
def test_resume_reruns_a_scenario_and_says_why(tmp_path, changes, reason):
    assert _rerun_reason(_entry(tmp_path, **changes), INPUTS) == reason
    assert _rerun_reason(None, INPUTS) == "it was not in the batch"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "No such file or directory"),
        ("{not json", "not a batch summary"),
        ('{"scenarios": 3}', "not a batch summary"),
    ],
)
def test_resuming_from_a_missing_or_broken_summary_is_one_line(tmp_path, content, problem):
    if content is not None:
        (tmp_path / "batch_summary.json").write_text(content)
    with pytest.raises(PlanwiseError) as error:
        previous_outcomes(tmp_path)
    message = str(error.value)
    assert message.startswith(f"{tmp_path}/batch_summary.json: cannot resume from it: ") and problem in message
    assert "\n" not in message
