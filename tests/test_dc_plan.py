"""The DC plan engine, checked on small censuses whose outcome is computed by hand.

Each scenario freezes the workforce (tests/hand_cases.py: no growth, no leavers unless asked, no
raises or promotions) so that pay is constant and every amount can be worked out on paper.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query
from tests.hand_cases import census_csv, failing_checks_after, simulate, snapshot_of


@pytest.fixture(scope="module")
def limits_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    census = census_csv(
        tmp_path_factory.mktemp("limits"),
        "limits",
        [
            "A55,1970-06-01,2010-01-01,,true,400000.00,0.15,2080",  # age 55 at the end of 2025
            "B62,1963-03-01,2010-01-01,,true,400000.00,0.15,2080",  # age 62: super catch-up
            "C40,1985-05-05,2015-01-01,,true,100000.00,0.04,2080",  # under every limit
            "D30,1995-01-01,2020-01-01,,true,60000.00,0.0,2080",  # not participating
        ],
    )
    simulate(write_scenario, run_scenario, "limits", census, employer_match={"active_formula": "tiered_match"})
    return "limits"


def test_contributions_capped_at_402g_plus_catch_up_and_match_on_401a17_pay(limits_scenario):
    # 15% of 401(a)(17)-capped $350,000 = $52,500 > 402(g) $23,500 + catch-up $7,500 = $31,000.
    # Match (tiered 100% of 3% + 50% of next 2%) on the contributed rate 31,000 / 350,000 = 8.9%:
    # 3% + 1% = 4% of $350,000 = $14,000.
    snapshot = snapshot_of(
        limits_scenario, "employee_contribution_amount, match_compensation_amount, employer_match_amount"
    )
    assert snapshot["A55"] == (Decimal("31000.00"), Decimal("350000.00"), Decimal("14000.00"))


def test_age_62_gets_the_super_catch_up_in_2025(limits_scenario):
    # 402(g) $23,500 + ages 60-63 super catch-up $11,250 = $34,750.
    snapshot = snapshot_of(limits_scenario, "deferral_limit_amount, employee_contribution_amount")
    assert snapshot["B62"] == (Decimal("34750.00"), Decimal("34750.00"))


def test_tiered_match_on_four_percent_of_100k_is_3500(limits_scenario):
    # 100% of the first 3% ($3,000) + 50% of the next 1% ($500); deferrals 4% = $4,000.
    snapshot = snapshot_of(limits_scenario, "employee_contribution_amount, employer_match_amount")
    assert snapshot["C40"] == (Decimal("4000.00"), Decimal("3500.00"))


def test_non_participant_gets_no_contribution_or_match(limits_scenario):
    snapshot = snapshot_of(limits_scenario, "is_enrolled, employee_contribution_amount, employer_match_amount")
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
    census = census_csv(tmp_path, "cliff", ["L1,1980-01-01,2023-01-01,,true,80000.00,0.06,2080"])
    simulate(
        write_scenario,
        run_scenario,
        "cliff",
        census,
        workforce={"total_termination_rate": 1.0},
        vesting={"schedule": "cliff", "years": 3},
        employer_match={"eligibility": {"require_active_at_year_end": False}},
    )
    match, vested_rate, vested_balance, forfeiture, status, service = snapshot_of(
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
    census = census_csv(
        tmp_path, "graded", [f"{emp},1980-01-01,{hired},,true,50000.00,0.05,2080" for emp, hired in hires.items()]
    )
    simulate(write_scenario, run_scenario, "graded", census, vesting={"schedule": "graded", "years": 6})
    snapshot = snapshot_of("graded", "vesting_service_years, vested_rate")
    assert {emp: (service, float(pct)) for emp, (service, pct) in snapshot.items()} == {
        "S1": (1, 0.0),
        "S2": (2, 0.2),
        "S3": (3, 0.4),
        "S6": (6, 1.0),
        "S15": (15, 1.0),
    }


def test_escalation_stops_at_the_cap_and_never_lowers_a_higher_rate(tmp_path, write_scenario, run_scenario):
    rates = {"E05": "0.05", "E095": "0.095", "E10": "0.10", "E12": "0.12"}
    census = census_csv(
        tmp_path, "escalation", [f"{emp},1980-01-01,2015-01-01,,true,50000.00,{r},2080" for emp, r in rates.items()]
    )
    simulate(
        write_scenario,
        run_scenario,
        "escalation",
        census,
        deferral_escalation={"enabled": True, "increment": 0.01, "maximum_rate": 0.10, "delay_years": 0},
    )
    snapshot = snapshot_of("escalation", "deferral_rate, escalation_count")
    assert {emp: (float(rate), count) for emp, (rate, count) in snapshot.items()} == {
        "E05": (0.06, 1),
        "E095": (0.10, 1),
        "E10": (0.10, 0),
        "E12": (0.12, 0),
    }
    # 6% of $50,000 for the whole year (escalation takes effect on 1 January)
    assert snapshot_of("escalation", "employee_contribution_amount")["E05"] == (Decimal("3000.00"),)


def _auto_enrollment_census(tmp_path: Path) -> str:
    # 40 non-participants hired before the 2025-01-01 cutoff, all eligible
    return census_csv(
        tmp_path,
        "auto",
        [f"N{number:03d},1985-01-01,2018-03-01,,true,70000.00,0.0,2080" for number in range(40)],
    )


def test_new_hires_only_leaves_employees_hired_before_the_cutoff_alone(tmp_path, write_scenario, run_scenario):
    census = _auto_enrollment_census(tmp_path)
    simulate(
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
    simulate(
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


def test_plan_checks_fail_on_tampered_data(limits_scenario, scenarios_dir):
    """Each DC-plan check can fail: break the data the way each one guards against."""
    failed = failing_checks_after(
        limits_scenario,
        scenarios_dir,
        2025,
        [
            "update fct_workforce_snapshot set employee_contribution_amount = 40000 where employee_id = 'A55'",
            "update fct_workforce_snapshot set match_compensation_amount = 400000 where employee_id = 'B62'",
            "update fct_workforce_snapshot set vested_balance_amount = employer_money_amount + 1 "
            "where employee_id = 'C40'",
            "update fct_workforce_snapshot set is_enrolled = true where employee_id = 'D30'",
            "insert into fct_yearly_events (event_id, scenario_id, plan_design_id, simulation_year, replicate, "
            "employee_id, event_type, event_sequence, effective_date, previous_rate, new_rate) values "
            "('x', 'limits', 'standard', 2025, 0, 'C40', 'deferral_escalation', 4, date '2025-01-01', 0.04, 0.5)",
        ],
    )
    for check in (
        "assert_contributions_within_irs_limits",
        "assert_no_match_on_pay_above_401a17",
        "assert_vested_balance_within_employer_money",
        "assert_enrollment_replayable_from_events",
        "assert_escalations_within_cap_and_consented",
    ):
        assert check in failed, f"{check} did not fail: {sorted(failed)}"


# Catch-up by the age attained by 31 December (IRC 414(v)(1), (5)), leavers included; the
# super catch-up for ages 60 to 63 (414(v)(2)(E), SECURE 2.0 section 109).


@pytest.fixture(scope="module")
def leavers_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    """Everyone leaves during 2025 (t = 100%), before a birthday on 31 December; paid $1,000 a day, deferring 100%."""
    census = census_csv(
        tmp_path_factory.mktemp("leavers"),
        "leavers",
        [
            "L49,1976-12-31,2010-01-01,,true,365000.00,1.0,2080",  # turns 49: no catch-up
            "L50,1975-12-31,2010-01-01,,true,365000.00,1.0,2080",  # turns 50 after leaving
            "L60,1965-12-31,2010-01-01,,true,365000.00,1.0,2080",  # turns 60 after leaving
            "L64,1961-12-31,2010-01-01,,true,365000.00,1.0,2080",  # 63 when leaving, turns 64 in 2025
        ],
    )
    simulate(write_scenario, run_scenario, "leavers", census, workforce={"total_termination_rate": 1.0})
    return "leavers"


def test_leavers_catch_up_follows_the_age_they_reach_by_31_december(leavers_scenario):
    snapshot = snapshot_of(leavers_scenario, "employment_status, termination_date, deferral_limit_amount")
    leavers = {emp: row for emp, row in snapshot.items() if emp.startswith("L")}
    # all left before their birthday, after at least 35 days' pay (more than any 2025 limit)
    assert {status for status, _, _ in leavers.values()} == {"terminated"}
    assert all(dt.date(2025, 2, 5) <= left < dt.date(2025, 12, 31) for _, left, _ in leavers.values())
    # 402(g) $23,500; + catch-up $7,500 at 50 to 59 and 64; + super catch-up $11,250 at 60 to 63
    assert {emp: limit for emp, (_, _, limit) in leavers.items()} == {
        "L49": Decimal("23500.00"),
        "L50": Decimal("31000.00"),
        "L60": Decimal("34750.00"),
        "L64": Decimal("31000.00"),
    }


def test_leavers_defer_up_to_their_limit(leavers_scenario):
    snapshot = snapshot_of(leavers_scenario, "employee_contribution_amount, catch_up_amount, is_at_402g_limit")
    assert {emp: row for emp, row in snapshot.items() if emp.startswith("L")} == {
        "L49": (Decimal("23500.00"), Decimal("0.00"), True),
        "L50": (Decimal("31000.00"), Decimal("7500.00"), True),
        "L60": (Decimal("34750.00"), Decimal("11250.00"), True),
        "L64": (Decimal("31000.00"), Decimal("7500.00"), True),
    }


# 415(c)(1): annual additions (deferrals without catch-up, match, core) at most the lesser of
# $70,000 (2025) and 100% of compensation; an excess reduces core first, then match.


@pytest.fixture(scope="module")
def additions_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    """A match of 200% of every deferral and a 25% core contribution, on low and high pay."""
    census = census_csv(
        tmp_path_factory.mktemp("additions"),
        "additions",
        [
            "P20,1990-01-01,2015-01-01,,true,20000.00,0.4,2080",  # low pay, deferring 40%
            "D200,1990-01-01,2015-01-01,,true,200000.00,0.1175,2080",  # defers exactly 402(g)
            "C55,1970-06-01,2015-01-01,,true,200000.00,0.155,2080",  # 55: 402(g) + catch-up
        ],
    )
    double = {"type": "simple", "tiers": [{"deferral_from": 0.0, "deferral_to": 1.0, "match_rate": 2.0}]}
    simulate(
        write_scenario,
        run_scenario,
        "additions",
        census,
        employer_match={"active_formula": "double", "formulas": {"double": double}},
        employer_core={"enabled": True, "rate": 0.25},
    )
    return "additions"


def test_low_paid_additions_are_limited_to_100_percent_of_pay(additions_scenario):
    # deferrals 40% x $20,000 = $8,000; match 2 x $8,000 = $16,000; core 25% x $20,000 = $5,000:
    # $29,000 of additions on $20,000 of pay, $9,000 over. Core goes first ($5,000), then $4,000
    # of match: $8,000 + $12,000 + $0 = $20,000.
    snapshot = snapshot_of(
        additions_scenario,
        "employee_contribution_amount, employer_match_amount, employer_core_amount, reduced_by_415c_amount",
    )
    assert snapshot["P20"] == (Decimal("8000.00"), Decimal("12000.00"), Decimal("0.00"), Decimal("9000.00"))


def test_high_paid_additions_are_limited_to_the_dollar_limit_without_counting_catch_up(additions_scenario):
    snapshot = snapshot_of(
        additions_scenario,
        "employee_contribution_amount, catch_up_amount, employer_match_amount, employer_core_amount, "
        "reduced_by_415c_amount",
    )
    # $23,500 + match $47,000 + core $50,000 = $120,500, $50,500 over $70,000: core to 0, match -$500
    assert snapshot["D200"] == (
        Decimal("23500.00"),
        Decimal("0.00"),
        Decimal("46500.00"),
        Decimal("0.00"),
        Decimal("50500.00"),
    )
    # $31,000 deferred of which $7,500 catch-up (not counted): $23,500 + match 2 x $31,000 +
    # core $50,000 = $135,500, $65,500 over: core to 0, match $62,000 - $15,500 = $46,500
    assert snapshot["C55"] == (
        Decimal("31000.00"),
        Decimal("7500.00"),
        Decimal("46500.00"),
        Decimal("0.00"),
        Decimal("65500.00"),
    )


# Eligibility for each source of money (IRC 410(a)(1), (4)): deferrals from the deferral
# eligibility date, census participants included; match and core from their own.


def test_census_participant_inside_a_one_year_waiting_period_defers_only_once_eligible(
    tmp_path, write_scenario, run_scenario
):
    census = census_csv(
        tmp_path,
        "waiting",
        [
            "W1,1985-01-01,2024-07-01,,true,73000.00,0.06,2080",  # eligible on 2025-07-01
            "W0,1985-01-01,2020-01-01,,true,73000.00,0.06,2080",  # eligible for years
        ],
    )
    simulate(write_scenario, run_scenario, "waiting", census, eligibility={"waiting_period_days": 365})
    snapshot = snapshot_of(
        "waiting", "eligibility_date, is_enrolled, employee_contribution_amount, employer_match_amount"
    )
    # 1 July to 31 December is 184 days: $73,000 x 184 / 365 = $36,800 earned, 6% = $2,208;
    # match 50% of it (the match's eligibility defaults to the deferral's)
    assert snapshot["W1"] == (dt.date(2025, 7, 1), True, Decimal("2208.00"), Decimal("1104.00"))
    assert snapshot["W0"][2:] == (Decimal("4380.00"), Decimal("2190.00"))
    assert query(
        "waiting", "select employee_id, effective_date from fct_yearly_events where event_type = 'eligibility'"
    ) == [("W1", dt.date(2025, 7, 1))]


@pytest.fixture(scope="module")
def entry_dates_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    """Deferrals from the next month's first day; match after a year, quarterly; core after a year, half-yearly."""
    census = census_csv(
        tmp_path_factory.mktemp("entry"),
        "entry",
        [
            "E1,1980-01-01,2024-02-10,,true,73000.00,0.06,2080",  # a year of service on 2025-02-10
            "E2,2004-05-17,2023-01-01,,true,73000.00,0.10,2080",  # turns 21 on 2025-05-17
            "E3,1980-01-01,2024-04-01,,true,73000.00,0.06,2080",  # a year of service on a quarter's first day
        ],
    )
    simulate(
        write_scenario,
        run_scenario,
        "entry",
        census,
        eligibility={"entry_dates": "monthly"},
        employer_match={"eligibility": {"waiting_period_days": 365, "entry_dates": "quarterly"}},
        employer_core={
            "enabled": True,
            "rate": 0.03,
            "eligibility": {"waiting_period_days": 365, "entry_dates": "semi_annual"},
        },
    )
    return "entry"


def test_deferrals_start_on_the_entry_date_after_the_minimum_age(entry_dates_scenario):
    snapshot = snapshot_of(entry_dates_scenario, "eligibility_date, employee_contribution_amount")
    # E1 entered on 2024-03-01: the whole year, 6% of $73,000. E2 turns 21 on 17 May and enters on
    # 1 June: 214 days, $73,000 x 214 / 365 = $42,800, 10% = $4,280.
    assert snapshot["E1"] == (dt.date(2024, 3, 1), Decimal("4380.00"))
    assert snapshot["E2"] == (dt.date(2025, 6, 1), Decimal("4280.00"))


def test_match_is_on_deferrals_and_pay_from_its_own_entry_date(entry_dates_scenario):
    snapshot = snapshot_of(entry_dates_scenario, "match_compensation_amount, employer_match_amount")
    # E1: a year of service on 10 February, next quarter 1 April: 275 days, $55,000 of pay and 6% of
    # it deferred ($3,300); 50% match = $1,650 (the $1,080 deferred before April is not matched).
    assert snapshot["E1"] == (Decimal("55000.00"), Decimal("1650.00"))
    # E2: 21 on 17 May, next quarter 1 July: 184 days, $36,800; deferred 10% ($3,680), matched up to
    # 6%: 50% x $2,208 = $1,104
    assert snapshot["E2"] == (Decimal("36800.00"), Decimal("1104.00"))
    # E3: a year of service on 1 April, itself an entry date: as E1
    assert snapshot["E3"] == (Decimal("55000.00"), Decimal("1650.00"))


def test_core_is_on_pay_from_its_own_entry_date(entry_dates_scenario):
    snapshot = snapshot_of(entry_dates_scenario, "employer_core_amount")
    # everyone's next half-year after their core requirements is 1 July: 3% of $36,800
    assert snapshot == {emp: (Decimal("1104.00"),) for emp in ("E1", "E2", "E3")}


# Every event lies in its simulation year: an auto-enrollment window that crosses 31 December.


@pytest.fixture(scope="module")
def year_end_window_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    """30 employees eligible on 20 December 2025; a 45-day window to 3 February 2026; half opt out."""
    census = census_csv(
        tmp_path_factory.mktemp("year_end"),
        "year_end",
        [f"Y{number:02d},1985-06-01,2024-12-20,,true,73000.00,0.0,2080" for number in range(30)],
    )
    simulate(
        write_scenario,
        run_scenario,
        "year_end",
        census,
        simulation={"end_year": 2026},
        eligibility={"waiting_period_days": 365},
        enrollment={
            "auto_enrollment": {
                "enabled": True,
                "scope": "all_eligible_employees",
                "window_days": 45,
                # age band 35-44 and pay band 50k-100k have multipliers of 1 (seed opt_out_multipliers)
                "opt_out_rate": 0.5,
            }
        },
    )
    return "year_end"


def test_each_enrollment_decision_is_in_the_year_of_its_date(year_end_window_scenario):
    decisions = query(
        year_end_window_scenario,
        "select employee_id, event_type, simulation_year, effective_date from fct_yearly_events "
        "where event_type in ('enrollment', 'opt_out') order by employee_id",
    )
    assert sorted(employee for employee, *_ in decisions) == [f"Y{number:02d}" for number in range(30)]
    opt_out_years = {year for _, kind, year, _ in decisions if kind == "opt_out"}
    assert opt_out_years == {2025, 2026}, "the draws should put opt-outs on both sides of 31 December"
    for _, kind, year, date in decisions:
        assert date.year == year
        if kind == "opt_out":
            assert dt.date(2025, 12, 20) <= date <= dt.date(2026, 2, 2)
        else:
            assert date == dt.date(2026, 2, 3)  # 20 December + 45 days


def test_the_crossed_year_ends_with_december_opt_outs_and_the_next_with_all_decisions(year_end_window_scenario):
    decided = {
        employee: (kind, date)
        for employee, kind, date in query(
            year_end_window_scenario,
            "select employee_id, event_type, effective_date from fct_yearly_events "
            "where event_type in ('enrollment', 'opt_out')",
        )
    }
    end_2025 = snapshot_of(year_end_window_scenario, "has_opted_out, is_enrolled", 2025)
    end_2026 = snapshot_of(year_end_window_scenario, "has_opted_out, is_enrolled, employee_contribution_amount", 2026)
    for employee, (kind, date) in decided.items():
        assert end_2025[employee] == (kind == "opt_out" and date.year == 2025, False)
        # enrolled on 3 February 2026: 332 days, $73,000 x 332 / 365 = $66,400, at 6% = $3,984
        expected = (True, False, Decimal("0.00")) if kind == "opt_out" else (False, True, Decimal("3984.00"))
        assert end_2026[employee] == expected


# IRS limits are published from 2020: a scenario may start in 2022 (and the super catch-up did
# not exist yet).


def test_a_2022_start_uses_the_2022_limits(tmp_path, write_scenario, run_scenario):
    census = census_csv(
        tmp_path,
        "start2022",
        [
            "S55,1967-06-01,2010-01-01,,true,400000.00,0.15,2080",  # 55 in 2022
            "S61,1961-03-01,2010-01-01,,true,400000.00,0.15,2080",  # 61: no super catch-up before 2025
            "S40,1982-01-01,2010-01-01,,true,100000.00,0.04,2080",
        ],
    )
    simulate(
        write_scenario,
        run_scenario,
        "start2022",
        census,
        simulation={"start_year": 2022, "end_year": 2022},
    )
    snapshot = snapshot_of(
        "start2022",
        "deferral_limit_amount, employee_contribution_amount, match_compensation_amount, employer_match_amount",
        2022,
    )
    # 2022: 402(g) $20,500 + catch-up $6,500; 401(a)(17) $305,000 (15% of it is $45,750);
    # match 50% of 6% of $305,000 = $9,150
    high_earner = (Decimal("27000.00"), Decimal("27000.00"), Decimal("305000.00"), Decimal("9150.00"))
    assert snapshot["S55"] == high_earner
    assert snapshot["S61"] == high_earner
    assert snapshot["S40"] == (Decimal("20500.00"), Decimal("4000.00"), Decimal("100000.00"), Decimal("2000.00"))


# Money is exact: a half cent is rounded up, once (docs/dc_plan.md, "Money and rounding").


def test_half_cents_round_up_in_a_leap_year(tmp_path, write_scenario, run_scenario):
    census = census_csv(
        tmp_path,
        "rounding",
        [
            "R1,1985-01-01,2027-07-03,,true,50000.01,0.06,2080",  # eligible on 2028-07-02
            "R2,1985-01-01,2015-01-01,,true,73000.20,0.05,2080",
        ],
    )
    simulate(
        write_scenario,
        run_scenario,
        "rounding",
        census,
        simulation={"start_year": 2028, "end_year": 2028},
        eligibility={"waiting_period_days": 365},
    )
    snapshot = snapshot_of(
        "rounding", "match_compensation_amount, employee_contribution_amount, employer_match_amount", 2028
    )
    # R1: 2 July to 31 December is 183 of 366 days: $50,000.01 / 2 = $25,000.005, a half cent up to
    # $25,000.01; deferred 6% of $25,000.005 = $1,500.0003 -> $1,500.00; match 50% -> $750.00
    assert snapshot["R1"] == (Decimal("25000.01"), Decimal("1500.00"), Decimal("750.00"))
    # R2: 5% of $73,000.20 = $3,650.01; match 50% = $1,825.005 -> $1,825.01
    assert snapshot["R2"] == (Decimal("73000.20"), Decimal("3650.01"), Decimal("1825.01"))
