"""The comparison's Charts sheet: a line chart per key metric, one line per scenario, laid out for print.

Each scenario's line has its own colour, dash and marker, so lines that overlap stay
distinguishable (in black and white too). A metric whose values are the same in every scenario
gets a one-line note instead of a chart of identical lines.

No chart is ever cut across pages. Spreadsheet programs ignore page breaks on a sheet scaled to
fit the page width, so this sheet alone prints at 100% and is laid out for the page instead:
- down the page, rows have a fixed height, each row of two charts fills a block of them, and a
  page break goes before a block that would run off the page;
- across, the charts are placed in inches from the sheet's corner (a column's width depends on
  the font the program has, a chart's position then does not) and end 0.2 inch inside the
  printable width; the columns are narrow (at most 0.15 inch whatever the font), so the last
  column that fits the page ends past the charts and no part of a chart spills onto a page of
  its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.chart import LineChart, Reference, Series
from openpyxl.chart.marker import Marker
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AbsoluteAnchor
from openpyxl.drawing.xdr import XDRPoint2D, XDRPositiveSize2D
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from planwise_assets.defs.exports.formats import (
    MILLIONS,
    PERCENT,
    WHOLE_DOLLARS,
    displayed,
    summary_format,
)
from planwise_assets.defs.exports.printing import printable_inches

CHART_ROWS = 16  # a chart is 15 rows of ROW_POINTS high, the 16th left blank below it
CHARTS_PER_ROW = 2
ROW_POINTS = 15
EMU_PER_INCH = 914_400
EMU_PER_POINT = 12_700
GAP_INCHES = 0.3  # between two charts side by side
SLACK_INCHES = 0.2  # between the charts' right edge and the printable width
CHART_INCHES = (printable_inches()[0] - SLACK_INCHES - GAP_INCHES) / CHARTS_PER_ROW
COLUMN_WIDTH = 1  # characters: 12 pixels in Calibri, 14 in a wider fallback font
NARROW_COLUMNS = 96  # at 12 pixels, 12 inches: past the page
ROWS_PER_PAGE = int(printable_inches()[1] * 72 // ROW_POINTS)  # 35 rows of 15 points in 7.4 inches
LINE_EMU = 28575  # 2.25 points
# (colour, dash, marker) of the first, second, ... scenario: the baseline solid with circles
SERIES_STYLES = (
    ("1F4E79", "solid", "circle"),
    ("C00000", "dash", "square"),
    ("548235", "sysDot", "triangle"),
    ("7030A0", "dashDot", "diamond"),
    ("ED7D31", "lgDash", "x"),
    ("404040", "lgDashDot", "star"),
)
Y_AXIS_TITLES = {PERCENT: "Percent", WHOLE_DOLLARS: "Dollars", MILLIONS: "Millions of dollars"}


@dataclass(frozen=True)
class ChartedMetric:
    """A metric to chart: its label, format, and where its rows are on Metrics_By_Year."""

    metric: str
    label: str
    kind: str
    first_row: int
    last_row: int


def _styled(series: Series, index: int) -> Series:
    colour, dash, symbol = SERIES_STYLES[index % len(SERIES_STYLES)]
    series.smooth = False  # yearly values: straight segments, no invented curve between years
    series.graphicalProperties = GraphicalProperties(ln=LineProperties(solidFill=colour, prstDash=dash, w=LINE_EMU))
    series.marker = Marker(symbol=symbol, size=7)
    series.marker.graphicalProperties = GraphicalProperties(solidFill=colour, ln=LineProperties(solidFill=colour))
    return series


def _anchor(index: int, row: int) -> AbsoluteAnchor:
    """Where chart `index` goes when its row of charts starts at `row` (1-based), in EMU from the sheet's corner."""
    left = (index % CHARTS_PER_ROW) * (CHART_INCHES + GAP_INCHES) * EMU_PER_INCH
    top = (row - 1) * ROW_POINTS * EMU_PER_POINT
    return AbsoluteAnchor(
        pos=XDRPoint2D(x=round(left), y=top),
        ext=XDRPositiveSize2D(cx=round(CHART_INCHES * EMU_PER_INCH), cy=(CHART_ROWS - 1) * ROW_POINTS * EMU_PER_POINT),
    )


def identical_note(label: str, fmt: str, years: list[int], values: Sequence[Any]) -> str:
    """The one line that replaces a chart whose lines would all be the same."""
    return (
        f"{label}: the same in every scenario, {displayed(values[0], fmt)} in {years[0]} "
        f"and {displayed(values[-1], fmt)} in {years[-1]}."
    )


def write_charts(
    ws: Worksheet,
    data: Worksheet,
    value_columns: Sequence[int],
    metrics: Sequence[ChartedMetric],
    results: Sequence[Any],
    years: list[int],
) -> tuple[int, list[str]]:
    """Charts of `metrics` from `data` (Metrics_By_Year: years in column B, each scenario's values in its
    column of `value_columns`), notes for those alike in every scenario; returns the number of charts
    and the notes."""
    notes, charted = [], []
    for metric in metrics:
        lines = {tuple(result.value(metric.metric, year) for year in years) for result in results}
        values = [v for r in results for v in (r.value(metric.metric, y) for y in years)]
        fmt = summary_format(metric.metric, metric.kind, values)
        if len(lines) == 1:
            notes.append(identical_note(metric.label, fmt, years, next(iter(lines))))
        else:
            charted.append((metric, fmt))
    for row, note in enumerate(notes, 1):
        ws.cell(row=row, column=1, value=note)
    row = len(notes) + 2 if notes else 1
    page_top = 1
    tops = []
    for _ in range(-(-len(charted) // CHARTS_PER_ROW)):
        if row + CHART_ROWS - page_top > ROWS_PER_PAGE:  # the row of charts would run off the page
            ws.row_breaks.append(Break(id=row - 1))
            page_top = row
        tops.append(row)
        row += CHART_ROWS
    for index, (metric, fmt) in enumerate(charted):
        chart = LineChart()
        chart.title = metric.label
        chart.x_axis.title = "Year"
        chart.y_axis.title = Y_AXIS_TITLES.get(fmt, "Number")
        chart.y_axis.number_format = fmt
        # openpyxl 3.1 leaves the axes' delete flag unset, which recent Excel reads as "hidden"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend.position = "b"
        for offset, (result, column) in enumerate(zip(results, value_columns, strict=True)):
            values = Reference(data, min_col=column, min_row=metric.first_row, max_row=metric.last_row)
            chart.series.append(_styled(Series(values, title=result.scenario_id), offset))
        chart.set_categories(Reference(data, min_col=2, min_row=metric.first_row, max_row=metric.last_row))
        chart.anchor = _anchor(index, tops[index // CHARTS_PER_ROW])
        ws.add_chart(chart)
    for column in range(1, NARROW_COLUMNS + 1):
        ws.column_dimensions[get_column_letter(column)].width = COLUMN_WIDTH
    for each in range(1, row):
        ws.row_dimensions[each].height = ROW_POINTS  # fixed, so that the blocks measure what the breaks assume
    return len(charted), notes
