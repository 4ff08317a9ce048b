"""Ensembles (docs/ensembles.md): a scenario's replicates simulated together, each from its own stream
of draws, replicate 0 the single run, and the spread of each metric over them (fct_ensemble_summary)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey

from planwise_assets.lib.data_root import warehouse_path
from tests.conftest import query
from tests.hand_cases import md5_draw

# every source of draws and every per-replicate total of the simulation in use: growth, leavers,
# auto-enrollment of everyone with opt-outs, escalation with opt-outs, core, the match response,
# investment returns, leaver distributions and prior-year testing
FEATURES = {
    "simulation": {"end_year": 2027},
    "census": {"employees": 400},
    "enrollment": {"auto_enrollment": {"enabled": True, "scope": "all_eligible_employees"}},
    "deferral_escalation": {"enabled": True, "opt_out_rate": 0.2},
    "employer_core": {"enabled": True},
    "match_response": {"enabled": True},
    "balances": {"investment_return_rate": 0.05, "leaver_distribution_rate": 0.3},
    "nondiscrimination": {"testing_method": "prior_year"},
}
REPLICATES = 4


def _with_replicates(replicates: int, **sections: dict) -> dict:
    return {**FEATURES, **sections, "simulation": {**FEATURES["simulation"], "replicates": replicates}}


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory, write_scenario, run_scenario) -> tuple[Path, list[str]]:
    """The scenario `ensemble` run once with one replicate (its file copied aside), then with four."""
    single = tmp_path_factory.mktemp("single") / "ensemble.duckdb"
    run_scenario(write_scenario("ensemble", **_with_replicates(1)))
    shutil.copy(warehouse_path("ensemble"), single)
    run_ids = run_scenario(write_scenario("ensemble", **_with_replicates(REPLICATES)))
    return single, run_ids


def _tables_with(con: duckdb.DuckDBPyConnection, database: str, column: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.columns "
            "where table_catalog = ? and table_schema = 'main' and column_name = ? order by 1",
            [database, column],
        ).fetchall()
    ]


def test_replicate_zero_of_an_ensemble_is_the_single_run_byte_for_byte(ensemble):
    single, _ = ensemble
    with duckdb.connect(str(warehouse_path("ensemble")), read_only=True) as con:
        con.execute(f"attach '{single}' as single (read_only)")
        tables = _tables_with(con, "ensemble", "replicate")
        assert tables == _tables_with(con, "single", "replicate")
        # every simulated table but the ledger of completed years and the summary of all replicates
        assert set(_tables_with(con, "ensemble", "simulation_year")) - set(tables) == {
            "completed_years",
            "fct_ensemble_summary",
        }
        for table in tables:
            columns = (
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = ? and table_name = ?"
            )
            assert (
                con.execute(columns, ["ensemble", table]).fetchall()
                == con.execute(columns, ["single", table]).fetchall()
            )
            replicate_zero = f"select * from ensemble.main.{table} where replicate = 0"
            single_run = f"select * from single.main.{table}"
            counts = [
                con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
                for a, b in ((replicate_zero, single_run), (single_run, replicate_zero))
            ]
            assert counts == [0, 0], table
            assert con.execute(f"select count(*) from ({single_run})").fetchone()[0] > 0, table


def test_a_single_run_is_replicate_zero_and_its_bands_are_its_own_values(ensemble):
    single, _ = ensemble
    with duckdb.connect(str(single), read_only=True) as con:
        for table in _tables_with(con, "ensemble", "replicate"):
            assert con.execute(f"select distinct replicate from {table}").fetchall() == [(0,)], table
        mismatched = con.execute(
            """
            with summary as (
                select
                    simulation_year,
                    columns(* exclude (scenario_id, plan_design_id, simulation_year, replicate, match_formula))
                        ::decimal(38, 6)
                from fct_yearly_summary
            ),

            summary_values as (
                from summary
                unpivot include nulls (summary_value for metric in (columns(* exclude (simulation_year))))
            )

            select count(*)
            from summary_values
            full outer join fct_ensemble_summary as ensemble using (simulation_year, metric)
            where ensemble.replicates is distinct from 1
                or summary_value is distinct from ensemble.mean_value
                or summary_value is distinct from ensemble.p10_value
                or summary_value is distinct from ensemble.p50_value
                or summary_value is distinct from ensemble.p90_value
                or summary_value is distinct from ensemble.min_value
                or summary_value is distinct from ensemble.max_value
            """
        ).fetchone()[0]
        assert mismatched == 0


def test_each_replicate_simulates_a_future_of_its_own(ensemble):
    digests = query(
        "ensemble",
        "select replicate, md5(string_agg(employee_id || event_type || effective_date, ',' "
        "order by employee_id, event_type, effective_date)) from fct_yearly_events "
        "where event_type in ('termination', 'promotion', 'enrollment', 'opt_out') group by replicate",
    )
    assert len(digests) == REPLICATES
    assert len({digest for _, digest in digests}) == REPLICATES


def test_replicate_r_draws_from_the_stream_of_seed_and_r(ensemble):
    # a leaver of 2026 in replicate r leaves on 1 January + floor(u * 365) days, u their draw of (seed, r)
    rows = query(
        "ensemble",
        "select replicate, employee_id, termination_date from int_experienced_terminations "
        "where simulation_year = 2026 order by replicate, employee_id",
    )
    assert {replicate for replicate, _, _ in rows} == set(range(REPLICATES))
    for replicate, employee_id, termination_date in rows:
        offset = math.floor(md5_draw(42, employee_id, 2026, "termination_date", replicate) * 365)
        assert termination_date == dt.date(2026, 1, 1) + dt.timedelta(days=offset)


def test_growth_algebra_is_exact_in_every_replicate(ensemble):
    # T = round(N x 1.03) at year end; N + hires - leavers = T; each year starts where the last ended
    rows = query(
        "ensemble",
        "select simulation_year, replicate, active_headcount_start, active_headcount_end, target_headcount_end, "
        "hires, experienced_terminations, new_hire_terminations from fct_yearly_summary order by 1, 2",
    )
    census_actives = query("ensemble", "select count(*) from census where active")[0][0]
    assert len(rows) == 3 * REPLICATES
    ends = {}
    for year, replicate, start, end, target, hires, experienced, new_hire in rows:
        assert start == (census_actives if year == 2025 else ends[year - 1, replicate])
        assert end == target == int((start * Decimal("1.03")).quantize(Decimal(1), ROUND_HALF_UP))
        assert start + hires - experienced - new_hire == end
        ends[year, replicate] = end


def test_the_ensemble_summarizes_every_replicate_of_every_metric(ensemble):
    metrics = query(
        "ensemble",
        "select metric, replicates, min_value <= p10_value and p10_value <= p50_value and p50_value <= p90_value "
        "and p90_value <= max_value from fct_ensemble_summary where simulation_year = 2027",
    )
    assert {replicates for _, replicates, _ in metrics} == {REPLICATES}
    assert all(ordered for _, _, ordered in metrics if ordered is not None)
    assert {"participation_rate", "total_employer_cost_amount", "active_headcount_end", "hires"} <= {
        metric for metric, _, _ in metrics
    }
    assert "match_formula" not in {metric for metric, _, _ in metrics}


def test_the_yearly_summarys_materialization_shows_the_bands_and_replicate_zeros_actives(ensemble, instance):
    _, run_ids = ensemble
    records = instance.fetch_materializations(AssetKey("fct_yearly_summary"), limit=100).records
    by_year = {
        record.asset_materialization.metadata["simulation_year"].value: record.asset_materialization.metadata
        for record in records
        if record.run_id == run_ids[-1]
    }
    assert sorted(by_year) == [2025, 2026, 2027]
    bands = {
        (year, metric): (float(p10), float(p50), float(p90))
        for year, metric, p10, p50, p90 in query(
            "ensemble", "select simulation_year, metric, p10_value, p50_value, p90_value from fct_ensemble_summary"
        )
    }
    actives = dict(
        query("ensemble", "select simulation_year, active_headcount_end from fct_yearly_summary where replicate = 0")
    )
    for year, metadata in by_year.items():
        assert metadata["year_end_actives"].value == actives[year]
        for metric in ("participation_rate", "total_employer_cost_amount", "active_headcount_end"):
            shown = tuple(metadata[f"{metric}_{percentile}"].value for percentile in ("p10", "p50", "p90"))
            assert shown == bands[year, metric]


def test_scenarios_with_one_seed_share_their_workforce_replicate_by_replicate(ensemble, write_scenario, run_scenario):
    # another match formula changes the plan, not who is hired, leaves or is promoted, in any replicate
    run_scenario(
        write_scenario(
            "ensemble_stretch", **_with_replicates(REPLICATES, employer_match={"active_formula": "stretch_match"})
        )
    )
    workforce = (
        "select replicate, employee_id, event_type, effective_date, new_pay_amount from fct_yearly_events "
        "where event_type in ('hire', 'termination', 'new_hire_termination', 'promotion') order by all"
    )
    assert query("ensemble_stretch", workforce) == query("ensemble", workforce)
    costs = (
        "select replicate, total_employer_cost_amount from fct_yearly_summary where simulation_year = 2027 order by 1"
    )
    assert query("ensemble_stretch", costs) != query("ensemble", costs)


def _hand_ensemble(tmp_path: Path, monkeypatch, year: int, rows: list[tuple]) -> dict[str, tuple]:
    """fct_ensemble_summary of `year` over a yearly summary of the given rows (replicate, hires,
    participation_rate, average_annual_pay_amount), by metric."""
    from planwise_assets.defs.simulation.dbt_project import dbt_vars, parsed_manifest
    from planwise_assets.defs.simulation.runner import _InProcessDbt, release_warehouse
    from planwise_assets.lib.scenario_config import ScenarioConfig

    monkeypatch.setenv("PLANWISE_HOME", str(tmp_path))
    config = ScenarioConfig.model_validate(
        {
            "scenario": {"name": "hand"},
            "simulation": {"start_year": year, "end_year": year, "random_seed": 1, "target_growth_rate": 0},
        }
    )
    path = warehouse_path("hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table fct_yearly_summary (scenario_id varchar, plan_design_id varchar, "
            "simulation_year integer, replicate integer, match_formula varchar, hires bigint, "
            "participation_rate decimal(8, 6), average_annual_pay_amount decimal(14, 2))"
        )
        con.executemany(
            "insert into fct_yearly_summary values ('hand', 'standard', ?, ?, 'simple_match', ?, ?, ?)",
            [(year, *row) for row in rows],
        )
    try:
        _InProcessDbt(parsed_manifest()).invoke("run", dbt_vars(config, year), "hand", select="fct_ensemble_summary")
    finally:
        release_warehouse()
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            metric: tuple(statistics)
            for metric, *statistics in con.execute(
                "select metric, replicates, mean_value, p10_value, p50_value, p90_value, min_value, max_value "
                "from fct_ensemble_summary"
            ).fetchall()
        }


def test_ensemble_statistics_match_a_hand_computation(tmp_path, monkeypatch):
    # Five replicates (sorted hires 10, 20, 30, 40, 100): the p-th percentile is at position 4p of the
    # sorted values, so P10 at 0.4: 10 + 0.4 x (20 - 10) = 14; P50 at 2: 30; P90 at 3.6: 40 + 0.6 x 60 = 76;
    # mean 200 / 5 = 40. Participation in millionths 1, 2, 4, 8, 16: P10 1.4, P90 12.8 and mean 6.2
    # round to 1, 13 and 6. A pay missing in one replicate (nobody active) is left out of the
    # statistics of the four others (100, 200, 300, 400; positions 0.3, 1.5, 2.7) but counted.
    statistics = _hand_ensemble(
        tmp_path,
        monkeypatch,
        2025,
        [
            (0, 30, Decimal("0.000004"), Decimal("300.00")),
            (1, 10, Decimal("0.000016"), None),
            (2, 100, Decimal("0.000001"), Decimal("100.00")),
            (3, 40, Decimal("0.000008"), Decimal("400.00")),
            (4, 20, Decimal("0.000002"), Decimal("200.00")),
        ],
    )
    d = Decimal
    assert statistics == {
        "hires": (5, d(40), d(14), d(30), d(76), d(10), d(100)),
        "participation_rate": (
            5,
            d("0.000006"),
            d("0.000001"),
            d("0.000004"),
            d("0.000013"),
            d("0.000001"),
            d("0.000016"),
        ),
        "average_annual_pay_amount": (5, d(250), d(130), d(250), d(370), d(100), d(400)),
    }


def test_ensemble_statistics_round_half_up_to_six_decimal_places(tmp_path, monkeypatch):
    # Two replicates, participation 1 and 2 millionths: the median 1.5 and the mean 1.5 round up to 2,
    # P10 (1.1) down to 1 and P90 (1.9) up to 2.
    statistics = _hand_ensemble(
        tmp_path,
        monkeypatch,
        2026,
        [(0, 3, Decimal("0.000001"), Decimal("1.00")), (1, 4, Decimal("0.000002"), Decimal("2.00"))],
    )
    d = Decimal
    assert statistics["participation_rate"] == (
        2,
        d("0.000002"),
        d("0.000001"),
        d("0.000002"),
        d("0.000002"),
        d("0.000001"),
        d("0.000002"),
    )
    assert statistics["hires"] == (2, d("3.5"), d("3.1"), d("3.5"), d("3.9"), d(3), d(4))
