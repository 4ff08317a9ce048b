"""Small censuses and frozen scenarios for the tests whose outcome is worked out by hand.

A frozen scenario has no growth, no leavers unless asked, no raises or promotions and no
voluntary enrollment, so that pay is constant and every amount can be computed on paper.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import query

HEADER = "employee_id,birth_date,hire_date,termination_date,active,annual_pay,deferral_rate,scheduled_hours"
FROZEN = {
    "simulation": {"start_year": 2025, "end_year": 2025, "target_growth_rate": 0.0},
    "workforce": {"total_termination_rate": 0.0, "new_hire_termination_rate": 0.0, "promotion_base_rate": 0.0},
    "compensation": {"cola_rate": 0.0, "merit_budget": 0.0},
    "enrollment": {"voluntary_enrollment": {"enabled": False}},
}


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
