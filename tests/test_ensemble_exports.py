"""Ensembles of replicates in the workbooks: bands, paired differences, fan charts, the Headline's bands
and what does not fit a workbook. Percentiles and differences are worked out by hand here."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

YEARS = [2025, 2026]


def test_percentiles_interpolate_linearly_between_ranks_as_percentile_inc():
    from planwise_assets.defs.exports.uncertainty import P10, P50, P90, percentile

    # sorted 10, 20, 30, 40, 50: rank h = 4 x p, between x_floor(h) and the next
    values = [30, 50, None, 10, 40, 20]
    assert percentile(values, P10) == Decimal(14)  # h = 0.4: 10 + 0.4 x (20 - 10)
    assert percentile(values, P50) == Decimal(30)  # h = 2: exactly the middle value
    assert percentile(values, P90) == Decimal(46)  # h = 3.6: 40 + 0.6 x (50 - 40)
    assert percentile([Decimal("0.05"), Decimal("0.06")], P10) == Decimal("0.051")  # h = 0.1
    assert percentile([7], P90) == Decimal(7)
    assert percentile([None], P50) is None


def test_percentiles_are_duckdbs_quantile_cont_the_marts_method():
    """The same rule as DuckDB's quantile_cont over doubles (over a DECIMAL column DuckDB keeps the
    column's scale: 3.334 comes back as 3.33), here kept exact."""
    from planwise_assets.defs.exports.uncertainty import P10, P50, P90, percentile

    values = [Decimal(v) for v in ("1234.56", "99.01", "100000.00", "5.55", "777.77", "12.34", "0.01")]
    # sorted 0.01, 5.55, 12.34, 99.01, 777.77, 1234.56, 100000.00; P10 at h = 0.6: 0.01 + 0.6 x 5.54
    assert percentile(values, P10) == Decimal("3.334")
    for fraction in (P10, P50, P90):
        (expected,) = duckdb.execute(
            "select quantile_cont(v::double, ?::double) from unnest(?::decimal(18, 2)[]) as t(v)",
            [float(fraction), values],
        ).fetchone()
        assert float(percentile(values, fraction)) == pytest.approx(expected, rel=1e-12)


def _results(scenario_id: str, columns: list[str], replicates: list[list[tuple]]):
    """A ScenarioResults of hand-made yearly rows, one list of (year, values...) per replicate."""
    from types import SimpleNamespace

    from planwise_assets.defs.exports.comparison import ScenarioResults
    from planwise_assets.defs.exports.formats import Table

    kinds = ["integer", *["decimal"] * (len(columns) - 1)]
    tables = tuple(Table(columns, kinds, rows) for rows in replicates)
    return ScenarioResults(SimpleNamespace(scenario_id=scenario_id), tables[0], {}, [], tables)


def test_paired_differences_pair_replicate_r_with_the_baselines_replicate_r():
    from planwise_assets.defs.exports.ensemble_comparison import paired_difference

    columns = ["simulation_year", "total_employer_cost_amount"]
    base = _results("base", columns, [[(2025, Decimal(cost))] for cost in (100, 200, 300, 400, 500)])
    other = _results("other", columns, [[(2025, Decimal(cost))] for cost in (110, 190, 330, 460, 500)])
    paired = paired_difference(other, base, "total_employer_cost_amount", 2025, 5)
    # differences 10, -10, 30, 60, 0; sorted -10, 0, 10, 30, 60
    assert paired.differences == [10, -10, 30, 60, 0]
    assert paired.band.p10 == Decimal(-6)  # h = 0.4: -10 + 0.4 x 10
    assert paired.band.p50 == Decimal(10)
    assert paired.band.p90 == Decimal(48)  # h = 3.6: 30 + 0.6 x 30
    assert (paired.higher, paired.compared, paired.higher_share) == (3, 5, Decimal("0.6"))


def test_the_comparisons_ensemble_needs_the_same_number_of_replicates_in_every_scenario():
    from planwise_assets.defs.exports.ensemble_comparison import common_replicates, ensemble_notes

    columns = ["simulation_year", "participation_rate"]
    single = _results("single", columns, [[(2025, Decimal("0.5"))]])
    three = _results("three", columns, [[(2025, Decimal("0.5"))]] * 3)
    two = _results("two", columns, [[(2025, Decimal("0.5"))]] * 2)
    assert common_replicates([three, three]) == 3
    assert common_replicates([single, single]) is None and ensemble_notes([single, single]) == []
    assert common_replicates([three, two]) is None
    (note,) = ensemble_notes([three, two, single])
    assert note.startswith("Replicates: three 3, two 2, single 1. Bands, paired differences and fan charts need")


def test_each_headline_figure_gets_its_band_and_its_paired_differences_band_across_replicates():
    from planwise_assets.defs.exports.dictionary import DataDictionary, column_doc
    from planwise_assets.defs.exports.headline import headline_bands

    column = "total_employer_cost_amount"
    dictionary = DataDictionary(
        {"fct_yearly_summary": {column: column_doc(column, "Employer cost: ...", {"headline": ["total"]})}}
    )
    columns = ["simulation_year", column]
    base = _results(
        "base", columns, [[(2025, Decimal(a)), (2026, Decimal(b))] for a, b in ((100, 100), (100, 200), (300, 300))]
    )
    other = _results(
        "other", columns, [[(2025, Decimal(a)), (2026, Decimal(b))] for a, b in ((150, 150), (100, 300), (300, 400))]
    )
    (bands,) = headline_bands([base, other], YEARS, dictionary, 0.04, 3)
    # the baseline's totals per replicate: 200, 300, 600
    assert bands.values[0].p10 == Decimal(220)  # h = 0.2: 200 + 0.2 x 100
    assert bands.values[0].p50 == Decimal(300)
    assert bands.values[0].p90 == Decimal(540)  # h = 1.8: 300 + 0.8 x 300
    # the other's totals 300, 400, 700: 100 more in every replicate
    assert (bands.values[1].p10, bands.values[1].p90) == (Decimal(320), Decimal(640))
    assert bands.differences[0].p10 == bands.differences[0].p90 == Decimal(100)


@pytest.mark.parametrize(
    ("low", "high", "scale"),
    [
        (0.7152, 0.9652, (0.7, 1.0, 0.05)),  # a rate: steps of 5 points, never above 100%
        (416_497, 676_000, (400_000, 700_000, 100_000)),
        (100, 100, (100, 120, 20)),  # a flat line still gets a frame above it
    ],
)
def test_a_metrics_fan_charts_share_a_scale_in_whole_steps(low, high, scale):
    from planwise_assets.defs.exports.charts import common_scale

    assert common_scale(low, high, "0.00%" if high < 1 else "#,##0") == scale


def test_whole_years_past_the_row_budget_are_left_to_the_parquet_file():
    from planwise_assets.defs.exports.scenario_workbook import years_within_budget

    assert years_within_budget({2025: 4, 2026: 5, 2027: 6}, row_budget=9) == {2025: 4, 2026: 5}
    assert years_within_budget({2025: 4, 2026: 5, 2027: 6}, row_budget=15) == {2025: 4, 2026: 5, 2027: 6}
    assert years_within_budget({2025: 10}, row_budget=9) == {}
