"""Scenarios side by side: `comparison_report.xlsx` plus `comparison_summary.csv` and `comparison_metadata.json`.

Every numeric column of fct_yearly_summary is a metric. Differences are always against the
baseline scenario and coloured by whether the change is good for the plan: the direction is
declared per metric below (docs/outputs.md lists it); metrics without one stay uncoloured.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference, Series
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from planwise_assets.defs.exports.compliance_sheet import write_compliance_comparison
from planwise_assets.defs.exports.files import atomic_file, write_json
from planwise_assets.defs.exports.formats import (
    GENERAL,
    PERCENT,
    Table,
    fit_columns,
    font,
    number_format,
    signed,
    write_key_values,
    write_table,
)
from planwise_assets.defs.exports.provenance import code_version, created_at
from planwise_assets.defs.exports.sources import ExportError, read_warehouse, resolved_parameters, yearly_summary
from planwise_assets.lib.scenario_config import ScenarioConfig

# Better for participants' retirement savings: more of them saving, and saving more.
HIGHER_IS_BETTER = frozenset(
    {"participation_rate", "avg_deferral_rate", "employee_contribution_amount", "enrolled_actives"}
)
# Worse for the plan sponsor: what the employer pays, and employees leaving the plan.
LOWER_IS_BETTER = frozenset(
    {"total_employer_cost_amount", "employer_cost_rate", "employer_match_amount", "employer_core_amount", "opt_outs"}
)
# Everything else (headcount, hires, terminations, payroll, pay, ...) follows the workforce
# assumptions rather than the plan design: a difference is neither good nor bad.
CHARTED_METRICS = (
    "active_headcount_end",
    "total_prorated_pay_amount",
    "participation_rate",
    "avg_deferral_rate",
    "total_employer_cost_amount",
    "employer_cost_rate",
)
BETTER_FILL = PatternFill("solid", fgColor="C6EFCE")
BETTER_FONT = font(color="006100")
WORSE_FILL = PatternFill("solid", fgColor="FFC7CE")
WORSE_FONT = font(color="9C0006")
CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")
CHART_ROWS = 16  # a chart is about 15 rows high; the next starts below it
NOT_A_PARAMETER = "scenario.name"  # the scenario id is the column header already


def better_when(metric: str) -> str:
    """'higher', 'lower' or 'neutral': which direction of a difference is good."""
    if metric in HIGHER_IS_BETTER:
        return "higher"
    if metric in LOWER_IS_BETTER:
        return "lower"
    return "neutral"


@dataclass(frozen=True)
class ScenarioResults:
    config: ScenarioConfig
    summary: Table
    parameters: dict[str, Any]

    @property
    def scenario_id(self) -> str:
        return self.config.scenario_id

    @property
    def years(self) -> list[int]:
        return self.summary.column("simulation_year")

    def value(self, metric: str, year: int) -> Any:
        if metric not in self.summary.columns or year not in self.years:
            return None
        return self.summary.rows[self.years.index(year)][self.summary.columns.index(metric)]


def _read_results(config: ScenarioConfig) -> ScenarioResults:
    with read_warehouse(config.scenario_id) as con:
        return ScenarioResults(config, yearly_summary(con), resolved_parameters(con, config))


def _metrics(results: list[ScenarioResults]) -> list[tuple[str, str]]:
    """(metric, kind) of every numeric column that has a value in some scenario, baseline's order first."""
    found: dict[str, str] = {}
    for result in results:
        for column, kind in zip(result.summary.columns, result.summary.kinds, strict=True):
            numeric = column != "simulation_year" and kind in {"integer", "decimal"}
            if numeric and column not in found and any(v is not None for v in result.summary.column(column)):
                found[column] = kind
    return list(found.items())


def _difference(value: Any, base: Any) -> tuple[Any, float | None]:
    """Absolute and relative difference against the baseline (relative is empty when the baseline is 0)."""
    if value is None or base is None:
        return None, None
    difference = value - base
    return difference, (float(difference) / float(base) if base else None)


def _highlight(cells: Sequence[Any], metric: str, difference: Any) -> None:
    direction = better_when(metric)
    if direction == "neutral" or not difference:
        return
    better = (difference > 0) == (direction == "higher")
    for cell in cells:
        cell.fill = BETTER_FILL if better else WORSE_FILL
        cell.font = BETTER_FONT if better else WORSE_FONT


def _comparison_headers(baseline: str, others: list[str]) -> list[str]:
    return [*[f"{s} - {baseline}" for s in others], *[f"{s} vs {baseline} %" for s in others]]


def _write_metric_rows(
    ws: Worksheet,
    leading: list[str],
    rows: list[tuple[list[Any], str, str, list[Any]]],
    baseline: str,
    others: list[str],
) -> None:
    """Rows of (leading values, metric, kind, one value per scenario, baseline first) with their differences.

    Values and differences take the metric's format, relative differences a percentage; a
    difference is green when better and red when worse for the metric's direction.
    """
    scenario_columns = [baseline, *others]
    header = [*leading, *scenario_columns, *_comparison_headers(baseline, others)]
    table_rows = []
    for lead, _metric, _kind, values in rows:
        pairs = [_difference(value, values[0]) for value in values[1:]]
        table_rows.append((*lead, *values, *[a for a, _ in pairs], *[r for _, r in pairs]))
    write_table(ws, Table(header, ["text"] * len(header), table_rows), formats=[GENERAL] * len(header))
    first_value = len(leading) + 1
    first_relative = first_value + len(scenario_columns) + len(others)
    first_absolute = first_value + len(scenario_columns)
    for row_index, (_lead, metric, kind, _values) in enumerate(rows, 2):
        fmt = number_format(metric, kind)
        for column in range(first_value, first_absolute):
            ws.cell(row=row_index, column=column).number_format = fmt
        for column in range(first_absolute, first_relative):
            ws.cell(row=row_index, column=column).number_format = signed(fmt)
        for column in range(first_relative, len(header) + 1):
            ws.cell(row=row_index, column=column).number_format = signed(PERCENT)
        for offset in range(len(others)):
            absolute = ws.cell(row=row_index, column=first_absolute + offset)
            relative = ws.cell(row=row_index, column=first_relative + offset)
            _highlight([absolute, relative], metric, absolute.value)
    fit_columns(ws)


def _write_overview(wb: Workbook, results: list[ScenarioResults], metrics: list[tuple[str, str]], year: int) -> None:
    rows = [
        ([metric, better_when(metric), year], metric, kind, [r.value(metric, year) for r in results])
        for metric, kind in metrics
    ]
    ids = [r.scenario_id for r in results]
    _write_metric_rows(wb.create_sheet("Overview"), ["metric", "better_when", "simulation_year"], rows, ids[0], ids[1:])


def _write_metrics_by_year(
    wb: Workbook, results: list[ScenarioResults], metrics: list[tuple[str, str]], years: list[int]
) -> dict[str, tuple[int, int]]:
    """Every metric by year x scenario, one block of rows per metric; returns each block's first and last row."""
    rows = []
    blocks: dict[str, tuple[int, int]] = {}
    for metric, kind in metrics:
        first = len(rows) + 2
        rows.extend(([metric, y], metric, kind, [r.value(metric, y) for r in results]) for y in years)
        blocks[metric] = (first, len(rows) + 1)
    ids = [r.scenario_id for r in results]
    _write_metric_rows(wb.create_sheet("Metrics_By_Year"), ["metric", "simulation_year"], rows, ids[0], ids[1:])
    return blocks


def _write_charts(
    wb: Workbook, metrics: list[tuple[str, str]], blocks: dict[str, tuple[int, int]], scenario_ids: list[str]
) -> int:
    """Native line charts of the key metrics, one series per scenario, drawn from Metrics_By_Year."""
    data = wb["Metrics_By_Year"]
    ws = wb.create_sheet("Charts")
    kinds = dict(metrics)
    charted = [metric for metric in CHARTED_METRICS if metric in blocks]
    for index, metric in enumerate(charted):
        first, last = blocks[metric]
        chart = LineChart()
        chart.title = metric
        chart.x_axis.title = "simulation_year"
        chart.y_axis.title = metric
        chart.y_axis.number_format = number_format(metric, kinds[metric])
        # openpyxl 3.1 leaves the axes' delete flag unset, which recent Excel reads as "hidden"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.width, chart.height = 16, 7.5
        for offset, scenario_id in enumerate(scenario_ids):
            values = Reference(data, min_col=3 + offset, min_row=first, max_row=last)
            series = Series(values, title=scenario_id)
            series.smooth = False  # yearly values: straight segments, no invented curve between years
            chart.series.append(series)
        chart.set_categories(Reference(data, min_col=2, min_row=first, max_row=last))
        anchor_column = "A" if index % 2 == 0 else "K"
        ws.add_chart(chart, f"{anchor_column}{1 + (index // 2) * CHART_ROWS}")
    return len(charted)


def _write_parameters(wb: Workbook, results: list[ScenarioResults]) -> list[str]:
    """The parameters whose values differ between scenarios, side by side; cells unlike the baseline are shaded."""
    resolved = [r.parameters for r in results]
    keys = sorted({key for p in resolved for key in p} - {NOT_A_PARAMETER})
    differing = [key for key in keys if len({repr(p.get(key)) for p in resolved}) > 1]
    ws = wb.create_sheet("Parameters")
    rows = [(key, *[p.get(key) for p in resolved]) for key in differing]
    header = ["parameter", *[r.scenario_id for r in results]]
    write_table(ws, Table(header, ["text"] * len(header), rows), formats=[GENERAL] * len(header))
    for row_index, key in enumerate(differing, 2):
        for column, p in enumerate(resolved[1:], 3):
            if p.get(key) != resolved[0].get(key):
                ws.cell(row=row_index, column=column).fill = CHANGED_FILL
    return differing


def _overview_year(results: list[ScenarioResults]) -> int:
    common = set(results[0].years).intersection(*(r.years for r in results[1:]))
    if not common:
        raise ExportError(
            "the compared scenarios share no simulation year: "
            + ", ".join(f"{r.scenario_id} {r.years[0]}-{r.years[-1]}" for r in results if r.years)
        )
    return max(common)


def _write_summary_csv(path: Path, results: list[ScenarioResults], metrics: list[tuple[str, str]]) -> None:
    """One row per scenario, year and metric with the baseline's value and the differences (tidy, for scripts)."""
    baseline = results[0]
    with atomic_file(path) as partial, partial.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "scenario_id",
                "simulation_year",
                "metric",
                "value",
                "baseline_value",
                "difference",
                "difference_pct",
                "better_when",
            ]
        )
        for result in results:
            for year in result.years:
                for metric, _kind in metrics:
                    value, base = result.value(metric, year), baseline.value(metric, year)
                    difference, relative = _difference(value, base)
                    writer.writerow(
                        [result.scenario_id, year, metric, value, base, difference, relative, better_when(metric)]
                    )


def write_comparison_outputs(
    configs: list[ScenarioConfig], folder: Path, baseline_scenario: str, run_id: str | None
) -> list[Path]:
    """Write `comparison_report.xlsx`, `comparison_summary.csv` and `comparison_metadata.json` into `folder`.

    Reads each scenario's DuckDB file read-only; the baseline must be one of `configs`.
    Returns the paths written.
    """
    started = time.perf_counter()
    ids = [config.scenario_id for config in configs]
    if baseline_scenario not in ids:
        raise ExportError(
            f"baseline scenario {baseline_scenario!r} is not among the compared scenarios ({', '.join(ids) or 'none'})"
        )
    ordered = sorted(configs, key=lambda config: config.scenario_id != baseline_scenario)
    results = [_read_results(config) for config in ordered]
    metrics = _metrics(results)
    years = sorted({year for result in results for year in result.years})
    overview_year = _overview_year(results)

    wb = Workbook()
    wb.remove(wb.active)
    _write_overview(wb, results, metrics, overview_year)
    blocks = _write_metrics_by_year(wb, results, metrics, years)
    charts = _write_charts(wb, metrics, blocks, [r.scenario_id for r in results])
    differing = _write_parameters(wb, results)
    write_compliance_comparison(wb, [r.scenario_id for r in results])
    metadata = {
        "baseline_scenario": baseline_scenario,
        "scenarios": ", ".join(r.scenario_id for r in results),
        "overview_year": overview_year,
        "years": f"{years[0]}-{years[-1]}",
        "code_version": code_version(),
        "dagster_run_id": run_id or "none",
        "created_at": created_at(),
        "export_seconds": round(time.perf_counter() - started, 3),
    }
    write_key_values(wb.create_sheet("Metadata"), ("field", "value"), list(metadata.items()))
    workbook_path = folder / "comparison_report.xlsx"
    with atomic_file(workbook_path) as partial:
        wb.save(partial)
    summary_csv = folder / "comparison_summary.csv"
    _write_summary_csv(summary_csv, results, metrics)
    metadata_json = write_json(
        folder / "comparison_metadata.json",
        {
            **metadata,
            "scenarios": [
                {
                    "scenario_id": r.scenario_id,
                    "plan_design_id": r.config.plan_design_id,
                    "description": r.config.scenario.description,
                    "random_seed": r.config.simulation.random_seed,
                    "years": f"{r.years[0]}-{r.years[-1]}" if r.years else "",
                }
                for r in results
            ],
            "metrics": {metric: better_when(metric) for metric, _ in metrics},
            "charts": charts,
            "differing_parameters": differing,
            "files": [workbook_path.name, summary_csv.name],
            "sheets": wb.sheetnames,
        },
    )
    return [workbook_path, summary_csv, metadata_json]
