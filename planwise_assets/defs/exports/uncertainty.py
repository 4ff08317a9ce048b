"""Ensembles of replicates in a scenario's workbook: what spread the futures have, and the note that
says a sheet shows one of them.

A scenario simulated with `simulation.replicates` > 1 holds N possible futures. The sheets that
show one future (Summary, Contributions, the snapshot, ...) show replicate 0, the single run, and
say so; the Uncertainty sheet shows, per metric and year, the mean, P10, median, P90, minimum and
maximum across the replicates, from fct_ensemble_summary. Percentiles interpolate linearly between
ranks (Excel's PERCENTILE.INC, DuckDB's quantile_cont), the method of the mart; `percentile` is
the same rule in exact decimals for what the exports compute themselves (the comparison's paired
differences and the Headline's bands).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from planwise_assets.defs.exports.dictionary import ColumnDoc, DataDictionary
from planwise_assets.defs.exports.formats import (
    GENERAL,
    Table,
    summary_format,
    write_cells_formatted,
    write_notes,
)

SHEET = "Uncertainty"
SUMMARY = "fct_yearly_summary"
ENSEMBLE = "fct_ensemble_summary"
P10, P50, P90 = Decimal("0.1"), Decimal("0.5"), Decimal("0.9")
# fct_ensemble_summary's statistics, in the order the sheet shows them under their labels (the data dictionary)
STATISTICS = ("mean_value", "p10_value", "p50_value", "p90_value", "min_value", "max_value")


def percentile(values: Iterable[Any], fraction: Decimal) -> Decimal | None:
    """The `fraction` percentile of the values (empty ones left out), interpolated linearly between the
    two nearest ranks as Excel's PERCENTILE.INC and DuckDB's quantile_cont do, exact in decimals:
    sorted x_0..x_(n-1), h = (n - 1) x fraction, x_floor(h) + (h - floor(h)) x (x_floor(h)+1 - x_floor(h))."""
    ordered = sorted(Decimal(value) for value in values if value is not None)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    below = int(position)
    weight = position - below
    return ordered[below] + weight * (ordered[below + 1] - ordered[below]) if weight else ordered[below]


@dataclass(frozen=True)
class Band:
    """The P10, median and P90 of a figure across replicates."""

    p10: Decimal | None
    p50: Decimal | None
    p90: Decimal | None


def band(values: Iterable[Any]) -> Band:
    present = [value for value in values if value is not None]
    return Band(percentile(present, P10), percentile(present, P50), percentile(present, P90))


def single_run_note(replicates: int) -> str:
    """What a sheet showing one future says when the scenario holds several."""
    return (
        f"Figures are replicate 0 of the {replicates} replicates simulated (replicate 0 is the scenario's single "
        "run, with its random seed); the Uncertainty sheet gives each metric's spread across all of them."
    )


def uncertainty_notes(replicates: int) -> list[str]:
    return [
        f"Across the {replicates} replicates: each replicate is one possible future, drawn from its own random "
        "stream; the census and the assumptions are the same in all.",
        "P10: a tenth of the replicates are at or below it; P90: a tenth at or above it. Percentiles interpolate "
        "linearly between ranks, as Excel's PERCENTILE.INC.",
    ]


def uncertainty_definitions(dictionary: DataDictionary) -> tuple[str, list[ColumnDoc]]:
    """The Uncertainty sheet's part of a Definitions sheet: what each statistic's column means."""
    return SHEET, dictionary.columns(ENSEMBLE, STATISTICS)


def write_uncertainty_sheet(
    wb: Workbook, ensemble: Table, metrics: list[str], kinds: dict[str, str], dictionary: DataDictionary
) -> None:
    """Per metric (in `metrics` order) and year: mean, P10, median, P90, lowest and highest across the
    replicates, each row in its metric's format (money at its scale, rates as percentages)."""
    by_metric: dict[str, list[tuple[Any, ...]]] = {}
    for row in ensemble.rows:
        record = dict(zip(ensemble.columns, row, strict=True))
        statistics = tuple(record[column] for column in STATISTICS)
        by_metric.setdefault(record["metric"], []).append((record["simulation_year"], *statistics))
    rows, formats = [], []
    for metric in (metric for metric in metrics if metric in by_metric):
        label = dictionary.label(SUMMARY, metric)
        for year, *statistics in sorted(by_metric[metric]):
            fmt = summary_format(metric, kinds[metric], statistics)
            rows.append((label, year, *statistics))
            formats.append([GENERAL, GENERAL, *[fmt] * len(statistics)])
    header = ["Metric", "Year", *(dictionary.label(ENSEMBLE, column) for column in STATISTICS)]
    ws = wb.create_sheet(SHEET)
    write_cells_formatted(ws, Table(header, ["text", "integer", *["decimal"] * len(STATISTICS)], rows), formats, 2)
    replicates = max(ensemble.column("replicates"), default=0)
    write_notes(ws, len(rows) + 3, uncertainty_notes(replicates))
