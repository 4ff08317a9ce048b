"""The nondiscrimination results in the workbooks: a scenario's Compliance sheet and the
comparison's Compliance sheet.

Both read `fct_compliance` (docs/dc_plan.md, rules 11 to 13) and show, year by year, what a plan
sponsor asks first: how many HCEs there are, whether the ADP and ACP tests pass and by how much,
what correcting a failure would refund, and whether the plan is top-heavy and what that costs. A
scenario simulated before the table existed has no such sheet (and no column in the comparison).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from planwise_assets.defs.exports.formats import (
    GENERAL,
    Table,
    fit_columns,
    font,
    number_format,
    signed,
    write_table,
)
from planwise_assets.defs.exports.sources import query_table, read_warehouse, single_run, tables

COMPLIANCE_MART = "fct_compliance"
SHEET = "Compliance"
# a failed test or a top-heavy year, in the comparison's colours for a change for the worse
FAILED_FILL = PatternFill("solid", fgColor="FFC7CE")
FAILED_FONT = font(color="9C0006")
FAILED_VALUES = frozenset({"fail", "top-heavy"})
SECTION_FONT = font(bold=True)


@dataclass(frozen=True)
class Figure:
    """One line of the report: the test it belongs to, how a sponsor reads it, the mart column."""

    test: str
    label: str
    column: str


TESTS = {
    "HCEs": "Highly compensated employees (IRC 414(q))",
    "ADP": "ADP test: deferrals (IRC 401(k)(3))",
    "ACP": "ACP test: matching contributions (IRC 401(m)(2))",
    "Top-heavy": "Top-heavy test (IRC 416)",
}
FIGURES = (
    Figure("HCEs", "Highly compensated employees", "highly_compensated_employees"),
    *(
        figure
        for test in ("ADP", "ACP")
        for figure in (
            Figure(test, "Result", f"{test.lower()}_result"),
            Figure(test, "HCE average", f"{test.lower()}_hce_average_rate"),
            Figure(test, "NHCE average", f"{test.lower()}_nhce_average_rate"),
            Figure(test, "NHCE average compared (the method's year)", f"{test.lower()}_compared_nhce_average_rate"),
            Figure(test, "Limit", f"{test.lower()}_limit_rate"),
            Figure(test, "Highest passing HCE average", f"{test.lower()}_max_passing_hce_average_rate"),
            Figure(test, "Margin (limit - HCE average)", f"{test.lower()}_margin_rate"),
            Figure(test, "Eligible HCEs", f"{test.lower()}_eligible_hces"),
            Figure(test, "Eligible NHCEs", f"{test.lower()}_eligible_nhces"),
            Figure(test, "Estimated corrective refunds (leveling)", f"{test.lower()}_corrective_refund_amount"),
        )
    ),
    Figure("Top-heavy", "Result", "top_heavy_result"),
    Figure("Top-heavy", "Key employees' share of balances (top-heavy above 60%)", "top_heavy_ratio_rate"),
    Figure("Top-heavy", "Balances measured on", "top_heavy_determination_date"),
    Figure("Top-heavy", "Key employees", "key_employees"),
    Figure("Top-heavy", "Key employees' balances", "key_employee_balance_amount"),
    Figure("Top-heavy", "All balances counted", "top_heavy_balance_amount"),
    Figure("Top-heavy", "Minimum contribution rate", "top_heavy_minimum_rate"),
    Figure("Top-heavy", "Employees owed a top-up", "top_heavy_minimum_participants"),
    Figure("Top-heavy", "Cost of the minimum contribution", "top_heavy_minimum_amount"),
)


def _results(con: duckdb.DuckDBPyConnection) -> Table | None:
    """fct_compliance of the single run (replicate 0) by year, or None when the scenario's file has none."""
    if COMPLIANCE_MART not in tables(con):
        return None
    columns = ", ".join(["simulation_year", *(figure.column for figure in FIGURES)])
    return query_table(con, f"select {columns} from {single_run(con, COMPLIANCE_MART)} order by simulation_year")


def _mark_failures(cells: Sequence[Any]) -> None:
    for cell in cells:
        if cell.value in FAILED_VALUES:
            cell.fill = FAILED_FILL
            cell.font = FAILED_FONT


def write_compliance_sheet(wb: Workbook, con: duckdb.DuckDBPyConnection) -> None:
    """The scenario's Compliance sheet: one row per figure under its test's heading, one column per year."""
    results = _results(con)
    if results is None:
        return
    years = results.column("simulation_year")
    kinds = dict(zip(results.columns, results.kinds, strict=True))
    rows: list[tuple[Any, ...]] = []
    formats: list[str | None] = []
    for test, heading in TESTS.items():
        rows.append((heading, "", *[""] * len(years)))
        formats.append(None)
        for figure in (figure for figure in FIGURES if figure.test == test):
            rows.append((figure.label, figure.column, *results.column(figure.column)))
            formats.append(number_format(figure.column, kinds[figure.column]))
    header = ["Figure", "Column", *[str(year) for year in years]]
    ws = wb.create_sheet(SHEET)
    write_table(ws, Table(header, ["text"] * len(header), rows), formats=[GENERAL] * len(header))
    ws.auto_filter.ref = None
    ws.freeze_panes = "C2"
    for row_index, fmt in enumerate(formats, 2):
        cells = [ws.cell(row=row_index, column=column) for column in range(3, len(header) + 1)]
        if fmt is None:
            ws.cell(row=row_index, column=1).font = SECTION_FONT
            continue
        for cell in cells:
            cell.number_format = fmt
        _mark_failures(cells)
    fit_columns(ws)


def write_compliance_comparison(wb: Workbook, scenario_ids: list[str]) -> None:
    """The comparison's Compliance sheet: every figure by year, one column per scenario (the baseline
    first), then each numeric figure's difference from the baseline. Left out when no scenario has
    the results."""
    results: dict[str, Table] = {}
    for scenario_id in scenario_ids:
        with read_warehouse(scenario_id) as con:
            table = _results(con)
        if table is not None:
            results[scenario_id] = table
    if not results:
        return
    baseline, *others = scenario_ids
    kinds = {
        column: kind for table in results.values() for column, kind in zip(table.columns, table.kinds, strict=True)
    }
    years = sorted({year for table in results.values() for year in table.column("simulation_year")})

    def value(scenario_id: str, column: str, year: int) -> Any:
        table = results.get(scenario_id)
        if table is None or year not in table.column("simulation_year"):
            return None
        return table.column(column)[table.column("simulation_year").index(year)]

    rows = []
    for figure in FIGURES:
        numeric = kinds[figure.column] in {"integer", "decimal"}
        for year in years:
            values = [value(scenario_id, figure.column, year) for scenario_id in scenario_ids]
            differences = [
                v - values[0] if numeric and v is not None and values[0] is not None else None for v in values[1:]
            ]
            rows.append((figure.test, figure.label, year, *values, *differences))
    header = ["Test", "Figure", "Year", *scenario_ids, *[f"{s} - {baseline}" for s in others]]
    ws = wb.create_sheet(SHEET)
    write_table(ws, Table(header, ["text"] * len(header), rows), formats=[GENERAL] * len(header))
    ws.freeze_panes = "D2"
    first_difference = 4 + len(scenario_ids)
    for row_index, figure in enumerate((figure for figure in FIGURES for _ in years), 2):
        fmt = number_format(figure.column, kinds[figure.column])
        values = [ws.cell(row=row_index, column=column) for column in range(4, first_difference)]
        for cell in values:
            cell.number_format = fmt
        _mark_failures(values)
        if kinds[figure.column] in {"integer", "decimal"}:
            for column in range(first_difference, len(header) + 1):
                ws.cell(row=row_index, column=column).number_format = signed(fmt)
    fit_columns(ws)
