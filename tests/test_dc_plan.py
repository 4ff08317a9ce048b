"""The DC plan engine, checked on small censuses whose outcome is computed by hand.

Each scenario freezes the workforce (no growth, no leavers unless asked, no raises or
promotions) so that pay is constant and every amount can be worked out on paper.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query

HEADER = "employee_id,birth_date,hire_date,termination_date,active,annual_pay,deferral_rate,scheduled_hours\n"
FROZEN = {
    "simulation": {"start_year": 2025, "end_year": 2025, "target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0, "promotion_base_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    "enrollment": {"voluntary_enrollment": {"enabled": False}},
}


def _census(tmp_path: Path, name: str, rows: list[str]) -> str:
    path = tmp_path / f"{name}.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return str(path)


def _merge(*documents: dict) -> dict:
    from planwise_assets.scenarios import deep_merge

    merged: dict = {}
    for document in documents:
        merged = deep_merge(merged, document)
    return merged


def _simulate(write_scenario, run_scenario, name: str, census: str, **sections) -> None:
    config = write_scenario(name, **_merge(FROZEN, {"census": {"path": census}}, sections))
    run_scenario(config)


def _snapshot(scenario_id: str, columns: str) -> dict[str, tuple]:
    rows = query(scenario_id, f"select employee_id, {columns} from fct_workforce_snapshot where simulation_year = 2025")
    return {row[0]: row[1:] for row in rows}


@pytest.fixture(scope="module")
def limits_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    census = _census(
        tmp_path_factory.mktemp("limits"),
        "limits",
        [
            "A55,1970-06-01,2010-01-01,,true,400000.00,0.15,2080",  # age 55 at the end of 2025
            "B62,1963-03-01,2010-01-01,,true,400000.00,0.15,2080",  # age 62: super catch-up
            "C40,1985-05-05,2015-01-01,,true,100000.00,0.04,2080",  # under every limit
            "D30,1995-01-01,2020-01-01,,true,60000.00,0.0,2080",  # not participating
        ],
    )
    _simulate(write_scenario, run_scenario, "limits", census, employer_match={"active_formula": "tiered_match"})
    return "limits"


def test_contributions_capped_at_402g_plus_catch_up_and_match_on_401a17_pay(limits_scenario):
    # 15% of 401(a)(17)-capped $350,000 = $52,500 > 402(g) $23,500 + catch-up $7,500 = $31,000.
    # Match (tiered 100% of 3% + 50% of next 2%) on the contributed rate 31,000 / 350,000 = 8.9%:
    # 3% + 1% = 4% of $350,000 = $14,000.
    snapshot = _snapshot(
        limits_scenario, "employee_contribution_amount, match_compensation_amount, employer_match_amount"
    )
    assert snapshot["A55"] == (Decimal("31000.00"), Decimal("350000.00"), Decimal("14000.00"))


def test_age_62_gets_the_super_catch_up_in_2025(limits_scenario):
    # 402(g) $23,500 + ages 60-63 super catch-up $11,250 = $34,750.
    snapshot = _snapshot(limits_scenario, "deferral_limit_amount, employee_contribution_amount")
    assert snapshot["B62"] == (Decimal("34750.00"), Decimal("34750.00"))


def test_tiered_match_on_four_percent_of_100k_is_3500(limits_scenario):
    # 100% of the first 3% ($3,000) + 50% of the next 1% ($500); deferrals 4% = $4,000.
    snapshot = _snapshot(limits_scenario, "employee_contribution_amount, employer_match_amount")
    assert snapshot["C40"] == (Decimal("4000.00"), Decimal("3500.00"))


def test_non_participant_gets_no_contribution_or_match(limits_scenario):
    snapshot = _snapshot(limits_scenario, "is_enrolled, employee_contribution_amount, employer_match_amount")
    assert snapshot["D30"] == (False, Decimal("0.00"), Decimal("0.00"))


def test_summary_totals_equal_the_snapshot(limits_scenario):
    # 31,000 + 34,750 + 4,000 employee; 14,000 + 14,000 (B62: 34,750/350,000 > 5%) + 3,500 match
    summary = query(
        limits_scenario,
        "select employee_contribution_amount, employer_match_amount, total_employer_cost_amount, "
        "employees_at_402g_limit from fct_yearly_summary",
    )
    assert summary == [(Decimal("69750.00"), Decimal("31500.00"), Decimal("31500.00"), 2)]


def test_cliff_three_leaver_with_two_years_forfeits_all_employer_money(tmp_path, write_scenario, run_scenario):
    # One employee hired 2023-01-01, certain to leave in 2025 (t = 100%) with 2 whole years.
    census = _census(tmp_path, "cliff", ["L1,1980-01-01,2023-01-01,,true,80000.00,0.06,2080"])
    _simulate(
        write_scenario,
        run_scenario,
        "cliff",
        census,
        workforce={"total_termination_rate": 1.0},
        vesting={"schedule": "cliff", "years": 3},
        employer_match={"eligibility": {"require_active_at_year_end": False}},
    )
    match, vested_rate, vested_balance, forfeiture, status, service = _snapshot(
        "cliff",
        "employer_match_amount, vested_rate, vested_balance_amount, forfeiture_amount, employment_status, "
        "vesting_service_years",
    )["L1"]
    assert (status, service, vested_rate, vested_balance) == ("terminated", 2, Decimal("0.0000"), Decimal("0.00"))
    assert match > 0 and forfeiture == match
    assert query("cliff", "select amount from fct_yearly_events where event_type = 'forfeiture'") == [(match,)]


def test_graded_six_vests_twenty_percent_a_year_from_year_two(tmp_path, write_scenario, run_scenario):
    # Service on 2025-12-31: 1 (hired 2024-01-01: 1 year 11 months), 2 (hired exactly 2023-12-31),
    # 3, 6 and 15 years; graded 6 gives (service - 1) / 5, at most 100%.
    hires = {"S1": "2024-01-01", "S2": "2023-12-31", "S3": "2022-06-01", "S6": "2019-06-01", "S15": "2010-06-01"}
    census = _census(
        tmp_path, "graded", [f"{emp},1980-01-01,{hired},,true,50000.00,0.05,2080" for emp, hired in hires.items()]
    )
    _simulate(write_scenario, run_scenario, "graded", census, vesting={"schedule": "graded", "years": 6})
    snapshot = _snapshot("graded", "vesting_service_years, vested_rate")
    assert {emp: (service, float(pct)) for emp, (service, pct) in snapshot.items()} == {
        "S1": (1, 0.0),
        "S2": (2, 0.2),
        "S3": (3, 0.4),
        "S6": (6, 1.0),
        "S15": (15, 1.0),
    }


def test_escalation_stops_at_the_cap_and_never_lowers_a_higher_rate(tmp_path, write_scenario, run_scenario):
    rates = {"E05": "0.05", "E095": "0.095", "E10": "0.10", "E12": "0.12"}
    census = _census(
        tmp_path, "escalation", [f"{emp},1980-01-01,2015-01-01,,true,50000.00,{r},2080" for emp, r in rates.items()]
    )
    _simulate(
        write_scenario,
        run_scenario,
        "escalation",
        census,
        deferral_escalation={"enabled": True, "increment": 0.01, "maximum_rate": 0.10, "delay_years": 0},
    )
    snapshot = _snapshot("escalation", "deferral_rate, escalation_count")
    assert {emp: (float(rate), count) for emp, (rate, count) in snapshot.items()} == {
        "E05": (0.06, 1),
        "E095": (0.10, 1),
        "E10": (0.10, 0),
        "E12": (0.12, 0),
    }
    # 6% of $50,000 for the whole year (escalation takes effect on 1 January)
    assert _snapshot("escalation", "employee_contribution_amount")["E05"] == (Decimal("3000.00"),)


def _auto_enrollment_census(tmp_path: Path) -> str:
    # 40 non-participants hired before the 2025-01-01 cutoff, all eligible
    return _census(
        tmp_path,
        "auto",
        [f"N{number:03d},1985-01-01,2018-03-01,,true,70000.00,0.0,2080" for number in range(40)],
    )


def test_new_hires_only_leaves_employees_hired_before_the_cutoff_alone(tmp_path, write_scenario, run_scenario):
    census = _auto_enrollment_census(tmp_path)
    _simulate(
        write_scenario,
        run_scenario,
        "ae_new_hires",
        census,
        simulation={"target_growth_rate": 0.5},  # 20 hires in 2025, all after the cutoff
        enrollment={"auto_enrollment": {"enabled": True, "scope": "new_hires_only", "hire_date_cutoff": "2025-01-01"}},
    )
    decided = query(
        "ae_new_hires",
        "select s.is_new_hire, count(*) from fct_yearly_events e join fct_workforce_snapshot s using (employee_id) "
        "where e.event_type in ('enrollment', 'opt_out') group by all",
    )
    assert all(is_new_hire for is_new_hire, _ in decided)
    # every hire whose enrollment date (eligibility + 45 days) falls in 2025 decided one way or the other
    due = query(
        "ae_new_hires",
        "select count(*) from fct_workforce_snapshot where is_new_hire and eligibility_date + 45 <= date '2025-12-31'",
    )[0][0]
    assert sum(count for _, count in decided) == due > 0


def test_all_eligible_enrolls_every_non_participant_at_the_default_rate_or_opt_out(
    tmp_path, write_scenario, run_scenario
):
    census = _auto_enrollment_census(tmp_path)
    _simulate(
        write_scenario,
        run_scenario,
        "ae_all",
        census,
        enrollment={"auto_enrollment": {"enabled": True, "scope": "all_eligible_employees", "opt_out_rate": 0.2}},
    )
    outcome = dict(
        query(
            "ae_all", "select coalesce(enrollment_source, 'opted out'), count(*) from fct_workforce_snapshot group by 1"
        )
    )
    assert outcome["auto"] + outcome.get("opted out", 0) == 40
    assert (
        outcome.get("opted out", 0)
        == query("ae_all", "select count(*) from fct_yearly_events where event_type = 'opt_out'")[0][0]
    )
    assert query("ae_all", "select distinct deferral_rate from fct_workforce_snapshot where is_enrolled") == [
        (Decimal("0.060000"),)
    ]


def test_plan_checks_fail_on_tampered_data(limits_scenario):
    """Each DC-plan check can fail: break the data the way each one guards against."""
    import shutil

    import duckdb

    from planwise_assets.dbt_project import dbt_vars, parsed_manifest
    from planwise_assets.resources import ScenarioStore
    from planwise_assets.simulation import _InProcessDbt, _outcomes, release_warehouse
    from planwise_assets.warehouse import warehouse_path

    config = ScenarioStore().load(limits_scenario)
    shutil.copy(warehouse_path(limits_scenario), warehouse_path(limits_scenario).with_name("scratch.duckdb"))
    with duckdb.connect(str(warehouse_path(limits_scenario))) as con:
        con.execute("update fct_workforce_snapshot set employee_contribution_amount = 40000 where employee_id = 'A55'")
        con.execute("update fct_workforce_snapshot set match_compensation_amount = 400000 where employee_id = 'B62'")
        con.execute("update fct_workforce_snapshot set vested_balance_amount = employer_money_amount + 1 "
            "where employee_id = 'C40'")
        con.execute("update fct_workforce_snapshot set is_enrolled = true where employee_id = 'D30'")
        con.execute(
            "insert into fct_yearly_events (event_id, scenario_id, plan_design_id, simulation_year, employee_id, "
            "event_type, event_sequence, effective_date, previous_rate, new_rate) values "
            "('x', 'limits', 'standard', 2025, 'C40', 'deferral_escalation', 4, date '2025-01-01', 0.04, 0.5)"
        )
    try:
        results, _ = _InProcessDbt(parsed_manifest()).invoke(
            "test", dbt_vars(config, 2025), "tampered plan", select="resource_type:model"
        )
    finally:
        release_warehouse()
        shutil.move(warehouse_path(limits_scenario).with_name("scratch.duckdb"), warehouse_path(limits_scenario))
    failed = {outcome.name for outcome in _outcomes(results) if not outcome.passed}
    for check in (
        "assert_contributions_within_irs_limits",
        "assert_no_match_on_pay_above_401a17",
        "assert_vested_balance_within_employer_money",
        "assert_enrollment_replayable_from_events",
        "assert_escalations_within_cap_and_consented",
    ):
        assert check in failed, f"{check} did not fail: {sorted(failed)}"
