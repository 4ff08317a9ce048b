"""Running the dbt simulation for one scenario over a range of years, in this process.

dbt is invoked in-process with one parsed manifest: no process start-up and no re-parse
per call (the reference system spends most of its time on both). One invocation loads
the seeds, one runs each year's models, one runs the data tests over all years.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from planwise_assets.defs.simulation.dbt_project import dbt_args, dbt_vars, invoke_dbt
from planwise_assets.lib.data_root import warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.logs import scenario_logger
from planwise_assets.lib.scenario_config import ScenarioConfig


class SimulationError(PlanwiseError):
    """A scenario-year that cannot run (missing census or prior year) or a failed dbt model."""


@dataclass
class YearReport:
    year: int
    seconds: float
    sql_seconds: float
    rows_by_model: dict[str, int] = field(default_factory=dict)
    events_by_type: dict[str, int] = field(default_factory=dict)
    year_end_actives: int = 0
    # the year's row of fct_compliance (the nondiscrimination tests), by column
    compliance: dict[str, Any] = field(default_factory=dict)


@dataclass
class TestOutcome:
    unique_id: str
    name: str
    passed: bool
    failures: int
    message: str


@dataclass
class SimulationReport:
    scenario_id: str
    years: list[YearReport]
    tests: list[TestOutcome]
    dbt_invocations: int
    seconds: float
    sql_seconds: float
    # years after the last one simulated here that the file holds from an earlier run: they
    # started from the state these years had before, so they are now out of date
    later_years: list[int] = field(default_factory=list)


def _database_error(message: str) -> str:
    """dbt's error text on one line: the database's own message, without dbt's header or DuckDB's candidate lists."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if lines and lines[0].startswith(("Runtime Error in", "Database Error in")):
        lines = lines[1:]
    kept = []
    for line in lines:
        if line.startswith("Candidate functions"):
            break
        kept.append(line)
    return " ".join(kept)[:600]


class _InProcessDbt:
    """dbt's Python API bound to one parsed manifest; counts invocations and SQL time."""

    def __init__(self, dbt_manifest: Any, threads: int | None = None) -> None:
        from dbt.cli.main import dbtRunner

        self._runner = dbtRunner(manifest=dbt_manifest)
        self._threads = threads
        self.invocations = 0

    def invoke(
        self, command: str, variables: dict[str, Any], what: str, select: str, exclude: str | None = None
    ) -> tuple[list[Any], float]:
        """Run one dbt command; a failed model or seed raises naming it, failed tests are returned."""
        self.invocations += 1
        excluded = ["--exclude", exclude] if exclude else []
        result = invoke_dbt(
            self._runner,
            [*dbt_args(command, variables, self._threads), "--select", select, *excluded, "--no-write-json"],
        )
        node_results = list(result.result.results) if result.result is not None else []
        failed = [r for r in node_results if str(r.status) == "error" and r.node.resource_type != "test"]
        if failed:
            first = failed[0]
            raise SimulationError(
                f"dbt model {first.node.name} failed for {what}: {_database_error(str(first.message))}"
            )
        if result.exception is not None:
            raise SimulationError(f"dbt {command} failed for {what}: {result.exception}")
        sql_seconds = sum(
            timing.completed_at.timestamp() - timing.started_at.timestamp()
            for r in node_results
            for timing in r.timing
            if timing.name == "execute" and timing.started_at and timing.completed_at
        )
        return node_results, sql_seconds


def release_warehouse() -> None:
    """Close dbt-duckdb's process-wide connection so the scenario file is free for others."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with contextlib.suppress(Exception):  # no environment was opened in this process
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


def _check_can_run(config: ScenarioConfig, years: list[int]) -> None:
    """Refuse years outside the scenario or out of order, before anything is written."""
    scenario = config.scenario_id
    first, last = config.simulation.start_year, config.simulation.end_year
    outside = [year for year in years if not first <= year <= last]
    if outside:
        raise SimulationError(f"{scenario}: years {outside} are outside its simulation years {first}-{last}")
    if years != list(range(years[0], years[-1] + 1)):
        raise SimulationError(f"{scenario}: years {years} are not consecutive")
    with duckdb.connect(str(warehouse_path(scenario))) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        missing = {"census", "level_pay_bands"} - tables
        if missing:
            raise SimulationError(
                f"{scenario}: its inputs are not loaded ({', '.join(sorted(missing))}); "
                "materialize the census and the seed assets for this scenario first"
            )
        if years[0] > first:
            previous = years[0] - 1
            done = (
                "fct_workforce_snapshot" in tables
                and con.execute(
                    "select count(*) from fct_workforce_snapshot where simulation_year = ?", [previous]
                ).fetchone()[0]
            )
            if not done:
                raise SimulationError(
                    f"{scenario}: year {previous} has not been simulated; years run in order from {first}"
                )


def _year_metrics(config: ScenarioConfig, reports: list[YearReport], models: list[str]) -> list[int]:
    """Fill in what each simulated year wrote; return the later years the file holds from before."""
    years = [report.year for report in reports]
    with duckdb.connect(str(warehouse_path(config.scenario_id)), read_only=True) as con:
        for model in models:
            counts = dict(
                con.execute(
                    f"select simulation_year, count(*) from {model} "
                    "where simulation_year between ? and ? group by simulation_year",
                    [years[0], years[-1]],
                ).fetchall()
            )
            for report in reports:
                report.rows_by_model[model] = counts.get(report.year, 0)
        for year, event_type, count in con.execute(
            "select simulation_year, event_type, count(*) from fct_yearly_events "
            "where simulation_year between ? and ? group by all order by all",
            [years[0], years[-1]],
        ).fetchall():
            reports[years.index(year)].events_by_type[event_type] = count
        for year, actives in con.execute(
            "select simulation_year, active_headcount_end from fct_yearly_summary "
            "where simulation_year between ? and ?",
            [years[0], years[-1]],
        ).fetchall():
            reports[years.index(year)].year_end_actives = actives
        compliance = con.execute(
            "select * exclude (scenario_id, plan_design_id) from fct_compliance where simulation_year between ? and ?",
            [years[0], years[-1]],
        )
        columns = [column[0] for column in compliance.description]
        for row in compliance.fetchall():
            figures = dict(zip(columns, row, strict=True))
            reports[years.index(figures["simulation_year"])].compliance = figures
        later = con.execute(
            "select distinct simulation_year from fct_workforce_snapshot where simulation_year > ? order by 1",
            [years[-1]],
        ).fetchall()
    return [row[0] for row in later]


def _outcomes(test_results: list[Any]) -> list[TestOutcome]:
    return [
        TestOutcome(
            unique_id=r.node.unique_id,
            name=r.node.name,
            passed=str(r.status) == "pass",
            failures=int(r.failures or 0),
            message=str(r.message or ""),
        )
        for r in test_results
        if r.node.resource_type == "test"
    ]


def load_seeds(config: ScenarioConfig, dbt_manifest: Any) -> list[TestOutcome]:
    """Load the seed tables into the scenario's file and test them; the caller holds its write lock."""
    dbt = _InProcessDbt(dbt_manifest)
    try:
        results, _ = dbt.invoke(
            "build",
            dbt_vars(config, config.simulation.start_year),
            f"{config.scenario_id} seeds",
            select="resource_type:seed",
        )
    finally:
        release_warehouse()
    return _outcomes(results)


def _rebuild_clean(config: ScenarioConfig, models: list[str]) -> None:
    """A run from the first year rebuilds the scenario: drop every model table (and the tables of
    models an earlier version of the project had: every table with a simulation year), then verify
    that the file holds no simulated years and no row of another scenario before the first year runs."""
    with duckdb.connect(str(warehouse_path(config.scenario_id))) as con:
        simulated = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.columns "
                "where column_name = 'simulation_year' and table_schema = 'main'"
            ).fetchall()
        }
        for model in sorted(set(models) | simulated):
            con.execute(f'drop table if exists main."{model}"')
        tables_with_ids = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.columns where column_name = 'scenario_id'"
            ).fetchall()
        ]
        for table in tables_with_ids:
            foreign = con.execute(
                f'select count(*) from main."{table}" where scenario_id is distinct from ?', [config.scenario_id]
            ).fetchone()[0]
            if foreign:
                raise SimulationError(f"{config.scenario_id}: {table} holds {foreign} rows of another scenario")
        leftovers = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.columns where column_name = 'simulation_year'"
            ).fetchall()
        ]
        if leftovers:
            raise SimulationError(
                f"{config.scenario_id}: simulated tables survived the rebuild: {', '.join(leftovers)}"
            )


def simulate(
    config: ScenarioConfig,
    years: list[int],
    dbt_manifest: Any,
    models: list[str],
    should_stop: Callable[[], bool] = lambda: False,
    threads: int | None = None,
) -> SimulationReport:
    """Simulate consecutive years of one scenario into its DuckDB file; the caller holds its write lock.

    `threads` pins dbt's and DuckDB's thread counts (see dbt_args); by default both are the profile's.
    """
    _check_can_run(config, years)
    if years[0] == config.simulation.start_year:
        _rebuild_clean(config, models)
    started = time.perf_counter()
    dbt = _InProcessDbt(dbt_manifest, threads)
    scenario = config.scenario_id
    progress = scenario_logger(scenario, config.plan_design_id)
    reports: list[YearReport] = []
    sql_seconds = 0.0
    try:
        for year in years:
            if should_stop():
                raise SimulationError(f"{scenario}: cancelled before year {year}")
            year_started = time.perf_counter()
            # the views (staging) do not depend on the year: created once, by the run's first year
            _, year_sql = dbt.invoke(
                "run",
                dbt_vars(config, year),
                f"{scenario} {year}",
                select="resource_type:model",
                exclude=None if year == years[0] else "config.materialized:view",
            )
            reports.append(YearReport(year, time.perf_counter() - year_started, year_sql))
            # progress per year for the batch display (the planwise logger is silent in daemon runs)
            progress.info(f"year {year} simulated in {reports[-1].seconds:.1f} s")
            sql_seconds += year_sql
        test_results, test_sql = dbt.invoke(
            "test", dbt_vars(config, years[-1]), f"{scenario} tests", select="resource_type:model"
        )
        sql_seconds += test_sql
    finally:
        release_warehouse()
    tests = _outcomes(test_results)
    later_years = _year_metrics(config, reports, models)
    return SimulationReport(
        scenario_id=scenario,
        years=reports,
        tests=tests,
        dbt_invocations=dbt.invocations,
        seconds=time.perf_counter() - started,
        sql_seconds=sql_seconds,
        later_years=later_years,
    )
