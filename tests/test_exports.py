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
DISCOUNT_RATE = 0.05
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
    from planwise_assets.defs.warehouse.resources import ScenarioWarehouse

    results = {}
    for scenario_id in COMPARED:
        result = materialize(
            [scenario_workbook],
            partition_key=scenario_id,
            instance=instance,
            resources={
                "scenarios": ScenarioFolder(path=str(scenarios_dir)),
                "exports": ExportsFolder(),
                "warehouse": ScenarioWarehouse(),
            },
        )
        assert result.success
        results[scenario_id] = result
    return results


@pytest.fixture(scope="module")
def comparison_run(workbook_runs, instance, scenarios_dir):
    from planwise_assets.defs.exports.assets import comparison_report
    from planwise_assets.defs.exports.resources import ExportsFolder
    from planwise_assets.defs.scenarios.resources import ScenarioFolder
    from planwise_assets.defs.warehouse.resources import ScenarioWarehouse

    result = materialize(
        [comparison_report],
        instance=instance,
        resources={
            "scenarios": ScenarioFolder(path=str(scenarios_dir)),
            "exports": ExportsFolder(),
            "warehouse": ScenarioWarehouse(),
        },
        run_config={
            "ops": {"comparison_report": {"config": {"baseline_scenario": BASE, "discount_rate": DISCOUNT_RATE}}}
        },
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
    """A cell read back equals the database value: numbers to the cent, dates as dates, true and false as Yes and No."""
    if db is None or cell is None:
        return cell is None and db is None
    if isinstance(db, bool):
        return cell == ("Yes" if db else "No")
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
    """A single-run scenario's table as the sheets show it: without its identity columns and the
    replicate (always 0)."""
    from planwise_assets.lib.data_root import warehouse_path

    with duckdb.connect(str(warehouse_path(scenario_id)), read_only=True) as con:
        shown = "* exclude (scenario_id, plan_design_id, replicate)"
        relation = con.sql(f"select {shown} from {table} order by {order_by}")
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
        "Parameters",
        "Definitions",
        "Metadata",
    ]


def _by_label(ws) -> dict[str, tuple]:
    """A sheet with metrics as rows: each row's values (after the label) by its label, down to the first blank row."""
    found = {}
    for row in _rows(ws):
        if row[0] is None:
            break
        found[row[0]] = row[1:]
    return found


def _label(model: str, column: str) -> str:
    from planwise_assets.defs.exports.dictionary import data_dictionary

    return data_dictionary().label(model, column)


def test_every_mart_column_is_described_as_label_and_meaning_in_the_dbt_project(workbook_runs):
    from planwise_assets.defs.exports.dictionary import data_dictionary
    from planwise_assets.defs.simulation.dbt_project import dbt_manifest

    nodes = {node["name"]: node for node in dbt_manifest()["nodes"].values() if node["resource_type"] == "model"}
    for mart in ("fct_yearly_summary", "fct_workforce_snapshot", "fct_yearly_events"):
        columns = [row[0] for row in query(BASE, f"describe {mart}")]
        described = nodes[mart]["columns"]
        for column in columns:
            label, separator, meaning = described.get(column, {}).get("description", "").partition(": ")
            assert separator and label and meaning, f"{mart}.{column} needs a description 'Label: meaning'"
            assert data_dictionary().column(mart, column).label == label
    assert _label("fct_yearly_summary", "participation_rate") == "Participation rate"
    assert _label("fct_workforce_snapshot", "is_enrolled") == "Enrolled"


def test_a_column_nobody_described_is_labelled_from_its_name():
    from planwise_assets.defs.exports.dictionary import column_doc

    assert column_doc("adp_margin_rate", "").label == "Adp margin rate"
    assert column_doc("refund_amount", "").label == "Refund"  # money says so in its format, not its label
    described = column_doc("hires", "Hires: employees hired during the year.", {"sums_over_years": True})
    assert (described.label, described.meaning, described.sums_over_years) == (
        "Hires",
        "Employees hired during the year.",
        True,
    )


@pytest.mark.parametrize("scenario_id", COMPARED)
def test_summary_shows_each_metric_as_a_row_and_each_year_as_a_column(workbook_runs, planwise_home, scenario_id):
    ws = load_workbook(_exports(planwise_home, scenario_id) / f"{scenario_id}_results.xlsx")["Summary"]
    columns, rows = _db_table(scenario_id, "fct_yearly_summary", "simulation_year")
    assert _header(ws) == ["Metric", "2025", "2026", "2025–2026 total"]
    by_label = _by_label(ws)
    assert len(by_label) == len(columns) - 1  # every column but the year, none empty
    for index, column in enumerate(columns[1:], 1):
        values = by_label[_label("fct_yearly_summary", column)]
        _assert_rows_equal([values[:2]], [tuple(row[index] for row in rows)])
    db = {column: [row[index] for row in rows] for index, column in enumerate(columns)}
    # flows add up over the years; stocks, averages and rates do not
    assert by_label["Hires"][2] == db["hires"][0] + db["hires"][1]
    assert _same(
        by_label["Employer cost"][2], db["total_employer_cost_amount"][0] + db["total_employer_cost_amount"][1]
    )
    assert by_label["Participation rate"][2] is None
    assert by_label["Active employees, 31 December"][2] is None
    assert by_label["Average pay"][2] is None


def test_snapshot_sheet_holds_every_row_of_fct_workforce_snapshot_under_plain_labels(base_workbook):
    ws = base_workbook["Workforce_Snapshot"]
    columns, rows = _db_table(BASE, "fct_workforce_snapshot", "simulation_year, employee_id")
    assert _header(ws) == [_label("fct_workforce_snapshot", column) for column in columns]
    assert _header(ws)[:4] == ["Year", "Employee", "Status", "Birth date"]  # the replicate (always 0) left off
    _assert_rows_equal(_rows(ws), rows)


def test_events_summary_counts_and_totals_events_by_year_and_type_with_the_average_new_pay(base_workbook):
    ws = base_workbook["Events_Summary"]
    assert _header(ws) == [
        "Year",
        "Event",
        "Events",
        "Total previous pay",
        "Total new pay",
        "Average new pay",
        "Total amount",
        "Total pay change",
    ]
    expected = query(
        BASE,
        """
        select simulation_year, event_type, count(*), sum(previous_pay_amount), sum(new_pay_amount),
               sum(new_pay_amount) / count(new_pay_amount), sum(amount), sum(new_pay_amount - previous_pay_amount)
        from fct_yearly_events group by all order by all
        """,
    )
    words = [(*row[:1], row[1].replace("_", " ").capitalize(), *row[2:]) for row in expected]
    rows = _rows(ws)
    assert [row[:3] for row in rows] == [row[:3] for row in words]
    for sheet_row, db_row in zip(rows, words, strict=True):
        average = db_row[5]
        assert (sheet_row[5] is None) == (average is None)
        if average is not None:
            assert sheet_row[5] == pytest.approx(float(average), abs=0.005)  # to the cent
        _assert_rows_equal([sheet_row[:5] + sheet_row[6:]], [db_row[:5] + db_row[6:]])
    raises = {row[0]: row[5] for row in rows if row[1] == "Raise"}
    assert set(raises) == set(YEARS)  # seed 000: the average new pay of raises, every year
    assert "New hire termination" in {row[1] for row in rows}


def test_average_new_pay_is_exact_and_rounded_half_up_to_the_cent():
    from planwise_assets.defs.exports.scenario_workbook import average_new_pay

    # $50,000.01 and $50,000.00 average to $50,000.005: half a cent rounds up
    assert average_new_pay(Decimal("100000.01"), 2) == Decimal("50000.01")
    # $100 over 3 raises is $33.333...: $33.33
    assert average_new_pay(Decimal("100.00"), 3) == Decimal("33.33")
    assert average_new_pay(None, 0) is None


def test_contributions_sheet_shows_payroll_and_every_cost_metric_by_year(base_workbook):
    ws = base_workbook["Contributions"]
    assert [row[0] for row in _rows(ws)] == [
        "Payroll",
        "Employee contributions",
        "Employer match",
        "Employer core",
        "Employer cost",
        "Employer cost rate",
        "Forfeitures",
    ]
    columns = [
        "total_prorated_pay_amount",
        "employee_contribution_amount",
        "employer_match_amount",
        "employer_core_amount",
        "total_employer_cost_amount",
        "employer_cost_rate",
        "forfeiture_amount",
    ]
    by_year = query(BASE, f"select {', '.join(columns)} from fct_yearly_summary order by simulation_year")
    _assert_rows_equal([row[1:3] for row in _rows(ws)], list(zip(*by_year, strict=True)))


def test_analyst_formatting_frozen_label_column_aligned_headers_number_formats_widths(base_workbook):
    summary = base_workbook["Summary"]
    snapshot = base_workbook["Workforce_Snapshot"]
    assert summary.freeze_panes == base_workbook["Contributions"].freeze_panes == "B2"  # the metric's label
    assert snapshot.freeze_panes == base_workbook["Events_Summary"].freeze_panes == "C2"  # year and employee/event
    for ws in (summary, snapshot, base_workbook["Events_Summary"], base_workbook["Contributions"]):
        assert all(cell.font.b for cell in ws[1])
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        for cell in ws[1]:
            assert ws.column_dimensions[cell.column_letter].width >= len(cell.value)
    # a header sits over its values: numbers and dates to the right, text to the left
    assert [cell.alignment.horizontal for cell in summary[1]] == ["left", "right", "right", "right"]
    alignment = {cell.value: cell.alignment.horizontal for cell in snapshot[1]}
    assert (alignment["Employee"], alignment["Annual pay"], alignment["Hire date"]) == ("left", "right", "right")

    def row_format(ws, label: str) -> list[str]:
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == label)
        return [cell.number_format for cell in row[1:]]

    # money without cents in a summary: whole dollars, or millions once a figure reaches $1,000,000
    assert row_format(summary, "Payroll")[:2] == ['"$"#,##0.00,,"M"'] * 2
    assert row_format(summary, "Average pay")[:2] == ['"$"#,##0'] * 2
    assert row_format(summary, "Participation rate")[:2] == ["0.00%"] * 2
    assert row_format(summary, "Hires") == ["#,##0"] * 3

    def fmt(ws, label: str) -> str:
        return ws.cell(row=2, column=_header(ws).index(label) + 1).number_format

    assert fmt(snapshot, "Pay earned") == '"$"#,##0.00'  # per employee, to the cent
    assert fmt(snapshot, "Vested share") == "0.00%"
    assert fmt(snapshot, "Deferral rate") == "0.00%"
    assert fmt(snapshot, "Hire date") == "yyyy-mm-dd"
    assert fmt(snapshot, "Age") == "#,##0"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([999_999.99, 12.5], '"$"#,##0'),
        ([-1_000_000, 3], '"$"#,##0.00,,"M"'),
        ([None, None], '"$"#,##0'),
    ],
)
def test_summary_money_is_whole_dollars_below_a_million_and_millions_from_it(values, expected):
    from planwise_assets.defs.exports.formats import summary_money_format

    assert summary_money_format(values) == expected


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (1_234_567.8, '"$"#,##0.00,,"M"', "$1.23M"),
        (85_251.42, '"$"#,##0', "$85,251"),
        (0.786524, "0.00%", "78.65%"),
        (4.48, '+0.00" pp";-0.00" pp";0.00" pp"', "+4.48 pp"),
        (-21_751, '+"$"#,##0;-"$"#,##0;"$"#,##0', "-$21,751"),
        (True, "General", "Yes"),
    ],
)
def test_a_value_is_described_as_the_spreadsheet_shows_it(value, fmt, shown):
    from planwise_assets.defs.exports.formats import displayed

    assert displayed(value, fmt) == shown


def test_assumptions_are_written_in_words_with_rates_as_percentages(configs, base_workbook):
    rows = dict(_rows(base_workbook["Assumptions"]))
    assert rows["Workforce growth"] == "Active headcount grows 3% a year."
    assert rows["Employer match"] == "simple_match: 50% of the first 6% of pay deferred (at most 3% of pay)."
    assert rows["Auto-enrollment"] == "Not used."
    # the default graded-5 schedule: nothing in the first year, then a quarter a year (dbt/macros/vesting.sql)
    assert rows["Vesting"] == (
        "Graded over 5 years. Vested share by whole years of service: 0 years: 0%, 1 year: 0%, 2 years: 25%, "
        "3 years: 50%, 4 years: 75%, 5 years or more: 100%."
    )
    census = query(BASE, "select count(*), count(*) filter (where active) from census")[0]
    from planwise_assets.lib.files import file_sha256

    census_path = Path(configs[BASE].census.path)
    assert rows["Census"] == (
        f"{census[0]:,} records, {census[1]:,} active at the census date 31 December 2024. "
        f"File {census_path.name}, SHA-256 {file_sha256(census_path)}."
    )
    limits = [text for topic, text in _rows(base_workbook["Assumptions"]) if topic == "Not modelled"]
    assert any("rate-group test" in text for text in limits)
    assert rows["Balances"] == (
        "Accounts start from the census balances and earn 0% a year, credited on 31 December "
        "(the balance on 1 January all of it, the year's deferrals half of it, employer money allocated "
        "at year end none). Leavers keep their vested balance in the plan."
    )


@pytest.mark.parametrize(
    ("tiers", "words"),
    [
        ([(0, 0.06, 0.5)], "50% of the first 6% of pay deferred (at most 3% of pay)"),
        (
            [(0, 0.03, 1.0), (0.03, 0.06, 0.5)],
            "100% of the first 3% plus 50% of the next 3% of pay deferred (at most 4.5% of pay)",
        ),
        (
            [(0, 0.01, 1.0), (0.01, 0.06, 0.5)],
            "100% of the first 1% plus 50% of the next 5% of pay deferred (at most 3.5% of pay)",
        ),
        ([(0.02, 0.04, 0.25)], "25% of deferrals between 2% and 4% of pay deferred (at most 0.5% of pay)"),
    ],
)
def test_a_match_formula_is_written_out(tiers, words):
    from planwise_assets.defs.exports.assumptions import tier_words
    from planwise_assets.lib.scenario_config import MatchTier

    assert tier_words([MatchTier(deferral_from=a, deferral_to=b, match_rate=r) for a, b, r in tiers]) == words


def test_a_graded_match_is_written_out_band_by_band():
    from planwise_assets.defs.exports.assumptions import match_words
    from planwise_assets.lib.scenario_config import BUILT_IN_MATCH_FORMULAS

    formula = BUILT_IN_MATCH_FORMULAS["service_graded_match"]
    assert match_words("service_graded_match", formula.type, formula.resolved_bands()) == (
        "service_graded_match: 0 to 4 years of service: 50% of the first 6% of pay deferred (at most 3% of pay); "
        "5 to 9 years of service: 75% of the first 6% of pay deferred (at most 4.5% of pay); "
        "10 years of service or more: 100% of the first 6% of pay deferred (at most 6% of pay)."
    )


def test_parameters_list_every_resolved_parameter_with_shares_as_percentages(configs, base_workbook):
    ws = base_workbook["Parameters"]
    rows = dict(_rows(ws))
    assert rows["simulation.random_seed"] == 42
    assert rows["simulation.end_year"] == 2026
    assert rows["simulation.target_growth_rate"] == 0.03
    assert rows["enrollment.auto_enrollment.enabled"] == "No"
    assert rows["employer_match.active_formula"] == "simple_match"
    assert rows["census.path"] == str(configs[BASE].census.path)
    formats = {row[0].value: row[1].number_format for row in ws.iter_rows(min_row=2)}
    assert formats["simulation.target_growth_rate"] == formats["compensation.merit_budget"] == "0.00%"
    assert formats["simulation.random_seed"] == "General"
    from planwise_assets.lib.files import file_sha256
    from planwise_assets.lib.scenario_files import flatten

    # and the content of the census file the scenario names, which its results come from
    assert rows["census.sha256"] == file_sha256(configs[BASE].census.path)
    assert set(rows) == set(flatten(configs[BASE].model_dump(mode="json"))) | {"census.sha256"}


def test_metadata_names_scenario_census_code_dagster_run_and_results(
    configs, workbook_runs, base_workbook, planwise_home
):
    from planwise_assets.lib.data_root import warehouse_path
    from planwise_assets.lib.files import file_sha256
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
        assert _header(ws) == [_label("fct_workforce_snapshot", column) for column in columns]
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


def test_years_past_the_row_budget_go_to_parquet_beside_the_workbook_which_says_where(configs, tmp_path):
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs

    rows_by_year = dict(query(BASE, "select simulation_year, count(*) from fct_workforce_snapshot group by all"))
    budget = rows_by_year[2025]  # the first year fits, the second does not
    paths = write_scenario_outputs(configs[BASE], tmp_path, None, row_budget=budget)
    parquet = tmp_path / f"{BASE}_workforce_snapshot.parquet"
    assert paths == [tmp_path / f"{BASE}_results.xlsx", tmp_path / f"{BASE}_summary.csv", parquet, paths[-1]]
    note = (
        f"Per-employee results: the snapshot sheets hold years 2025 only (a workbook holds at most {budget:,} of "
        f"them; 2026 left out). Every replicate and year of fct_workforce_snapshot is in {parquet.name}, beside "
        "this workbook."
    )
    wb = load_workbook(paths[0])
    ws = wb["Workforce_Snapshot"]
    assert ws["A1"].value == note  # above the header, which stays frozen, filtered and printed on every page
    columns, rows = _db_table(BASE, "fct_workforce_snapshot where simulation_year = 2025", "employee_id")
    assert [cell.value for cell in ws[2]] == [_label("fct_workforce_snapshot", column) for column in columns]
    _assert_rows_equal(_rows(ws, min_row=3), rows)
    assert (ws.freeze_panes, ws.auto_filter.ref.split(":")[0], ws.print_title_rows) == ("C3", "A2", "$1:$2")
    assert note in [row[0] for row in _rows(wb["Summary"])]
    assert dict(_rows(wb["Metadata"]))["snapshot_parquet"] == parquet.name
    # the Parquet file holds the whole table, the years the workbook holds too
    with duckdb.connect() as con:
        written = con.sql(f"select * from '{parquet}'")
        names = "select column_name from information_schema.columns where table_name = ? order by ordinal_position"
        assert written.columns == [name for (name,) in query(BASE, names, ["fct_workforce_snapshot"])]
        assert sorted(written.fetchall(), key=repr) == sorted(
            query(BASE, "select * from fct_workforce_snapshot"), key=repr
        )


def test_overrides_with_their_reasons_a_missing_one_shown_missing_and_empty_cost_columns(
    configs, write_scenario, tmp_path
):
    """A scenario file whose employer_core is empty and whose override register has a reason for one change only."""
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs
    from planwise_assets.lib.data_root import warehouse_path

    census = {"path": str(configs[BASE].census.path)}
    config = write_scenario("exp_register", simulation={"end_year": 2026}, census=census)
    shutil.copy(warehouse_path(BASE), warehouse_path("exp_register"))
    with duckdb.connect(str(warehouse_path("exp_register"))) as con:
        con.execute("update fct_yearly_summary set employer_core_amount = null")
        con.execute(
            "create or replace table scenario_overrides as select * from (values "
            "('simulation.target_growth_rate', '0.03', '0.05', 'expansion'), "
            "('enrollment.auto_enrollment.enabled', 'false', 'true', '')) "
            "as t(path, base_value, scenario_value, reason)"
        )
    wb = load_workbook(write_scenario_outputs(config, tmp_path, None)[0])
    assert "Employer core" not in _by_label(wb["Summary"])
    assert "Employer core" not in _by_label(wb["Contributions"])
    assert "Employer cost" in _by_label(wb["Contributions"])
    assumptions = dict(_rows(wb["Assumptions"]))
    assert assumptions["Changed: simulation.target_growth_rate"] == (
        "3% in the base scenario, 5% here. Reason: expansion"
    )
    assert assumptions["Changed: enrollment.auto_enrollment.enabled"] == (
        "No in the base scenario, Yes here. Reason: (missing)"
    )
    rows = _rows(wb["Parameters"], min_row=1)
    start = rows.index(("Changed setting", "Base scenario", "This scenario", "Reason"))
    assert all(value is None for value in rows[start - 1])  # a blank row between the two tables
    # values are stored as JSON text and shown as what they are: shares as percentages
    assert rows[start + 1 : start + 3] == [
        ("enrollment.auto_enrollment.enabled", "No", "Yes", "(missing)"),
        ("simulation.target_growth_rate", 0.03, 0.05, "expansion"),
    ]
    assert wb["Parameters"].cell(row=start + 3, column=2).number_format == "0.00%"
    assert wb["Parameters"].cell(row=start + 1, column=1).font.b


def test_export_of_a_scenario_never_simulated_names_what_to_do(write_scenario, tmp_path):
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs
    from planwise_assets.defs.exports.sources import ExportError

    config = write_scenario("exp_not_simulated")
    with pytest.raises(ExportError, match="simulate the scenario"):
        write_scenario_outputs(config, tmp_path, None)


# --------------------------------------------------------------------------------------------
# the comparison report
# --------------------------------------------------------------------------------------------


def _yearly_values(scenario_id: str) -> dict[int, dict[str, Any]]:
    columns, rows = _db_table(scenario_id, "fct_yearly_summary", "simulation_year")
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


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
    assert metadata["discount_rate"] == DISCOUNT_RATE
    assert metadata["export_seconds"] > 0
    assert metadata["sheets"] == [
        "Headline",
        "Overview",
        "Metrics_By_Year",
        "Charts",
        "Assumptions",
        "Parameters",
        "Compliance",
        "Definitions",
        "Metadata",
    ]


def test_a_summary_column_marked_for_the_headline_joins_it_as_a_later_issue_will_mark_test_results():
    """A compliance result (issue 14) is a column of fct_yearly_summary with `headline: [final_year]` in its meta."""
    from planwise_assets.defs.exports.comparison import ScenarioResults
    from planwise_assets.defs.exports.dictionary import DataDictionary, column_doc
    from planwise_assets.defs.exports.formats import Table
    from planwise_assets.defs.exports.headline import headline_figures

    dictionary = DataDictionary(
        {
            "fct_yearly_summary": {
                "adp_passed": column_doc("adp_passed", "ADP test passed: ...", {"headline": ["final_year"]})
            }
        }
    )

    def results(passed: list[bool]) -> ScenarioResults:
        summary = Table(
            ["simulation_year", "adp_passed"], ["integer", "boolean"], list(zip(YEARS, passed, strict=True))
        )
        return ScenarioResults(None, summary, {}, [])

    (figure,) = headline_figures([results([True, True]), results([True, False])], YEARS, dictionary, 0.04)
    assert (figure.label, figure.values) == ("ADP test passed, 2026", [True, False])


def test_present_value_discounts_each_year_to_the_start_of_the_first():
    from planwise_assets.defs.exports.headline import present_value

    # $100, $200, $300, $400, $500 paid at the ends of five years, at 10% a year:
    # 100/1.1 + 200/1.21 + 300/1.331 + 400/1.4641 + 500/1.61051
    # = 90.9091 + 165.2893 + 225.3944 + 273.2054 + 310.4606 = 1,065.2587
    amounts = [Decimal(100), Decimal(200), Decimal(300), Decimal(400), Decimal(500)]
    assert present_value(amounts, 0.10) == Decimal("1065.26")
    assert present_value(amounts, 0.0) == Decimal("1500.00")


def test_headline_gives_participation_deferral_and_the_net_cost_with_its_present_value(comparison_workbook):
    ws = comparison_workbook["Headline"]
    assert _header(ws) == ["Measure", BASE, AUTO, f"vs {BASE}", f"vs {BASE}, %"]
    base, auto = _yearly_values(BASE), _yearly_values(AUTO)
    rows = _by_label(ws)

    def net(values: dict[int, dict[str, Any]], year: int) -> Decimal:
        return values[year]["total_employer_cost_amount"] - values[year]["forfeiture_amount"]

    # two years at 5%: each year's net cost paid at its end, discounted to 1 January 2025
    base_pv = float(net(base, 2025)) / 1.05 + float(net(base, 2026)) / 1.05**2
    auto_pv = float(net(auto, 2025)) / 1.05 + float(net(auto, 2026)) / 1.05**2
    expected = {
        "Participation rate, 2025": (base[2025]["participation_rate"], auto[2025]["participation_rate"]),
        "Participation rate, 2026": (base[2026]["participation_rate"], auto[2026]["participation_rate"]),
        "Average deferral rate, 2025": (base[2025]["avg_deferral_rate"], auto[2025]["avg_deferral_rate"]),
        "Average deferral rate, 2026": (base[2026]["avg_deferral_rate"], auto[2026]["avg_deferral_rate"]),
        "Employer cost, 2025–2026 total": tuple(
            v[2025]["total_employer_cost_amount"] + v[2026]["total_employer_cost_amount"] for v in (base, auto)
        ),
        "Forfeitures, 2025–2026 total": tuple(
            v[2025]["forfeiture_amount"] + v[2026]["forfeiture_amount"] for v in (base, auto)
        ),
        "Employer cost net of forfeitures, 2025–2026 total": tuple(net(v, 2025) + net(v, 2026) for v in (base, auto)),
        "Present value of the net cost at 5%": (base_pv, auto_pv),
    }
    assert list(rows) == list(expected)
    for label, (base_value, auto_value) in expected.items():
        shown_base, shown_auto, difference, relative = rows[label]
        assert shown_base == pytest.approx(float(base_value), abs=0.006), label
        assert shown_auto == pytest.approx(float(auto_value), abs=0.006), label
        if label.startswith(("Participation", "Average deferral")):
            # a difference of rates is in percentage points, and has no percentage of its own
            assert difference == pytest.approx((float(auto_value) - float(base_value)) * 100)
            assert relative is None
        else:
            assert difference == pytest.approx(float(auto_value) - float(base_value), abs=0.01)
            assert relative == pytest.approx((float(auto_value) - float(base_value)) / float(base_value), abs=1e-6)
    formats = {row[0].value: [cell.number_format for cell in row[1:5]] for row in ws.iter_rows(min_row=2, max_row=9)}
    assert formats["Participation rate, 2026"] == [
        "0.00%",
        "0.00%",
        '+0.00" pp";-0.00" pp";0.00" pp"',
        "+0.00%;-0.00%;0.00%",
    ]
    assert formats["Employer cost, 2025–2026 total"][0] in ('"$"#,##0', '"$"#,##0.00,,"M"')  # no cents
    notes = [row[0] for row in _rows(ws, min_row=len(expected) + 3)]
    assert any("at 5% a year as if paid at the end of its year" in note for note in notes)
    assert f"{AUTO}: " in "".join(notes)  # each scenario's description


def test_overview_shows_the_first_year_the_last_year_and_the_total_of_what_adds_up(comparison_workbook):
    ws = comparison_workbook["Overview"]
    assert _header(ws) == [
        "Metric",
        "Period",
        "Better when",
        BASE,
        AUTO,
        f"vs {BASE}",
        f"vs {BASE}, %",
    ]
    base, auto = _yearly_values(BASE), _yearly_values(AUTO)
    periods = {}
    for label, period, _better, base_value, auto_value, _difference, _relative in _rows(ws):
        periods.setdefault(label, []).append(period)
        if period == "2025–2026 total":
            column = {"Hires": "hires", "Employer cost": "total_employer_cost_amount"}.get(label)
            if column:
                assert _same(base_value, base[2025][column] + base[2026][column])
                assert _same(auto_value, auto[2025][column] + auto[2026][column])
    assert periods["Hires"] == ["2025", "2026", "2025–2026 total"]
    assert periods["Participation rate"] == ["2025", "2026"]  # a rate has no total
    assert periods["Active employees, 31 December"] == ["2025", "2026"]
    assert "Year" not in periods and "Match formula" not in periods
    hires = next(row for row in _rows(ws) if row[:2] == ("Hires", "2026"))
    assert hires[3:6] == (base[2026]["hires"], auto[2026]["hires"], auto[2026]["hires"] - base[2026]["hires"])
    assert hires[6] == pytest.approx((auto[2026]["hires"] - base[2026]["hires"]) / base[2026]["hires"])
    directions = {row[0]: row[2] for row in _rows(ws)}
    assert directions["Participation rate"] == "higher"
    assert directions["Employer cost"] == "lower"
    assert directions["Active employees, 31 December"] == "neutral"


def test_differences_are_green_when_better_red_when_worse_and_plain_when_neutral_or_empty(comparison_workbook):
    ws = comparison_workbook["Overview"]
    colours = {}
    for label, period, better, _base, _auto, absolute, relative in ws.iter_rows(min_row=2):
        difference = absolute.value
        if better.value == "neutral" or not difference:
            expected = PLAIN
        else:
            expected = GREEN if (difference > 0) == (better.value == "higher") else RED
        assert absolute.fill.fgColor.rgb == expected, (label.value, period.value)
        # an empty cell (a rate's percentage) is never coloured
        assert relative.fill.fgColor.rgb == (PLAIN if relative.value is None else expected)
        colours[(label.value, period.value)] = (difference, expected)
    # auto-enrolling everyone raises participation (better) and the employer's cost (worse);
    # faster growth raises headcount, which is neither
    assert colours[("Participation rate", "2026")][0] > 0 and colours[("Participation rate", "2026")][1] == GREEN
    assert colours[("Employer cost", "2026")][0] > 0 and colours[("Employer cost", "2026")][1] == RED
    headcount = colours[("Active employees, 31 December", "2026")]
    assert headcount[0] > 0 and headcount[1] == PLAIN


def test_metrics_by_year_holds_every_metric_year_and_scenario(comparison_workbook):
    ws = comparison_workbook["Metrics_By_Year"]
    assert _header(ws) == ["Metric", "Year", BASE, AUTO, f"vs {BASE}", f"vs {BASE}, %"]
    tables = {scenario_id: _yearly_values(scenario_id) for scenario_id in COMPARED}
    from planwise_assets.defs.exports.dictionary import data_dictionary

    columns = {data_dictionary().label("fct_yearly_summary", c): c for c in tables[BASE][2025]}
    rows = _rows(ws)
    labels = list(dict.fromkeys(row[0] for row in rows))
    assert len(rows) == len(labels) * len(YEARS)
    for label, year, base, auto, difference, _relative in rows:
        metric = columns[label]
        assert _same(base, tables[BASE][year][metric]), (label, year)
        assert _same(auto, tables[AUTO][year][metric]), (label, year)
        points = 100 if metric.endswith("_rate") else 1
        assert _same(difference, (tables[AUTO][year][metric] - tables[BASE][year][metric]) * points)


def _chart_parts(path: Path) -> list[ElementTree.Element]:
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        return [ElementTree.fromstring(archive.read(name)) for name in names]


def _texts(element: ElementTree.Element) -> list[str]:
    return [e.text for e in element.iter() if e.tag in {f"{{{CHART_NS}}}v", f"{{{DRAWING_NS}}}t"} and e.text]


def _chart_series(path: Path) -> list[list[str]]:
    """For each chart part of the file, the titles of its series (read from the part's XML)."""
    return [
        [(_texts(series.find(f"{{{CHART_NS}}}tx")) or [""])[0] for series in root.iter(f"{{{CHART_NS}}}ser")]
        for root in _chart_parts(path)
    ]


def test_charts_draw_one_line_per_scenario_titled_in_words(comparison_run, comparison_workbook, planwise_home):
    path = planwise_home / "exports" / "comparison_report.xlsx"
    charted = [
        "Active employees, 31 December",
        "Payroll",
        "Participation rate",
        "Average deferral rate",
        "Employer cost",
        "Employer cost rate",
    ]
    parts = _chart_parts(path)
    assert len(parts) == len(charted) == len(comparison_workbook["Charts"]._charts)
    for root, label in zip(parts, charted, strict=True):
        title, *axes = [_texts(t) for t in root.iter(f"{{{CHART_NS}}}title")]
        assert title == [label]
        assert axes[0] == ["Year"]
        assert axes[1][0] in {"Number", "Percent", "Dollars", "Millions of dollars"}
    for series in _chart_series(path):
        assert series == [BASE, AUTO]


def test_overlapping_lines_differ_by_dash_and_marker(comparison_run, planwise_home):
    root = _chart_parts(planwise_home / "exports" / "comparison_report.xlsx")[0]
    styles = []
    for series in root.iter(f"{{{CHART_NS}}}ser"):
        dash = series.find(f"{{{CHART_NS}}}spPr/{{{DRAWING_NS}}}ln/{{{DRAWING_NS}}}prstDash").get("val")
        symbol = series.find(f"{{{CHART_NS}}}marker/{{{CHART_NS}}}symbol").get("val")
        styles.append((dash, symbol))
    assert styles == [("solid", "circle"), ("dash", "square")]


def test_a_chart_whose_lines_would_all_be_the_same_is_a_one_line_note(configs, write_scenario, tmp_path):
    """The baseline against a copy of itself: every key metric is the same in both."""
    from planwise_assets.defs.exports.comparison import write_comparison_outputs
    from planwise_assets.lib.data_root import warehouse_path

    census = {"path": str(configs[BASE].census.path)}
    twin = write_scenario("exp_twin", simulation={"end_year": 2026}, census=census)
    shutil.copy(warehouse_path(BASE), warehouse_path("exp_twin"))
    workbook = write_comparison_outputs([configs[BASE], twin], tmp_path, BASE, None)[0]
    ws = load_workbook(workbook)["Charts"]
    assert ws._charts == []
    headcount = _yearly_values(BASE)
    assert ws["A1"].value == (
        f"Active employees, 31 December: the same in every scenario, {headcount[2025]['active_headcount_end']:,} "
        f"in 2025 and {headcount[2026]['active_headcount_end']:,} in 2026."
    )
    assert [ws.cell(row=r, column=1).value.split(":")[0] for r in range(1, 7)] == [
        "Active employees, 31 December",
        "Payroll",
        "Participation rate",
        "Average deferral rate",
        "Employer cost",
        "Employer cost rate",
    ]


def test_comparison_assumptions_show_in_words_what_differs(comparison_workbook):
    rows = {row[0]: row[1:] for row in _rows(comparison_workbook["Assumptions"])}
    assert rows["Workforce growth"] == ("Active headcount grows 3% a year.", "Active headcount grows 6% a year.")
    assert rows["Auto-enrollment"][0] == "Not used."
    assert rows["Auto-enrollment"][1].startswith(
        "All eligible employees who are not deferring are enrolled at a deferral rate of 6% 45 days after"
    )
    assert "Employer match" not in rows  # the same in both


def test_parameters_sheet_shows_only_parameters_that_differ(comparison_workbook):
    ws = comparison_workbook["Parameters"]
    assert _header(ws) == ["Parameter", BASE, AUTO]
    assert {row[0]: row[1:] for row in _rows(ws)} == {
        "enrollment.auto_enrollment.enabled": ("No", "Yes"),
        "enrollment.auto_enrollment.scope": ("new_hires_only", "all_eligible_employees"),
        "simulation.target_growth_rate": (0.03, 0.06),
    }
    growth = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "simulation.target_growth_rate")
    assert [cell.number_format for cell in growth[1:]] == ["0.00%", "0.00%"]
    assert [cell.fill.fgColor.rgb for cell in growth[1:]] == [PLAIN, "00FFF2CC"]


def test_comparison_csv_has_every_scenario_year_and_metric_with_differences(comparison_run, planwise_home):
    with (planwise_home / "exports" / "comparison_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    finals = {s: _yearly_values(s)[2026] for s in COMPARED}
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


def _tool(name: str) -> str:
    """A program the checks below run, installed by .ci/run from Debian's packages when missing."""
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is needed here; .ci/run installs it (apt-get install libreoffice-calc poppler-utils)")
    return found


@pytest.fixture(scope="session")
def soffice() -> str:
    return _tool("soffice")


def _convert(soffice: str, workbooks: list[Path], to: str, folder: Path) -> list[Path]:
    converted = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(folder / "out"),
            *map(str, workbooks),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert converted.returncode == 0, converted.stderr
    assert "Error" not in converted.stdout + converted.stderr
    outputs = [folder / "out" / workbook.with_suffix(f".{to}").name for workbook in workbooks]
    for output in outputs:
        assert output.exists(), converted.stdout + converted.stderr
    return outputs


def test_libreoffice_opens_both_workbooks_and_keeps_the_charts(soffice, comparison_run, planwise_home, tmp_path):
    workbooks = [
        _exports(planwise_home, BASE) / f"{BASE}_results.xlsx",
        planwise_home / "exports" / "comparison_report.xlsx",
    ]
    for workbook, round_trip in zip(workbooks, _convert(soffice, workbooks, "xlsx", tmp_path), strict=True):
        sheets = load_workbook(workbook, read_only=True).sheetnames
        assert load_workbook(round_trip, read_only=True).sheetnames == sheets
    # the snapshot's cells carry no references: LibreOffice must still put each in its column
    snapshot = load_workbook(tmp_path / "out" / f"{BASE}_results.xlsx")["Workforce_Snapshot"]
    columns, rows = _db_table(BASE, "fct_workforce_snapshot", "simulation_year, employee_id")
    assert _header(snapshot) == [_label("fct_workforce_snapshot", column) for column in columns]
    _assert_rows_equal(_rows(snapshot), rows)
    charts = _chart_series(tmp_path / "out" / "comparison_report.xlsx")
    assert len(charts) == 6
    for series in charts:
        assert series == [BASE, AUTO]


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_and_a_footer(comparison_run, planwise_home):
    """Read back from the files as a spreadsheet program reads them (the snapshot's part is written by
    bulk_sheet.py, the others by openpyxl)."""
    scenario = load_workbook(_exports(planwise_home, BASE) / f"{BASE}_results.xlsx")
    comparison = load_workbook(planwise_home / "exports" / "comparison_report.xlsx")
    created = json.loads((planwise_home / "exports" / "comparison_metadata.json").read_text())["created_at"][:10]
    footers = {
        scenario: f"Scenario {BASE} · batch exports · created {created}",
        comparison: f"Scenarios {BASE}, {AUTO} against {BASE} · batch exports · created {created}",
    }
    for wb, footer in footers.items():
        for ws in wb.worksheets:
            assert ws.page_setup.orientation == "landscape", ws.title
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_LETTER)
            if ws.title == "Charts":  # laid out for the page, at 100% (its page breaks would not hold if scaled)
                assert int(ws.page_setup.scale) == 100 and not ws.sheet_properties.pageSetUpPr.fitToPage
                assert ws.print_title_rows is None
            else:
                assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
                assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0), ws.title
                assert ws.print_title_rows == "$1:$1", ws.title
            assert ws.oddFooter.left.text == footer, ws.title
            assert ws.oddFooter.right.text == "&A, page &P of &N"


def test_charts_fit_the_page_width_and_page_breaks_never_cut_a_chart(comparison_workbook):
    ws = comparison_workbook["Charts"]
    inch, point = 914_400, 12_700  # EMU
    # a landscape Letter page has 11 - 0.4 - 0.4 = 10.2 inches between its margins
    assert max(chart.anchor.pos.x + chart.anchor.ext.width for chart in ws._charts) <= 10.0 * inch
    # ... and 8.5 - 0.5 - 0.6 = 7.4 inches of rows: 35 rows of 15 points. Six charts of 15 rows
    # and a blank one, two side by side: rows 1-32 on the first page, 33-48 on the second
    assert [b.id for b in ws.row_breaks.brk] == [32]
    assert all(ws.row_dimensions[row].height == 15 for row in range(1, 49))
    pages = []
    for chart in ws._charts:
        top = chart.anchor.pos.y / point / 15  # rows above the chart
        bottom = top + chart.anchor.ext.height / point / 15
        assert (top >= 32) == (bottom > 32), (top, bottom)  # both ends on the same page
        pages.append(1 + (top >= 32))
    assert pages == [1, 1, 1, 1, 2, 2]


def _pdf_pages(pdftotext: str, pdf: Path) -> list[tuple[str, str]]:
    """(sheet, text) of each page, the sheet read from the page's footer ("<sheet>, page P of N")."""
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in text.split("\f")[:-1]:
        footer = re.search(r"(\w+), page \d+ of \d+", page)
        assert footer, page[-400:]
        pages.append((footer.group(1), page))
    return pages


@pytest.mark.slow
def test_printed_to_pdf_each_sheet_has_its_pages_its_header_on_each_and_no_chart_is_cut(
    soffice, comparison_run, planwise_home, tmp_path
):
    pdftotext = _tool("pdftotext")
    scenario = _exports(planwise_home, BASE) / f"{BASE}_results.xlsx"
    comparison = planwise_home / "exports" / "comparison_report.xlsx"
    scenario_pdf, comparison_pdf = _convert(soffice, [scenario, comparison], "pdf", tmp_path)

    for workbook, pdf in ((scenario, scenario_pdf), (comparison, comparison_pdf)):
        wb = load_workbook(workbook)
        pages = _pdf_pages(pdftotext, pdf)
        counts = {sheet: sum(1 for name, _ in pages if name == sheet) for sheet in wb.sheetnames}
        assert list(dict.fromkeys(name for name, _ in pages)) == wb.sheetnames  # every sheet, in order
        assert sum(counts.values()) == len(pages)
        for name, page in pages:
            ws = wb[name]
            if name in {"Charts", "Metadata"}:
                continue
            # one page wide, the header row on every page: its first and last labels on each
            first, last = str(ws.cell(1, 1).value), str(ws.cell(1, ws.max_column).value).split()[-1]
            assert first in page and last in page, (name, first, last)
        if workbook == scenario:
            assert counts["Summary"] == counts["Contributions"] == counts["Metadata"] == 1
            assert counts["Workforce_Snapshot"] > 1  # 300-odd employees a year for two years
        else:
            assert counts["Headline"] == 1  # the sponsor's page
            assert counts["Charts"] == 2  # six charts, four to a page
    _assert_no_chart_is_cut(pdftotext, comparison_pdf, load_workbook(comparison)["Charts"])


def _words(pdftotext: str, pdf: Path) -> list[list[tuple[str, float, float]]]:
    """Each page's words with the top and bottom of each, in points from the top of the page."""
    xml = subprocess.run([pdftotext, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        words = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)
        pages.append([(text, float(top), float(bottom)) for top, bottom, text in words])
    return pages


def _assert_no_chart_is_cut(pdftotext: str, pdf: Path, charts_sheet) -> None:
    """Each chart's title, x axis and legend are printed on one page.

    LibreOffice writes every chart near a page into it, clipped to the rows the page prints, and
    pdftotext reads clipped text too: a page shows what lies between its top margin (0.5 inch) and
    the bottom of its last row (rows of 15 points at 100%), which the sheet's page breaks give.
    """
    from planwise_assets.defs.exports.printing import MARGINS

    pages = _words(pdftotext, pdf)
    sheet_pages = [i for i, page in enumerate(pages) if any(w == "Charts," for w, _, _ in page)]
    breaks = [b.id for b in charts_sheet.row_breaks.brk]
    last_row = max(chart.anchor.pos.y + chart.anchor.ext.height for chart in charts_sheet._charts) / 12_700 / 15
    row_counts = [b - a for a, b in zip([0, *breaks], [*breaks, int(-(-last_row // 1))], strict=True)]
    assert len(sheet_pages) == len(row_counts)
    title_words = {"Active", "Payroll", "Participation", "Average", "Employer"}
    shown = []
    for index, rows in zip(sheet_pages, row_counts, strict=True):
        top = MARGINS.top * 72
        visible = [w for w, first, last in pages[index] if first >= top and last <= top + rows * 15]
        titles = sum(w in title_words for w in visible)
        assert titles == visible.count("Year") == visible.count(BASE), (index, visible)
        shown.append(titles)
    assert sum(shown) == len(charts_sheet._charts) == 6
    assert shown == [4, 2]


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
