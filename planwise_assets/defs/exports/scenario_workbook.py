"""One scenario's results for analysts and sponsors: `<scenario>_results.xlsx` plus its CSV and JSON twins.

Sheets: Summary (metrics as rows, years as columns), Workforce_Snapshot (one per year past
Excel's row limit), Events_Summary, Contributions, Compliance, Uncertainty (an ensemble's spread),
Assumptions (in words), Parameters, Definitions, Metadata. Column lists come from the tables
themselves, so a metric added to a mart appears without a change here, under the label its dbt
description gives it. The sheets of one future show replicate 0, the single run; what the
workbook cannot hold (the other replicates' employees, years past the snapshot's row budget) goes
to a Parquet file beside it. docs/outputs.md describes every file.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook

from planwise_assets.defs.exports.assumptions import MISSING_REASON, Assumption, read_assumptions
from planwise_assets.defs.exports.bulk_sheet import (
    BulkSheet,
    Slice,
    add_bulk_sheet,
    add_openpyxl_parts,
    write_bulk_sheets,
)
from planwise_assets.defs.exports.compliance_sheet import write_compliance_sheet
from planwise_assets.defs.exports.dictionary import ColumnDoc, DataDictionary, data_dictionary
from planwise_assets.defs.exports.formats import (
    CURRENCY,
    GENERAL,
    LEFT,
    SENTENCE_WIDTH,
    Table,
    number_format,
    parameter_format,
    summary_format,
    wrap_columns,
    write_cells_formatted,
    write_key_values,
    write_notes,
    write_table,
)
from planwise_assets.defs.exports.printing import Footer, batch_name, print_setup
from planwise_assets.defs.exports.provenance import code_version, created_at
from planwise_assets.defs.exports.sources import (
    IDENTITY_COLUMNS,
    REPLICATE,
    columns_of,
    ensemble_summary,
    override_register,
    query_table,
    read_warehouse,
    replicate_count,
    resolved_parameters,
    shown_columns,
    single_run,
    yearly_summary,
)
from planwise_assets.defs.exports.uncertainty import single_run_note, uncertainty_definitions, write_uncertainty_sheet
from planwise_assets.lib.census import census_file
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.files import atomic_file, file_sha256, write_json
from planwise_assets.lib.fingerprint import results_fingerprint
from planwise_assets.lib.scenario_config import ScenarioConfig

EXCEL_MAX_ROWS = 1_048_576
# The most per-employee rows a workbook holds, over all its snapshot sheets: at about 120 bytes a
# row (100,000 employees x 5 years made a 70 MB workbook), some 250 MB, past which a spreadsheet
# program is no way to read them. Whole years past it go to the Parquet file only.
SNAPSHOT_ROW_BUDGET = 2_000_000
PAYROLL_COLUMN = "total_prorated_pay_amount"
CONTRIBUTION_WORDS = frozenset({"contribution", "match", "core", "cost", "forfeiture"})
SNAPSHOT_SHEET = "Workforce_Snapshot"
# the sheets that show one future: replicate 0 of an ensemble, with a note saying so
ONE_FUTURE_SHEETS = ("Summary", "Events_Summary", "Contributions", "Compliance")
SNAPSHOT_ORDER = "simulation_year, employee_id"
SUMMARY, SNAPSHOT, EVENTS = "fct_yearly_summary", "fct_workforce_snapshot", "fct_yearly_events"
CENT = Decimal("0.01")
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


def years_within_budget(rows_by_year: dict[int, int], row_budget: int = SNAPSHOT_ROW_BUDGET) -> dict[int, int]:
    """The first years (in order) whose rows together fit the budget; the others are left to the Parquet file."""
    kept, total = {}, 0
    for year, rows in sorted(rows_by_year.items()):
        total += rows
        if total > row_budget:
            break
        kept[year] = rows
    return kept


def _years_text(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def snapshot_note(
    replicates: int, years: list[int], left_out_years: list[int], row_budget: int, parquet_name: str
) -> str:
    """Where the per-employee rows the workbook does not hold are (the first row of each snapshot sheet)."""
    held = []
    if replicates > 1:
        held.append(f"replicate 0 of the {replicates} replicates")
    if left_out_years:
        shown = f"years {_years_text(years)} only" if years else "no year"
        held.append(
            f"{shown} (a workbook holds at most {row_budget:,} of them; {_years_text(left_out_years)} left out)"
        )
    return (
        f"Per-employee results: the snapshot sheets hold {', '.join(held)}. Every replicate and year of "
        f"fct_workforce_snapshot is in {parquet_name}, beside this workbook."
    )


def contribution_columns(summary: Table) -> list[str]:
    """Payroll and every numeric contribution or employer-cost column of fct_yearly_summary, in table order."""
    return [
        column
        for column, kind in zip(summary.columns, summary.kinds, strict=True)
        if kind in {"integer", "decimal"} and (column == PAYROLL_COLUMN or set(column.split("_")) & CONTRIBUTION_WORDS)
    ]


def years_span(years: list[int]) -> str:
    return f"{years[0]}–{years[-1]}" if years else "no years"


def by_year(summary: Table, columns: list[str], dictionary: DataDictionary) -> tuple[Table, list[list[str]]]:
    """Metrics as rows and years as columns, with a total over the years for metrics that add up
    (dbt meta `sums_over_years`); each row in its metric's format, money without cents."""
    years = summary.column("simulation_year")
    header = ["Metric", *[str(year) for year in years], f"{years_span(years)} total"]
    rows, formats = [], []
    for column in columns:
        kind = summary.kinds[summary.columns.index(column)]
        values = summary.column(column)
        total = None
        if dictionary.column(SUMMARY, column).sums_over_years and any(v is not None for v in values):
            total = sum(v for v in values if v is not None)
        # the years share one scale; the total, often ten times larger, takes its own
        fmt = summary_format(column, kind, values)
        rows.append((dictionary.label(SUMMARY, column), *values, total))
        formats.append([GENERAL, *[fmt] * len(values), summary_format(column, kind, [total])])
    return Table(header, ["text", *["decimal"] * (len(years) + 1)], rows), formats


def _events_summary_sql(con: duckdb.DuckDBPyConnection) -> str:
    """Counts and money totals by year and event type; the pay change where an event has pay before and after."""
    relation = con.sql("select * from fct_yearly_events limit 0")
    money = [column for column in relation.columns if number_format(column, "decimal") == CURRENCY]
    totals = [f'sum("{c}") as "total_{c}"' for c in money]
    if "new_pay_amount" in money:
        totals.append("count(new_pay_amount) as new_pay_events")
    if {"previous_pay_amount", "new_pay_amount"} <= set(money):
        totals.append("sum(new_pay_amount - previous_pay_amount) as total_pay_change_amount")
    return f"""
        select simulation_year, event_type, count(*) as event_count{"".join(", " + t for t in totals)}
        from {single_run(con, "fct_yearly_events")}
        group by simulation_year, event_type
        order by simulation_year, event_type
    """


def average_new_pay(total: Decimal | None, events: int) -> Decimal | None:
    """The average new pay of a year's events of one type (seed 000: of raises), exact and rounded
    once, half up, to the cent, as the marts round money (dbt/macros/money.sql)."""
    return (total / events).quantize(CENT, rounding=ROUND_HALF_UP) if total is not None and events else None


def events_summary(con: duckdb.DuckDBPyConnection, dictionary: DataDictionary) -> tuple[Table, list[ColumnDoc]]:
    """The events by year and type with their money totals and the average new pay, and each column's doc."""
    table = query_table(con, _events_summary_sql(con))
    if "new_pay_events" in table.columns:
        totals, events = table.column("total_new_pay_amount"), table.column("new_pay_events")
        averages = [average_new_pay(total, count) for total, count in zip(totals, events, strict=True)]
        table = table.inserted("total_new_pay_amount", "average_new_pay_amount", "decimal", averages)
        table = table.select([column for column in table.columns if column != "new_pay_events"])
    table = table.without_empty_columns()
    return table, [_events_column_doc(column, dictionary) for column in table.columns]


def _events_column_doc(column: str, dictionary: DataDictionary) -> ColumnDoc:
    """The events summary's own columns, described from the event log's columns they add up."""
    if column == "event_count":
        return ColumnDoc(column, "Events", "The number of events of the type in the year.")
    if column == "total_pay_change_amount":
        return ColumnDoc(
            column, "Total pay change", "New pay minus previous pay, added up over the year's promotions or raises."
        )
    for prefix, word in (("total_", "Total"), ("average_", "Average")):
        if column.startswith(prefix):
            source = dictionary.column(EVENTS, column.removeprefix(prefix))
            label = source.label[:1].lower() + source.label[1:]
            how = "added up over" if word == "Total" else "averaged over (to the cent)"
            return ColumnDoc(column, f"{word} {label}", f"{source.label} {how} the year's events of the type.")
    return dictionary.column(EVENTS, column)


def _write_events_summary(ws: Any, events: Table, docs: list[ColumnDoc]) -> None:
    """One row per year and event type, the type in words (new_hire_termination: New hire termination)."""
    kind_at = events.columns.index("event_type")
    rows = [(*row[:kind_at], row[kind_at].replace("_", " ").capitalize(), *row[kind_at + 1 :]) for row in events.rows]
    formats = [summary_format(c, k, events.column(c)) for c, k in zip(events.columns, events.kinds, strict=True)]
    write_table(ws, Table([d.label for d in docs], events.kinds, rows), formats=formats, frozen_columns=2)


def snapshot_rows_by_year(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """The single run's snapshot rows per year."""
    return dict(con.sql(f"select simulation_year, count(*) from {single_run(con, SNAPSHOT)} group by all").fetchall())


def _snapshot_bulk_sheets(
    con: duckdb.DuckDBPyConnection,
    rows_by_year: dict[int, int],
    row_limit: int,
    dictionary: DataDictionary,
    note: str,
) -> list[BulkSheet]:
    """The single run's snapshot of the years in `rows_by_year`, on one sheet or one per year, each with
    the note (if any) saying where the rows it does not hold are."""
    shown = snapshot_columns(con)
    columns = shown_columns(shown)
    headers = tuple(dictionary.label(SNAPSHOT, column) for column in shown)

    def of_year(year: int) -> str:
        return f"select {columns} from {single_run(con, SNAPSHOT)} where simulation_year = {year}"

    years = ", ".join(map(str, rows_by_year)) or "null"
    bulk = []
    for sheet in plan_snapshot_sheets(rows_by_year, row_limit):
        if sheet.year is None:  # every year on one sheet, a year at a time
            source = f"select {columns} from {single_run(con, SNAPSHOT)} where simulation_year in ({years})"
            slices = tuple(Slice(of_year(year), SNAPSHOT_ORDER) for year in sorted(rows_by_year))
        else:
            source = of_year(sheet.year)
            slices = (Slice(source, SNAPSHOT_ORDER, sheet.offset, sheet.rows),)
        # the year and the employee name a row: they stay in view when scrolling right
        bulk.append(BulkSheet(sheet.title, source, slices, headers, frozen_columns=2, note=note))
    return bulk


def snapshot_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The snapshot's columns as the sheets show them: without the scenario's identity and the replicate."""
    return [c for c in columns_of(con, SNAPSHOT) if c not in (*IDENTITY_COLUMNS, REPLICATE)]


def _note_what_the_sheets_hold(wb: Workbook, replicates: int, snapshot: str) -> None:
    """Below each table of one future, that it is replicate 0 of an ensemble; below Summary's, where the
    per-employee rows the workbook does not hold are (as on the snapshot sheets)."""
    if replicates > 1:
        for title in (title for title in ONE_FUTURE_SHEETS if title in wb.sheetnames):
            write_notes(wb[title], wb[title].max_row + 2, [single_run_note(replicates)])
    if snapshot:
        write_notes(wb["Summary"], wb["Summary"].max_row + 2, [snapshot])


def write_snapshot_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Every replicate and year of fct_workforce_snapshot as Parquet, written whole or not at all."""
    with atomic_file(path) as partial:
        target = str(partial).replace("'", "''")
        con.execute(f"copy main.{SNAPSHOT} to '{target}' (format parquet)")
    return path


def write_assumptions(ws: Any, assumptions: list[Assumption]) -> None:
    """Topic and sentence, one a row, the sentences wrapped in a wide column."""
    write_table(
        ws, Table(["Topic", "Assumption"], ["text", "text"], [(a.topic, a.text) for a in assumptions]), frozen_columns=1
    )
    wrap_columns(ws, {2: SENTENCE_WIDTH})


def write_parameters(ws: Any, parameters: dict[str, Any], overrides: Table | None) -> None:
    """Every resolved parameter by dotted key (shares as percentages), then the changes from the base
    scenario with their reasons, a missing reason shown as missing."""
    items = list(parameters.items())
    write_key_values(ws, ("Parameter", "Value"), items, value_format=lambda _key, value: parameter_format(value))
    if overrides is None or not overrides.rows:
        return
    start = len(items) + 3
    rows = [(path, base, value, reason or MISSING_REASON) for path, base, value, reason in overrides.rows]
    write_table(
        ws, Table(["Changed setting", "Base scenario", "This scenario", "Reason"], ["text"] * 4, rows), start_row=start
    )
    for row, (_path, base, value, _reason) in enumerate(rows, start + 1):
        for column, shown in ((2, base), (3, value)):
            ws.cell(row=row, column=column).number_format = parameter_format(shown)
            ws.cell(row=row, column=column).alignment = LEFT


def definitions(sections: list[tuple[str, list[ColumnDoc]]]) -> Table:
    """The data dictionary of a workbook: each label it shows, the column's name in the CSV and the
    database, and what it means."""
    rows = [(sheet, doc.label, doc.name, doc.meaning) for sheet, docs in sections for doc in docs]
    return Table(["Sheet", "Label", "Column", "Meaning"], ["text"] * 4, rows)


def scenario_metadata(
    config: ScenarioConfig,
    years: list[int],
    replicates: int,
    simulation_run_id: str | None,
    seconds: float,
    fingerprint: str,
    created: str,
) -> dict[str, Any]:
    """What produced the workbook: the scenario and the years and replicates it holds, its census, the
    code and the run, and the fingerprint of the results (lib/fingerprint.py): equal for two runs with
    equal marts."""
    census = Path(census_file(config))
    return {
        "scenario_id": config.scenario_id,
        "plan_design_id": config.plan_design_id,
        "description": config.scenario.description,
        "random_seed": config.simulation.random_seed,
        "years": f"{min(years)}-{max(years)}" if years else "none simulated",
        "replicates": replicates,
        "census_file": str(census),
        "census_sha256": file_sha256(census),
        "warehouse_file": str(warehouse_path(config.scenario_id)),
        "code_version": code_version(),
        "simulation_run_id": simulation_run_id or "none",
        "results_fingerprint": fingerprint,
        "created_at": created,
        "export_seconds": round(seconds, 3),
    }


def write_scenario_outputs(
    config: ScenarioConfig,
    folder: Path,
    simulation_run_id: str | None,
    *,
    row_limit: int = EXCEL_MAX_ROWS,
    row_budget: int = SNAPSHOT_ROW_BUDGET,
) -> list[Path]:
    """Write `<scenario>_results.xlsx`, `<scenario>_summary.csv` and `<scenario>_metadata.json` into `folder`,
    and `<scenario>_workforce_snapshot.parquet` when the workbook cannot hold every snapshot row (the
    scenario has several replicates, or its years outgrow `row_budget` rows).

    Reads the scenario's DuckDB file read-only (waiting while a simulation writes it). The
    Metadata sheet's export_seconds covers everything up to the file's last small parts;
    the JSON twin repeats it. Every sheet prints landscape, one page wide, with a footer naming
    the scenario, the batch (the name of `folder`'s parent) and the date. Returns the paths written.
    """
    started = time.perf_counter()
    created = created_at()
    scenario_id = config.scenario_id
    workbook_path = folder / f"{scenario_id}_results.xlsx"
    summary_csv = folder / f"{scenario_id}_summary.csv"
    parquet_path = folder / f"{scenario_id}_workforce_snapshot.parquet"
    dictionary = data_dictionary()
    with read_warehouse(scenario_id) as con:
        replicates = replicate_count(con)
        summary = yearly_summary(con).without_empty_columns()
        metrics = [column for column in summary.columns if column != "simulation_year"]
        events, event_docs = events_summary(con, dictionary)
        overrides = override_register(con)
        parameters = resolved_parameters(con, config)
        assumptions = read_assumptions(con, parameters, overrides.rows if overrides else [])
        rows_by_year = snapshot_rows_by_year(con)
        in_workbook = years_within_budget(rows_by_year, row_budget)
        left_out_years = sorted(set(rows_by_year) - set(in_workbook))
        parquet = replicates > 1 or bool(left_out_years)
        note = (
            snapshot_note(replicates, sorted(in_workbook), left_out_years, row_budget, parquet_path.name)
            if parquet
            else ""
        )

        wb = Workbook()
        wb.active.title = "Summary"
        write_cells_formatted(wb.active, *by_year(summary, metrics, dictionary))
        pending = [
            add_bulk_sheet(wb, con, sheet)
            for sheet in _snapshot_bulk_sheets(con, in_workbook, row_limit, dictionary, note)
        ]
        _write_events_summary(wb.create_sheet("Events_Summary"), events, event_docs)
        write_cells_formatted(
            wb.create_sheet("Contributions"), *by_year(summary, contribution_columns(summary), dictionary)
        )
        write_compliance_sheet(wb, con)
        _note_what_the_sheets_hold(wb, replicates, note)
        ensemble = ensemble_summary(con)
        if ensemble is not None:
            kinds = dict(zip(summary.columns, summary.kinds, strict=True))
            write_uncertainty_sheet(wb, ensemble, metrics, kinds, dictionary)
        write_assumptions(wb.create_sheet("Assumptions"), assumptions)
        write_parameters(wb.create_sheet("Parameters"), parameters, overrides)
        write_table(
            wb.create_sheet("Definitions"),
            definitions(
                [
                    ("Summary", dictionary.columns(SUMMARY, metrics)),
                    (SNAPSHOT_SHEET, dictionary.columns(SNAPSHOT, snapshot_columns(con))),
                    ("Events_Summary", event_docs),
                    *([uncertainty_definitions(dictionary)] if ensemble is not None else []),
                ]
            ),
            frozen_columns=2,
        )
        wrap_columns(wb["Definitions"], {4: SENTENCE_WIDTH})
        metadata_sheet = wb.create_sheet("Metadata")
        footer = Footer(f"Scenario {scenario_id}", batch_name(folder.parent), created)
        header_rows = {sheet.worksheet.title: sheet.sheet.header_row for sheet in pending}
        for ws in wb.worksheets:
            print_setup(ws, footer, title_rows=header_rows.get(ws.title, 1))
        with (
            atomic_file(workbook_path) as partial,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive,
        ):
            write_bulk_sheets(archive, wb, con, pending)
            years = summary.column("simulation_year")
            metadata = scenario_metadata(
                config,
                years,
                replicates,
                simulation_run_id,
                time.perf_counter() - started,
                results_fingerprint(con),
                created,
            )
            if parquet:
                metadata["snapshot_parquet"] = parquet_path.name
            write_key_values(metadata_sheet, ("field", "value"), list(metadata.items()))
            add_openpyxl_parts(archive, wb, pending)
        with atomic_file(summary_csv) as partial:
            order = f"simulation_year, {REPLICATE}" if replicates > 1 else "simulation_year"
            con.sql(f"select * from fct_yearly_summary order by {order}").write_csv(str(partial))
        extra_files = [write_snapshot_parquet(con, parquet_path)] if parquet else []

    metadata_json = write_json(
        folder / f"{scenario_id}_metadata.json",
        {
            **metadata,
            "files": [workbook_path.name, summary_csv.name, *(path.name for path in extra_files)],
            "sheets": wb.sheetnames,
            "parameters": parameters,
            "overrides": [dict(zip(overrides.columns, row, strict=True)) for row in overrides.rows]
            if overrides
            else [],
        },
    )
    return [workbook_path, summary_csv, *extra_files, metadata_json]
