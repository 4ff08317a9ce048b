"""Ensembles of replicates in the workbooks: bands, paired differences, fan charts, the Headline's bands
and what does not fit a workbook. Percentiles and differences are worked out by hand here."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import pytest
from openpyxl import load_workbook

from tests.conftest import query
from tests.test_simulation import _exact_census

YEARS = [2025, 2026]
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def test_percentiles_interpolate_linearly_between_ranks_as_percentile_inc():
    from planwise_assets.defs.exports.uncertainty import P10, P50, P90, percentile

    # sorted 10, 20, 30, 40, 50: rank h = 4 x p, between x_floor(h) and the next
    values = [30, 50, None, 10, 40, 20]
    assert percentile(values, P10) == Decimal(14)  # h = 0.4: 10 + 0.4 x (20 - 10)
    assert percentile(values, P50) == Decimal(30)  # h = 2: exactly the middle value
    assert percentile(values, P90) == Decimal(46)  # h = 3.6: 40 + 0.6 x (50 - 40)
    assert percentile([Decimal("0.05"), Decimal("0.06")], P10) == Decimal("0.051")  # h = 0.1
    assert percentile([7], P90) == Decimal(7)
    assert percentile([None], P50) is None


def test_percentiles_are_duckdbs_quantile_cont_the_marts_method():
    """The same rule as DuckDB's quantile_cont over doubles (over a DECIMAL column DuckDB keeps the
    column's scale: 3.334 comes back as 3.33), here kept exact."""
    from planwise_assets.defs.exports.uncertainty import P10, P50, P90, percentile

    values = [Decimal(v) for v in ("1234.56", "99.01", "100000.00", "5.55", "777.77", "12.34", "0.01")]
    # sorted 0.01, 5.55, 12.34, 99.01, 777.77, 1234.56, 100000.00; P10 at h = 0.6: 0.01 + 0.6 x 5.54
    assert percentile(values, P10) == Decimal("3.334")
    for fraction in (P10, P50, P90):
        (expected,) = duckdb.execute(
            "select quantile_cont(v::double, ?::double) from unnest(?::decimal(18, 2)[]) as t(v)",
            [float(fraction), values],
        ).fetchone()
        assert float(percentile(values, fraction)) == pytest.approx(expected, rel=1e-12)


def _results(scenario_id: str, columns: list[str], replicates: list[list[tuple]]):
    """A ScenarioResults of hand-made yearly rows, one list of (year, values...) per replicate."""
    from types import SimpleNamespace

    from planwise_assets.defs.exports.comparison import ScenarioResults
    from planwise_assets.defs.exports.formats import Table

    kinds = ["integer", *["decimal"] * (len(columns) - 1)]
    tables = tuple(Table(columns, kinds, rows) for rows in replicates)
    return ScenarioResults(SimpleNamespace(scenario_id=scenario_id), tables[0], {}, [], tables)


def test_paired_differences_pair_replicate_r_with_the_baselines_replicate_r():
    from planwise_assets.defs.exports.ensemble_comparison import paired_difference

    columns = ["simulation_year", "total_employer_cost_amount"]
    base = _results("base", columns, [[(2025, Decimal(cost))] for cost in (100, 200, 300, 400, 500)])
    other = _results("other", columns, [[(2025, Decimal(cost))] for cost in (110, 190, 330, 460, 500)])
    paired = paired_difference(other, base, "total_employer_cost_amount", 2025, 5)
    # differences 10, -10, 30, 60, 0; sorted -10, 0, 10, 30, 60
    assert paired.differences == [10, -10, 30, 60, 0]
    assert paired.band.p10 == Decimal(-6)  # h = 0.4: -10 + 0.4 x 10
    assert paired.band.p50 == Decimal(10)
    assert paired.band.p90 == Decimal(48)  # h = 3.6: 30 + 0.6 x 30
    assert (paired.higher, paired.compared, paired.higher_share) == (3, 5, Decimal("0.6"))


def test_the_comparisons_ensemble_needs_the_same_number_of_replicates_in_every_scenario():
    from planwise_assets.defs.exports.ensemble_comparison import common_replicates, ensemble_notes

    columns = ["simulation_year", "participation_rate"]
    single = _results("single", columns, [[(2025, Decimal("0.5"))]])
    three = _results("three", columns, [[(2025, Decimal("0.5"))]] * 3)
    two = _results("two", columns, [[(2025, Decimal("0.5"))]] * 2)
    assert common_replicates([three, three]) == 3
    assert common_replicates([single, single]) is None and ensemble_notes([single, single]) == []
    assert common_replicates([three, two]) is None
    (note,) = ensemble_notes([three, two, single])
    assert note.startswith("Replicates: three 3, two 2, single 1. Bands, paired differences and fan charts need")


def test_each_headline_figure_gets_its_band_and_its_paired_differences_band_across_replicates():
    from planwise_assets.defs.exports.dictionary import DataDictionary, column_doc
    from planwise_assets.defs.exports.headline import headline_bands

    column = "total_employer_cost_amount"
    dictionary = DataDictionary(
        {"fct_yearly_summary": {column: column_doc(column, "Employer cost: ...", {"headline": ["total"]})}}
    )
    columns = ["simulation_year", column]
    base = _results(
        "base", columns, [[(2025, Decimal(a)), (2026, Decimal(b))] for a, b in ((100, 100), (100, 200), (300, 300))]
    )
    other = _results(
        "other", columns, [[(2025, Decimal(a)), (2026, Decimal(b))] for a, b in ((150, 150), (100, 300), (300, 400))]
    )
    (bands,) = headline_bands([base, other], YEARS, dictionary, 0.04, 3)
    # the baseline's totals per replicate: 200, 300, 600
    assert bands.values[0].p10 == Decimal(220)  # h = 0.2: 200 + 0.2 x 100
    assert bands.values[0].p50 == Decimal(300)
    assert bands.values[0].p90 == Decimal(540)  # h = 1.8: 300 + 0.8 x 300
    # the other's totals 300, 400, 700: 100 more in every replicate
    assert (bands.values[1].p10, bands.values[1].p90) == (Decimal(320), Decimal(640))
    assert bands.differences[0].p10 == bands.differences[0].p90 == Decimal(100)


@pytest.mark.parametrize(
    ("low", "high", "scale"),
    [
        (0.7152, 0.9652, (0.7, 1.0, 0.05)),  # a rate: steps of 5 points, never above 100%
        (416_497, 676_000, (400_000, 700_000, 100_000)),
        (100, 100, (100, 120, 20)),  # a flat line still gets a frame above it
    ],
)
def test_a_metrics_fan_charts_share_a_scale_in_whole_steps(low, high, scale):
    from planwise_assets.defs.exports.charts import common_scale

    assert common_scale(low, high, "0.00%" if high < 1 else "#,##0") == scale


def test_whole_years_past_the_row_budget_are_left_to_the_parquet_file():
    from planwise_assets.defs.exports.scenario_workbook import years_within_budget

    assert years_within_budget({2025: 4, 2026: 5, 2027: 6}, row_budget=9) == {2025: 4, 2026: 5}
    assert years_within_budget({2025: 4, 2026: 5, 2027: 6}, row_budget=15) == {2025: 4, 2026: 5, 2027: 6}
    assert years_within_budget({2025: 10}, row_budget=9) == {}


# --------------------------------------------------------------------------------------------
# a baseline and an auto-enrollment variant, 5 replicates each, simulated for real once
# --------------------------------------------------------------------------------------------

BASE, AUTO, SINGLE = "ens_base", "ens_auto", "ens_single"
REPLICATES = 5
COST, PARTICIPATION = "total_employer_cost_amount", "participation_rate"


@pytest.fixture(scope="module")
def ensembles(tmp_path_factory, write_scenario, run_scenario) -> dict[str, Any]:
    """Two scenarios of 5 replicates (same seed) and one of a single run: 200 employees, 2025-2026."""
    census = {"path": _exact_census(tmp_path_factory.mktemp("census"), 200)}
    configs = {
        BASE: write_scenario(BASE, simulation={"end_year": 2026, "replicates": REPLICATES}, census=census),
        AUTO: write_scenario(
            AUTO,
            simulation={"end_year": 2026, "replicates": REPLICATES},
            enrollment={"auto_enrollment": {"enabled": True, "scope": "all_eligible_employees"}},
            census=census,
        ),
        SINGLE: write_scenario(SINGLE, simulation={"end_year": 2026}, census=census),
    }
    for config in configs.values():
        run_scenario(config)
    return configs


@pytest.fixture(scope="module")
def outputs(ensembles, tmp_path_factory) -> Path:
    from planwise_assets.defs.exports.comparison import write_comparison_outputs
    from planwise_assets.defs.exports.scenario_workbook import write_scenario_outputs

    folder = tmp_path_factory.mktemp("ensemble_exports")
    for scenario_id in (BASE, AUTO):
        write_scenario_outputs(ensembles[scenario_id], folder / scenario_id, None)
    write_comparison_outputs([ensembles[BASE], ensembles[AUTO]], folder, BASE, None)
    return folder


@pytest.fixture(scope="module")
def base_workbook(outputs):
    return load_workbook(outputs / BASE / f"{BASE}_results.xlsx")


@pytest.fixture(scope="module")
def comparison(outputs):
    return load_workbook(outputs / "comparison_report.xlsx")


def _by_replicate(scenario_id: str, column: str, year: int) -> list[Decimal]:
    """A metric's value in each replicate, in replicate order."""
    rows = query(
        scenario_id,
        f"select {column} from fct_yearly_summary where simulation_year = ? order by replicate",
        [year],
    )
    return [value for (value,) in rows]


def _rows_until_blank(ws, min_row: int = 2) -> list[tuple]:
    rows = []
    for row in ws.iter_rows(min_row=min_row, values_only=True):
        if row[0] is None:
            break
        rows.append(row)
    return rows


def test_the_replicates_differ_so_the_bands_have_a_width(ensembles):
    costs = _by_replicate(BASE, COST, 2026)
    assert len(costs) == REPLICATES and len(set(costs)) > 1


def test_sheets_of_one_future_show_replicate_0_and_say_so(base_workbook):
    from planwise_assets.defs.exports.uncertainty import single_run_note

    summary = {row[0]: row[1:3] for row in _rows_until_blank(base_workbook["Summary"])}
    assert summary["Employer cost"] == tuple(float(_by_replicate(BASE, COST, year)[0]) for year in YEARS)
    assert "Replicate" not in summary  # a column of the tables, not a metric
    for title in ("Summary", "Events_Summary", "Contributions", "Compliance"):
        notes = [row[0] for row in base_workbook[title].iter_rows(values_only=True)]
        assert single_run_note(REPLICATES) in notes, title
    assert "replicate 0 of the 5 replicates" in single_run_note(REPLICATES)


def test_the_snapshot_sheet_holds_replicate_0_and_the_parquet_file_every_replicate(base_workbook, outputs):
    ws = base_workbook["Workforce_Snapshot"]
    parquet = outputs / BASE / f"{BASE}_workforce_snapshot.parquet"
    assert ws["A1"].value == (
        "Per-employee results: the snapshot sheets hold replicate 0 of the 5 replicates. Every replicate and year "
        f"of fct_workforce_snapshot is in {parquet.name}, beside this workbook."
    )
    (single_run,) = query(BASE, "select count(*) from fct_workforce_snapshot where replicate = 0")[0]
    assert ws.max_row == 2 + single_run
    assert "Replicate" not in [cell.value for cell in ws[2]]
    with duckdb.connect() as con:
        held = con.sql(f"select replicate, count(*) from '{parquet}' group by all order by 1").fetchall()
    assert held == query(BASE, "select replicate, count(*) from fct_workforce_snapshot group by all order by 1")
    assert [replicate for replicate, _ in held] == list(range(REPLICATES))
    assert dict(_rows_until_blank(base_workbook["Metadata"]))["snapshot_parquet"] == parquet.name


def test_the_uncertainty_sheet_gives_each_metrics_band_from_the_ensemble_mart(base_workbook):
    from planwise_assets.defs.exports.uncertainty import P10, P90, percentile

    ws = base_workbook["Uncertainty"]
    assert [cell.value for cell in ws[1]] == [
        "Metric",
        "Year",
        "Mean",
        "P10",
        "Median (P50)",
        "P90",
        "Lowest",
        "Highest",
    ]
    rows = {(row[0], row[1]): row[2:] for row in _rows_until_blank(ws)}
    mean, p10, p50, p90, lowest, highest = rows[("Employer cost", 2026)]
    costs = sorted(_by_replicate(BASE, COST, 2026))
    # five replicates: P10 at rank h = 0.4, P90 at h = 3.6
    assert p10 == pytest.approx(float(costs[0] + Decimal("0.4") * (costs[1] - costs[0])), abs=1e-6)
    assert p90 == pytest.approx(float(costs[3] + Decimal("0.6") * (costs[4] - costs[3])), abs=1e-6)
    assert (p50, lowest, highest) == (float(costs[2]), float(costs[0]), float(costs[4]))
    assert mean == pytest.approx(float(sum(costs) / 5), abs=1e-6)
    assert p10 == pytest.approx(float(percentile(costs, P10)), abs=1e-6)
    assert p90 == pytest.approx(float(percentile(costs, P90)), abs=1e-6)
    assert lowest <= p10 <= p50 <= p90 <= highest
    participation = ws.cell(row=2 + list(rows).index(("Participation rate", 2026)), column=4)
    assert participation.number_format == "0.00%"


def test_the_definitions_sheet_explains_the_uncertainty_sheets_statistics(base_workbook):
    described = {
        label: (column, meaning)
        for sheet, label, column, meaning in _rows_until_blank(base_workbook["Definitions"])
        if sheet == "Uncertainty"
    }
    assert list(described) == ["Mean", "P10", "Median (P50)", "P90", "Lowest", "Highest"]
    assert described["P90"] == (
        "p90_value",
        "The 90th percentile of the metric over the replicates; one future in ten is higher.",
    )


def test_paired_differences_pair_each_replicate_with_the_baselines(comparison):
    ws = comparison["Paired_Differences"]
    header = [cell.value for cell in ws[1]]
    assert header == [
        "Metric",
        "Year",
        f"{AUTO} - {BASE}, P10",
        f"{AUTO} - {BASE}, median",
        f"{AUTO} - {BASE}, P90",
        f"{AUTO} - {BASE}, higher in",
    ]
    rows = {(row[0], row[1]): row[2:] for row in _rows_until_blank(ws)}
    differences = sorted(
        a - b for a, b in zip(_by_replicate(AUTO, COST, 2026), _by_replicate(BASE, COST, 2026), strict=True)
    )
    p10, p50, p90, higher = rows[("Employer cost", 2026)]
    assert p10 == pytest.approx(float(differences[0] + Decimal("0.4") * (differences[1] - differences[0])))
    assert p50 == pytest.approx(float(differences[2]))
    assert p90 == pytest.approx(float(differences[3] + Decimal("0.6") * (differences[4] - differences[3])))
    assert higher == pytest.approx(sum(d > 0 for d in differences) / 5)
    # auto-enrolling everyone raises participation, and what the employer pays, in every future
    assert higher == 1 and rows[("Participation rate", 2026)][3] == 1
    rates = [
        a - b
        for a, b in zip(_by_replicate(AUTO, PARTICIPATION, 2026), _by_replicate(BASE, PARTICIPATION, 2026), strict=True)
    ]
    assert rows[("Participation rate", 2026)][1] == pytest.approx(float(sorted(rates)[2]) * 100)  # in points
    notes = [row[0] for row in ws.iter_rows(min_row=len(rows) + 3, values_only=True) if row[0]]
    assert any(note.startswith(f"{AUTO} in 2026: employer cost +$") for note in notes)
    assert any("it costs more in 5 of 5 replicates and reaches higher participation in 5 of 5." in n for n in notes)


def test_each_headline_figure_carries_its_band_across_replicates(comparison):
    ws = comparison["Headline"]
    figures = _rows_until_blank(ws)
    start = len(figures) + 3
    assert ws.cell(row=start, column=1).value == "P10 to P90 across the replicates"
    assert [cell.value for cell in ws[start]][1:] == [
        f"{BASE}, P10",
        f"{BASE}, P90",
        f"{AUTO}, P10",
        f"{AUTO}, P90",
        f"{AUTO} vs {BASE}, P10",
        f"{AUTO} vs {BASE}, P90",
    ]
    bands = {row[0]: row[1:] for row in _rows_until_blank(ws, min_row=start + 1)}
    assert list(bands) == [row[0] for row in figures]
    totals = {
        scenario: sorted(sum(column) for column in zip(*(_by_replicate(scenario, COST, y) for y in YEARS), strict=True))
        for scenario in (BASE, AUTO)
    }
    base_p10, base_p90, auto_p10, auto_p90, difference_p10, difference_p90 = bands["Employer cost, 2025–2026 total"]
    for scenario, (p10, p90) in {BASE: (base_p10, base_p90), AUTO: (auto_p10, auto_p90)}.items():
        low, high = totals[scenario][0:2], totals[scenario][3:5]
        assert p10 == pytest.approx(float(low[0] + Decimal("0.4") * (low[1] - low[0])))
        assert p90 == pytest.approx(float(high[0] + Decimal("0.6") * (high[1] - high[0])))
    assert 0 < difference_p10 <= difference_p90
    participation = bands["Participation rate, 2026"]
    assert base_p10 <= base_p90 and participation[0] <= participation[1]
    assert ws.cell(row=start + 1 + list(bands).index("Participation rate, 2026"), column=6).number_format == (
        '+0.00" pp";-0.00" pp";0.00" pp"'
    )


def _numbered_chart_parts(path: Path) -> list[ElementTree.Element]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        names.sort(key=lambda name: int(re.sub(r"\D", "", name)))
        return [ElementTree.fromstring(archive.read(name)) for name in names]


def test_fan_charts_draw_each_scenarios_band_and_median_per_metric(comparison, outputs):
    assert comparison.sheetnames[comparison.sheetnames.index("Charts") + 1 :][:3] == [
        "Paired_Differences",
        "Uncertainty",
        "Fan_Charts",
    ]
    assert len(comparison["Fan_Charts"]._charts) == 6  # participation, employer cost, headcount x 2 scenarios
    parts = _numbered_chart_parts(outputs / "comparison_report.xlsx")
    fans = [root for root in parts if next(root.iter(f"{{{C}}}areaChart"), None) is not None]
    titles = ["".join(t.text for t in next(root.iter(f"{{{C}}}title")).iter(f"{{{A}}}t")) for root in fans]
    assert titles == [
        f"{label}: {scenario}"
        for label in ("Participation rate", "Employer cost", "Active employees, 31 December")
        for scenario in (BASE, AUTO)
    ]
    for index, root in enumerate(fans):
        area = next(root.iter(f"{{{C}}}areaChart"))
        assert area.find(f"{{{C}}}grouping").get("val") == "stacked"
        below, spread = area.findall(f"{{{C}}}ser")
        assert below.find(f"{{{C}}}spPr/{{{A}}}noFill") is not None  # the P10 part is invisible
        assert spread.find(f"{{{C}}}spPr/{{{A}}}solidFill") is not None
        lines = next(root.iter(f"{{{C}}}lineChart")).findall(f"{{{C}}}ser")
        assert len(lines) == (1 if index % 2 == 0 else 2)  # the others' charts add the baseline's median


@pytest.mark.slow
def test_fan_charts_print_with_libreoffice(outputs, tmp_path):
    """LibreOffice draws the fan charts, laid out for the page as the Charts sheet is: each one's title
    and legend are printed (that the bands are shaded was checked by eye on the pictures)."""
    from tests.test_exports import _convert, _pdf_pages, _tool

    (pdf,) = _convert(_tool("soffice"), [outputs / "comparison_report.xlsx"], "pdf", tmp_path)
    pages = [page for sheet, page in _pdf_pages(_tool("pdftotext"), pdf) if sheet == "Fan_Charts"]
    assert len(pages) == 2  # two rows of charts on the first page, the third on the second
    # a title may wrap after its colon; the PDF also keeps the text of what a page clips
    text = "".join(pages)
    for words in ("Participation rate:", "Employer cost:", "Active employees,", "P10 to P90", f"{BASE} median"):
        assert words in text
    assert "Participation rate:" not in pages[1] and "Active employees," in pages[1]


def test_scenarios_with_different_numbers_of_replicates_are_compared_on_their_single_runs(ensembles, tmp_path):
    from planwise_assets.defs.exports.comparison import write_comparison_outputs

    write_comparison_outputs([ensembles[BASE], ensembles[SINGLE]], tmp_path, BASE, None)
    wb = load_workbook(tmp_path / "comparison_report.xlsx")
    assert not {"Paired_Differences", "Uncertainty", "Fan_Charts"} & set(wb.sheetnames)
    notes = [row[0] for row in wb["Headline"].iter_rows(values_only=True) if row[0]]
    assert f"Replicates: {BASE} 5, {SINGLE} 1. Bands, paired differences and fan charts need every scenario" in (
        "".join(notes)
    )
    assert "P10 to P90 across the replicates" not in notes
