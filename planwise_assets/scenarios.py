"""Scenario files: the safe-id rule, the typed configuration, inheritance and the override register.

A scenario id becomes a DuckDB file name, a Dagster partition key and a dbt variable, so
it is validated once, here, before anything is created for it. The sections follow the
seed format (`scenario`, `simulation`, `enrollment`, `employer_match`, `base_config`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from planwise_assets.errors import ScenarioFileError, UnsafeScenarioName

SCENARIO_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_SCENARIO_FILE_BYTES = 1024 * 1024
# The years a scenario may simulate: the year partitions (planwise_assets.partitions) offer
# exactly these, and the IRS limits seed is published from the first.
FIRST_SIMULATION_YEAR = 2020
LAST_SIMULATION_YEAR = 2050


def validate_scenario_id(scenario_id: str) -> str:
    """Return the id unchanged if it is safe as a file name and partition key, else raise."""
    if not isinstance(scenario_id, str) or not SCENARIO_ID_PATTERN.fullmatch(scenario_id):
        raise UnsafeScenarioName(
            f"scenario id {scenario_id!r} is not allowed: use a lower-case letter followed by "
            "up to 63 lower-case letters, digits or underscores"
        )
    return scenario_id


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioSection(_Section):
    name: str
    description: str = ""
    plan_design_id: str = "standard"


class SimulationSection(_Section):
    start_year: int = Field(ge=FIRST_SIMULATION_YEAR, le=LAST_SIMULATION_YEAR)
    end_year: int = Field(ge=FIRST_SIMULATION_YEAR, le=LAST_SIMULATION_YEAR)
    random_seed: int = Field(ge=0)
    target_growth_rate: float = Field(ge=-0.5, le=1)

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
    employees: int = Field(default=10_000, ge=1)
    seed: int = Field(default=42, ge=0)


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


class Override(BaseModel):
    """One leaf that a scenario changes from its base (the "scenario item profile" of seed 002)."""

    path: str
    base_value: Any
    scenario_value: Any
    reason: str = ""


class LoadedScenario(BaseModel):
    path: Path
    config: ScenarioConfig
    overrides: list[Override]
    base_chain: list[Path]


# keys that belong to the file, not to the simulation
FILE_KEYS = ("base_config", "override_reasons")


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ScenarioFileError(f"{path}: cannot read: {error.strerror}") from error
    if size > MAX_SCENARIO_FILE_BYTES:
        raise ScenarioFileError(f"{path}: {size} bytes is more than the 1 MiB a scenario file may have")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ScenarioFileError(f"{path}:{where} is not valid YAML: {getattr(error, 'problem', error)}") from error
    if raw is None:
        raise ScenarioFileError(f"{path}: the file is empty")
    if not isinstance(raw, dict):
        raise ScenarioFileError(f"{path}: a scenario file must be a mapping of sections, not {type(raw).__name__}")
    return raw


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override's leaves replace base's; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a nested mapping by dotted path (lists are leaves)."""
    if isinstance(document, dict):
        found: dict[str, Any] = {}
        for key, value in document.items():
            found.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    return {prefix: document}


def _resolve_document(path: Path, scenarios_root: Path, chain: list[Path]) -> tuple[dict[str, Any], list[Path]]:
    """The file's document merged onto its base chain; returns (merged document, chain of bases)."""
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in [*chain, path])
        raise ScenarioFileError(f"{chain[0]}: base_config: cycle {cycle}")
    raw = _read_mapping(path)
    base_name = raw.get("base_config")
    own = {key: value for key, value in raw.items() if key not in FILE_KEYS}
    census = own.get("census")
    if isinstance(census, dict) and isinstance(census.get("path"), str):
        # a census path is relative to the file that names it
        own["census"] = {**census, "path": str((path.parent / census["path"]).resolve())}
    if base_name is None:
        return own, []
    if not isinstance(base_name, str):
        raise ScenarioFileError(f"{path}: base_config: must be a file name")
    base_path = (path.parent / base_name).resolve()
    if not base_path.is_relative_to(scenarios_root):
        raise ScenarioFileError(f"{path}: base_config: {base_name} is outside the scenarios folder {scenarios_root}")
    if not base_path.is_file():
        raise ScenarioFileError(f"{path}: base_config: {base_name} does not exist")
    base_document, base_chain = _resolve_document(base_path, scenarios_root, [*chain, path])
    if "scenario" in base_document:
        # the scenario's identity is its own: name, description and plan design are never inherited
        base_document = {**base_document, "scenario": {}}
    return deep_merge(base_document, own), [base_path, *base_chain]


def _field_hint(error: dict[str, Any]) -> str:
    """For an unknown key, the closest valid key of that section."""
    if error["type"] != "extra_forbidden":
        return ""
    model: type[BaseModel] = ScenarioConfig
    for part in error["loc"][:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None) if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(str(error["loc"][-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_scenario_file(path: Path, scenarios_root: Path | None = None) -> LoadedScenario:
    """Read, inherit, validate one scenario file; any problem raises one ScenarioFileError naming file and key."""
    path = Path(path).resolve()
    root = (scenarios_root or path.parent).resolve()
    document, chain = _resolve_document(path, root, [])
    try:
        config = ScenarioConfig.model_validate(document)
    except UnsafeScenarioName as error:
        raise ScenarioFileError(f"{path}: scenario.name: {error}") from error
    except ValidationError as error:
        # one line per problem, each naming the file and the dotted key
        problems = "\n".join(
            f"{path}: {'.'.join(str(part) for part in issue['loc']) or '(top level)'}: "
            f"{issue['msg'].removeprefix('Value error, ')}{_field_hint(issue)}"
            for issue in error.errors()
        )
        raise ScenarioFileError(problems) from error
    overrides: list[Override] = []
    if chain:
        reasons = _read_mapping(path).get("override_reasons") or {}
        base = load_scenario_file(chain[0], root).config
        base_leaves = flatten(base.model_dump(mode="json"))
        for key, value in flatten(config.model_dump(mode="json")).items():
            if key.startswith("scenario.") or base_leaves.get(key) == value:
                continue
            overrides.append(
                Override(path=key, base_value=base_leaves.get(key), scenario_value=value, reason=reasons.get(key, ""))
            )
    return LoadedScenario(path=path, config=config, overrides=overrides, base_chain=chain)


def load_scenario(path: Path) -> ScenarioConfig:
    return load_scenario_file(path).config


def discover_scenarios(scenarios_dir: Path) -> dict[str, Path]:
    """Map each valid scenario id to its file; invalid files are left to validate_folder to report."""
    found, _ = validate_folder(scenarios_dir)
    return {scenario_id: loaded.path for scenario_id, loaded in found.items()}


def validate_folder(
    scenarios_dir: Path, paths: list[Path] | None = None
) -> tuple[dict[str, LoadedScenario], list[str]]:
    """Load every scenario file; returns the valid ones by id and one line per problem."""
    files = sorted(paths) if paths else sorted(Path(scenarios_dir).glob("*.yaml"))
    valid: dict[str, LoadedScenario] = {}
    first_file: dict[str, Path] = {}
    problems: list[str] = []
    for path in files:
        try:
            loaded = load_scenario_file(path, scenarios_dir)
        except ScenarioFileError as error:
            problems.append(str(error))
            continue
        scenario_id = loaded.config.scenario_id
        if scenario_id in first_file:
            # two files claim one id: neither runs, since either could be the intended one
            problems.append(f"{path}: scenario.name: {scenario_id!r} is also defined by {first_file[scenario_id].name}")
            valid.pop(scenario_id, None)
            continue
        first_file[scenario_id] = loaded.path
        valid[scenario_id] = loaded
    return valid, problems
