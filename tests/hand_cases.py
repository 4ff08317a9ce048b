"""Small censuses and frozen scenarios for the tests whose outcome is worked out by hand.

A frozen scenario has no growth, no leavers unless asked, no raises or promotions and no
voluntary enrollment, so that pay is constant and every amount can be computed on paper.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import query

HEADER = "employee_id,birth_date,hire_date,termination_date,active,annual_pay,deferral_rate,scheduled_hours"
FROZEN = {
    "simulation": {"start_year": 2025, "end_year": 2025, "target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0, "promotion_base_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    "enrollment": {"voluntary_enrollment": {"enabled": False}},
}


def md5_draw(seed: int, employee_id: str, year: int, kind: str, replicate: int = 0) -> float:
    """The draw's specification (macros/draws.sql): the first 8 bytes of md5 of the key, read little-endian;
    the key names the replicate unless it is 0."""
    stream = f"{seed}|{replicate}" if replicate else f"{seed}"
    digest = hashlib.md5(f"{stream}|{employee_id}|{year}|{kind}".encode()).digest()
    return (int.from_bytes(digest[:8], "little") + 0.5) / 2**64


def census_csv(folder: Path, name: str, rows: list[str], extra_columns: str = "") -> str:
    """Write `<name>.csv` with the census columns (and `extra_columns`, comma-separated, after them)."""
    path = folder / f"{name}.csv"
    header = f"{HEADER},{extra_columns}" if extra_columns else HEADER
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


def merged(*documents: dict) -> dict:
    from planwise_assets.lib.scenario_files import deep_merge

    result: dict = {}
    for document in documents:
        result = deep_merge(result, document)
    return result


def simulate(write_scenario, run_scenario, name: str, census: str, **sections) -> None:
    """Run the frozen scenario `name` on `census` with `sections` merged over it."""
    config = write_scenario(name, **merged(FROZEN, {"census": {"path": census}}, sections))
    run_scenario(config)


def snapshot_of(scenario_id: str, columns: str, year: int = 2025) -> dict[str, tuple]:
    """`columns` of fct_workforce_snapshot in `year`, by employee id."""
    rows = query(
        scenario_id, f"select employee_id, {columns} from fct_workforce_snapshot where simulation_year = ?", [year]
    )
    return {row[0]: row[1:] for row in rows}


def failing_checks_after(scenario_id: str, scenarios_dir: Path, year: int, statements: list[str]) -> set[str]:
    """The dbt tests that fail once `statements` have tampered with the scenario's simulated tables.

    The tables are put back afterwards, so that the other tests of a module see them as simulated.
    """
    import shutil

    import duckdb

    from planwise_assets.defs.scenarios.resources import ScenarioFolder
    from planwise_assets.defs.simulation.dbt_project import dbt_vars, parsed_manifest
    from planwise_assets.defs.simulation.runner import _InProcessDbt, _outcomes, release_warehouse
    from planwise_assets.lib.data_root import warehouse_path

    config = ScenarioFolder(path=str(scenarios_dir)).load(scenario_id)
    path = warehouse_path(scenario_id)
    shutil.copy(path, path.with_name("scratch.duckdb"))
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    try:
        results, _ = _InProcessDbt(parsed_manifest()).invoke(
            "test", dbt_vars(config, year), f"tampered {scenario_id}", select="resource_type:model"
        )
    finally:
        release_warehouse()
        shutil.move(path.with_name("scratch.duckdb"), path)
    return {outcome.name for outcome in _outcomes(results) if not outcome.passed}
