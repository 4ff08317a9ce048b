"""Employees respond to the match (docs/dc_plan.md, rule 14): when the scenario's formula takes
effect, enrolled employees deferring below the rate that earns the whole match move up to it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import query
from tests.hand_cases import census_csv, simulate, snapshot_of


@pytest.fixture(scope="module")
def responders(tmp_path_factory, write_scenario, run_scenario) -> str:
    """Aged 40 on $70,000 (age band 35-44, pay band 50k-100k: multipliers of 1), certain to respond."""
    census = census_csv(
        tmp_path_factory.mktemp("responders"),
        "responders",
        [
            "R3,1985-01-01,2015-01-01,,true,70000.00,0.03,2080",
            "R6,1985-01-01,2015-01-01,,true,70000.00,0.06,2080",
            "R8,1985-01-01,2015-01-01,,true,70000.00,0.08,2080",
            "R0,1985-01-01,2015-01-01,,true,70000.00,0.0,2080",
        ],
    )
    simulate(
        write_scenario,
        run_scenario,
        "responders",
        census,
        simulation={"end_year": 2026},
        match_response={"enabled": True, "probability": 1.0},
    )
    return "responders"


def test_employees_below_the_full_match_rate_move_up_to_it(responders):
    # the baseline's match is 50% of the first 6%: R3 moves to 6% ($4,200, matched $2,100); R6 and
    # R8 already earn the whole match and keep their rate; R0, not enrolled, stays out
    assert snapshot_of(responders, "deferral_rate, employee_contribution_amount, employer_match_amount") == {
        "R3": (Decimal("0.060000"), Decimal("4200.00"), Decimal("2100.00")),
        "R6": (Decimal("0.060000"), Decimal("4200.00"), Decimal("2100.00")),
        "R8": (Decimal("0.080000"), Decimal("5600.00"), Decimal("2100.00")),
        "R0": (Decimal("0.000000"), Decimal("0.00"), Decimal("0.00")),
    }


def test_each_response_is_an_event_with_its_reason_once(responders):
    # on 1 January of the first simulated year, when the formula takes effect; not again in 2026
    assert query(
        responders,
        "select employee_id, simulation_year, effective_date, previous_rate, new_rate, event_detail "
        "from fct_yearly_events where event_type = 'deferral_change'",
    ) == [("R3", 2025, dt.date(2025, 1, 1), Decimal("0.030000"), Decimal("0.060000"), "match_response")]
    assert query(responders, "select simulation_year, deferral_changes from fct_yearly_summary order by 1") == [
        (2025, 1),
        (2026, 0),
    ]
