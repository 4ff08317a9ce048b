"""How a column looks in a workbook: number format by column name, width, bold frozen header, autofilter.

Every sheet of every workbook takes its formats from here, so a `_rate` column is a
percentage and an `_amount` column is money wherever it appears. The rule reads the unit at the
end of the column name (STYLE.md: a rate says `_rate`, money says `_amount`) and the value's
kind: other integers are counts, or labels such as a year. Per-employee money is shown to the
cent; summaries show whole dollars, or millions once a figure reaches a million. A difference
of two rates is in percentage points. True and false read Yes and No everywhere.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

CURRENCY = '"$"#,##0.00'
WHOLE_DOLLARS = '"$"#,##0'
MILLIONS = '"$"#,##0.00,,"M"'  # each trailing comma divides by a thousand
PERCENT = "0.00%"
POINTS = '0.00" pp"'  # a difference of two rates, in percentage points: the cell holds 100 x the difference
POINTS_PER_RATE = 100
COUNT = "#,##0"
PLAIN_INTEGER = "0"
DECIMAL = "#,##0.00"
DATE = "yyyy-mm-dd"
GENERAL = "General"
MILLION = 1_000_000
BOOLEAN_TEXT = {True: "Yes", False: "No"}
NUMERIC_KINDS = frozenset({"integer", "decimal", "date", "timestamp"})  # right-aligned, header included

MONEY_UNIT = "amount"
RATE_UNIT = "rate"
# integers that are labels, not quantities: no thousands separator (a year shown as 2,025 misleads)
LABEL_UNITS = frozenset({"year", "seed", "id", "month", "day", "level", "sequence"})


def font(**style: Any) -> Font:
    """The workbook's body font (openpyxl's default, Calibri 11) with a style.

    A styled font without a name falls back to a serif face in LibreOffice.
    """
    return Font(name="Calibri", size=11, **style)


HEADER_FONT = font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LEFT = Alignment(horizontal="left")
RIGHT = Alignment(horizontal="right")
MIN_WIDTH = 8
MAX_WIDTH = 60
LINE_POINTS = 15  # the height of a line of Calibri 11
SENTENCE_WIDTH = 100  # characters: a sentence (an assumption, a column's meaning) wraps within it
UNWRAPPED_HEADER = 15  # characters: a header this short stays on one line ("vs baseline, %")
PROSE_PER_DIGIT = 1.1  # characters of prose in the width of one digit (a column width counts digits)


@dataclass(frozen=True)
class Table:
    """Rows with named columns and each column's kind: integer, decimal, date, timestamp, boolean or text."""

    columns: list[str]
    kinds: list[str]
    rows: list[tuple[Any, ...]]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def without_empty_columns(self) -> Table:
        """Drop columns with no value in any row: an analyst should never meet a blank metric column."""
        return self.select([c for i, c in enumerate(self.columns) if any(row[i] is not None for row in self.rows)])

    def inserted(self, after: str, column: str, kind: str, values: Sequence[Any]) -> Table:
        """The table with a column added after another."""
        at = self.columns.index(after) + 1
        return Table(
            [*self.columns[:at], column, *self.columns[at:]],
            [*self.kinds[:at], kind, *self.kinds[at:]],
            [(*row[:at], value, *row[at:]) for row, value in zip(self.rows, values, strict=True)],
        )

    def select(self, columns: Sequence[str]) -> Table:
        keep = [self.columns.index(column) for column in columns]
        return Table(
            [self.columns[i] for i in keep],
            [self.kinds[i] for i in keep],
            [tuple(row[i] for i in keep) for row in self.rows],
        )


def kind_of_duckdb_type(duckdb_type: str) -> str:
    name = duckdb_type.upper()
    if name.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        return "decimal"
    if name.endswith("INT") or name in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"}:
        return "integer"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "timestamp"
    if name == "BOOLEAN":
        return "boolean"
    return "text"


def kind_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | decimal.Decimal):
        return "decimal"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def unit(column: str) -> str:
    """The last word of a column name, which names its unit: `amount`, `rate`, `year`, ..."""
    return column.lower().rsplit("_", 1)[-1]


def number_format(column: str, kind: str) -> str:
    """The Excel number format for a column, from the unit its name ends with and its values' kind."""
    if kind == "date":
        return DATE
    if kind == "timestamp":
        return "yyyy-mm-dd hh:mm:ss"
    if kind not in {"integer", "decimal"}:
        return GENERAL
    if unit(column) == MONEY_UNIT:
        return CURRENCY
    if unit(column) == RATE_UNIT:
        return PERCENT
    if kind == "integer":
        return PLAIN_INTEGER if unit(column) in LABEL_UNITS else COUNT
    return DECIMAL


def signed(fmt: str) -> str:
    """The format with an explicit sign, for differences: +1,234 / -1,234 / 0 (General, for what is no
    number, stays as it is)."""
    return fmt if fmt == GENERAL else f"+{fmt};-{fmt};{fmt}"


def summary_money_format(values: Iterable[Any]) -> str:
    """Money in a summary: whole dollars, or millions of dollars once the largest figure reaches a million."""
    largest = max((abs(float(value)) for value in values if value is not None), default=0.0)
    return MILLIONS if largest >= MILLION else WHOLE_DOLLARS


def summary_format(column: str, kind: str, values: Iterable[Any]) -> str:
    """A summary's format for a column or row of a metric: money without cents, at the scale of its values."""
    fmt = number_format(column, kind)
    return summary_money_format(values) if fmt == CURRENCY else fmt


def in_points(metric: str, difference: Any) -> Any:
    """A difference as the comparison shows it: a rate's in percentage points (100 x the difference)."""
    return difference * POINTS_PER_RATE if difference is not None and unit(metric) == RATE_UNIT else difference


def difference_format(metric: str, kind: str, shown: Iterable[Any]) -> str:
    """The signed format of a metric's differences as in_points shows them: points for a rate, else the
    metric's summary format at the scale of `shown`."""
    return signed(POINTS if unit(metric) == RATE_UNIT else summary_format(metric, kind, shown))


def parameter_format(value: Any) -> str:
    """A scenario parameter's format: its decimals are all shares (scenario_config.py), shown as percentages."""
    return PERCENT if kind_of_value(value) == "decimal" else GENERAL


def displayed(value: Any, fmt: str) -> str:
    """A value as a spreadsheet shows it in the format (for widths, and for sentences quoting a figure)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return BOOLEAN_TEXT[value]
    if fmt.startswith("+") and isinstance(value, int | float | decimal.Decimal):
        base = fmt.split(";")[0][1:]
        sign = "+" if value > 0 else "-" if value < 0 else ""
        return sign + displayed(abs(value), base)
    if isinstance(value, dt.date):
        return value.isoformat() if fmt == DATE or not isinstance(value, dt.datetime) else f"{value:%Y-%m-%d %H:%M:%S}"
    if not isinstance(value, int | float | decimal.Decimal):
        return str(value)
    number = float(value)
    sign, number = ("-" if number < 0 else ""), abs(number)
    shown = {
        CURRENCY: lambda: f"${number:,.2f}",
        WHOLE_DOLLARS: lambda: f"${number:,.0f}",
        MILLIONS: lambda: f"${number / MILLION:,.2f}M",
        PERCENT: lambda: f"{number:.2%}",
        POINTS: lambda: f"{number:.2f} pp",
        COUNT: lambda: f"{number:,.0f}",
        DECIMAL: lambda: f"{number:,.2f}",
        PLAIN_INTEGER: lambda: f"{number:.0f}",
    }.get(fmt)
    return sign + shown() if shown else str(value)


def display_length(value: Any, fmt: str) -> int:
    """About how many characters a value takes on screen in this format (for column widths)."""
    if fmt.startswith("yyyy"):
        return len(fmt)  # dates and timestamps display as long as their pattern
    return len(displayed(value, fmt))


def column_width(longest: int) -> float:
    """Characters plus a margin for the filter button, within bounds."""
    return float(min(max(longest, MIN_WIDTH - 2) + 2, MAX_WIDTH))


def cell_value(value: Any) -> Any:
    """A value as a spreadsheet cell: true and false as Yes and No, lists and mappings (match tiers) as JSON text.

    A boolean cell reads TRUE in Excel but 1 in LibreOffice unless styled; text reads the same everywhere.
    """
    if isinstance(value, bool):
        return BOOLEAN_TEXT[value]
    return json.dumps(value) if isinstance(value, list | dict) else value


def fit_columns(ws: Worksheet, header: bool = True) -> None:
    """Set each column's width from its longest value as displayed in its cell's format (and its header's)."""
    for cells in ws.iter_cols(min_row=1 if header else 2):
        longest = max(display_length(cell.value, cell.number_format) for cell in cells)
        ws.column_dimensions[get_column_letter(cells[0].column)].width = column_width(longest)


def write_table(
    ws: Worksheet,
    table: Table,
    formats: Sequence[str] | None = None,
    start_row: int = 1,
    frozen_columns: int = 0,
) -> None:
    """Write a table formatted for analysts: bold header, number formats, widths; from A1 frozen and filterable.

    `formats` overrides the per-column rule. The header of a column of numbers or dates is
    right-aligned like its values. The first `frozen_columns` stay in view when scrolling right.
    A second table lower on the sheet (start_row > 1) gets a bold header; the autofilter and
    the frozen panes stay with the first.
    """
    if formats is None:
        formats = [number_format(c, k) for c, k in zip(table.columns, table.kinds, strict=True)]
    for offset, values in enumerate([table.columns, *table.rows]):
        for column, value in enumerate(values, 1):
            cell = ws.cell(row=start_row + offset, column=column, value=cell_value(value))
            if offset and formats[column - 1] != GENERAL:
                cell.number_format = formats[column - 1]
    style_header(ws, table.kinds, start_row)
    if start_row == 1 and table.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
        ws.freeze_panes = ws.cell(row=2, column=frozen_columns + 1).coordinate
    fit_columns(ws)


def write_cells_formatted(
    ws: Worksheet,
    table: Table,
    formats: Sequence[Sequence[str]],
    frozen_columns: int = 1,
    wrap_header: bool = False,
) -> None:
    """A table whose every cell has its own format, `formats[row][column]`: on a sheet with metrics
    as rows, each row takes its metric's format. With `wrap_header`, columns are as wide as their
    values and long headers wrap over several lines."""
    write_table(ws, table, formats=[GENERAL] * len(table.columns), frozen_columns=frozen_columns)
    for row, row_formats in enumerate(formats, 2):
        for column, fmt in enumerate(row_formats, 1):
            cell = ws.cell(row=row, column=column)
            if fmt != GENERAL:
                cell.number_format = fmt
            if table.kinds[column - 1] in NUMERIC_KINDS:
                cell.alignment = RIGHT  # a text among numbers (a formula's name by year) aligns as they do
    fit_columns(ws, header=not wrap_header)
    if wrap_header:
        lines = 1
        for cell in ws[1]:
            text = str(cell.value)
            unbroken = len(text) if len(text) <= UNWRAPPED_HEADER else max(len(word) for word in text.split())
            width = max(ws.column_dimensions[cell.column_letter].width, column_width(unbroken))
            ws.column_dimensions[cell.column_letter].width = width
            cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="bottom", wrap_text=True)
            lines = max(lines, wrapped_lines(str(cell.value), width))
        ws.row_dimensions[1].height = LINE_POINTS * lines


def wrapped_lines(text: str, width: float) -> int:
    """About how many lines a text takes wrapped in a cell `width` digits wide.

    Spreadsheet programs do not grow a row for wrapped text on opening a file (LibreOffice keeps
    the default height and the lines overlap), so rows are given a height from this estimate.
    A width counts digits; a line of prose holds about a tenth more characters than that.
    """
    per_line = max(1, int(width * PROSE_PER_DIGIT))
    return sum(max(1, -(-len(paragraph) // per_line)) for paragraph in text.split("\n"))


def wrap_columns(ws: Worksheet, widths: dict[int, int], first_row: int = 2) -> None:
    """Give columns of sentences (by number) a fixed width, wrap them, make each row tall enough for
    its longest, and align the row's other cells to the top."""
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if cell.column in widths and isinstance(cell.value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                lines = max(lines, wrapped_lines(cell.value, widths[cell.column]))
            elif cell.value is not None:
                cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="top")
        ws.row_dimensions[row[0].row].height = LINE_POINTS * lines


def write_notes(ws: Worksheet, first_row: int, notes: Sequence[str]) -> None:
    """Sentences below a table, one a row, each across the table's width and wrapped within it.

    Call it once the columns have their widths: the notes do not widen them.
    """
    columns = max(ws.max_column, 1)
    width = sum(ws.column_dimensions[get_column_letter(c)].width or MIN_WIDTH for c in range(1, columns + 1))
    for row, note in enumerate(notes, first_row):
        ws.cell(row=row, column=1, value=note).alignment = Alignment(wrap_text=True, vertical="top")
        if columns > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        ws.row_dimensions[row].height = LINE_POINTS * wrapped_lines(note, width)


def write_key_values(
    ws: Worksheet,
    header: tuple[str, str],
    items: Sequence[tuple[str, Any]],
    value_format: Callable[[str, Any], str] | None = None,
) -> None:
    """A two-column key/value sheet; each value is formatted by `value_format(key, value)`, by default by
    its own key (a `_rate` key shows a percentage).

    The values are of every kind, so all of them are left-aligned, as their header is.
    """
    write_table(ws, Table(list(header), ["text", "text"], [tuple(item) for item in items]), formats=[GENERAL, GENERAL])
    for row, (key, value) in enumerate(items, 2):
        cell = ws.cell(row=row, column=2)
        cell.number_format = (
            value_format(key, value) if value_format else number_format(key.rsplit(".", 1)[-1], kind_of_value(value))
        )
        cell.alignment = LEFT
    fit_columns(ws)


def style_header(ws: Worksheet, kinds: Sequence[str], row: int = 1) -> None:
    """Bold, shaded header cells, each aligned as the values below it are (numbers and dates to the right)."""
    for column, kind in enumerate(kinds, 1):
        cell = ws.cell(row=row, column=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = RIGHT if kind in NUMERIC_KINDS else LEFT
