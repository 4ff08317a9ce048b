"""A scenario's assumptions in words, for the sponsor: the Assumptions sheet of its workbook.

Written from the parameters stored with the results (what the simulation used), every rate as
a percentage, every match formula spelled out, the vesting schedule as the results applied it,
each change from the base scenario with its reason (a missing reason says so), the census
described, and what the model leaves out. The exact parameters, by dotted key, are on the
Parameters sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from planwise_assets.defs.exports.formats import BOOLEAN_TEXT, cell_value
from planwise_assets.defs.exports.sources import configuration_used
from planwise_assets.lib.census import census_file
from planwise_assets.lib.files import file_sha256
from planwise_assets.lib.scenario_config import (
    BalancesSection,
    ContributionEligibility,
    CoreBand,
    EligibilitySection,
    MatchBand,
    MatchTier,
    NondiscriminationSection,
    ScenarioConfig,
)

MISSING_REASON = "(missing)"
ENTRY_DATES = {
    "immediate": "on that day",
    "monthly": "on the first day of the next month",
    "quarterly": "on the first day of the next calendar quarter",
    "semi_annual": "on the next 1 January or 1 July",
}
# What a sponsor should know the figures do not include (docs/dc_plan.md describes the rules).
MODEL_LIMITS = (
    "Every account earns the same investment return each year; loans, hardship withdrawals and "
    "in-service distributions are not modelled.",
    "Employees change their deferral rate only by enrollment, automatic escalation and, when the "
    "match response is on, one move up to the full-match rate when the scenario's formula starts.",
    "The nondiscrimination tests use the plan's own deferrals and match only: no other plan of the "
    "employer, no controlled group, no 401(a)(4) rate-group test, and corrections are estimated, not made.",
    "Pay changes once a year on the review date (merit and cost of living) and on promotion; no bonuses "
    "or overtime. Employees work their scheduled hours on the days they are employed.",
    "Leavers are not rehired.",
)


@dataclass(frozen=True)
class Assumption:
    topic: str
    text: str


def percent(share: float | Decimal) -> str:
    """A share as a percentage without needless digits: 0.06 -> 6%, 0.045 -> 4.5%, 1.0 -> 100%."""
    text = f"{Decimal(str(share)) * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _day_of_year(month: int, day: int) -> str:
    return f"{day} {dt.date(2000, month, day):%B}"


def date_words(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _years(count: int, unit: str = "year") -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def tier_words(tiers: Sequence[MatchTier]) -> str:
    """A match's tiers as a sentence: "100% of the first 3% plus 50% of the next 2%" (of pay deferred)."""
    parts = []
    reached = 0.0
    for tier in sorted(tiers, key=lambda t: t.deferral_from):
        if tier.deferral_from == 0:
            parts.append(f"{percent(tier.match_rate)} of the first {percent(tier.deferral_to)}")
        elif tier.deferral_from == reached:
            parts.append(f"{percent(tier.match_rate)} of the next {percent(tier.deferral_to - tier.deferral_from)}")
        else:
            parts.append(
                f"{percent(tier.match_rate)} of deferrals between {percent(tier.deferral_from)} "
                f"and {percent(tier.deferral_to)}"
            )
        reached = tier.deferral_to
    most = sum(
        Decimal(str(t.match_rate)) * (Decimal(str(t.deferral_to)) - Decimal(str(t.deferral_from))) for t in tiers
    )
    return f"{' plus '.join(parts)} of pay deferred (at most {percent(most)} of pay)"


def _band_ranges(minimums: list[int], unit: str) -> list[str]:
    """ "0 to 4 years", "5 to 9 years", "10 years or more" from the bands' minimums."""
    ranges = []
    for index, low in enumerate(minimums):
        if index + 1 < len(minimums):
            ranges.append(f"{low} to {minimums[index + 1] - 1} {unit}")
        else:
            ranges.append(f"{low} {unit} or more")
    return ranges


def match_words(name: str, formula_type: str, bands: Sequence[MatchBand]) -> str:
    """The match formula written out, band by band where it has bands."""
    if len(bands) == 1:
        return f"{name}: {tier_words(bands[0].tiers)}."
    unit = "points (age plus years of service)" if formula_type == "points" else "years of service"
    ordered = sorted(bands, key=lambda b: b.minimum)
    ranges = _band_ranges([b.minimum for b in ordered], unit)
    return f"{name}: " + "; ".join(f"{r}: {tier_words(b.tiers)}" for r, b in zip(ranges, ordered, strict=True)) + "."


def core_words(bands: Sequence[CoreBand]) -> str:
    if len(bands) == 1:
        return f"{percent(bands[0].rate)} of pay"
    ordered = sorted(bands, key=lambda b: b.minimum_service)
    ranges = _band_ranges([b.minimum_service for b in ordered], "years of service")
    return "by years of service: " + "; ".join(
        f"{r}: {percent(b.rate)} of pay" for r, b in zip(ranges, ordered, strict=True)
    )


def eligibility_words(eligibility: EligibilitySection) -> str:
    wait = eligibility.waiting_period_days
    start = "from the hire date" if wait == 0 else f"after a waiting period of {_years(wait, 'day')} from hire"
    return f"{start} and age {eligibility.minimum_age}, entering {ENTRY_DATES[eligibility.entry_dates]}"


def allocation_words(rules: ContributionEligibility, deferrals: EligibilitySection) -> str:
    """Who receives one source of employer money: its eligibility date, hours, year-end and new-hire rules."""
    dates = rules.dates(deferrals)
    conditions = [f"at least {rules.minimum_hours:,} hours in the year"]
    if rules.require_active_at_year_end:
        conditions.append("employed on 31 December")
    conditions.append("new hires included" if rules.include_new_hires else "not in the year of hire")
    return f"On pay earned {eligibility_words(dates)}; needs {', '.join(conditions)}."


def vesting_words(schedule: str, years: int, applied: dict[int, Decimal]) -> str:
    """The schedule's name and its vested share by whole years of service, as the results applied it.

    The shares come from the simulated employees (the rule itself is in SQL, macros/vesting.sql):
    every year of service up to the first at 100%, then "or more".
    """
    name = {
        "immediate": "Immediate",
        "cliff": f"Cliff after {_years(years)}",
        "graded": f"Graded over {_years(years)}",
        "qaca": "QACA (all after 2 years)",
    }[schedule]
    if not applied:
        return f"{name}; no employee in the results to show the shares."
    last = next((service for service, share in sorted(applied.items()) if share >= 1), max(applied))
    steps = []
    for service in range(0, last + 1):
        share = applied.get(service)
        shown = percent(share) if share is not None else "no employee with this service"
        steps.append(f"{_years(service)}{' or more' if service == last else ''}: {shown}")
    return f"{name}. Vested share by whole years of service: {', '.join(steps)}."


def balances_words(balances: BalancesSection) -> str:
    leavers = (
        f"{percent(balances.leaver_distribution_rate)} of leavers take their vested balance out when they "
        "leave; the others keep it in the plan"
        if balances.leaver_distribution_rate
        else "Leavers keep their vested balance in the plan"
    )
    return (
        f"Accounts start from the census balances and earn {percent(balances.investment_return_rate)} a year, "
        "credited on 31 December (the balance on 1 January all of it, the year's deferrals half of it, "
        f"employer money allocated at year end none). {leavers}."
    )


def nondiscrimination_words(tests: NondiscriminationSection) -> str:
    method = (
        "prior-year testing (the HCEs against last year's NHCE averages; "
        f"{percent(tests.prior_year_nhce_adp_rate)} ADP and {percent(tests.prior_year_nhce_acp_rate)} ACP "
        "before the first year)"
        if tests.testing_method == "prior_year"
        else "current-year testing (the HCEs against this year's NHCE averages)"
    )
    top_paid = ", within the top-paid 20%" if tests.top_paid_group_election else ""
    return (
        "HCEs are 5% owners and those paid above the look-back year's threshold in the look-back year"
        f"{top_paid}. ADP and ACP tests by {method}; the top-heavy test on the balances of 31 December "
        "of the year before."
    )


def _value_words(value: Any) -> str:
    if isinstance(value, bool):
        return BOOLEAN_TEXT[value]
    if isinstance(value, float):
        return percent(value)  # every decimal parameter of a scenario is a share (scenario_config.py)
    if value is None:
        return "(not set)"
    return str(cell_value(value))


def override_words(path: str, base_value: Any, scenario_value: Any, reason: str | None) -> Assumption:
    return Assumption(
        f"Changed: {path}",
        f"{_value_words(base_value)} in the base scenario, {_value_words(scenario_value)} here. "
        f"Reason: {reason or MISSING_REASON}",
    )


@dataclass(frozen=True)
class CensusFacts:
    records: int
    active: int
    file_name: str
    sha256: str


def census_facts(con: duckdb.DuckDBPyConnection, file_name: str, sha256: str) -> CensusFacts:
    records, active = con.sql("select count(*), count(*) filter (where active) from census").fetchall()[0]
    return CensusFacts(records, active, file_name, sha256)


def applied_vesting(con: duckdb.DuckDBPyConnection) -> dict[int, Decimal]:
    """The vested share the results give each whole year of vesting service."""
    rows = con.sql(
        "select vesting_service_years, max(vested_rate) from fct_workforce_snapshot group by all order by 1"
    ).fetchall()
    return dict(rows)


def last_published_limits_year(con: duckdb.DuckDBPyConnection) -> int:
    return con.sql("select max(plan_year) from irs_limits").fetchall()[0][0]


def read_assumptions(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any], overrides: Sequence[tuple[str, Any, Any, str | None]]
) -> list[Assumption]:
    """A simulated scenario's assumptions, from the parameters stored with its results and its warehouse."""
    config = configuration_used(parameters)
    census = Path(census_file(config))
    return scenario_assumptions(
        config,
        census_facts(con, census.name, file_sha256(census)),
        applied_vesting(con),
        last_published_limits_year(con),
        overrides,
    )


def scenario_assumptions(
    config: ScenarioConfig,
    census: CensusFacts,
    vesting: dict[int, Decimal],
    limits_published_to: int,
    overrides: Sequence[tuple[str, Any, Any, str | None]],
) -> list[Assumption]:
    """Every assumption of the scenario as (topic, sentence), in the order a sponsor reads them."""
    sim, workforce, pay = config.simulation, config.workforce, config.compensation
    auto, voluntary = config.enrollment.auto_enrollment, config.enrollment.voluntary_enrollment
    escalation, match, core = config.deferral_escalation, config.employer_match, config.employer_core
    census_date = config.census_date
    rows = [
        Assumption(
            "Scenario",
            f"{config.scenario_id} (plan design {config.plan_design_id}): "
            f"{config.scenario.description or 'no description'}",
        ),
        Assumption(
            "Years",
            f"{sim.start_year} to {sim.end_year} ({_years(len(config.years))}), random seed "
            f"{sim.random_seed}; scenarios with the same seed share their random draws.",
        ),
        Assumption(
            "Census",
            f"{census.records:,} records, {census.active:,} active at the census date "
            f"{date_words(census_date)}. File {census.file_name}, SHA-256 {census.sha256}.",
        ),
        Assumption("Workforce growth", f"Active headcount grows {percent(sim.target_growth_rate)} a year."),
        Assumption(
            "Terminations",
            f"{percent(workforce.total_termination_rate)} of employees active on 1 January "
            "leave during the year (chosen by age, service and level); "
            f"{percent(workforce.new_hire_termination_rate)} of new hires leave in their first year.",
        ),
        Assumption(
            "Promotions",
            f"Promotion probability {percent(workforce.promotion_base_rate)} a year before "
            "adjustment for age, service and level; a promotion raises pay by "
            f"{percent(pay.promotion_raise_rate)}.",
        ),
        Assumption(
            "Pay increases",
            f"Merit budget {percent(pay.merit_budget)} plus cost of living "
            f"{percent(pay.cola_rate)}, on {_day_of_year(pay.review_month, pay.review_day)} each year.",
        ),
        Assumption("Eligibility to defer", f"Employees may defer {eligibility_words(config.eligibility)}."),
    ]
    if auto.enabled:
        if auto.scope == "all_eligible_employees":
            who = "All eligible employees who are not deferring"
        elif auto.hire_date_cutoff:
            who = f"Eligible employees hired on or after {date_words(auto.hire_date_cutoff)}"
        else:
            who = "Eligible new hires"
        text = (
            f"{who} are enrolled at a deferral rate of {percent(auto.default_deferral_rate)} "
            f"{_years(auto.window_days, 'day')} after becoming eligible unless they opt out "
            f"(opt-out probability {percent(auto.opt_out_rate)} before adjustment for age and pay)."
        )
    else:
        text = "Not used."
    rows.append(Assumption("Auto-enrollment", text))
    rows.append(
        Assumption(
            "Voluntary enrollment",
            f"Each year {percent(voluntary.annual_enrollment_probability)} of eligible employees who are not "
            "enrolled enroll by their own choice (before adjustment for age and pay), at a deferral rate "
            "by age and pay."
            if voluntary.enabled
            else "Not used.",
        )
    )
    if escalation.enabled:
        text = (
            f"On {_day_of_year(escalation.effective_month, escalation.effective_day)} each year deferral rates "
            f"rise by {percent(escalation.increment)} up to {percent(escalation.maximum_rate)}, from "
            f"{_years(escalation.delay_years)} after enrollment"
            + (
                f", for employees hired on or after {date_words(escalation.hire_date_cutoff)}"
                if escalation.hire_date_cutoff
                else ""
            )
            + f"; {percent(escalation.opt_out_rate)} of employees opt out of the increases."
        )
    else:
        text = "Not used."
    rows.append(Assumption("Automatic escalation", text))
    formula = match.formula()
    rows.append(Assumption("Employer match", match_words(match.active_formula, formula.type, formula.resolved_bands())))
    rows.append(Assumption("Match eligibility", allocation_words(match.eligibility, config.eligibility)))
    if core.enabled:
        words = core_words(core.resolved_bands())
        rows.append(Assumption("Employer core", f"{words[:1].upper()}{words[1:]}."))
        rows.append(Assumption("Core eligibility", allocation_words(core.eligibility, config.eligibility)))
    else:
        rows.append(Assumption("Employer core", "Not used."))
    rows.append(Assumption("Vesting", vesting_words(config.vesting.schedule, config.vesting.years, vesting)))
    rows.append(
        Assumption(
            "IRS limits",
            f"Published limits up to {limits_published_to}; later years are projected at "
            f"{percent(config.irs_limits.projection_rate)} a year, rounded down to the IRS's increments, "
            "and are estimates.",
        )
    )
    rows.append(Assumption("Balances", balances_words(config.balances)))
    rows.append(Assumption("Nondiscrimination tests", nondiscrimination_words(config.nondiscrimination)))
    rows.append(
        Assumption(
            "Match response",
            f"On 1 January {sim.start_year}, {percent(config.match_response.probability)} of enrolled employees "
            "deferring less than the rate that earns the whole match (before adjustment for age and pay) "
            "move up to it; the others keep their rate."
            if config.match_response.enabled
            else "Not used: deferral rates do not respond to the match formula.",
        )
    )
    rows.extend(override_words(*override) for override in overrides)
    rows.extend(Assumption("Not modelled", limit) for limit in MODEL_LIMITS)
    return rows
