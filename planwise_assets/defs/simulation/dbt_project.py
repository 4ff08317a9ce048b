"""The dbt project: its location, how a scenario-year becomes dbt variables, and its manifest."""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planwise_assets.lib.data_root import REPO_ROOT, warehouse_path
from planwise_assets.lib.scenario_config import EligibilitySection, ScenarioConfig

DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DBT_TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = DBT_TARGET_DIR / "manifest.json"


def dbt_vars(config: ScenarioConfig, year: int) -> dict[str, Any]:
    """The dbt variables for one scenario-year: every parameter the SQL reads, from the typed config.

    The warehouse path is a variable too (the profile attaches it), so that the file a dbt
    invocation writes is decided by warehouse_path() like every other access.
    """
    return {
        "warehouse_path": str(warehouse_path(config.scenario_id)),
        "scenario_id": config.scenario_id,
        "plan_design_id": config.plan_design_id,
        "simulation_year": year,
        "start_year": config.simulation.start_year,
        "random_seed": config.simulation.random_seed,
        "replicates": config.simulation.replicates,
        "target_growth_rate": config.simulation.target_growth_rate,
        "total_termination_rate": config.workforce.total_termination_rate,
        "new_hire_termination_rate": config.workforce.new_hire_termination_rate,
        "promotion_base_rate": config.workforce.promotion_base_rate,
        "cola_rate": config.compensation.cola_rate,
        "merit_budget": config.compensation.merit_budget,
        "promotion_raise_rate": config.compensation.promotion_raise_rate,
        "review_month": config.compensation.review_month,
        "review_day": config.compensation.review_day,
        **_plan_vars(config),
    }


def _date_or_none(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _eligibility_vars(prefix: str, eligibility: EligibilitySection) -> dict[str, Any]:
    return {
        f"{prefix}_waiting_period_days": eligibility.waiting_period_days,
        f"{prefix}_minimum_age": eligibility.minimum_age,
        f"{prefix}_entry_dates": eligibility.entry_dates,
    }


def _plan_vars(config: ScenarioConfig) -> dict[str, Any]:
    """The DC plan's parameters; formulas become rows that the SQL reads as a VALUES table."""
    auto = config.enrollment.auto_enrollment
    voluntary = config.enrollment.voluntary_enrollment
    escalation = config.deferral_escalation
    match = config.employer_match
    core = config.employer_core
    formula = match.formula()
    return {
        **_eligibility_vars("eligibility", config.eligibility),
        **_eligibility_vars("match_eligibility", match.eligibility.dates(config.eligibility)),
        **_eligibility_vars("core_eligibility", core.eligibility.dates(config.eligibility)),
        "auto_enrollment_enabled": auto.enabled,
        "auto_enrollment_scope": auto.scope,
        "auto_enrollment_hire_date_cutoff": _date_or_none(auto.hire_date_cutoff),
        "auto_enrollment_default_deferral_rate": auto.default_deferral_rate,
        "auto_enrollment_window_days": auto.window_days,
        "auto_enrollment_opt_out_rate": auto.opt_out_rate,
        "voluntary_enrollment_enabled": voluntary.enabled,
        "voluntary_enrollment_probability": voluntary.annual_enrollment_probability,
        "escalation_enabled": escalation.enabled,
        "escalation_increment": escalation.increment,
        "escalation_maximum_rate": escalation.maximum_rate,
        "escalation_delay_years": escalation.delay_years,
        "escalation_effective_month": escalation.effective_month,
        "escalation_effective_day": escalation.effective_day,
        "escalation_hire_date_cutoff": _date_or_none(escalation.hire_date_cutoff),
        "escalation_opt_out_rate": escalation.opt_out_rate,
        "match_formula": match.active_formula,
        "match_formula_type": formula.type,
        "match_basis": {"service_graded": "service", "points": "points"}.get(formula.type, "none"),
        "match_tiers": [
            {
                "band_minimum": band.minimum,
                "deferral_from": tier.deferral_from,
                "deferral_to": tier.deferral_to,
                "match_rate": tier.match_rate,
            }
            for band in formula.resolved_bands()
            for tier in band.tiers
        ],
        "match_minimum_hours": match.eligibility.minimum_hours,
        "match_requires_active_at_year_end": match.eligibility.require_active_at_year_end,
        "match_includes_new_hires": match.eligibility.include_new_hires,
        "core_enabled": core.enabled,
        "core_bands": [{"minimum_service": b.minimum_service, "rate": b.rate} for b in core.resolved_bands()],
        "core_minimum_hours": core.eligibility.minimum_hours,
        "core_requires_active_at_year_end": core.eligibility.require_active_at_year_end,
        "core_includes_new_hires": core.eligibility.include_new_hires,
        "vesting_schedule": config.vesting.schedule,
        "vesting_years": config.vesting.years,
        "investment_return_rate": config.balances.investment_return_rate,
        "leaver_distribution_rate": config.balances.leaver_distribution_rate,
        "testing_method": config.nondiscrimination.testing_method,
        "top_paid_group_election": config.nondiscrimination.top_paid_group_election,
        "prior_year_nhce_adp_rate": config.nondiscrimination.prior_year_nhce_adp_rate,
        "prior_year_nhce_acp_rate": config.nondiscrimination.prior_year_nhce_acp_rate,
        "match_response_enabled": config.match_response.enabled,
        "match_response_probability": config.match_response.probability,
        "irs_projection_rate": config.irs_limits.projection_rate,
    }


def parse_vars() -> dict[str, Any]:
    """Variables used when parsing: parsing renders every model once, on its first-year branch.

    They must not change between parses (dbt re-parses everything when vars change), so the
    warehouse path, which depends on $PLANWISE_HOME, is a fixed placeholder: parsing never
    opens the database.
    """
    reference = ScenarioConfig.model_validate(
        {
            "scenario": {"name": "parse"},
            "simulation": {"start_year": 2025, "end_year": 2025, "random_seed": 0, "target_growth_rate": 0},
        }
    )
    return {**dbt_vars(reference, 2025), "warehouse_path": "parse-only.duckdb"}


def dbt_args(command: str, variables: dict[str, Any], threads: int | None = None) -> list[str]:
    """CLI arguments for an in-process dbt call on this project.

    By default dbt runs the profile's two models at a time and DuckDB uses all cores. With
    `threads`, both are pinned to that number (the profile's target `pinned_threads`): results
    must not depend on it, and tests/test_determinism.py checks that they do not.
    """
    pinned: list[str] = []
    if threads is not None:
        pinned = ["--threads", str(threads), "--target", "pinned_threads"]
        variables = {**variables, "duckdb_threads": threads}
    return [
        command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(variables, sort_keys=True),
        "--quiet",
        *pinned,
    ]


def invoke_dbt(runner: Any, args: list[str]) -> Any:
    """Call dbtRunner.invoke on a fresh, shallow thread.

    dbt inspects the whole call stack (inspect.stack) each time it registers the adapter;
    under a Dagster run the stack is deep, which cost about 0.3 s per invocation.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbt") as pool:
        return pool.submit(runner.invoke, args).result()


def _project_mtime() -> float:
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        sources.extend(path for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file())
    return max(path.stat().st_mtime for path in sources)


def parse_project(write_manifest: bool = True) -> Any:
    """Parse the project in this process and return dbt's Manifest object.

    Parsing writes dbt's partial-parse cache and, with `write_manifest`, manifest.json (which
    Dagster reads to build the assets; about 0.2 s); a file lock keeps parallel runs from
    writing them at once. The variables are always parse_vars(), so the cache stays valid
    between calls.
    """
    from dbt.cli.main import dbtRunner  # dbt takes seconds to import; only where it runs

    DBT_TARGET_DIR.mkdir(parents=True, exist_ok=True)
    args = dbt_args("parse", parse_vars()) + ([] if write_manifest else ["--no-write-json"])
    with open(DBT_TARGET_DIR / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = invoke_dbt(dbtRunner(), args)
    if not result.success:
        raise RuntimeError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
    return result.result


def _manifest_is_current(project_mtime: float) -> bool:
    return MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= project_mtime


@functools.lru_cache(maxsize=1)
def _parsed_at(project_mtime: float) -> Any:
    return parse_project(write_manifest=not _manifest_is_current(project_mtime))


def parsed_manifest() -> Any:
    """dbt's Manifest object for the project as it is now, parsed at most once per change per process."""
    return _parsed_at(_project_mtime())


@functools.cache
def dbt_manifest() -> dict[str, Any]:
    """manifest.json, which Dagster's asset specs are built from; re-parsed first when a project file is newer.

    Called when the definitions are loaded, never at import: importing a module parses nothing.
    """
    if not _manifest_is_current(_project_mtime()):
        parse_project()
    return json.loads(MANIFEST_PATH.read_text())
