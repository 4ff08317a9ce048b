"""Ensembles in the comparison: each scenario's band, paired differences against the baseline, fan charts.

Scenarios with one random seed share their draws replicate by replicate (common random numbers):
replicate r of a scenario and replicate r of the baseline saw the same hires, leavers and choices
wherever the plan design does not change them. The difference of the two is then the policy's
effect in that future, and the spread of those differences across replicates is how sure the
answer is; it is much narrower than the difference of two independent bands. All of it needs
every compared scenario to hold the same number of replicates, more than one; otherwise the
comparison shows the single runs only and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from planwise_assets.defs.exports.charts import ChartedMetric
from planwise_assets.defs.exports.dictionary import DataDictionary
from planwise_assets.defs.exports.formats import (
    GENERAL,
    PERCENT,
    Table,
    difference_format,
    displayed,
    in_points,
    summary_format,
    write_cells_formatted,
    write_notes,
)
from planwise_assets.defs.exports.uncertainty import Band, band

SUMMARY = "fct_yearly_summary"
COST, PARTICIPATION = "total_employer_cost_amount", "participation_rate"
PAIRED_SHEET, BANDS_SHEET = "Paired_Differences", "Uncertainty"
BAND_COLUMNS = ("P10", "median", "P90", "P90 - P10")  # each scenario's columns on the Uncertainty sheet
PAIRED_COLUMNS = ("P10", "median", "P90", "higher in")  # each scenario's columns on Paired_Differences


def common_replicates(results: Sequence[Any]) -> int | None:
    """The number of replicates every compared scenario holds, when it is the same and more than one."""
    counts = {result.replicate_count for result in results}
    return counts.pop() if len(counts) == 1 and min(counts) > 1 else None


def ensemble_notes(results: Sequence[Any]) -> list[str]:
    """What the comparison says about the scenarios' replicates: nothing when each is a single run."""
    counts = [result.replicate_count for result in results]
    if set(counts) == {1}:
        return []
    replicates = common_replicates(results)
    if replicates is None:
        held = ", ".join(f"{result.scenario_id} {count}" for result, count in zip(results, counts, strict=True))
        return [
            f"Replicates: {held}. Bands, paired differences and fan charts need every scenario to hold the same "
            "number of replicates, more than one; they are left out, and every figure is replicate 0, the single run."
        ]
    return [
        f"Each scenario holds {replicates} replicates (possible futures). Figures are replicate 0, the single run; "
        "the bands (P10 to P90) and the Paired_Differences sheet pair replicate r of each scenario with replicate r "
        "of the baseline, which share their random draws when the scenarios share their seed."
    ]


@dataclass(frozen=True)
class PairedDifference:
    """A scenario's differences from the baseline in one metric and year, replicate by replicate."""

    differences: list[Any]

    @property
    def band(self) -> Band:
        return band(self.differences)

    @property
    def compared(self) -> int:
        """The replicates in which both values exist."""
        return sum(difference is not None for difference in self.differences)

    @property
    def higher(self) -> int:
        """The replicates in which the scenario's value is above the baseline's."""
        return sum(difference is not None and difference > 0 for difference in self.differences)

    @property
    def higher_share(self) -> Decimal | None:
        return Decimal(self.higher) / self.compared if self.compared else None


def paired_difference(scenario: Any, baseline: Any, metric: str, year: int, replicates: int) -> PairedDifference:
    """Replicate r of the scenario minus replicate r of the baseline, for every r."""
    differences = []
    for replicate in range(replicates):
        value = scenario.of_replicate(replicate).value(metric, year)
        base = baseline.of_replicate(replicate).value(metric, year)
        differences.append(None if value is None or base is None else value - base)
    return PairedDifference(differences)


def write_paired_differences(
    wb: Workbook,
    results: Sequence[Any],
    metrics: list[tuple[str, str]],
    years: list[int],
    replicates: int,
    dictionary: DataDictionary,
) -> None:
    """Per metric and year, for each scenario against the baseline: P10, median and P90 of the paired
    differences, and the share of replicates in which the scenario is higher."""
    baseline, others = results[0], results[1:]
    header = ["Metric", "Year"]
    for other in others:
        header += [f"{other.scenario_id} - {baseline.scenario_id}, {column}" for column in PAIRED_COLUMNS]
    rows, formats = [], []
    for metric, kind in metrics:
        label = dictionary.label(SUMMARY, metric)
        for year in years:
            cells: list[Any] = [label, year]
            row_formats = [GENERAL, GENERAL]
            for other in others:
                paired = paired_difference(other, baseline, metric, year, replicates)
                paired_band = paired.band
                spread = [in_points(metric, v) for v in (paired_band.p10, paired_band.p50, paired_band.p90)]
                cells += [*spread, paired.higher_share]
                row_formats += [*[difference_format(metric, kind, spread)] * 3, PERCENT]
            rows.append(tuple(cells))
            formats.append(row_formats)
    kinds = ["text", "integer", *["decimal"] * (len(header) - 2)]
    ws = wb.create_sheet(PAIRED_SHEET)
    write_cells_formatted(ws, Table(header, kinds, rows), formats, frozen_columns=2, wrap_header=True)
    notes = [
        f"Each scenario minus {baseline.scenario_id}, replicate by replicate over the {replicates} replicates: "
        "money in dollars, counts in units, rates in percentage points (pp). P10: a tenth of the paired "
        "differences are at or below it; P90: a tenth at or above it (linear interpolation, as Excel's "
        "PERCENTILE.INC). 'higher in': the share of replicates in which the scenario's value is above the "
        "baseline's (for employer cost, in which it costs more).",
        *paired_sentences(results, metrics, years[-1], replicates),
    ]
    write_notes(ws, len(rows) + 3, notes)


def paired_sentences(results: Sequence[Any], metrics: list[tuple[str, str]], year: int, replicates: int) -> list[str]:
    """For each scenario, in words: how much more it costs than the baseline in `year` (P10 to P90),
    in what share of futures it costs more, and in what share it reaches higher participation."""
    kinds = dict(metrics)
    baseline, sentences = results[0], []
    if COST not in kinds:
        return []
    for other in results[1:]:
        cost = paired_difference(other, baseline, COST, year, replicates)
        cost_band = cost.band
        fmt = difference_format(COST, kinds[COST], [cost_band.p10, cost_band.p90])
        sentence = (
            f"{other.scenario_id} in {year}: employer cost {displayed(cost_band.p10, fmt)} to "
            f"{displayed(cost_band.p90, fmt)} against {baseline.scenario_id} (P10 to P90); it costs more in "
            f"{cost.higher} of {cost.compared} replicates"
        )
        if PARTICIPATION in kinds:
            participation = paired_difference(other, baseline, PARTICIPATION, year, replicates)
            sentence += f" and reaches higher participation in {participation.higher} of {participation.compared}"
        sentences.append(sentence + ".")
    return sentences


def write_scenario_bands(
    wb: Workbook, results: Sequence[Any], metrics: list[tuple[str, str]], years: list[int], dictionary: DataDictionary
) -> list[ChartedMetric]:
    """Per metric and year, each scenario's P10, median, P90 and P90 - P10 (from its fct_ensemble_summary);
    returns where each metric's block of rows is, for the fan charts."""
    header = ["Metric", "Year"]
    for result in results:
        header += [f"{result.scenario_id}, {column}" for column in BAND_COLUMNS]
    rows, formats, blocks = [], [], []
    for metric, kind in metrics:
        label = dictionary.label(SUMMARY, metric)
        first = len(rows) + 2
        for year in years:
            cells: list[Any] = [label, year]
            for result in results:
                p10, p50, p90 = (result.ensemble_value(metric, year, column) for column in ("p10", "p50", "p90"))
                cells += [p10, p50, p90, None if p10 is None or p90 is None else p90 - p10]
            fmt = summary_format(metric, kind, cells[2:])
            rows.append(tuple(cells))
            formats.append([GENERAL, GENERAL, *[fmt] * (len(cells) - 2)])
        blocks.append(ChartedMetric(metric, label, kind, first, len(rows) + 1))
    kinds = ["text", "integer", *["decimal"] * (len(header) - 2)]
    ws = wb.create_sheet(BANDS_SHEET)
    write_cells_formatted(ws, Table(header, kinds, rows), formats, frozen_columns=2, wrap_header=True)
    write_notes(
        ws,
        len(rows) + 3,
        [
            "Each scenario's spread across its replicates, from its fct_ensemble_summary: P10, the median (P50) "
            "and P90 (linear interpolation, as Excel's PERCENTILE.INC), and the width of the band (P90 - P10) "
            "the fan charts draw."
        ],
    )
    return blocks


def band_columns(scenario: int) -> tuple[int, int, int, int]:
    """The columns (1-based) of a scenario's P10, median, P90 and width on the Uncertainty sheet."""
    first = 3 + len(BAND_COLUMNS) * scenario
    return first, first + 1, first + 2, first + 3
