"""The Python API (seed 001): run a scenario file's years through the same Dagster definitions.

from planwise_assets.client.api import run_multi_year
report = run_multi_year("scenarios/simulation_baseline.yaml", 2025, 2029)
report.years[-1].participation_rate
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from dagster import AssetKey, AssetRecordsFilter

from planwise_assets.client.runs import run_scenario
from planwise_assets.dagster_home.instance import get_instance
from planwise_assets.defs.simulation.partitions import simulation_key
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.scenario_files import load_scenario_file


@dataclass(frozen=True)
class YearReport:
    year: int
    active_headcount_start: int
    active_headcount_end: int
    hires: int
    experienced_terminations: int
    new_hire_terminations: int
    total_prorated_pay_amount: float
    participation_rate: float
    avg_deferral_rate: float
    employee_contribution_amount: float
    total_employer_cost_amount: float
    seconds: float
    sql_seconds: float


@dataclass(frozen=True)
class MultiYearReport:
    scenario_id: str
    plan_design_id: str
    years: list[YearReport]
    run_ids: list[str]
    seconds: float


_METRICS = (
    "active_headcount_start, active_headcount_end, hires, experienced_terminations, new_hire_terminations, "
    "total_prorated_pay_amount, participation_rate, avg_deferral_rate, employee_contribution_amount, "
    "total_employer_cost_amount"
)


def _year_timings(instance, run_id: str, scenario_id: str, years: list[int]) -> dict[int, tuple[float, float]]:
    """Per-year seconds the simulation run recorded on each year's materialization of fct_yearly_summary."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(
            asset_key=AssetKey("fct_yearly_summary"),
            asset_partitions=[str(simulation_key(scenario_id, year)) for year in years],
        ),
        limit=len(years) * 4,
    ).records
    timings = {}
    for record in records:
        metadata = record.asset_materialization.metadata
        if record.run_id == run_id:
            timings[metadata["simulation_year"].value] = (
                metadata["year_seconds"].value,
                metadata["year_sql_seconds"].value,
            )
    return timings


def run_multi_year(config_path: str | Path, start_year: int, end_year: int) -> MultiYearReport:
    """Simulate years start_year..end_year of the scenario file (years before it must exist already)."""
    path = Path(config_path).resolve()
    loaded = load_scenario_file(path, path.parent)
    config = loaded.config
    years = list(range(start_year, end_year + 1))
    if not years or not set(years) <= set(config.years):
        raise PlanwiseError(
            f"{path}: years {start_year}-{end_year} are not within {config.years[0]}-{config.years[-1]}"
        )
    started = time.perf_counter()
    instance = get_instance()
    run_ids = run_scenario(instance, config, path.parent, years)
    timings = _year_timings(instance, run_ids[-1], config.scenario_id, years)
    with duckdb.connect(str(warehouse_path(config.scenario_id)), read_only=True) as con:
        rows = con.execute(
            # replicate 0 of an ensemble is the single run (docs/ensembles.md)
            f"select simulation_year, {_METRICS} from fct_yearly_summary "
            "where simulation_year between ? and ? and replicate = 0 order by simulation_year",
            [start_year, end_year],
        ).fetchall()
    reports = [
        YearReport(
            int(year),
            *(int(value) for value in values[:5]),
            *(float(value) for value in values[5:]),
            *timings.get(year, (0.0, 0.0)),
        )
        for year, *values in rows
    ]
    return MultiYearReport(config.scenario_id, config.plan_design_id, reports, run_ids, time.perf_counter() - started)


def run_year(config_path: str | Path, year: int) -> YearReport:
    """Simulate one year of the scenario file (the previous year must have been simulated)."""
    return run_multi_year(config_path, year, year).years[0]
