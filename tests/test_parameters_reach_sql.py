"""No silently ignored parameters: every key of the scenario schema reaches the SQL that uses it.

Structurally: changing any leaf changes the dbt variables (or, for census.*, the census
the census asset loads), and every dbt variable is read by some model or macro.
Behaviourally: for each parameter family, changing it in YAML changes the simulation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planwise_assets.defs.simulation.dbt_project import DBT_PROJECT_DIR, dbt_vars
from planwise_assets.lib.scenario_config import ScenarioConfig
from planwise_assets.lib.scenario_files import deep_merge, flatten

BASE = {
    "scenario": {"name": "params"},
    "simulation": {"start_year": 2025, "end_year": 2026, "random_seed": 42, "target_growth_rate": 0.03},
}
# these reach the data through other routes, each tested elsewhere: the scenario id names the
# file and rows, the description goes to the outputs, end_year decides which years run, and
# census.* decide the census the census asset loads
NOT_VARS = ("scenario.name", "scenario.description", "simulation.end_year", "census.")


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return round(value + 0.01, 6)


def _lowered(value):
    return value - 1 if isinstance(value, int) else round(value - 0.01, 6)


def _at(path: str, value) -> dict:
    document: dict = {}
    cursor = document
    *parents, leaf = path.split(".")
    for part in parents:
        cursor = cursor.setdefault(part, {})
    cursor[leaf] = value
    return document


def _default_leaves() -> list[tuple[str, object]]:
    config = ScenarioConfig.model_validate(deep_merge(BASE, {"deferral_escalation": {"enabled": True}}))
    return [
        (path, value)
        for path, value in flatten(config.model_dump(mode="json")).items()
        if not path.startswith(NOT_VARS) and isinstance(value, (bool, int, float)) and "formulas" not in path
    ]


@pytest.mark.parametrize(("path", "value"), _default_leaves())
def test_every_numeric_or_flag_key_changes_the_dbt_variables(path, value):
    from pydantic import ValidationError

    base = ScenarioConfig.model_validate(deep_merge(BASE, {"deferral_escalation": {"enabled": True}}))
    try:
        variant = ScenarioConfig.model_validate(deep_merge(base.model_dump(mode="json"), _at(path, _changed(value))))
    except ValidationError:  # the default is at the top of its range
        variant = ScenarioConfig.model_validate(deep_merge(base.model_dump(mode="json"), _at(path, _lowered(value))))
    assert dbt_vars(variant, 2026) != dbt_vars(base, 2026), f"{path} does not reach dbt"


def test_choices_and_dates_change_the_dbt_variables():
    base = ScenarioConfig.model_validate(BASE)
    for override in (
        {"enrollment": {"auto_enrollment": {"scope": "all_eligible_employees"}}},
        {"enrollment": {"auto_enrollment": {"hire_date_cutoff": "2025-06-01"}}},
        {"deferral_escalation": {"hire_date_cutoff": "2025-06-01"}},
        {"employer_match": {"active_formula": "qaca_match"}},
        {"employer_core": {"type": "service_graded", "bands": [{"minimum_service": 0, "rate": 0.02}]}},
        {"vesting": {"schedule": "cliff"}},
        {"nondiscrimination": {"testing_method": "prior_year"}},
        {"scenario": {"plan_design_id": "other"}},
        {"eligibility": {"entry_dates": "monthly"}},
        # match and core eligibility: unset, each follows the deferral setting; set, it is its own
        {"employer_match": {"eligibility": {"waiting_period_days": 90}}},
        {"employer_match": {"eligibility": {"minimum_age": 18}}},
        {"employer_match": {"eligibility": {"entry_dates": "quarterly"}}},
        {"employer_core": {"eligibility": {"waiting_period_days": 90}}},
        {"employer_core": {"eligibility": {"minimum_age": 18}}},
        {"employer_core": {"eligibility": {"entry_dates": "semi_annual"}}},
    ):
        variant = ScenarioConfig.model_validate(deep_merge(BASE, override))
        assert dbt_vars(variant, 2025) != dbt_vars(base, 2025), override


def test_every_dbt_variable_is_read_by_the_sql():
    sql = "\n".join(
        path.read_text()
        for folder in ("models", "macros", "tests")
        for path in (DBT_PROJECT_DIR / folder).rglob("*.sql")
    )
    sql += (DBT_PROJECT_DIR / "profiles.yml").read_text()
    unused = [name for name in dbt_vars(ScenarioConfig.model_validate(BASE), 2025) if f"'{name}'" not in sql]
    assert unused == []


FAMILIES = {
    # an ensemble: a summary row per replicate
    "replicates": ({"simulation": {"replicates": 2}}, "active_headcount_end"),
    "workforce": ({"workforce": {"total_termination_rate": 0.2}}, "experienced_terminations"),
    "compensation": ({"compensation": {"merit_budget": 0.06}}, "total_prorated_pay_amount"),
    "eligibility": ({"eligibility": {"waiting_period_days": 365}}, "eligible_actives"),
    "auto_enrollment": (
        {"enrollment": {"auto_enrollment": {"enabled": True, "scope": "all_eligible_employees"}}},
        "participation_rate",
    ),
    "voluntary_enrollment": (
        {"enrollment": {"voluntary_enrollment": {"annual_enrollment_probability": 0.1}}},
        "participation_rate",
    ),
    "deferral_escalation": ({"deferral_escalation": {"enabled": True}}, "avg_deferral_rate"),
    "employer_match": ({"employer_match": {"active_formula": "stretch_match"}}, "employer_match_amount"),
    "match_eligibility": ({"employer_match": {"eligibility": {"waiting_period_days": 730}}}, "employer_match_amount"),
    "employer_core": ({"employer_core": {"enabled": True}}, "employer_core_amount"),
    "vesting": ({"vesting": {"schedule": "immediate"}}, "forfeiture_amount"),
    "match_response": ({"match_response": {"enabled": True}}, "avg_deferral_rate"),
    "nondiscrimination": (
        {"nondiscrimination": {"testing_method": "prior_year", "prior_year_nhce_adp_rate": 0.09}},
        "fct_compliance.adp_limit_rate",
    ),
    "balances": (
        {"balances": {"investment_return_rate": 0.05, "leaver_distribution_rate": 0.5}},
        "plan_balance_amount",
    ),
    # the projected 2027 limit itself (a small census may have nobody at the limit)
    "irs_limits": ({"irs_limits": {"projection_rate": 0.0}}, "int_irs_limits.elective_deferral_limit"),
}


@pytest.fixture(scope="module")
def family_inputs(tmp_path_factory) -> Path:
    """A warehouse file with a 300-employee census and the seeds loaded, copied for each variant."""
    import duckdb

    from planwise_assets.defs.simulation.dbt_project import parsed_manifest
    from planwise_assets.defs.simulation.runner import load_seeds
    from planwise_assets.lib.census import generate_census

    folder = tmp_path_factory.mktemp("families")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PLANWISE_HOME", str(folder))
    try:
        config = ScenarioConfig.model_validate(BASE)
        frame = generate_census(300, 11, config.census_date)
        path = folder / "warehouse" / "params.duckdb"
        path.parent.mkdir(parents=True)
        with duckdb.connect(str(path)) as con:
            con.register("census_frame", frame)
            con.execute("create table census as select * from census_frame")
        load_seeds(config, parsed_manifest())
    finally:
        monkeypatch.undo()
    return path


def _simulate_summary(inputs: Path, name: str, document: dict, metric: str) -> list[tuple]:
    """Simulate a copy of the inputs as scenario `name` with dbt (the Dagster path is tested elsewhere)."""
    import shutil

    from planwise_assets.defs.simulation.assets import dbt_asset_specs
    from planwise_assets.defs.simulation.dbt_project import parsed_manifest
    from planwise_assets.defs.simulation.runner import simulate_years
    from tests.conftest import query

    config = ScenarioConfig.model_validate(deep_merge(deep_merge(BASE, {"scenario": {"name": name}}), document))
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PLANWISE_HOME", str(inputs.parent.parent))
    try:
        shutil.copy(inputs, inputs.with_name(f"{name}.duckdb"))
        list(simulate_years(config, config.years, parsed_manifest(), dbt_asset_specs().table_models))
        table, column = metric.split(".") if "." in metric else ("fct_yearly_summary", metric)
        return query(name, f"select simulation_year, {column} from {table} order by 1")
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_changing_a_parameter_family_changes_the_simulation(family, family_inputs):
    override, metric = FAMILIES[family]
    years = {"simulation": {"end_year": 2027}} if family == "irs_limits" else {}
    base = _simulate_summary(family_inputs, f"base_{family}", years, metric)
    changed = _simulate_summary(family_inputs, family, deep_merge(years, override), metric)
    assert base != changed, f"{family}: {metric} did not change"


def test_census_settings_reach_the_census_asset(tmp_path, monkeypatch):
    from planwise_assets.lib.census import census_file

    monkeypatch.setenv("PLANWISE_HOME", str(tmp_path))
    default = ScenarioConfig.model_validate(BASE)
    bigger = ScenarioConfig.model_validate(deep_merge(BASE, {"census": {"employees": 20}}))
    reseeded = ScenarioConfig.model_validate(deep_merge(BASE, {"census": {"seed": 7}}))
    given = ScenarioConfig.model_validate(deep_merge(BASE, {"census": {"path": str(tmp_path / "mine.csv")}}))
    files = {census_file(config) for config in (default, bigger, reseeded)}
    assert len(files) == 3 and census_file(given) == Path(tmp_path / "mine.csv")
