"""Results do not depend on how many threads compute them.

One scenario that uses every kind of money (merit scaled to a budget, a tiered match, a
service-graded core, catch-up, vesting and forfeitures, auto-enrollment and escalation,
investment returns and distributions, prior-year ADP and ACP testing), as an ensemble of two
replicates, is simulated on one small census three times, in fresh data roots, with dbt and DuckDB pinned to
1, 2 and 4 threads. DuckDB adds floating-point numbers in whatever order its threads finish, so
a DOUBLE sum anywhere upstream of money would show here as a table that differs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from planwise_assets.lib.scenario_config import ScenarioConfig

THREADS = (1, 2, 4)
CENSUS_EMPLOYEES = 3000
SCENARIO = {
    "scenario": {"name": "threads"},
    # 2028 is a leap year: prorations by 366 days
    # two replicates: the ranks and totals per replicate, and the ensemble's statistics, too
    "simulation": {"start_year": 2027, "end_year": 2029, "random_seed": 7, "target_growth_rate": 0.03, "replicates": 2},
    "enrollment": {"auto_enrollment": {"enabled": True, "scope": "all_eligible_employees"}},
    "deferral_escalation": {"enabled": True, "delay_years": 0},
    "employer_match": {"active_formula": "tiered_match"},
    "employer_core": {
        "enabled": True,
        "type": "service_graded",
        "bands": [{"minimum_service": 0, "rate": 0.02}, {"minimum_service": 5, "rate": 0.035}],
    },
    "vesting": {"schedule": "graded", "years": 4},
    "balances": {"investment_return_rate": 0.05, "leaver_distribution_rate": 0.3},
    "nondiscrimination": {"testing_method": "prior_year"},
}


def _inputs(folder: Path, config: ScenarioConfig) -> Path:
    """A scenario file with the census and the seeds loaded, to be copied into each data root."""
    from planwise_assets.defs.simulation.dbt_project import parsed_manifest
    from planwise_assets.defs.simulation.runner import load_seeds
    from planwise_assets.lib.census import generate_census
    from planwise_assets.lib.data_root import warehouse_path

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANWISE_HOME", str(folder))
        path = warehouse_path(config.scenario_id)
        path.parent.mkdir(parents=True)
        with duckdb.connect(str(path)) as con:
            con.register("census_frame", generate_census(CENSUS_EMPLOYEES, 5, config.census_date))
            con.execute("create table census as select * from census_frame")
        load_seeds(config, parsed_manifest())
    return path


@pytest.fixture(scope="module")
def fingerprints_by_threads(tmp_path_factory) -> dict[int, dict[str, str]]:
    """Every table's fingerprint after simulating the scenario with each thread count, in a fresh data root."""
    from planwise_assets.defs.simulation.assets import dbt_asset_specs
    from planwise_assets.defs.simulation.dbt_project import parsed_manifest
    from planwise_assets.defs.simulation.runner import run_data_tests, simulate_years
    from planwise_assets.lib.fingerprint import table_fingerprint

    config = ScenarioConfig.model_validate(SCENARIO)
    inputs = _inputs(tmp_path_factory.mktemp("inputs"), config)
    found = {}
    for threads in THREADS:
        home = tmp_path_factory.mktemp(f"threads_{threads}")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PLANWISE_HOME", str(home))
            path = home / "warehouse" / inputs.name
            path.parent.mkdir()
            shutil.copy(inputs, path)
            models = dbt_asset_specs().table_models
            list(simulate_years(config, config.years, parsed_manifest(), models, threads=threads))
            outcomes = run_data_tests(config, config.years, parsed_manifest())
            assert all(test.passed for test in outcomes), [test.name for test in outcomes if not test.passed]
            with duckdb.connect(str(path), read_only=True) as con:
                tables = [row[0] for row in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
                found[threads] = {table: table_fingerprint(con, table) for table in tables}
    return found


def test_every_table_is_identical_at_one_two_and_four_threads(fingerprints_by_threads):
    single = fingerprints_by_threads[1]
    assert {"census", "int_merit_raises", "int_employer_contributions", "fct_workforce_snapshot"} <= set(single)
    for threads in THREADS[1:]:
        differing = sorted(t for t in single if fingerprints_by_threads[threads].get(t) != single[t])
        assert set(fingerprints_by_threads[threads]) == set(single)
        assert differing == [], f"{threads} threads: {differing}"
