"""`planwise batch`, `status`, the Python API and JSON logs, run for real on small scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import AssetRecordsFilter

from tests.conftest import baseline_document

pytestmark = pytest.mark.slow

SMALL = {"simulation": {"end_year": 2026}, "census": {"employees": 300}}


@pytest.fixture(scope="module")
def batch_folder(planwise_home) -> Path:
    """Three small scenarios (one broken at run time) and one invalid file, in a folder of their own."""
    folder = planwise_home / "batch_scenarios"
    folder.mkdir()
    for name, extra in (
        ("baseline", {}),
        ("richer_match", {"employer_match": {"active_formula": "tiered_match"}}),
        # valid YAML, but its census file does not exist: fails in the inputs run
        ("no_census", {"census": {"path": "missing.csv"}}),
    ):
        document = baseline_document(name, **SMALL)
        for section, values in extra.items():
            document.setdefault(section, {}).update(values)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    (folder / "typo.yaml").write_text("scenario: {name: typo}\nsimulaton: {}\n")
    return folder


@pytest.fixture(scope="module")
def first_batch(batch_folder, planwise_home, monkeypatch_module):
    from planwise_assets.client.cli import main

    output = planwise_home / "batch_out"
    code = main(
        [
            "--log-format",
            "json",
            "batch",
            "--scenarios-dir",
            str(batch_folder),
            "--output-dir",
            str(output),
            "--discount-rate",
            "0.05",
        ]
    )
    (batch_dir,) = output.iterdir()
    return code, batch_dir


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def test_a_failing_scenario_does_not_stop_the_others_and_the_exit_code_says_so(first_batch):
    code, batch_dir = first_batch
    summary = json.loads((batch_dir / "batch_summary.json").read_text())
    states = {entry["scenario_id"]: entry["status"] for entry in summary["scenarios"]}
    assert code == 1
    assert states == {"baseline": "succeeded", "no_census": "failed", "richer_match": "succeeded"}
    failed = next(entry for entry in summary["scenarios"] if entry["scenario_id"] == "no_census")
    assert "missing.csv" in failed["error"]


def test_each_scenario_has_its_outputs_and_the_batch_a_comparison(first_batch):
    _, batch_dir = first_batch
    for scenario_id in ("baseline", "richer_match"):
        names = {path.name for path in (batch_dir / scenario_id).iterdir()}
        assert {f"{scenario_id}_results.xlsx", f"{scenario_id}_summary.csv", f"{scenario_id}_metadata.json"} <= names
    assert (batch_dir / "comparison_report.xlsx").exists()


def test_the_printed_pages_name_the_batch_and_the_headline_discounts_at_the_rate_asked(first_batch):
    from openpyxl import load_workbook

    _, batch_dir = first_batch
    scenario = load_workbook(batch_dir / "baseline" / "baseline_results.xlsx")["Summary"]
    comparison = load_workbook(batch_dir / "comparison_report.xlsx")
    assert f"batch {batch_dir.name} · " in scenario.oddFooter.left.text
    assert f"batch {batch_dir.name} · " in comparison["Headline"].oddFooter.left.text
    assert json.loads((batch_dir / "comparison_metadata.json").read_text())["discount_rate"] == 0.05
    measures = [row[0] for row in comparison["Headline"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert "Present value of the net cost at 5%" in measures


def test_every_batch_output_is_a_materialization_the_ui_shows(first_batch, instance):
    from dagster import AssetKey

    _, batch_dir = first_batch
    summary = json.loads((batch_dir / "batch_summary.json").read_text())
    for scenario_id in ("baseline", "richer_match"):
        entry = next(e for e in summary["scenarios"] if e["scenario_id"] == scenario_id)
        (record,) = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("scenario_workbook"), asset_partitions=[scenario_id]), limit=1
        ).records
        assert record.run_id == entry["run_ids"][-1]
        files = record.asset_materialization.metadata["files"].value
        assert sorted(files) == sorted(entry["outputs"])
        assert all(Path(f).parent == batch_dir / scenario_id for f in files)
    (comparison,) = instance.fetch_materializations(AssetKey("comparison_report"), limit=1).records
    assert sorted(comparison.asset_materialization.metadata["files"].value) == sorted(summary["comparison"])
    assert comparison.asset_materialization.metadata["scenarios"].value == "baseline, richer_match"


def test_json_logs_carry_scenario_and_plan_design_on_every_record(batch_folder, planwise_home, capfd):
    from planwise_assets.client.cli import main

    main(
        [
            "--log-format",
            "json",
            "batch",
            "--scenarios-dir",
            str(batch_folder),
            "--scenarios",
            "baseline",
            "--output-dir",
            str(planwise_home / "json_logs"),
        ]
    )
    # the batch's workers log to the same standard error
    records = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    scenario_records = [r for r in records if r["scenario_id"] is not None]
    assert scenario_records and all(r["plan_design_id"] == "standard" for r in scenario_records)
    # progress per scenario and per year
    assert [r["message"].split(" in ")[0] for r in scenario_records if r["message"].startswith("year ")] == [
        "year 2025 simulated",
        "year 2026 simulated",
    ]
    assert {"time", "level", "scenario_id", "plan_design_id", "message"} <= set(records[0])


def test_resume_reruns_only_what_failed_and_backs_up_before_rebuilding(
    first_batch, batch_folder, planwise_home, capsys
):
    from planwise_assets.client.cli import main

    _, batch_dir = first_batch
    census = planwise_home / "batch_scenarios" / "missing.csv"
    import datetime as dt

    from planwise_assets.lib.census import generate_census, write_census

    write_census(generate_census(200, 3, dt.date(2024, 12, 31)), census)
    before = json.loads((batch_dir / "batch_summary.json").read_text())
    kept_runs = {e["scenario_id"]: e["run_ids"] for e in before["scenarios"] if e["status"] == "succeeded"}
    code = main(["batch", "--scenarios-dir", str(batch_folder), "--resume", str(batch_dir)])
    after = {e["scenario_id"]: e for e in json.loads((batch_dir / "batch_summary.json").read_text())["scenarios"]}
    # every scenario succeeded, but typo.yaml is still invalid and skipped
    assert code == 1
    assert capsys.readouterr().out.splitlines()[-1] == "3 succeeded, 0 failed, 1 invalid"
    assert {s: e["status"] for s, e in after.items()} == dict.fromkeys(after, "succeeded")
    assert {s: after[s]["run_ids"] for s in kept_runs} == kept_runs  # not run again
    # the failed scenario's file existed (census never loaded), so it was backed up first
    assert Path(after["no_census"]["backup"]).parent == planwise_home / "backups" / "no_census"


def test_clean_removes_the_scenario_databases_after_their_exports(batch_folder, planwise_home):
    from planwise_assets.client.cli import main
    from planwise_assets.lib.data_root import warehouse_path

    output = planwise_home / "clean_out"
    assert (
        main(
            [
                "batch",
                "--scenarios-dir",
                str(batch_folder),
                "--scenarios",
                "baseline,richer_match",
                "--output-dir",
                str(output),
                "--clean",
            ]
        )
        == 0
    )
    (batch_dir,) = output.iterdir()
    assert (batch_dir / "comparison_report.xlsx").exists() and (
        batch_dir / "baseline" / "baseline_results.xlsx"
    ).exists()
    assert not warehouse_path("baseline").exists() and not warehouse_path("richer_match").exists()


def test_status_lists_states_years_and_errors(batch_folder, planwise_home, first_batch, instance):
    from planwise_assets.client.status import scenario_statuses

    statuses = {s.scenario_id: s for s in scenario_statuses(instance, batch_folder)}
    assert statuses["typo"].state == "invalid" and "simulaton" in statuses["typo"].last_error
    assert statuses["richer_match"].state in {"succeeded", "ready"}


def test_python_api_runs_years_and_reports_metrics_and_timings(batch_folder):
    from planwise_assets.client.api import run_multi_year, run_year

    report = run_multi_year(batch_folder / "richer_match.yaml", 2025, 2026)
    assert (report.scenario_id, [y.year for y in report.years]) == ("richer_match", [2025, 2026])
    first, second = report.years
    assert second.active_headcount_start == first.active_headcount_end
    assert all(y.seconds > 0 and 0 < y.participation_rate <= 1 for y in report.years)
    again = run_year(batch_folder / "richer_match.yaml", 2026)
    assert again.active_headcount_end == second.active_headcount_end
    with pytest.raises(Exception, match="not within"):
        run_multi_year(batch_folder / "richer_match.yaml", 2024, 2026)
    with duckdb.connect(str(Path(batch_folder).parent / "warehouse" / "richer_match.duckdb"), read_only=True) as con:
        overrides = con.execute("select count(*) from scenario_parameters").fetchone()[0]
    assert overrides > 20


def test_cancel_stops_a_run_not_yet_started_and_status_says_cancelled(batch_folder, instance):
    from dagster import DagsterRun, DagsterRunStatus

    from planwise_assets.client.runs import SCENARIO_TAG
    from planwise_assets.client.status import cancel_scenario, scenario_statuses
    from planwise_assets.lib.scenario_files import validate_folder

    config = validate_folder(batch_folder)[0]["baseline"].config
    run = instance.add_run(
        DagsterRun(
            job_name="simulate_workforce_job", status=DagsterRunStatus.NOT_STARTED, tags={SCENARIO_TAG: "baseline"}
        )
    )
    assert {s.scenario_id: s.state for s in scenario_statuses(instance, batch_folder)}["baseline"] == "running"
    assert cancel_scenario(instance, config) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED
    assert {s.scenario_id: s.state for s in scenario_statuses(instance, batch_folder)}["baseline"] == "cancelled"


def test_cancel_finds_the_ui_backfill_run_of_one_year(batch_folder, instance):
    from dagster import DagsterRun, DagsterRunStatus

    from planwise_assets.client.status import cancel_scenario
    from planwise_assets.dagster_private import PARTITION_NAME_TAG, get_multidimensional_partition_tag
    from planwise_assets.lib.scenario_files import validate_folder

    config = validate_folder(batch_folder)[0]["richer_match"].config
    # the tags Dagster puts on a backfill run of the partition richer_match|2026
    tags = {
        PARTITION_NAME_TAG: "richer_match|2026",
        get_multidimensional_partition_tag("scenario"): "richer_match",
        get_multidimensional_partition_tag("year"): "2026",
    }
    run = instance.add_run(
        DagsterRun(job_name="simulate_workforce_job", status=DagsterRunStatus.NOT_STARTED, tags=tags)
    )
    assert cancel_scenario(instance, config) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED


def test_resume_reruns_a_scenario_whose_file_changed_and_says_so(batch_folder, planwise_home, capfd):
    from planwise_assets.client.cli import main

    output = planwise_home / "changed_out"
    arguments = ["batch", "--scenarios-dir", str(batch_folder), "--scenarios", "baseline,richer_match"]
    assert main([*arguments, "--output-dir", str(output)]) == 0
    (batch_dir,) = output.iterdir()
    before = {e["scenario_id"]: e for e in json.loads((batch_dir / "batch_summary.json").read_text())["scenarios"]}
    path = batch_folder / "richer_match.yaml"
    path.write_text(path.read_text() + "# a comment is a change of the file\n")
    capfd.readouterr()
    assert main([*arguments, "--resume", str(batch_dir)]) == 0
    assert "richer_match: runs again: its scenario file or one of its base files changed" in capfd.readouterr().err
    after = {e["scenario_id"]: e for e in json.loads((batch_dir / "batch_summary.json").read_text())["scenarios"]}
    assert after["baseline"]["run_ids"] == before["baseline"]["run_ids"]
    assert after["richer_match"]["run_ids"] != before["richer_match"]["run_ids"]


def test_a_failed_comparison_is_recorded_and_resume_makes_it_again(batch_folder, planwise_home, capfd):
    from planwise_assets.client.cli import main

    output = planwise_home / "comparison_out"
    output.mkdir()
    # a folder where the comparison workbook goes: the comparison cannot be written
    arguments = ["batch", "--scenarios-dir", str(batch_folder), "--scenarios", "baseline,richer_match"]
    batch_dir = output / "blocked"
    (batch_dir / "comparison_report.xlsx").mkdir(parents=True)
    (batch_dir / "batch_summary.json").write_text(json.dumps({"scenarios": []}))
    capfd.readouterr()
    assert main([*arguments, "--resume", str(batch_dir)]) == 1
    (line,) = [line for line in capfd.readouterr().err.splitlines() if line.startswith("planwise: ")]
    assert line.startswith("planwise: comparison: ") and f"`planwise batch --resume {batch_dir}`" in line
    summary = json.loads((batch_dir / "batch_summary.json").read_text())
    assert summary["comparison_error"].startswith("comparison: ")
    assert {e["status"] for e in summary["scenarios"]} == {"succeeded"}
    (batch_dir / "comparison_report.xlsx").rmdir()
    assert main([*arguments, "--resume", str(batch_dir)]) == 0
    summary = json.loads((batch_dir / "batch_summary.json").read_text())
    assert summary["comparison_error"] == "" and (batch_dir / "comparison_report.xlsx").is_file()
