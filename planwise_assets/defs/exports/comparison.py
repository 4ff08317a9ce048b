"""Scenarios side by side: `comparison_report.xlsx` plus `comparison_summary.csv` and `comparison_metadata.json`.

Every numeric column of fct_yearly_summary is a metric, shown under the label its dbt
description gives it. Differences are always against the baseline scenario: money and counts
in their unit and in percent, rates in percentage points. They are coloured by whether the
change is good for the plan: the direction is declared per metric below (docs/outputs.md lists
it); metrics without one stay uncoloured, and so does an empty cell.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from planwise_assets.defs.exports.assumptions import Assumption, read_assumptions
from planwise_assets.defs.exports.charts import ChartedMetric, write_charts, write_fan_charts
from planwise_assets.defs.exports.compliance_sheet import write_compliance_comparison
from planwise_assets.defs.exports.dictionary import ColumnDoc, DataDictionary, data_dictionary
from planwise_assets.defs.exports.ensemble_comparison import (
    BANDS_SHEET,
    band_columns,
    common_replicates,
    ensemble_notes,
    paired_sentences,
    write_paired_differences,
    write_scenario_bands,
)
from planwise_assets.defs.exports.formats import (
    GENERAL,
    LEFT,
    PERCENT,
    RATE_UNIT,
    SENTENCE_WIDTH,
    Table,
    difference_format,
    fit_columns,
    font,
    in_points,
    parameter_format,
    signed,
    summary_format,
    unit,
    wrap_columns,
    write_cells_formatted,
    write_key_values,
    write_notes,
    write_table,
)
from planwise_assets.defs.exports.headline import (
    DEFAULT_DISCOUNT_RATE,
    NET_COST,
    FigureBands,
    HeadlineFigure,
    headline_bands,
    headline_figures,
    headline_notes,
)
from planwise_assets.defs.exports.printing import Footer, batch_name, print_setup
from planwise_assets.defs.exports.provenance import code_version, created_at
from planwise_assets.defs.exports.sources import (
    ExportError,
    ensemble_summary,
    override_register,
    read_warehouse,
    resolved_parameters,
    yearly_summaries_by_replicate,
)
from planwise_assets.lib.files import atomic_file, write_json
from planwise_assets.lib.scenario_config import ScenarioConfig

SUMMARY = "fct_yearly_summary"
# Better for participants' retirement savings: more of them saving, and saving more.
HIGHER_IS_BETTER = frozenset(
    {"participation_rate", "avg_deferral_rate", "employee_contribution_amount", "enrolled_actives"}
)
# Worse for the plan sponsor: what the employer pays, and employees leaving the plan.
LOWER_IS_BETTER = frozenset(
    {
        "total_employer_cost_amount",
        "employer_cost_rate",
        "employer_match_amount",
        "employer_core_amount",
        NET_COST,
        "opt_outs",
    }
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
SCENARIO_SENTENCE_WIDTH = 45  # characters: each scenario's sentence wraps within its column
TOPIC_WIDTH = 30
NOT_A_PARAMETER = "scenario.name"  # the scenario id is the column header already
BY_YEAR_LEADING = ["Metric", "Year"]
# an ensemble's fan charts: what a sponsor weighs (participation against cost) and the workforce behind it
FAN_METRICS = ("participation_rate", "total_employer_cost_amount", "active_headcount_end")
FAN_SHEET = "Fan_Charts"  # Metrics_By_Year's first columns; the charts take the years from the second


def better_when(metric: str) -> str:
    """'higher', 'lower' or 'neutral': which direction of a difference is good."""
    if metric in HIGHER_IS_BETTER:
        return "higher"
    if metric in LOWER_IS_BETTER:
        return "lower"
    return "neutral"


@dataclass(frozen=True)
class ScenarioResults:
    """A scenario's yearly results: `summary` is the single run (replicate 0); with an ensemble,
    `by_replicate` holds every replicate's and `ensemble` its fct_ensemble_summary by (metric, year)."""

    config: ScenarioConfig
    summary: Table
    parameters: dict[str, Any]
    assumptions: list[Assumption]
    by_replicate: tuple[Table, ...] = ()
    ensemble: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    @property
    def scenario_id(self) -> str:
        return self.config.scenario_id

    @property
    def replicate_count(self) -> int:
        return max(len(self.by_replicate), 1)

    def of_replicate(self, replicate: int) -> ScenarioResults:
        """The results of one replicate, as a single run's."""
        return replace(self, summary=self.by_replicate[replicate], by_replicate=())

    def ensemble_value(self, metric: str, year: int, statistic: str) -> Any:
        """A statistic of fct_ensemble_summary (p10, p50, p90, mean, min, max) for a metric and year."""
        return self.ensemble.get((metric, year), {}).get(f"{statistic}_value")

    @property
    def years(self) -> list[int]:
        return self.summary.column("simulation_year")

    def value(self, metric: str, year: int) -> Any:
        if metric not in self.summary.columns or year not in self.years:
            return None
        return self.summary.rows[self.years.index(year)][self.summary.columns.index(metric)]


def _read_results(config: ScenarioConfig) -> ScenarioResults:
    with read_warehouse(config.scenario_id) as con:
        parameters = resolved_parameters(con, config)
        overrides = override_register(con)
        assumptions = read_assumptions(con, parameters, overrides.rows if overrides else [])
        by_replicate = yearly_summaries_by_replicate(con)
        ensemble = ensemble_summary(con)
        by_metric_and_year = {}
        for row in ensemble.rows if ensemble else []:
            record = dict(zip(ensemble.columns, row, strict=True))
            by_metric_and_year[(record["metric"], record["simulation_year"])] = record
        return ScenarioResults(
            config, by_replicate[0], parameters, assumptions, tuple(by_replicate), by_metric_and_year
        )


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
    if value is None or base is None or isinstance(value, bool) or isinstance(base, bool):
        return None, None
    difference = value - base
    return difference, (float(difference) / float(base) if base else None)


def _highlight(cells: Sequence[Any], metric: str, difference: Any) -> None:
    """Green when the difference moves the metric the better way, red when the worse; never an empty cell."""
    direction = better_when(metric)
    if direction == "neutral" or not difference:
        return
    better = (difference > 0) == (direction == "higher")
    for cell in cells:
        if cell.value is None:
            continue
        cell.fill = BETTER_FILL if better else WORSE_FILL
        cell.font = BETTER_FONT if better else WORSE_FONT


@dataclass(frozen=True)
class MetricRow:
    """A row of a comparison sheet: its leading cells, the metric it shows and one value per scenario."""

    lead: tuple[Any, ...]
    metric: str
    kind: str
    values: list[Any]


def value_column(leading: int, scenario: int) -> int:
    """The column of a scenario's values on a comparison sheet (1-based): after the `leading` columns come
    the baseline's values, then for each other scenario its values, its difference and its difference in %."""
    return leading + 1 if scenario == 0 else leading + 2 + 3 * (scenario - 1)


def _write_metric_rows(
    ws: Worksheet, leading: list[str], rows: list[MetricRow], ids: list[str], frozen_columns: int
) -> None:
    """Rows with the baseline's value, then for each other scenario its value, its difference with the
    baseline and, for money and counts, that difference in percent.

    A rate's difference is in percentage points (the cell holds 100 x the difference). Values
    take their metric's format, money without cents at its scale; a difference is green when
    better and red when worse for the metric's direction.
    """
    baseline, others = ids[0], ids[1:]
    header = [*leading, baseline]
    for other in others:
        header += [other, f"vs {baseline}", f"vs {baseline}, %"]  # beside the scenario they belong to
    table_rows, formats = [], []
    for row in rows:
        is_rate = unit(row.metric) == RATE_UNIT
        value_format = summary_format(row.metric, row.kind, row.values)
        pairs = [_difference(value, row.values[0]) for value in row.values[1:]]
        absolute = [in_points(row.metric, a) for a, _ in pairs]
        differences_format = difference_format(row.metric, row.kind, absolute)
        cells, row_formats = [*row.lead, row.values[0]], [*[GENERAL] * len(row.lead), value_format]
        for value, difference, (_, relative) in zip(row.values[1:], absolute, pairs, strict=True):
            cells += [value, difference, None if is_rate else relative]
            row_formats += [value_format, differences_format, signed(PERCENT)]
        table_rows.append(tuple(cells))
        formats.append(row_formats)
    kinds = [*["text"] * len(leading), *["decimal"] * (len(header) - len(leading))]
    write_cells_formatted(
        ws, Table(header, kinds, table_rows), formats, frozen_columns=frozen_columns, wrap_header=True
    )
    for row_index, row in enumerate(rows, 2):
        for scenario in range(1, len(ids)):
            difference_column = value_column(len(leading), scenario) + 1
            cells = [ws.cell(row=row_index, column=difference_column + step) for step in (0, 1)]
            _highlight(cells, row.metric, cells[0].value)


def _doc(dictionary: DataDictionary, metric: str) -> ColumnDoc:
    return dictionary.column(SUMMARY, metric)


def _write_headline(
    ws: Worksheet, figures: list[HeadlineFigure], bands: list[FigureBands], ids: list[str], notes: list[str]
) -> None:
    """The figures against the baseline; below them, with an ensemble, each figure's P10-P90 band; then the notes."""
    rows = [MetricRow((figure.label,), figure.metric, figure.kind, figure.values) for figure in figures]
    _write_metric_rows(ws, ["Measure"], rows, ids, frozen_columns=1)
    next_row = len(rows) + 3
    if bands:
        _write_headline_bands(ws, next_row, figures, bands, ids)
        next_row += len(figures) + 2
    write_notes(ws, next_row, notes)


def _write_headline_bands(
    ws: Worksheet, start_row: int, figures: list[HeadlineFigure], bands: list[FigureBands], ids: list[str]
) -> None:
    """Each figure's P10 and P90 across the replicates per scenario, then those of each other scenario's
    paired difference from the baseline (rates' in percentage points)."""
    baseline = ids[0]
    header = ["P10 to P90 across the replicates"]
    header += [f"{scenario}, {p}" for scenario in ids for p in ("P10", "P90")]
    header += [f"{scenario} vs {baseline}, {p}" for scenario in ids[1:] for p in ("P10", "P90")]
    rows, formats = [], []
    for figure, figure_bands in zip(figures, bands, strict=True):
        values = [v for b in figure_bands.values for v in ((b.p10, b.p90) if b else (None, None))]
        differences = [
            in_points(figure.metric, v)
            for b in figure_bands.differences
            for v in ((b.p10, b.p90) if b else (None, None))
        ]
        value_format = summary_format(figure.metric, figure.kind, values)
        differences_format = difference_format(figure.metric, figure.kind, differences)
        rows.append((figure.label, *values, *differences))
        formats.append([value_format] * len(values) + [differences_format] * len(differences))
    write_table(ws, Table(header, ["text", *["decimal"] * (len(header) - 1)], rows), start_row=start_row)
    for row, row_formats in enumerate(formats, start_row + 1):
        for column, fmt in enumerate(row_formats, 2):
            ws.cell(row=row, column=column).number_format = fmt
    fit_columns(ws)


def _bands_metadata(figures: list[HeadlineFigure], bands: list[FigureBands], ids: list[str]) -> dict[str, Any]:
    """The Headline's bands for the JSON twin: label -> scenario -> p10, p50, p90 (none for a yes/no figure)."""
    return {
        figure.label: {
            scenario: {"p10": b.p10, "p50": b.p50, "p90": b.p90}
            for scenario, b in zip(ids, figure_bands.values, strict=True)
            if b
        }
        for figure, figure_bands in zip(figures, bands, strict=True)
    }


def _periods(years: list[int]) -> list[tuple[str, list[int]]]:
    """The Overview's periods: the first year, the last year, and all of them (for metrics that add up)."""
    periods = [(str(years[0]), [years[0]])]
    if len(years) > 1:
        periods.append((str(years[-1]), [years[-1]]))
    periods.append((f"{years[0]}–{years[-1]} total", years))
    return periods


def _period_value(result: ScenarioResults, metric: str, years: list[int]) -> Any:
    values = [result.value(metric, year) for year in years]
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _write_overview(
    wb: Workbook, results: list[ScenarioResults], metrics: list[tuple[str, str]], years: list[int], dictionary
) -> None:
    """Each metric in the first and the last year compared, and its total over them where it adds up."""
    rows = []
    for metric, kind in metrics:
        doc = _doc(dictionary, metric)
        for period, period_years in _periods(years):
            if len(period_years) > 1 and not doc.sums_over_years:
                continue
            values = [_period_value(result, metric, period_years) for result in results]
            rows.append(MetricRow((doc.label, period, better_when(metric)), metric, kind, values))
    ids = [r.scenario_id for r in results]
    _write_metric_rows(wb.create_sheet("Overview"), ["Metric", "Period", "Better when"], rows, ids, frozen_columns=2)


def _write_metrics_by_year(
    wb: Workbook, results: list[ScenarioResults], metrics: list[tuple[str, str]], years: list[int], dictionary
) -> list[ChartedMetric]:
    """Every metric by year x scenario, one block of rows per metric; returns where each charted metric's block is."""
    rows = []
    blocks = []
    for metric, kind in metrics:
        first = len(rows) + 2
        label = _doc(dictionary, metric).label
        rows.extend(MetricRow((label, year), metric, kind, [r.value(metric, year) for r in results]) for year in years)
        blocks.append(ChartedMetric(metric, label, kind, first, len(rows) + 1))
    ids = [r.scenario_id for r in results]
    _write_metric_rows(wb.create_sheet("Metrics_By_Year"), BY_YEAR_LEADING, rows, ids, frozen_columns=2)
    by_metric = {block.metric: block for block in blocks}
    return [by_metric[metric] for metric in CHARTED_METRICS if metric in by_metric]


def _write_assumptions(wb: Workbook, results: list[ScenarioResults]) -> None:
    """The assumptions, in words, that differ between the scenarios: a topic a row, a scenario a column."""
    by_scenario = []
    for result in results:
        seen: dict[str, int] = {}
        sentences = {}
        for assumption in result.assumptions:  # a topic may repeat (Not modelled): keep each occurrence
            seen[assumption.topic] = seen.get(assumption.topic, 0) + 1
            sentences[(assumption.topic, seen[assumption.topic])] = assumption.text
        by_scenario.append(sentences)
    keys = list(dict.fromkeys(key for sentences in by_scenario for key in sentences))
    differing = [key for key in keys if len({sentences.get(key) for sentences in by_scenario}) > 1]
    rows = [(topic, *[sentences.get((topic, n), "") for sentences in by_scenario]) for topic, n in differing]
    ws = wb.create_sheet("Assumptions")
    header = ["Topic", *[r.scenario_id for r in results]]
    write_table(ws, Table(header, ["text"] * len(header), rows), frozen_columns=1)
    wrap_columns(ws, {1: TOPIC_WIDTH, **dict.fromkeys(range(2, len(header) + 1), SCENARIO_SENTENCE_WIDTH)})


def _write_parameters(wb: Workbook, results: list[ScenarioResults]) -> list[str]:
    """The parameters whose values differ between scenarios, side by side; a value unlike the baseline's is shaded."""
    resolved = [r.parameters for r in results]
    keys = sorted({key for p in resolved for key in p} - {NOT_A_PARAMETER})
    differing = [key for key in keys if len({repr(p.get(key)) for p in resolved}) > 1]
    ws = wb.create_sheet("Parameters")
    rows = [(key, *[p.get(key) for p in resolved]) for key in differing]
    header = ["Parameter", *[r.scenario_id for r in results]]
    write_table(ws, Table(header, ["text"] * len(header), rows), formats=[GENERAL] * len(header))
    for row_index, key in enumerate(differing, 2):
        for column, p in enumerate(resolved, 2):
            cell = ws.cell(row=row_index, column=column)
            cell.number_format = parameter_format(p.get(key))
            cell.alignment = LEFT
            if column > 2 and cell.value is not None and p.get(key) != resolved[0].get(key):
                cell.fill = CHANGED_FILL
    return differing


def _common_years(results: list[ScenarioResults]) -> list[int]:
    common = set(results[0].years).intersection(*(r.years for r in results[1:]))
    if not common:
        raise ExportError(
            "the compared scenarios share no simulation year: "
            + ", ".join(f"{r.scenario_id} {r.years[0]}-{r.years[-1]}" for r in results if r.years)
        )
    return sorted(common)


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
    configs: list[ScenarioConfig],
    folder: Path,
    baseline_scenario: str,
    run_id: str | None,
    *,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
) -> list[Path]:
    """Write `comparison_report.xlsx`, `comparison_summary.csv` and `comparison_metadata.json` into `folder`.

    Reads each scenario's DuckDB file read-only; the baseline must be one of `configs`. The
    Headline's present value discounts at `discount_rate` a year. Every sheet prints landscape,
    one page wide, with a footer naming the scenarios, the batch (`folder`'s name) and the date.
    Returns the paths written.
    """
    started = time.perf_counter()
    created = created_at()
    ids = [config.scenario_id for config in configs]
    if baseline_scenario not in ids:
        raise ExportError(
            f"baseline scenario {baseline_scenario!r} is not among the compared scenarios ({', '.join(ids) or 'none'})"
        )
    ordered = sorted(configs, key=lambda config: config.scenario_id != baseline_scenario)
    results = [_read_results(config) for config in ordered]
    ids = [r.scenario_id for r in results]
    dictionary = data_dictionary()
    metrics = _metrics(results)
    years = sorted({year for result in results for year in result.years})
    compared_years = _common_years(results)

    replicates = common_replicates(results)

    wb = Workbook()
    wb.remove(wb.active)
    figures = headline_figures(results, compared_years, dictionary, discount_rate)
    bands = headline_bands(results, compared_years, dictionary, discount_rate, replicates) if replicates else []
    notes = headline_notes(compared_years, discount_rate, baseline_scenario) + ensemble_notes(results)
    if replicates:
        notes += paired_sentences(results, metrics, compared_years[-1], replicates)
    notes += [f"{r.scenario_id}: {r.config.scenario.description or 'no description'}" for r in results]
    _write_headline(wb.create_sheet("Headline"), figures, bands, ids, notes)
    _write_overview(wb, results, metrics, compared_years, dictionary)
    charted = _write_metrics_by_year(wb, results, metrics, years, dictionary)
    columns = [value_column(len(BY_YEAR_LEADING), scenario) for scenario in range(len(results))]
    charts, chart_notes = write_charts(
        wb.create_sheet("Charts"), wb["Metrics_By_Year"], columns, charted, results, years
    )
    fan_charts = 0
    if replicates:
        write_paired_differences(wb, results, metrics, compared_years, replicates, dictionary)
        blocks = write_scenario_bands(wb, results, metrics, compared_years, dictionary)
        fanned = [block for metric in FAN_METRICS for block in blocks if block.metric == metric]
        fan_charts = write_fan_charts(wb.create_sheet(FAN_SHEET), wb[BANDS_SHEET], fanned, ids, band_columns)
    _write_assumptions(wb, results)
    differing = _write_parameters(wb, results)
    write_compliance_comparison(wb, ids)
    write_table(
        wb.create_sheet("Definitions"),
        Table(
            ["Label", "Column", "Meaning"],
            ["text"] * 3,
            [(d.label, d.name, d.meaning) for d in (_doc(dictionary, metric) for metric, _ in metrics)],
        ),
        frozen_columns=1,
    )
    wrap_columns(wb["Definitions"], {3: SENTENCE_WIDTH})
    metadata = {
        "baseline_scenario": baseline_scenario,
        "scenarios": ", ".join(ids),
        "overview_years": f"{compared_years[0]}-{compared_years[-1]}",
        "years": f"{years[0]}-{years[-1]}",
        "replicates": ", ".join(f"{r.scenario_id} {r.replicate_count}" for r in results),
        "discount_rate": discount_rate,
        "code_version": code_version(),
        "dagster_run_id": run_id or "none",
        "created_at": created,
        "export_seconds": round(time.perf_counter() - started, 3),
    }
    write_key_values(wb.create_sheet("Metadata"), ("field", "value"), list(metadata.items()))
    footer = Footer(f"Scenarios {', '.join(ids)} against {baseline_scenario}", batch_name(folder), created)
    for ws in wb.worksheets:
        charts_sheet = ws.title in {"Charts", FAN_SHEET}  # laid out for the page, with their own breaks
        print_setup(ws, footer, title_rows=0 if charts_sheet else 1, fit_to_width=not charts_sheet)
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
            "headline": {figure.label: dict(zip(ids, figure.values, strict=True)) for figure in figures},
            "headline_bands": _bands_metadata(figures, bands, ids) if bands else {},
            "charts": charts,
            "fan_charts": fan_charts,
            "not_charted": chart_notes,
            "differing_parameters": differing,
            "files": [workbook_path.name, summary_csv.name],
            "sheets": wb.sheetnames,
        },
    )
    return [workbook_path, summary_csv, metadata_json]
