"""How a column looks in a workbook: number format by column name, width, bold frozen header, autofilter.

Every sheet of every workbook takes its formats from here, so a `_rate` column is a
percentage and an `_amount` column is money wherever it appears. The rule reads the unit at the
end of the column name (STYLE.md: a rate says `_rate`, money says `_amount`) and the value's
kind: other integers are counts, or labels such as a year.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

CURRENCY = '"$"#,##0.00'
PERCENT = "0.00%"
COUNT = "#,##0"
PLAIN_INTEGER = "0"
DECIMAL = "#,##0.00"
DATE = "yyyy-mm-dd"
GENERAL = "General"

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
MIN_WIDTH = 8
MAX_WIDTH = 60


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
    """The format with an explicit sign, for differences: +1,234 / -1,234 / 0."""
    return f"+{fmt};-{fmt};{fmt}"


def display_length(value: Any, fmt: str) -> int:
    """About how many characters a value takes on screen in this format (for column widths)."""
    if value is None:
        return 0
    if fmt.startswith("+"):
        return 1 + display_length(value, fmt.split(";")[0][1:])
    if fmt.startswith("yyyy"):
        return len(fmt)  # dates and timestamps display as long as their pattern
    if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
        number = float(value)
        if fmt == CURRENCY:
            return len(f"${number:,.2f}")
        if fmt == PERCENT:
            return len(f"{number:.2%}")
        if fmt == COUNT:
            return len(f"{number:,.0f}")
        if fmt == DECIMAL:
            return len(f"{number:,.2f}")
    return len(str(value))


def column_width(longest: int) -> float:
    """Characters plus a margin for the filter button, within bounds."""
    return float(min(max(longest, MIN_WIDTH - 2) + 2, MAX_WIDTH))


def cell_value(value: Any) -> Any:
    """A value as a spreadsheet cell: lists and mappings (match tiers, say) as JSON text."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def fit_columns(ws: Worksheet) -> None:
    """Set each column's width from its longest value as displayed in its cell's number format."""
    for cells in ws.iter_cols():
        longest = max(display_length(cell.value, cell.number_format) for cell in cells)
        ws.column_dimensions[get_column_letter(cells[0].column)].width = column_width(longest)


def write_table(ws: Worksheet, table: Table, formats: Sequence[str] | None = None, start_row: int = 1) -> None:
    """Write a table formatted for analysts: bold header, number formats, widths; from A1 frozen and filterable.

    `formats` overrides the per-column rule. A second table lower on the sheet (start_row > 1)
    gets a bold header; the autofilter stays with the first.
    """
    if formats is None:
        formats = [number_format(c, k) for c, k in zip(table.columns, table.kinds, strict=True)]
    for offset, values in enumerate([table.columns, *table.rows]):
        for column, value in enumerate(values, 1):
            cell = ws.cell(row=start_row + offset, column=column, value=cell_value(value))
            if offset and formats[column - 1] != GENERAL:
                cell.number_format = formats[column - 1]
    style_header(ws, len(table.columns), start_row)
    if start_row == 1 and table.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    fit_columns(ws)


def write_key_values(ws: Worksheet, header: tuple[str, str], items: Sequence[tuple[str, Any]]) -> None:
    """A two-column key/value sheet; each value is formatted by its own key (a `_rate` key shows a percentage)."""
    write_table(ws, Table(list(header), ["text", "text"], [tuple(item) for item in items]), formats=[GENERAL, GENERAL])
    for row, (key, value) in enumerate(items, 2):
        ws.cell(row=row, column=2).number_format = number_format(key.rsplit(".", 1)[-1], kind_of_value(value))
    fit_columns(ws)


def style_header(ws: Worksheet, columns: int, row: int = 1) -> None:
    """Bold, shaded header cells; the first header row stays visible while scrolling."""
    for column in range(1, columns + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    if row == 1:
        ws.freeze_panes = "A2"
