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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.chart import AreaChart, LineChart, Reference, Series
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.legend import LegendEntry
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
BAND_WHITENESS = 0.7  # a fan chart's band: its scenario's colour, lightened
BASELINE_REFERENCE = "808080"  # the baseline's median on the other scenarios' fan charts
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
    charts = []
    for metric in metrics:
        lines = {tuple(result.value(metric.metric, year) for year in years) for result in results}
        values = [v for r in results for v in (r.value(metric.metric, y) for y in years)]
        fmt = summary_format(metric.metric, metric.kind, values)
        if len(lines) == 1:
            notes.append(identical_note(metric.label, fmt, years, next(iter(lines))))
        else:
            charted.append((metric, fmt))
    for metric, fmt in charted:
        chart = _framed(LineChart(), metric.label, fmt)
        for offset, (result, column) in enumerate(zip(results, value_columns, strict=True)):
            chart.series.append(_styled(Series(_column(data, metric, column), title=result.scenario_id), offset))
        chart.set_categories(_years(data, metric))
        charts.append(chart)
    _lay_out(ws, notes, charts)
    return len(charts), notes


def _framed(chart: ChartBase, title: str, fmt: str) -> ChartBase:
    """A chart's title, axes (years across, the metric's unit up) and legend below."""
    chart.title = title
    chart.x_axis.title = "Year"
    chart.y_axis.title = Y_AXIS_TITLES.get(fmt, "Number")
    chart.y_axis.number_format = fmt
    # openpyxl 3.1 leaves the axes' delete flag unset, which recent Excel reads as "hidden"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    return chart


def _column(data: Worksheet, metric: ChartedMetric, column: int) -> Reference:
    """A column of a metric's block of rows."""
    return Reference(data, min_col=column, min_row=metric.first_row, max_row=metric.last_row)


def _years(data: Worksheet, metric: ChartedMetric) -> Reference:
    """A metric's years, in column B of its block of rows."""
    return _column(data, metric, 2)


def _lay_out(ws: Worksheet, notes: Sequence[str], charts: Sequence[ChartBase]) -> None:
    """The notes at the top, then the charts two to a row of fixed height, a page break before a row
    that would run off the page."""
    for row, note in enumerate(notes, 1):
        ws.cell(row=row, column=1, value=note)
    row = len(notes) + 2 if notes else 1
    page_top = 1
    tops = []
    for _ in range(-(-len(charts) // CHARTS_PER_ROW)):
        if row + CHART_ROWS - page_top > ROWS_PER_PAGE:  # the row of charts would run off the page
            ws.row_breaks.append(Break(id=row - 1))
            page_top = row
        tops.append(row)
        row += CHART_ROWS
    for index, chart in enumerate(charts):
        chart.anchor = _anchor(index, tops[index // CHARTS_PER_ROW])
        ws.add_chart(chart)
    for column in range(1, NARROW_COLUMNS + 1):
        ws.column_dimensions[get_column_letter(column)].width = COLUMN_WIDTH
    for each in range(1, row):
        ws.row_dimensions[each].height = ROW_POINTS  # fixed, so that the blocks measure what the breaks assume


def tint(colour: str, whiteness: float) -> str:
    """The colour mixed with white: `whiteness` 0 keeps it, 1 gives white."""
    channels = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return "".join(f"{round(c + (255 - c) * whiteness):02X}" for c in channels)


def common_scale(low: float, high: float, fmt: str) -> tuple[float, float, float]:
    """One vertical scale for a metric's fan charts, so that side by side they compare: from the lowest
    P10 to the highest P90 of every scenario, widened to whole steps of 1, 2, 2.5 or 5 times a power of
    ten, about five of them (never below 0 for what is never negative, nor a rate above 100%).
    Returns the bottom, the top and the step."""
    rough = (high - low) / 5 or abs(high) / 5 or 1.0
    power = 10 ** math.floor(math.log10(rough))
    step = next(power * nice for nice in (1, 2, 2.5, 5, 10) if power * nice >= rough)
    # rounded, so that 14 steps of 0.05 read 0.7, not 0.7000000000000001
    bottom, top = round(math.floor(low / step) * step, 12), round(math.ceil(high / step) * step, 12)
    if top == high:  # the highest band touching the frame's top is hard to read
        top += step
    if low >= 0:
        bottom = max(bottom, 0.0)
    return bottom, min(top, 1.0) if fmt == PERCENT else top, step


def write_fan_charts(
    ws: Worksheet,
    data: Worksheet,
    metrics: Sequence[ChartedMetric],
    scenario_ids: Sequence[str],
    band_columns: Callable[[int], tuple[int, int, int, int]],
) -> int:
    """A fan chart per metric and scenario, from `data` (the comparison's Uncertainty sheet, where
    `band_columns(i)` are scenario i's P10, median, P90 and P90 - P10 columns): the P10-P90 band
    shaded in the scenario's colour, its median as a line, and on every other scenario's chart the
    baseline's median for reference. A metric's charts share their vertical scale. Returns the
    number of charts.

    The band is a stacked area of P10 (drawn invisible) and P90 - P10 on top of it: charts stack
    areas, they cannot fill between two lines.
    """
    charts = []
    for metric in metrics:
        rows = range(metric.first_row, metric.last_row + 1)
        lows = [data.cell(row, band_columns(i)[0]).value for i in range(len(scenario_ids)) for row in rows]
        highs = [data.cell(row, band_columns(i)[2]).value for i in range(len(scenario_ids)) for row in rows]
        fmt = summary_format(metric.metric, metric.kind, highs)
        low, high, step = common_scale(float(min(lows)), float(max(highs)), fmt)
        for index, scenario_id in enumerate(scenario_ids):
            p10, p50, _p90, width = band_columns(index)
            colour = SERIES_STYLES[index % len(SERIES_STYLES)][0]

            area = _framed(AreaChart(), f"{metric.label}: {scenario_id}", fmt)
            area.grouping = "stacked"
            below = Series(_column(data, metric, p10), title="P10")
            below.graphicalProperties = GraphicalProperties(noFill=True, ln=LineProperties(noFill=True))
            spread = Series(_column(data, metric, width), title="P10 to P90")
            spread.graphicalProperties = GraphicalProperties(
                solidFill=tint(colour, BAND_WHITENESS), ln=LineProperties(noFill=True)
            )
            area.series.extend([below, spread])
            area.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the invisible P10 area
            area.y_axis.scaling.min, area.y_axis.scaling.max, area.y_axis.majorUnit = low, high, step
            line = LineChart()
            line.series.append(_styled(Series(_column(data, metric, p50), title="median"), index))
            if index:
                baseline_median = _column(data, metric, band_columns(0)[1])
                reference = _styled(Series(baseline_median, title=f"{scenario_ids[0]} median"), 0)
                reference.graphicalProperties.line.solidFill = BASELINE_REFERENCE
                reference.marker.symbol = "none"
                line.series.append(reference)
            area.set_categories(_years(data, metric))
            line.set_categories(_years(data, metric))
            area += line
            charts.append(area)
    _lay_out(ws, [], charts)
    return len(charts)
