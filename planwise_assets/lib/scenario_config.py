"""A scenario's typed configuration and the safe-id rule.

A scenario id becomes a DuckDB file name, a Dagster partition key and a dbt variable, so
it is validated once, here, before anything is created for it. The sections follow the
seed format (`scenario`, `simulation`, `enrollment`, `employer_match`); reading files,
inheritance (`base_config`) and the override register are in scenario_files.py.

Every decimal parameter is a share of 1 (0.06 is 6%): a rate, a probability, a budget, a tier's
bounds; the outputs show each as a percentage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from planwise_assets.lib.scenario_id import validate_scenario_id

# The years a scenario may simulate: the partitions' year axis and the schema's bounds.
FIRST_SIMULATION_YEAR = 2020
LAST_SIMULATION_YEAR = 2050
# Seeds are 64-bit in the SQL draws and in numpy; a census larger than this is not a workforce.
MAX_SEED = 2**63 - 1
MAX_CENSUS_EMPLOYEES = 10_000_000
# An ensemble's replicates are simulated together, so its tables hold employees x replicates
# rows a year: 1,000 replicates of a 10,000-employee census is a 10,000,000-employee run.
MAX_REPLICATES = 1000


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioSection(_Section):
    name: str
    description: str = ""
    plan_design_id: str = "standard"


class SimulationSection(_Section):
    start_year: int = Field(ge=FIRST_SIMULATION_YEAR, le=LAST_SIMULATION_YEAR)
    end_year: int = Field(ge=FIRST_SIMULATION_YEAR, le=LAST_SIMULATION_YEAR)
    random_seed: int = Field(ge=0, le=MAX_SEED)
    target_growth_rate: float = Field(ge=-0.5, le=1)
    # futures simulated together, each from its own stream of draws (seed, replicate);
    # replicate 0 is the single run (docs/ensembles.md)
    replicates: int = Field(default=1, ge=1, le=MAX_REPLICATES)

    @field_validator("end_year")
    @classmethod
    def _end_not_before_start(cls, end_year: int, info: ValidationInfo) -> int:
        start_year = info.data.get("start_year")
        if start_year is not None and end_year < start_year:
            raise ValueError(f"end_year {end_year} is before start_year {start_year}")
        return end_year


class WorkforceSection(_Section):
    total_termination_rate: float = Field(default=0.12, ge=0, le=1)
    new_hire_termination_rate: float = Field(default=0.25, ge=0, lt=1)
    promotion_base_rate: float = Field(default=0.10, ge=0, le=1)


class CompensationSection(_Section):
    cola_rate: float = Field(default=0.01, ge=0, le=0.5)
    merit_budget: float = Field(default=0.03, ge=0, le=0.5)
    promotion_raise_rate: float = Field(default=0.20, ge=0, le=1)
    review_month: int = Field(default=7, ge=1, le=12)
    review_day: int = Field(default=1, ge=1, le=28)


class CensusSection(_Section):
    path: Path | None = None
    employees: int = Field(default=10_000, ge=1, le=MAX_CENSUS_EMPLOYEES)
    seed: int = Field(default=42, ge=0, le=MAX_SEED)


# when a newly eligible employee enters: on the day, or on the first day of the next month,
# calendar quarter or half-year (IRC 410(a)(4) allows at most the next half-year)
EntryDates = Literal["immediate", "monthly", "quarterly", "semi_annual"]


class EligibilitySection(_Section):
    """Eligibility to defer; also the default for the match's and the core contribution's."""

    waiting_period_days: int = Field(default=0, ge=0, le=730)
    minimum_age: int = Field(default=21, ge=0, le=21)
    entry_dates: EntryDates = "immediate"


class AutoEnrollmentSection(_Section):
    enabled: bool = False
    scope: Literal["new_hires_only", "all_eligible_employees"] = "new_hires_only"
    hire_date_cutoff: dt.date | None = None
    default_deferral_rate: float = Field(default=0.06, ge=0, le=0.5)
    window_days: int = Field(default=45, ge=0, le=365)
    # base opt-out probability; scaled by age and pay band (seed opt_out_multipliers)
    opt_out_rate: float = Field(default=0.10, ge=0, le=1)


class VoluntaryEnrollmentSection(_Section):
    enabled: bool = True
    # yearly probability that an eligible non-participant enrolls, scaled by age and pay
    # band (seed voluntary_enrollment); the rate chosen comes from the same seed
    annual_enrollment_probability: float = Field(default=0.60, ge=0, le=1)


class EnrollmentSection(_Section):
    auto_enrollment: AutoEnrollmentSection = AutoEnrollmentSection()
    voluntary_enrollment: VoluntaryEnrollmentSection = VoluntaryEnrollmentSection()


class DeferralEscalationSection(_Section):
    enabled: bool = False
    increment: float = Field(default=0.01, gt=0, le=0.1)
    maximum_rate: float = Field(default=0.10, gt=0, le=0.5)
    delay_years: int = Field(default=1, ge=0, le=10)
    effective_month: int = Field(default=1, ge=1, le=12)
    effective_day: int = Field(default=1, ge=1, le=28)
    hire_date_cutoff: dt.date | None = None
    # share of employees who opt out of escalation for good (drawn once per employee-year)
    opt_out_rate: float = Field(default=0.0, ge=0, le=1)


class MatchTier(_Section):
    """The match rate on the slice of the deferral rate between deferral_from and deferral_to."""

    deferral_from: float = Field(ge=0, le=1)
    deferral_to: float = Field(gt=0, le=1)
    match_rate: float = Field(ge=0, le=2)


class MatchBand(_Section):
    """Tiers that apply from a number of years of service (service-graded) or points (age + service)."""

    minimum: int = Field(default=0, ge=0)
    tiers: list[MatchTier]


class MatchFormula(_Section):
    type: Literal["simple", "tiered", "stretch", "safe_harbor_basic", "qaca", "service_graded", "points"]
    tiers: list[MatchTier] = []
    bands: list[MatchBand] = []

    @model_validator(mode="after")
    def _has_tiers(self) -> MatchFormula:
        graded = self.type in {"service_graded", "points"}
        if graded and not self.bands:
            raise ValueError(f"a {self.type} formula needs bands")
        if not graded and not self.tiers:
            raise ValueError(f"a {self.type} formula needs tiers")
        return self

    def resolved_bands(self) -> list[MatchBand]:
        return self.bands if self.bands else [MatchBand(minimum=0, tiers=self.tiers)]


def _tiers(*slices: tuple[float, float, float]) -> list[MatchTier]:
    return [MatchTier(deferral_from=a, deferral_to=b, match_rate=r) for a, b, r in slices]


BUILT_IN_MATCH_FORMULAS: dict[str, MatchFormula] = {
    "simple_match": MatchFormula(type="simple", tiers=_tiers((0, 0.06, 0.5))),
    "tiered_match": MatchFormula(type="tiered", tiers=_tiers((0, 0.03, 1.0), (0.03, 0.05, 0.5))),
    "stretch_match": MatchFormula(type="stretch", tiers=_tiers((0, 0.12, 0.25))),
    # IRC 401(k)(12)(B)(i): 100% of the first 3% plus 50% of the next 2%
    "safe_harbor_basic": MatchFormula(type="safe_harbor_basic", tiers=_tiers((0, 0.03, 1.0), (0.03, 0.05, 0.5))),
    # IRC 401(k)(13)(D)(i): 100% of the first 1% plus 50% of the next 5%
    "qaca_match": MatchFormula(type="qaca", tiers=_tiers((0, 0.01, 1.0), (0.01, 0.06, 0.5))),
    "service_graded_match": MatchFormula(
        type="service_graded",
        bands=[
            MatchBand(minimum=0, tiers=_tiers((0, 0.06, 0.5))),
            MatchBand(minimum=5, tiers=_tiers((0, 0.06, 0.75))),
            MatchBand(minimum=10, tiers=_tiers((0, 0.06, 1.0))),
        ],
    ),
    "points_match": MatchFormula(
        type="points",
        bands=[
            MatchBand(minimum=0, tiers=_tiers((0, 0.04, 0.5))),
            MatchBand(minimum=50, tiers=_tiers((0, 0.05, 0.75))),
            MatchBand(minimum=70, tiers=_tiers((0, 0.06, 1.0))),
        ],
    ),
}


class ContributionEligibility(_Section):
    """Who receives one source of employer money, and on which pay.

    Pay counts from the eligibility date that the waiting period, minimum age and entry dates
    give (each, when not set, as for deferrals: the `eligibility` section); in a year the
    employee also needs the minimum hours, to be active at year end and, if hired that year,
    that new hires are included.
    """

    waiting_period_days: int | None = Field(default=None, ge=0, le=730)
    minimum_age: int | None = Field(default=None, ge=0, le=21)
    entry_dates: EntryDates | None = None
    minimum_hours: int = Field(default=1000, ge=0, le=2080)
    require_active_at_year_end: bool = True
    include_new_hires: bool = True

    def dates(self, deferrals: EligibilitySection) -> EligibilitySection:
        """The waiting period, minimum age and entry dates in force, those not set taken from deferrals'."""
        own = self.model_dump(include={"waiting_period_days", "minimum_age", "entry_dates"}, exclude_none=True)
        return deferrals.model_copy(update=own)


class EmployerMatchSection(_Section):
    active_formula: str = "simple_match"
    formulas: dict[str, MatchFormula] = {}
    eligibility: ContributionEligibility = ContributionEligibility()

    @model_validator(mode="after")
    def _formula_exists(self) -> EmployerMatchSection:
        known = {**BUILT_IN_MATCH_FORMULAS, **self.formulas}
        if self.active_formula not in known:
            raise ValueError(f"active_formula {self.active_formula!r} is not one of {sorted(known)}")
        return self

    def formula(self) -> MatchFormula:
        return {**BUILT_IN_MATCH_FORMULAS, **self.formulas}[self.active_formula]


class CoreBand(_Section):
    minimum_service: int = Field(default=0, ge=0)
    rate: float = Field(ge=0, le=0.25)


class EmployerCoreSection(_Section):
    enabled: bool = False
    type: Literal["flat", "service_graded"] = "flat"
    rate: float = Field(default=0.03, ge=0, le=0.25)
    bands: list[CoreBand] = []
    eligibility: ContributionEligibility = ContributionEligibility()

    def resolved_bands(self) -> list[CoreBand]:
        return self.bands if self.type == "service_graded" else [CoreBand(minimum_service=0, rate=self.rate)]

    @model_validator(mode="after")
    def _graded_needs_bands(self) -> EmployerCoreSection:
        if self.type == "service_graded" and not self.bands:
            raise ValueError("a service_graded core contribution needs bands")
        return self


class VestingSection(_Section):
    schedule: Literal["immediate", "cliff", "graded", "qaca"] = "graded"
    years: int = Field(default=5, ge=1, le=6)


class BalancesSection(_Section):
    """How account balances roll forward (docs/dc_plan.md, rule 10)."""

    # the year's investment return, credited on 31 December: the balance at the start of the
    # year earns all of it, the year's deferrals half of it (made through the year), employer
    # money allocated at year end none; a negative rate is a loss
    investment_return_rate: float = Field(default=0.0, ge=-0.5, le=0.5)
    # share of the year's leavers who take their vested balance out when they leave (a seeded
    # draw per leaver); the others keep it in the plan, where it goes on earning the return
    leaver_distribution_rate: float = Field(default=0.0, ge=0, le=1)


class NondiscriminationSection(_Section):
    """The yearly HCE determination and ADP/ACP tests (docs/dc_plan.md, rules 11 to 13)."""

    # the NHCE averages the HCEs are compared with: this year's, or last year's (IRC 401(k)(3)(A))
    testing_method: Literal["current_year", "prior_year"] = "current_year"
    # IRC 414(q)(1)(B)(ii): pay above the threshold makes an HCE only within the top 20% by pay
    top_paid_group_election: bool = False
    # the NHCE averages of the year before the first simulated one, for the prior-year method;
    # 3% is what IRC 401(k)(3)(E) and 401(m)(3) deem for a plan's first year
    prior_year_nhce_adp_rate: float = Field(default=0.03, ge=0, le=1)
    prior_year_nhce_acp_rate: float = Field(default=0.03, ge=0, le=1)


class MatchResponseSection(_Section):
    """Employees who raise their deferral to the rate earning the full match when the formula changes.

    The scenario's formula takes effect on 1 January of its first year: an enrolled employee
    deferring less than the rate that earns the whole match moves up to it with this probability
    times age and pay band multipliers (seed match_response_multipliers); the others keep
    their rate (docs/dc_plan.md, rule 15).
    """

    enabled: bool = False
    # a quarter of those below the full-match rate: an assumption to calibrate against the
    # sponsor's own experience of a formula change
    probability: float = Field(default=0.25, ge=0, le=1)


class IrsLimitsSection(_Section):
    # growth assumed for limits after the last published year, before statutory rounding
    projection_rate: float = Field(default=0.025, ge=0, le=0.1)


class ScenarioConfig(_Section):
    """One resolved scenario: everything the simulation reads, with its defaults filled in."""

    scenario: ScenarioSection
    simulation: SimulationSection
    workforce: WorkforceSection = WorkforceSection()
    compensation: CompensationSection = CompensationSection()
    census: CensusSection = CensusSection()
    eligibility: EligibilitySection = EligibilitySection()
    enrollment: EnrollmentSection = EnrollmentSection()
    deferral_escalation: DeferralEscalationSection = DeferralEscalationSection()
    employer_match: EmployerMatchSection = EmployerMatchSection()
    employer_core: EmployerCoreSection = EmployerCoreSection()
    vesting: VestingSection = VestingSection()
    balances: BalancesSection = BalancesSection()
    nondiscrimination: NondiscriminationSection = NondiscriminationSection()
    match_response: MatchResponseSection = MatchResponseSection()
    irs_limits: IrsLimitsSection = IrsLimitsSection()

    @property
    def scenario_id(self) -> str:
        return self.scenario.name

    @property
    def plan_design_id(self) -> str:
        return self.scenario.plan_design_id

    @property
    def years(self) -> list[int]:
        return list(range(self.simulation.start_year, self.simulation.end_year + 1))

    @property
    def census_date(self) -> dt.date:
        """The census is taken on the last day before the first simulated year."""
        return dt.date(self.simulation.start_year - 1, 12, 31)

    @model_validator(mode="after")
    def _safe_ids(self) -> ScenarioConfig:
        validate_scenario_id(self.scenario.name)
        validate_scenario_id(self.scenario.plan_design_id)
        return self
