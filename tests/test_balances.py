"""Account balances from the census, rolled forward year by year (docs/dc_plan.md, rule 10).

Hand-computed on frozen scenarios (tests/hand_cases.py): the balance at the start earns the
year's investment return, the year's deferrals half of it, employer money allocated at year end
none; leavers keep their vested balance, or take it out with the distribution rate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import query
from tests.hand_cases import census_csv, simulate, snapshot_of

PLAN_STATE = "employee_balance,employer_balance"


def _summary(scenario_id: str, columns: str) -> list[tuple]:
    return query(scenario_id, f"select simulation_year, {columns} from fct_yearly_summary order by 1")


@pytest.fixture(scope="module")
def saver_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    """One saver on $100,000 deferring 6% with a 50% match on 6%, $10,000 and $4,000 in the plan, 5% returns."""
    census = census_csv(
        tmp_path_factory.mktemp("saver"),
        "saver",
        ["S1,1980-01-01,2010-01-01,,true,100000.00,0.06,2080,10000.00,4000.00"],
        extra_columns=PLAN_STATE,
    )
    simulate(
        write_scenario,
        run_scenario,
        "saver",
        census,
        simulation={"end_year": 2026},
        balances={"investment_return_rate": 0.05},
    )
    return "saver"


def test_the_balance_at_the_start_earns_the_year_and_the_deferrals_half_of_it(saver_scenario):
    # 2025: employee 10,000 x 5% + 6,000 x 2.5% = 650 -> 10,000 + 650 + 6,000 = 16,650; employer
    # 4,000 x 5% = 200 (the 3,000 match comes at year end) -> 4,000 + 200 + 3,000 = 7,200.
    # 2026: employee 16,650 x 5% + 150 = 982.50 -> 23,632.50; employer 360 -> 10,560.
    balances = {
        year: snapshot_of(
            saver_scenario, "employee_balance_amount, employer_balance_amount, investment_return_amount", year
        )
        for year in (2025, 2026)
    }
    assert balances[2025]["S1"] == (Decimal("16650.00"), Decimal("7200.00"), Decimal("850.00"))
    assert balances[2026]["S1"] == (Decimal("23632.50"), Decimal("10560.00"), Decimal("1342.50"))


def test_the_summary_shows_the_plans_balances_and_returns(saver_scenario):
    assert _summary(saver_scenario, "plan_balance_amount, investment_return_amount, former_participants") == [
        (2025, Decimal("23850.00"), Decimal("850.00"), 0),
        (2026, Decimal("34192.50"), Decimal("1342.50"), 0),
    ]


LEAVERS = [
    # hired 2020-01-01: 5 whole years when leaving in 2025, graded 6 vests (5 - 1) / 5 = 80%
    "L1,1980-01-01,2020-01-01,,true,80000.00,0.0,2080,20000.00,10000.00",
    # left in the census year with a balance: a former participant from the start
    "F1,1970-01-01,2015-01-01,2024-06-30,false,50000.00,0.0,2080,5000.00,1000.00",
]


def _leavers_scenario(name: str, distribution_rate: float, tmp_path_factory, write_scenario, run_scenario) -> str:
    census = census_csv(tmp_path_factory.mktemp(name), name, LEAVERS, extra_columns=PLAN_STATE)
    simulate(
        write_scenario,
        run_scenario,
        name,
        census,
        simulation={"end_year": 2026},
        workforce={"total_termination_rate": 1.0},
        vesting={"schedule": "graded", "years": 6},
        balances={"investment_return_rate": 0.10, "leaver_distribution_rate": distribution_rate},
    )
    return name


@pytest.fixture(scope="module")
def keepers_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    return _leavers_scenario("keepers", 0.0, tmp_path_factory, write_scenario, run_scenario)


@pytest.fixture(scope="module")
def cash_out_scenario(tmp_path_factory, write_scenario, run_scenario) -> str:
    return _leavers_scenario("cash_out", 1.0, tmp_path_factory, write_scenario, run_scenario)


def test_a_census_balance_is_forfeited_from_the_first_year(keepers_scenario):
    # L1 leaves in 2025: employer 10,000 + 10% = 11,000, 80% vested = 8,800, 2,200 forfeited;
    # employee 20,000 + 10% = 22,000
    row = snapshot_of(
        keepers_scenario,
        "employment_status, employer_money_amount, vested_balance_amount, forfeiture_amount, "
        "employer_balance_amount, employee_balance_amount, distribution_amount",
    )["L1"]
    assert row == (
        "terminated",
        Decimal("11000.00"),
        Decimal("8800.00"),
        Decimal("2200.00"),
        Decimal("8800.00"),
        Decimal("22000.00"),
        Decimal("0.00"),
    )
    assert _summary(keepers_scenario, "forfeiture_amount")[0] == (2025, Decimal("2200.00"))


def test_leavers_keep_their_vested_balance_and_it_earns_the_return(keepers_scenario):
    # F1 (left in 2024): 5,000 + 1,000 grow 10% a year: 6,600 in 2025, 7,260 in 2026.
    # L1 (left in 2025): 22,000 + 8,800 = 30,800 in 2025, 33,880 in 2026.
    accounts = query(
        keepers_scenario,
        "select simulation_year, employee_id, employment_status, employee_balance + employer_balance "
        "from int_account_balances where employee_id in ('F1', 'L1') order by 1, 2",
    )
    assert accounts == [
        (2025, "F1", "former", Decimal("6600.00")),
        (2025, "L1", "terminated", Decimal("30800.00")),
        (2026, "F1", "former", Decimal("7260.00")),
        (2026, "L1", "former", Decimal("33880.00")),
    ]
    # the hires who replace L1 save nothing (no enrollment): the plan is the two former employees
    assert _summary(keepers_scenario, "plan_balance_amount, former_participants") == [
        (2025, Decimal("37400.00"), 2),
        (2026, Decimal("41140.00"), 2),
    ]


def test_with_a_distribution_rate_of_one_leavers_take_their_vested_balance_out(cash_out_scenario):
    row = snapshot_of(
        cash_out_scenario, "termination_date, employee_balance_amount, employer_balance_amount, distribution_amount"
    )["L1"]
    left, employee, employer, distributed = row
    assert (employee, employer, distributed) == (Decimal("0.00"), Decimal("0.00"), Decimal("30800.00"))
    assert query(
        cash_out_scenario,
        "select employee_id, effective_date, amount from fct_yearly_events where event_type = 'distribution'",
    ) == [("L1", left, Decimal("30800.00"))]
    # a census leaver kept their balance before the rate applied; only F1 remains in 2026
    assert _summary(cash_out_scenario, "distribution_amount, former_participants") == [
        (2025, Decimal("30800.00"), 1),
        (2026, Decimal("0.00"), 1),
    ]
    assert dt.date(2025, 1, 1) <= left <= dt.date(2025, 12, 31)
