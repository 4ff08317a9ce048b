"""Analyst outputs: workbooks materialized through Dagster, read back and checked against the DuckDB tables."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import pytest
from dagster import AssetKey, materialize
from openpyxl import load_workbook

from tests.conftest import query
from tests.test_simulation import _exact_census

BASE, AUTO = "exp_base", "exp_auto"
COMPARED = (BASE, AUTO)
YEARS = [2025, 2026]
CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
GREEN, RED, PLAIN = "00C6EFCE", "00FFC7CE", "00000000"
SIMULATION_RUNS: dict[str, str] = {}


# --------------------------------------------------------------------------------------------
# fixtures: two small scenarios simulated and exported through Dagster once for the module
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def configs(tmp_path_factory, write_scenario, run_scenario) -> dict[str, Any]:
    """A baseline and a variant that auto-enrolls everyone eligible and grows faster: 300 employees, 2025-2026."""
    census = {"path": _exact_census(tmp_path_factory.mktemp("census"), 300)}
    configs = {
        BASE: write_scenario(BASE, simulation={"end_year": 2026}, census=census),
        AUTO: write_scenario(
            AUTO,
            simulation={"end_year": 2026, "target_growth_rate": 0.06},
            enrollment={"auto_enrollment": {"enabled": True, "scope": "all_eligible_employees"}},
            census=census,
        ),
    }
    for config in configs.values():
        SIMULATION_RUNS[config.scenario_id] = run_scenario(config)[-1]
    return configs


@pytest.fixture(scope="module")
def workbook_runs(configs, instance, scenarios_dir) -> dict[str, Any]:
    """scenario_workbook materialized for each scenario partition; returns each run's result."""
    from planwise_assets.defs.exports.assets import scenario_workbook
    from planwise_assets.defs.exports.resources import ExportsFolder
    from planwise_assets.defs.scenarios.resources import ScenarioFolder

    results = {}
    for scenario_id in COMPARED:
        result = materialize(
            [scenario_workbook],
            partition_key=scenario_id,
            instance=instance,
            resources={"scenarios": ScenarioFolder(path=str(scenarios_dir)), "exports": ExportsFolder()},
        )
        assert result.success
        results[scenario_id] = result
    return results


@pytest.fixture(scope="module")
def comparison_run(workbook_runs, instance, scenarios_dir):
    from planwise_assets.defs.exports.assets import comparison_report
    from planwise_assets.defs.exports.resources import ExportsFolder
    from planwise_assets.defs.scenarios.resources import ScenarioFolder

    result = materialize(
        [comparison_report],
        instance=instance,
        resources={"scenarios": ScenarioFolder(path=str(scenarios_dir)), "exports": ExportsFolder()},
        run_config={"ops": {"comparison_report": {"config": {"baseline_scenario": BASE}}}},
    )
    assert result.success
    return result


def _exports(planwise_home: Path, folder: str) -> Path:
    return planwise_home / "exports" / folder


@pytest.fixture(scope="module")
def base_workbook(workbook_runs, planwise_home):
    return load_workbook(_exports(planwise_home, BASE) / f"{BASE}_results.xlsx")


@pytest.fixture(scope="module")
def comparison_workbook(comparison_run, planwise_home):
    return load_workbook(planwise_home / "exports" / "comparison_report.xlsx")


def _rows(ws, min_row: int = 2) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=min_row, values_only=True)]


def _header(ws) -> list[str]:
    return [cell.value for cell in ws[1]]


def _same(cell: Any, db: Any) -> bool:
    """A cell read back equals the database value: numbers to the cent, dates as dates."""
    if db is None or cell is None:
        return cell is None and db is None
    if isinstance(db, bool) or isinstance(cell, bool):
        return cell == db
    if isinstance(db, int | float | Decimal):
        return cell == pytest.approx(float(db), abs=1e-6)
    if isinstance(db, dt.date):
        return cell.date() == db if isinstance(cell, dt.datetime) else cell == db
    return cell == db


def _assert_rows_equal(sheet_rows: list[tuple], db_rows: list[tuple]) -> None:
    assert len(sheet_rows) == len(db_rows)
    for sheet_row, db_row in zip(sheet_rows, db_rows, strict=True):
        assert len(sheet_row) == len(db_row)
        mismatches = [(c, d) for c, d in zip(sheet_row, db_row, strict=True) if not _same(c, d)]
        assert not mismatches, f"{db_row[:3]}: {mismatches}"


def _db_table(scenario_id: str, table: str, order_by: str) -> tuple[list[str], list[tuple]]:
    from planwise_assets.lib.data_root import warehouse_path

    with duckdb.connect(str(warehouse_path(scenario_id)), read_only=True) as con:
        relation = con.sql(f"select * exclude (scenario_id, plan_design_id) from {table} order by {order_by}")
        return list(relation.columns), relation.fetchall()


# --------------------------------------------------------------------------------------------
# the scenario workbook
# --------------------------------------------------------------------------------------------


def test_scenario_workbook_depends_on_the_marts_it_reads_for_all_years_of_its_scenario():
    from dagster import MultiToSingleDimensionPartitionMapping

    from planwise_assets.definitions import defs

    graph = defs().resolve_asset_graph()
    node = graph.get(AssetKey("scenario_workbook"))
    marts = {AssetKey(name) for name in ("fct_yearly_summary", "fct_workforce_snapshot", "fct_yearly_events")}
    assert set(node.parent_keys) == marts
    for mart in marts:
        mapping = graph.get_partition_mapping(AssetKey("scenario_workbook"), mart)
        assert mapping == MultiToSingleDimensionPartitionMapping(partition_dimension_name="scenario")
    assert AssetKey("scenario_workbook") in graph.get(AssetKey("comparison_report")).parent_keys


@pytest.mark.parametrize(
    ("column", "kind", "expected"),
    [
        ("employer_match_amount", "decimal", '"$"#,##0.00'),
        ("amount", "decimal", '"$"#,##0.00'),
        ("participation_rate", "decimal", "0.00%"),
        ("rate", "decimal", "0.00%"),  # a match tier's or core band's rate parameter
        ("employees_at_402g_limit", "integer", "#,##0"),  # a count, though it names a limit
        ("vesting_service_years", "integer", "#,##0"),
        ("simulation_year", "integer", "0"),
        ("previous_level", "integer", "0"),
        ("merit_budget", "decimal", "#,##0.00"),  # neither money nor a rate by its name
        ("hire_date", "date", "yyyy-mm-dd"),
        ("event_type", "text", "General"),
    ],
)
def test_number_format_follows_the_unit_at_the_end_of_the_column_name(column, kind, expected):
    from planwise_assets.defs.exports.formats import number_format

    assert number_format(column, kind) == expected


def test_scenario_outputs_are_written_under_exports_with_their_twins(workbook_runs, planwise_home):
    folder = _exports(planwise_home, BASE)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{BASE}_metadata.json",
        f"{BASE}_results.xlsx",
        f"{BASE}_summary.csv",
    ]
    assert load_workbook(folder / f"{BASE}_results.xlsx", read_only=True).sheetnames == [
        "Summary",
        "Workforce_Snapshot",
        "Events_Summary",
        "Contributions",
        "Compliance",
        "Assumptions",
        "Metadata",
    ]


@pytest.mark.parametrize("scenario_id", COMPARED)
def test_summary_sheet_is_fct_yearly_summary_with_no_empty_column(workbook_runs, planwise_home, scenario_id):
    ws = load_workbook(_exports(planwise_home, scenario_id) / f"{scenario_id}_results.xlsx")["Summary"]
    columns, rows = _db_table(scenario_id, "fct_yearly_summary", "simulation_year")
    assert _header(ws) == columns
    _assert_rows_equal(_rows(ws), rows)
    for index, column in enumerate(columns):
        assert any(row[index] is not None for row in _rows(ws)), f"{column} is empty"


def test_snapshot_sheet_holds_every_row_of_fct_workforce_snapshot(base_workbook):
    ws = base_workbook["Workforce_Snapshot"]
    columns, rows = _db_table(BASE, "fct_workforce_snapshot", "simulation_year, employee_id")
    assert _header(ws) == columns
    _assert_rows_equal(_rows(ws), rows)


def test_events_summary_counts_and_totals_events_by_year_and_type(base_workbook):
    ws = base_workbook["Events_Summary"]
    assert _header(ws)[:5] == [
        "simulation_year",
        "event_type",
        "event_count",
        "total_previous_pay_amount",
        "total_new_pay_amount",
    ]
    expected = query(
        BASE,
        """
        select simulation_year, event_type, count(*), sum(previous_pay_amount), sum(new_pay_amount), sum(amount),
               sum(new_pay_amount - previous_pay_amount)
        from fct_yearly_events group by all order by all
        """,
    )
    assert _header(ws)[5:] == ["total_amount", "total_pay_change_amount"]
    _assert_rows_equal(_rows(ws), expected)
    hires = query(BASE, "select count(*) from fct_yearly_events where event_type = 'hire' and simulation_year = 2025")
    assert [row[2] for row in _rows(ws) if row[:2] == (2025, "hire")] == [hires[0][0]]


def test_contributions_sheet_shows_payroll_and_every_cost_column_by_year(base_workbook):
    ws = base_workbook["Contributions"]
    assert _header(ws) == [
        "simulation_year",
        "total_prorated_pay_amount",
        "employee_contribution_amount",
        "employer_match_amount",
        "employer_core_amount",
        "total_employer_cost_amount",
        "employer_cost_rate",
        "forfeiture_amount",
    ]
    expected = query(BASE, f"select {', '.join(_header(ws))} from fct_yearly_summary order by simulation_year")
    _assert_rows_equal(_rows(ws), expected)


def test_analyst_formatting_frozen_bold_header_number_formats_widths_filter(base_workbook):
    summary = base_workbook["Summary"]
    snapshot = base_workbook["Workforce_Snapshot"]
    for ws in (summary, snapshot, base_workbook["Events_Summary"], base_workbook["Contributions"]):
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        for cell in ws[1]:
            assert ws.column_dimensions[cell.column_letter].width >= len(cell.value)

    def fmt(ws, column: str) -> str:
        return ws.cell(row=2, column=_header(ws).index(column) + 1).number_format

    currency, percent, count = '"$"#,##0.00', "0.00%", "#,##0"
    assert fmt(summary, "total_prorated_pay_amount") == currency
    assert fmt(summary, "employer_match_amount") == currency
    assert fmt(summary, "participation_rate") == percent
    assert fmt(summary, "employer_cost_rate") == percent
    assert fmt(summary, "hires") == count
    assert fmt(summary, "employees_at_402g_limit") == count
    assert fmt(summary, "simulation_year") == "0"
    assert fmt(snapshot, "prorated_pay_amount") == currency
    assert fmt(snapshot, "vested_rate") == percent
    assert fmt(snapshot, "employee_contribution_amount") == currency
    assert fmt(snapshot, "deferral_rate") == percent
    assert fmt(snapshot, "hire_date") == "yyyy-mm-dd"
    assert fmt(snapshot, "age") == count


def test_assumptions_list_every_resolved_parameter_by_dotted_key(configs, base_workbook):
    rows = dict(_rows(base_workbook["Assumptions"]))
    assert rows["simulation.random_seed"] == 42
    assert rows["simulation.end_year"] == 2026
    assert rows["simulation.target_growth_rate"] == 0.03
    assert rows["enrollment.auto_enrollment.enabled"] is False
    assert rows["employer_match.active_formula"] == "simple_match"
    assert rows["census.path"] == str(configs[BASE].census.path)
    from planwise_assets.lib.scenario_files import flatten

    assert set(rows) == set(flatten(configs[BASE].model_dump(mode="json")))


def test_metadata_names_scenario_census_code_dagster_run_and_results(
    configs, workbook_runs, base_workbook, planwise_home
):
    from planwise_assets.lib.census import file_sha256
    from planwise_assets.lib.data_root import warehouse_path
    from planwise_assets.lib.fingerprint import results_fingerprint

    fields = dict(_rows(base_workbook["Metadata"]))
    run = workbook_runs[BASE]
    assert fields["scenario_id"] == BASE
    assert fields["plan_design_id"] == "standard"
    assert fields["random_seed"] == 42
    assert fields["years"] == "2025-2026"
    assert fields["census_sha256"] == file_sha256(Path(configs[BASE].census.path))
    assert fields["simulation_run_id"] == SIMULATION_RUNS[BASE]
    assert re.fullmatch(r"git [0-9a-f]{4,}.*|planwise .+", fields["code_version"])
    assert dt.datetime.fromisoformat(fields["created_at"]).utcoffset() == dt.timedelta(0)
    assert 0 < fields["export_seconds"] < 30
    with duckdb.connect(str(warehouse_path(BASE)), read_only=True) as con:
        assert fields["results_fingerprint"] == results_fingerprint(con)
    twin = json.loads((_exports(planwise_home, BASE) / f"{BASE}_metadata.json").read_text())
    assert {key: twin[key] for key in fields} == fields
    assert twin["parameters"]["simulation.random_seed"] == 42
    materialization = run.asset_materializations_for_node("scenario_workbook")[0]
    assert materialization.metadata["export_seconds"].value > 0


def test_summary_csv_twin_is_fct_yearly_summary(workbook_runs, planwise_home):
    with (_exports(planwise_home, BASE) / f"{BASE}_summary.csv").open() as handle:
        rows = list(csv.reader(handle))
    expected = query(BASE, "select * from fct_yearly_summary order by simulation_year")
    assert len(rows) == len(expected) + 1
    assert rows[0][:3] == ["scenario_id", "plan_design_id", "simulation_year"]
    for row, db_row in zip(rows[1:], expected, strict=True):
        for text, value in zip(row, db_row, strict=True):
            assert _same(float(text) if isinstance(value, Decimal | int) else text, value)


def test_snapshot_splits_into_one_sheet_per_year_past_the_row_limit(configs, tmp_path):
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs

    rows_by_year = dict(query(BASE, "select simulation_year, count(*) from fct_workforce_snapshot group by all"))
    limit = max(rows_by_year.values()) + 1  # each year fits on a sheet with its header, all years do not
    workbook_path = write_scenario_outputs(configs[BASE], tmp_path, None, row_limit=limit)[0]
    wb = load_workbook(workbook_path)
    assert wb.sheetnames[1 : 1 + len(YEARS)] == [f"Workforce_Snapshot_{year}" for year in YEARS]
    for year in YEARS:
        ws = wb[f"Workforce_Snapshot_{year}"]
        columns, rows = _db_table(BASE, f"fct_workforce_snapshot where simulation_year = {year}", "employee_id")
        assert _header(ws) == columns
        _assert_rows_equal(_rows(ws), rows)
        assert ws.max_row <= limit


def test_a_year_longer_than_a_sheet_continues_on_numbered_sheets():
    from planwise_assets.defs.exports.scenario_workbook import SnapshotSheet, plan_snapshot_sheets

    # a 6-row sheet holds 5 data rows under its header
    assert plan_snapshot_sheets({2025: 2, 2026: 3}, row_limit=6) == [SnapshotSheet("Workforce_Snapshot", None, 0, 5)]
    assert plan_snapshot_sheets({2025: 5, 2026: 12}, row_limit=6) == [
        SnapshotSheet("Workforce_Snapshot_2025", 2025, 0, 5),
        SnapshotSheet("Workforce_Snapshot_2026_1", 2026, 0, 5),
        SnapshotSheet("Workforce_Snapshot_2026_2", 2026, 5, 5),
        SnapshotSheet("Workforce_Snapshot_2026_3", 2026, 10, 2),
    ]


def test_override_register_and_empty_cost_columns(configs, write_scenario, tmp_path):
    """A scenario file whose employer_core is empty and which records its overrides (as a later issue will)."""
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs
    from planwise_assets.lib.data_root import warehouse_path

    census = {"path": str(configs[BASE].census.path)}
    config = write_scenario("exp_register", simulation={"end_year": 2026}, census=census)
    shutil.copy(warehouse_path(BASE), warehouse_path("exp_register"))
    with duckdb.connect(str(warehouse_path("exp_register"))) as con:
        con.execute("update fct_yearly_summary set employer_core_amount = null")
        con.execute(
            "create or replace table scenario_overrides as select 'simulation.target_growth_rate' as path, "
            "'0.03' as base_value, '0.05' as scenario_value, 'expansion' as reason"
        )
    wb = load_workbook(write_scenario_outputs(config, tmp_path, None)[0])
    assert "employer_core_amount" not in _header(wb["Summary"])
    assert "employer_core_amount" not in _header(wb["Contributions"])
    assert "total_employer_cost_amount" in _header(wb["Contributions"])
    rows = _rows(wb["Assumptions"], min_row=1)
    start = rows.index(("path", "base_value", "scenario_value", "reason"))
    assert all(value is None for value in rows[start - 1])  # a blank row between the two tables
    # values are stored as JSON text and shown as what they are: numbers here
    assert rows[start + 1] == ("simulation.target_growth_rate", 0.03, 0.05, "expansion")
    assert wb["Assumptions"].cell(row=start + 1, column=1).font.b


def test_export_of_a_scenario_never_simulated_names_what_to_do(write_scenario, tmp_path):
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs
    from planwise_assets.defs.exports.sources import ExportError

    config = write_scenario("exp_not_simulated")
    with pytest.raises(ExportError, match="simulate the scenario"):
        write_scenario_outputs(config, tmp_path, None)


# --------------------------------------------------------------------------------------------
# the comparison report
# --------------------------------------------------------------------------------------------


def _final_year_values(scenario_id: str) -> dict[str, Any]:
    columns, rows = _db_table(scenario_id, "fct_yearly_summary", "simulation_year")
    return dict(zip(columns, rows[-1], strict=True))


def test_comparison_outputs_are_written_in_the_exports_folder_beside_the_scenarios(comparison_run, planwise_home):
    folder = planwise_home / "exports"
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [
        "comparison_metadata.json",
        "comparison_report.xlsx",
        "comparison_summary.csv",
    ]
    metadata = json.loads((folder / "comparison_metadata.json").read_text())
    assert metadata["baseline_scenario"] == BASE
    assert [s["scenario_id"] for s in metadata["scenarios"]] == [BASE, AUTO]
    assert metadata["dagster_run_id"] == comparison_run.run_id
    assert metadata["export_seconds"] > 0


def test_overview_compares_final_year_metrics_against_the_baseline(comparison_workbook):
    ws = comparison_workbook["Overview"]
    assert _header(ws) == [
        "metric",
        "better_when",
        "simulation_year",
        BASE,
        AUTO,
        f"{AUTO} - {BASE}",
        f"{AUTO} vs {BASE} %",
    ]
    base, auto = _final_year_values(BASE), _final_year_values(AUTO)
    metrics = [row[0] for row in _rows(ws)]
    assert "participation_rate" in metrics and "active_headcount_end" in metrics
    assert "simulation_year" not in metrics and "match_formula" not in metrics
    for metric, _better, year, base_value, auto_value, difference, relative in _rows(ws):
        assert year == 2026
        assert _same(base_value, base[metric]) and _same(auto_value, auto[metric])
        assert _same(difference, auto[metric] - base[metric])
        if base[metric]:
            assert relative == pytest.approx(float(auto[metric] - base[metric]) / float(base[metric]))
        else:
            assert relative is None
    payroll = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "total_prorated_pay_amount")
    assert [cell.number_format for cell in payroll[3:]] == [
        '"$"#,##0.00',
        '"$"#,##0.00',
        '+"$"#,##0.00;-"$"#,##0.00;"$"#,##0.00',
        "+0.00%;-0.00%;0.00%",
    ]
    directions = {row[0]: row[1] for row in _rows(ws)}
    assert directions["participation_rate"] == "higher"
    assert directions["total_employer_cost_amount"] == "lower"
    assert directions["active_headcount_end"] == "neutral"


def test_differences_are_green_when_better_red_when_worse_and_plain_when_neutral(comparison_workbook):
    ws = comparison_workbook["Overview"]
    colours = {}
    for metric, better, _year, _base, _auto, absolute, relative in ws.iter_rows(min_row=2):
        difference = absolute.value
        if better.value == "neutral" or not difference:
            expected = PLAIN
        else:
            expected = GREEN if (difference > 0) == (better.value == "higher") else RED
        assert absolute.fill.fgColor.rgb == expected == relative.fill.fgColor.rgb, metric.value
        colours[metric.value] = (difference, expected)
    # auto-enrolling everyone raises participation (better) and the employer's cost (worse);
    # faster growth raises headcount, which is neither
    assert colours["participation_rate"][0] > 0 and colours["participation_rate"][1] == GREEN
    assert colours["total_employer_cost_amount"][0] > 0 and colours["total_employer_cost_amount"][1] == RED
    assert colours["active_headcount_end"][0] > 0 and colours["active_headcount_end"][1] == PLAIN


def test_metrics_by_year_holds_every_metric_year_and_scenario(comparison_workbook):
    ws = comparison_workbook["Metrics_By_Year"]
    assert _header(ws) == ["metric", "simulation_year", BASE, AUTO, f"{AUTO} - {BASE}", f"{AUTO} vs {BASE} %"]
    tables = {}
    for scenario_id in COMPARED:
        columns, rows = _db_table(scenario_id, "fct_yearly_summary", "simulation_year")
        tables[scenario_id] = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    rows = _rows(ws)
    metrics = list(dict.fromkeys(row[0] for row in rows))
    assert len(rows) == len(metrics) * len(YEARS)
    for metric, year, base, auto, difference, _relative in rows:
        assert _same(base, tables[BASE][year][metric]), (metric, year)
        assert _same(auto, tables[AUTO][year][metric]), (metric, year)
        assert _same(difference, tables[AUTO][year][metric] - tables[BASE][year][metric])


def _chart_series(path: Path) -> list[list[str]]:
    """For each chart part of the file, the titles of its series (read from the part's XML)."""
    charts = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
            root = ElementTree.fromstring(archive.read(name))
            titles = []
            for series in root.iter(f"{{{CHART_NS}}}ser"):
                label = series.find(f"{{{CHART_NS}}}tx")
                texts = [e.text for e in label.iter() if e.tag in {f"{{{CHART_NS}}}v", f"{{{DRAWING_NS}}}t"}]
                titles.append(texts[0] if texts else "")
            charts.append(titles)
    return charts


def test_charts_draw_one_line_per_scenario_for_the_key_metrics(comparison_run, comparison_workbook, planwise_home):
    charts = _chart_series(planwise_home / "exports" / "comparison_report.xlsx")
    charted = [
        "active_headcount_end",
        "total_prorated_pay_amount",
        "participation_rate",
        "avg_deferral_rate",
        "total_employer_cost_amount",
        "employer_cost_rate",
    ]
    assert len(charts) == len(charted)
    for series in charts:
        assert series == [BASE, AUTO]
    assert len(comparison_workbook["Charts"]._charts) == len(charted)


def test_parameters_sheet_shows_only_parameters_that_differ(comparison_workbook):
    ws = comparison_workbook["Parameters"]
    assert _header(ws) == ["parameter", BASE, AUTO]
    assert {row[0]: row[1:] for row in _rows(ws)} == {
        "enrollment.auto_enrollment.enabled": (False, True),
        "enrollment.auto_enrollment.scope": ("new_hires_only", "all_eligible_employees"),
        "simulation.target_growth_rate": (0.03, 0.06),
    }


def test_comparison_csv_has_every_scenario_year_and_metric_with_differences(comparison_run, planwise_home):
    with (planwise_home / "exports" / "comparison_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    finals = {s: _final_year_values(s) for s in COMPARED}
    row = next(r for r in rows if (r["scenario_id"], r["simulation_year"], r["metric"]) == (AUTO, "2026", "hires"))
    assert int(row["value"]) == finals[AUTO]["hires"]
    assert int(row["baseline_value"]) == finals[BASE]["hires"]
    assert int(row["difference"]) == finals[AUTO]["hires"] - finals[BASE]["hires"]
    assert {r["scenario_id"] for r in rows} == set(COMPARED)
    assert {r["simulation_year"] for r in rows} == {str(y) for y in YEARS}


def test_comparison_needs_the_baseline_among_the_compared_scenarios(configs, tmp_path):
    from planwise_assets.defs.exports.comparison import write_comparison_outputs
    from planwise_assets.defs.exports.sources import ExportError

    with pytest.raises(ExportError, match=r"'baseline' is not among the compared scenarios \(exp_auto\)"):
        write_comparison_outputs([configs[AUTO]], tmp_path, "baseline", None)


# --------------------------------------------------------------------------------------------
# a real spreadsheet program opens both workbooks
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice's soffice, installed from Debian's packages when missing."""
    found = shutil.which("soffice")
    if found:
        return found
    install = subprocess.run(
        "apt-get update && apt-get install -y --no-install-recommends libreoffice-calc",
        shell=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    found = shutil.which("soffice")
    if install.returncode != 0 or not found:
        pytest.fail(
            "LibreOffice (soffice) is needed to check that the workbooks open in a spreadsheet program; "
            f"installing libreoffice-calc failed (exit {install.returncode}): {install.stderr.strip()[-800:]}"
        )
    return found


def test_libreoffice_opens_both_workbooks_and_keeps_the_charts(soffice, comparison_run, planwise_home, tmp_path):
    workbooks = [
        _exports(planwise_home, BASE) / f"{BASE}_results.xlsx",
        planwise_home / "exports" / "comparison_report.xlsx",
    ]
    converted = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            *map(str, workbooks),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert converted.returncode == 0, converted.stderr
    assert "Error" not in converted.stdout + converted.stderr
    for workbook in workbooks:
        round_trip = tmp_path / "out" / workbook.name
        assert round_trip.exists(), converted.stdout + converted.stderr
        sheets = load_workbook(workbook, read_only=True).sheetnames
        assert load_workbook(round_trip, read_only=True).sheetnames == sheets
    # the snapshot's cells carry no references: LibreOffice must still put each in its column
    snapshot = load_workbook(tmp_path / "out" / f"{BASE}_results.xlsx")["Workforce_Snapshot"]
    columns, rows = _db_table(BASE, "fct_workforce_snapshot", "simulation_year, employee_id")
    assert _header(snapshot) == columns
    # LibreOffice saves a boolean as the formula =TRUE() or =FALSE()
    as_saved = {"=TRUE()": True, "=FALSE()": False}
    _assert_rows_equal([tuple(as_saved.get(v, v) for v in row) for row in _rows(snapshot)], rows)
    charts = _chart_series(tmp_path / "out" / "comparison_report.xlsx")
    assert len(charts) == 6
    for series in charts:
        assert series == [BASE, AUTO]


# --------------------------------------------------------------------------------------------
# bulk sheets: the XML written straight from DuckDB
# --------------------------------------------------------------------------------------------


def _bulk_workbook(tmp_path: Path, source: str) -> Path:
    from openpyxl import Workbook

    from planwise_assets.defs.exports.bulk_sheet import (
        BulkSheet,
        Slice,
        add_bulk_sheet,
        add_openpyxl_parts,
        write_bulk_sheets,
    )

    con = duckdb.connect()
    wb = Workbook()
    pending = [add_bulk_sheet(wb, con, BulkSheet("Bulk", source, (Slice(source, "id"),)))]
    path = tmp_path / "bulk.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        write_bulk_sheets(archive, wb, con, pending)
        add_openpyxl_parts(archive, wb, pending)
    return path


def test_bulk_sheet_cells_land_in_their_columns_with_nulls_spaces_and_markup(tmp_path):
    source = """
        select * from (values
            (1, null, ' padded ', 'a<b & c>d', null::date, 1.5::double),
            (2, 7, 'plain', null, date '2026-03-01', 'nan'::double),
            (3, null, null, 'x' || chr(1) || 'y', date '1900-03-01', null)
        ) as t(id, n, s, markup, d, x)
    """
    path = _bulk_workbook(tmp_path, source)
    ws = load_workbook(path)["Bulk"]
    assert _rows(ws, min_row=1) == [
        ("id", "n", "s", "markup", "d", "x"),
        (1, None, " padded ", "a<b & c>d", None, 1.5),
        (2, 7, "plain", None, dt.datetime(2026, 3, 1), None),
        (3, None, None, "xy", dt.datetime(1900, 3, 1), None),
    ]
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()
    # white space is kept where it matters, and only there
    assert xml.count('xml:space="preserve"') == 1
    assert '<t xml:space="preserve"> padded </t>' in xml


def test_rows_read_ahead_arrive_in_order_and_an_error_reaches_the_writer():
    import threading

    from planwise_assets.defs.exports.bulk_sheet import _read_ahead

    def batches(fail_at: int | None):
        for number in range(50):
            if number == fail_at:
                raise ValueError(f"query failed at batch {number}")
            yield memoryview(str(number).encode())

    assert [bytes(b).decode() for b in _read_ahead(batches(None))] == [str(n) for n in range(50)]
    received = []
    with pytest.raises(ValueError, match="batch 30"):
        for batch in _read_ahead(batches(30)):
            received.append(bytes(batch).decode())
    assert received == [str(n) for n in range(30)]
    rows = _read_ahead(batches(None))
    next(rows)
    rows.close()  # the writer stops early: the producer ends too
    assert not [t for t in threading.enumerate() if t.name == "bulk-sheet-rows"]
