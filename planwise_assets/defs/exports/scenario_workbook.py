"""One scenario's results for analysts: `<scenario>_results.xlsx` plus its CSV and JSON twins.

Sheets: Summary, Workforce_Snapshot (one per year past Excel's row limit), Events_Summary,
Contributions, Assumptions, Metadata. Column lists come from the tables themselves, so a
metric added to a mart appears without a change here. docs/outputs.md describes every file.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook

from planwise_assets.defs.exports.bulk_sheet import (
    BulkSheet,
    Slice,
    add_bulk_sheet,
    add_openpyxl_parts,
    write_bulk_sheets,
)
from planwise_assets.defs.exports.compliance_sheet import write_compliance_sheet
from planwise_assets.defs.exports.files import atomic_file, write_json
from planwise_assets.defs.exports.formats import CURRENCY, Table, number_format, write_key_values, write_table
from planwise_assets.defs.exports.provenance import code_version, created_at
from planwise_assets.defs.exports.sources import (
    columns_of,
    override_register,
    query_table,
    read_warehouse,
    resolved_parameters,
    shown_columns,
    yearly_summary,
)
from planwise_assets.lib.census import census_file, file_sha256
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.fingerprint import results_fingerprint
from planwise_assets.lib.scenario_config import ScenarioConfig

EXCEL_MAX_ROWS = 1_048_576
PAYROLL_COLUMN = "total_prorated_pay_amount"
CONTRIBUTION_WORDS = frozenset({"contribution", "match", "core", "cost", "forfeiture"})
SNAPSHOT_SHEET = "Workforce_Snapshot"
SNAPSHOT_ORDER = "simulation_year, employee_id"
ZIP_LEVEL = 1  # the snapshot dominates the file; level 1 is 3x faster than 6 for 30% more bytes


@dataclass(frozen=True)
class SnapshotSheet:
    """One sheet of the workforce snapshot: `rows` rows from `offset` of one year (of all years if year is None)."""

    title: str
    year: int | None
    offset: int
    rows: int


def plan_snapshot_sheets(rows_by_year: dict[int, int], row_limit: int = EXCEL_MAX_ROWS) -> list[SnapshotSheet]:
    """One sheet if the whole snapshot fits under the row limit (with its header row), else one per year.

    A year larger than a sheet (over a million employees) continues on numbered sheets.
    """
    capacity = row_limit - 1
    total = sum(rows_by_year.values())
    if total <= capacity:
        return [SnapshotSheet(SNAPSHOT_SHEET, None, 0, total)]
    sheets = []
    for year, rows in sorted(rows_by_year.items()):
        if rows <= capacity:
            sheets.append(SnapshotSheet(f"{SNAPSHOT_SHEET}_{year}", year, 0, rows))
            continue
        for part, offset in enumerate(range(0, rows, capacity), 1):
            sheets.append(SnapshotSheet(f"{SNAPSHOT_SHEET}_{year}_{part}", year, offset, min(capacity, rows - offset)))
    return sheets


def contribution_columns(summary: Table) -> list[str]:
    """Payroll and every numeric contribution or employer-cost column of fct_yearly_summary, in table order."""
    return [
        column
        for column, kind in zip(summary.columns, summary.kinds, strict=True)
        if kind in {"integer", "decimal"} and (column == PAYROLL_COLUMN or set(column.split("_")) & CONTRIBUTION_WORDS)
    ]


def _events_summary_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Counts and money totals by year and event type; the pay change where an event has pay before and after."""
    relation = con.sql("select * from fct_yearly_events limit 0")
    money = [column for column in relation.columns if number_format(column, "decimal") == CURRENCY]
    totals = [f'sum("{c}") as "total_{c}"' for c in money]
    if {"previous_pay_amount", "new_pay_amount"} <= set(money):
        totals.append("sum(new_pay_amount - previous_pay_amount) as total_pay_change_amount")
    return f"""
        select simulation_year, event_type, count(*) as event_count{"".join(", " + t for t in totals)}
        from fct_yearly_events
        group by simulation_year, event_type
        order by simulation_year, event_type
    """


def _snapshot_bulk_sheets(con: duckdb.DuckDBPyConnection, row_limit: int) -> list[BulkSheet]:
    rows_by_year = dict(con.sql("select simulation_year, count(*) from fct_workforce_snapshot group by all").fetchall())
    columns = shown_columns(columns_of(con, "fct_workforce_snapshot"))

    def of_year(year: int) -> str:
        return f"select {columns} from fct_workforce_snapshot where simulation_year = {year}"

    bulk = []
    for sheet in plan_snapshot_sheets(rows_by_year, row_limit):
        if sheet.year is None:  # every year on one sheet, a year at a time
            source = f"select {columns} from fct_workforce_snapshot"
            slices = tuple(Slice(of_year(year), SNAPSHOT_ORDER) for year in sorted(rows_by_year))
        else:
            source = of_year(sheet.year)
            slices = (Slice(source, SNAPSHOT_ORDER, sheet.offset, sheet.rows),)
        bulk.append(BulkSheet(sheet.title, source, slices))
    return bulk


def _write_assumptions(wb: Workbook, parameters: dict[str, Any], overrides: Table | None) -> None:
    ws = wb.create_sheet("Assumptions")
    resolved = list(parameters.items())
    write_key_values(ws, ("parameter", "value"), resolved)
    if overrides is not None and overrides.rows:
        write_table(ws, overrides, start_row=len(resolved) + 3)


def scenario_metadata(
    config: ScenarioConfig, years: list[int], simulation_run_id: str | None, seconds: float, fingerprint: str
) -> dict[str, Any]:
    """What produced the workbook: the scenario and the years it holds, its census, the code and the run,
    and the fingerprint of the results (lib/fingerprint.py): equal for two runs with equal marts."""
    census = Path(census_file(config))
    return {
        "scenario_id": config.scenario_id,
        "plan_design_id": config.plan_design_id,
        "description": config.scenario.description,
        "random_seed": config.simulation.random_seed,
        "years": f"{min(years)}-{max(years)}" if years else "none simulated",
        "census_file": str(census),
        "census_sha256": file_sha256(census),
        "warehouse_file": str(warehouse_path(config.scenario_id)),
        "code_version": code_version(),
        "simulation_run_id": simulation_run_id or "none",
        "results_fingerprint": fingerprint,
        "created_at": created_at(),
        "export_seconds": round(seconds, 3),
    }


def write_scenario_outputs(
    config: ScenarioConfig, folder: Path, simulation_run_id: str | None, *, row_limit: int = EXCEL_MAX_ROWS
) -> list[Path]:
    """Write `<scenario>_results.xlsx`, `<scenario>_summary.csv` and `<scenario>_metadata.json` into `folder`.

    Reads the scenario's DuckDB file read-only (waiting while a simulation writes it). The
    Metadata sheet's export_seconds covers everything up to the file's last small parts;
    the JSON twin repeats it. Returns the paths written.
    """
    started = time.perf_counter()
    scenario_id = config.scenario_id
    workbook_path = folder / f"{scenario_id}_results.xlsx"
    summary_csv = folder / f"{scenario_id}_summary.csv"
    with read_warehouse(scenario_id) as con:
        summary = yearly_summary(con).without_empty_columns()
        contributions = summary.select(["simulation_year", *contribution_columns(summary)])
        events = query_table(con, _events_summary_sql(con)).without_empty_columns()
        overrides = override_register(con)
        parameters = resolved_parameters(con, config)

        wb = Workbook()
        wb.active.title = "Summary"
        write_table(wb.active, summary)
        pending = [add_bulk_sheet(wb, con, sheet) for sheet in _snapshot_bulk_sheets(con, row_limit)]
        write_table(wb.create_sheet("Events_Summary"), events)
        write_table(wb.create_sheet("Contributions"), contributions)
        write_compliance_sheet(wb, con)
        _write_assumptions(wb, parameters, overrides)
        metadata_sheet = wb.create_sheet("Metadata")
        with (
            atomic_file(workbook_path) as partial,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive,
        ):
            write_bulk_sheets(archive, wb, con, pending)
            years = summary.column("simulation_year")
            metadata = scenario_metadata(
                config, years, simulation_run_id, time.perf_counter() - started, results_fingerprint(con)
            )
            write_key_values(metadata_sheet, ("field", "value"), list(metadata.items()))
            add_openpyxl_parts(archive, wb, pending)
        with atomic_file(summary_csv) as partial:
            con.sql("select * from fct_yearly_summary order by simulation_year").write_csv(str(partial))

    metadata_json = write_json(
        folder / f"{scenario_id}_metadata.json",
        {
            **metadata,
            "files": [workbook_path.name, summary_csv.name],
            "sheets": wb.sheetnames,
            "parameters": parameters,
            "overrides": [dict(zip(overrides.columns, row, strict=True)) for row in overrides.rows]
            if overrides
            else [],
        },
    )
    return [workbook_path, summary_csv, metadata_json]
