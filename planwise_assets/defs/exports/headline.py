"""The comparison's Headline: the figures a plan sponsor decides on, per scenario, against the baseline.

Which figures: the fct_yearly_summary columns whose dbt meta lists `headline` (participation
and average deferral in the first and the final year, employer cost and forfeitures over the
years compared), then the employer cost net of forfeitures over those years and its present
value at the comparison's discount rate. A column added to the mart with `headline` in its meta
(a nondiscrimination test's result, say) appears without a change here. Each figure is a
function of one scenario's yearly rows, so with an ensemble of replicates it is computed on each
replicate, and its P10-P90 band (and that of its paired difference from the baseline) taken
across them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from planwise_assets.defs.exports.assumptions import percent
from planwise_assets.defs.exports.dictionary import DataDictionary
from planwise_assets.defs.exports.uncertainty import Band, band

FIRST_YEAR, FINAL_YEAR, TOTAL = "first_year", "final_year", "total"
COST, FORFEITURES = "total_employer_cost_amount", "forfeiture_amount"
NET_COST = "net_employer_cost_amount"
SUMMARY = "fct_yearly_summary"
CENT = Decimal("0.01")
# About the yield of high-quality corporate bonds of a plan's horizon in 2024-2025; a sponsor
# sets its own in the comparison's config (discount_rate) or with `planwise batch --discount-rate`.
DEFAULT_DISCOUNT_RATE = 0.04


def present_value(amounts: Sequence[Decimal], rate: float) -> Decimal:
    """Amounts paid at the end of years 1 to n, discounted to the start of year 1 at `rate` a year:
    the sum of amount_t / (1 + rate)^t, exact in decimals and rounded once, half up, to the cent."""
    factor = 1 + Decimal(str(rate))
    total = sum((Decimal(amount) / factor**year for year, amount in enumerate(amounts, 1)), Decimal(0))
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class HeadlineFigure:
    """One row of the Headline: its label, the metric whose unit and direction it has, a value per scenario."""

    label: str
    metric: str
    kind: str
    values: list[Any]


def _yearly(result: Any, column: str, years: list[int]) -> list[Any]:
    return [result.value(column, year) for year in years]


def _total(values: list[Any]) -> Any:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _figure(result: Any, column: str, aggregate: str, years: list[int]) -> Any:
    """One scenario's figure for a column: its value in the first or the final year, or its total."""
    if aggregate == FIRST_YEAR:
        return result.value(column, years[0])
    if aggregate == FINAL_YEAR:
        return result.value(column, years[-1])
    if aggregate == TOTAL:
        return _total(_yearly(result, column, years))
    raise ValueError(f"fct_yearly_summary.{column}: headline {aggregate!r} is not first_year, final_year or total")


def _net_costs(result: Any, years: list[int]) -> list[Any]:
    """Each year's employer cost less that year's forfeitures."""
    costs, forfeitures = _yearly(result, COST, years), _yearly(result, FORFEITURES, years)
    return [None if c is None or f is None else c - f for c, f in zip(costs, forfeitures, strict=True)]


def headline_figures(
    results: Sequence[Any], years: list[int], dictionary: DataDictionary, discount_rate: float
) -> list[HeadlineFigure]:
    """The Headline's rows for `results` (baseline first) over the years they all simulated.

    The net cost and its present value follow the forfeitures' total, the last figure they need."""
    span = f"{years[0]}–{years[-1]}"
    labels = {FIRST_YEAR: str(years[0]), FINAL_YEAR: str(years[-1]), TOTAL: f"{span} total"}
    kinds: dict[str, str] = {}
    for result in results:
        for column, kind in zip(result.summary.columns, result.summary.kinds, strict=True):
            kinds.setdefault(column, kind)
    figures = []
    for column, kind in kinds.items():
        doc = dictionary.column(SUMMARY, column)
        for aggregate in doc.headline:
            values = [_figure(result, column, aggregate, years) for result in results]
            figures.append(HeadlineFigure(f"{doc.label}, {labels[aggregate]}", column, kind, values))
        if column == FORFEITURES and COST in kinds:
            net = [_net_costs(result, years) for result in results]
            label = f"Employer cost net of forfeitures, {span} total"
            figures.append(HeadlineFigure(label, NET_COST, kind, [_total(n) for n in net]))
            present = [None if None in n else present_value(n, discount_rate) for n in net]
            figures.append(
                HeadlineFigure(f"Present value of the net cost at {percent(discount_rate)}", NET_COST, kind, present)
            )
    return figures


@dataclass(frozen=True)
class FigureBands:
    """A Headline figure's bands across replicates: per scenario its own, and for each other scenario
    that of its difference from the baseline, replicate by replicate (None for a yes/no figure)."""

    values: list[Band | None]
    differences: list[Band | None]


def headline_bands(
    results: Sequence[Any], years: list[int], dictionary: DataDictionary, discount_rate: float, replicates: int
) -> list[FigureBands]:
    """The bands of headline_figures' rows, in their order: each figure computed on every replicate of
    `results` (baseline first, each holding `replicates`)."""
    per_replicate = [
        headline_figures([result.of_replicate(r) for result in results], years, dictionary, discount_rate)
        for r in range(replicates)
    ]
    bands = []
    for index in range(len(per_replicate[0])):
        values = [figures[index].values for figures in per_replicate]  # [replicate][scenario]
        if any(isinstance(value, bool) for row in values for value in row):
            bands.append(FigureBands([None] * len(results), [None] * (len(results) - 1)))
            continue
        bands.append(
            FigureBands(
                [band(row[scenario] for row in values) for scenario in range(len(results))],
                [
                    band(None if row[s] is None or row[0] is None else row[s] - row[0] for row in values)
                    for s in range(1, len(results))
                ],
            )
        )
    return bands


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def headline_notes(years: list[int], discount_rate: float, baseline: str) -> list[str]:
    factor = Decimal(1) + Decimal(str(discount_rate))

    def discounted(offset: int) -> str:
        power = "" if offset == 1 else str(offset).translate(SUPERSCRIPTS)
        return f"cost in {years[0] + offset - 1} ÷ {factor}{power}"

    terms = [discounted(1)]
    if len(years) > 2:
        terms += [discounted(2), "…"]
    if len(years) > 1:
        terms.append(discounted(len(years)))
    return [
        f"Years compared: {years[0]} to {years[-1]}, the years every scenario simulated. Differences are each "
        f"scenario minus {baseline}: money in dollars, rates in percentage points (pp).",
        f"Present value: each year's employer cost net of forfeitures, discounted to 1 January {years[0]} at "
        f"{percent(discount_rate)} a year as if paid at the end of its year: {' + '.join(terms)}. The rate is "
        "the comparison's discount_rate setting.",
        "Forfeitures (non-vested employer money left by leavers) offset the employer's cost.",
        "Green: better for participants' saving or for the employer's cost; red: worse.",
    ]
