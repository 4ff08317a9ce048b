"""Running the dbt simulation for one scenario over a range of years, in this process.

dbt is invoked in-process with one parsed manifest: no process start-up and no re-parse
per call (the reference system spends most of its time on both). One invocation loads
the seeds, one runs each year's models, one runs the data tests over all years.
simulate_years() hands back each year's report as soon as the year is written, so that the
caller can record it (Dagster's materializations, the batch's progress) while the next one runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
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
    """One simulated year: seconds in all (dbt included) and seconds during which SQL ran, what it wrote."""

    year: int
    seconds: float
    sql_seconds: float
    rows_by_model: dict[str, int] = field(default_factory=dict)
    # the figures of replicate 0, the single run (docs/ensembles.md), whatever the number of replicates
    events_by_type: dict[str, int] = field(default_factory=dict)
    year_end_actives: int = 0
    # the year's row of fct_compliance (the nondiscrimination tests), by column
    compliance: dict[str, Any] = field(default_factory=dict)
    # in an ensemble, each metric's band over the replicates: (P10, P50, P90) from fct_ensemble_summary
    bands: dict[str, tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)


@dataclass
class TestOutcome:
    unique_id: str
    name: str
    passed: bool
    failures: int
    message: str


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
        return node_results, _sql_seconds(node_results)


def _sql_seconds(node_results: list[Any]) -> float:
    """Seconds during which at least one node's SQL was executing.

    dbt runs nodes on several threads, so the nodes' own durations add up to more than the
    time that passed; the union of their execution intervals does not.
    """
    intervals = sorted(
        (timing.started_at.timestamp(), timing.completed_at.timestamp())
        for r in node_results
        for timing in r.timing
        if timing.name == "execute" and timing.started_at and timing.completed_at
    )
    busy, covered_until = 0.0, float("-inf")
    for started, completed in intervals:
        if completed > covered_until:
            busy += completed - max(started, covered_until)
            covered_until = completed
    return busy


def release_warehouse() -> None:
    """Close dbt-duckdb's process-wide connection so the scenario file is free for others."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with contextlib.suppress(Exception):  # no environment was opened in this process
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


COMPLETED_YEARS = "completed_years"


def completed_years(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The years whose models were all written (dbt/macros/completed_years.sql keeps the ledger)."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?",
        [COMPLETED_YEARS],
    ).fetchone()[0]
    if not found:
        return set()
    return {row[0] for row in con.execute(f"select simulation_year from main.{COMPLETED_YEARS}").fetchall()}


def _incomplete_year_problem(
    con: duckdb.DuckDBPyConnection, tables: set[str], models: list[str], scenario: str, year: int, first: int
) -> str:
    """Why `year` cannot hand its state to the next: never simulated, or stopped halfway (naming a table)."""
    with_rows = {
        model
        for model in models
        if model in tables
        and con.execute(f'select count(*) from main."{model}" where simulation_year = ?', [year]).fetchone()[0]
    }
    if not with_rows:
        return f"{scenario}: year {year} has not been simulated; years run in order from {first}"
    missing = [model for model in models if model not in with_rows]
    if missing:
        named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return (
            f"{scenario}: year {year} is incomplete: {named} {'has' if len(missing) == 1 else 'have'} no rows "
            f"for it (its run stopped before all the year's tables were written); run {year} again"
        )
    return (
        f"{scenario}: year {year} is incomplete: it is not in {COMPLETED_YEARS} (its run stopped before it "
        f"recorded the year as done); run {year} again"
    )


def _check_can_run(config: ScenarioConfig, years: list[int], models: list[str]) -> None:
    """Refuse years outside the scenario, out of order, or after an incomplete year, before anything is written."""
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
        previous = years[0] - 1
        if years[0] > first and previous not in completed_years(con):
            raise SimulationError(_incomplete_year_problem(con, tables, models, scenario, previous, first))


def _dbt_connection() -> duckdb.DuckDBPyConnection:
    """A cursor on dbt-duckdb's process-wide connection, which keeps the scenario's file attached
    as `warehouse` between invocations (its main database is in memory). The file cannot be opened
    a second time in the process, and closing dbt's connection after each year (a checkpoint)
    costs more than the year's bookkeeping."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    return DuckDBConnectionManager.env().conn.cursor()


def _record_year(report: YearReport, models: list[str], replicates: int) -> None:
    """Fill in what the year wrote: rows per model (of all replicates), and replicate 0's events per type,
    year-end actives and nondiscrimination results; in an ensemble, the bands of every metric."""
    year = report.year
    with _dbt_connection() as con:
        report.rows_by_model = dict(
            con.execute(
                " union all ".join(
                    f"select '{model}', count(*) from warehouse.main.{model} where simulation_year = $year"
                    for model in models
                ),
                {"year": year},
            ).fetchall()
        )
        report.events_by_type = dict(
            con.execute(
                "select event_type, count(*) from warehouse.main.fct_yearly_events "
                "where simulation_year = ? and replicate = 0 group by all order by all",
                [year],
            ).fetchall()
        )
        actives = con.execute(
            "select active_headcount_end from warehouse.main.fct_yearly_summary "
            "where simulation_year = ? and replicate = 0",
            [year],
        ).fetchone()
        report.year_end_actives = actives[0] if actives else 0
        compliance = con.execute(
            "select * exclude (scenario_id, plan_design_id, simulation_year, replicate) "
            "from warehouse.main.fct_compliance where simulation_year = ? and replicate = 0",
            [year],
        )
        columns = [column[0] for column in compliance.description]
        row = compliance.fetchone()
        report.compliance = dict(zip(columns, row, strict=True)) if row else {}
        if replicates > 1:
            report.bands = {
                metric: (p10, p50, p90)
                for metric, p10, p50, p90 in con.execute(
                    "select metric, p10_value, p50_value, p90_value from warehouse.main.fct_ensemble_summary "
                    "where simulation_year = ?",
                    [year],
                ).fetchall()
            }


def later_years(scenario_id: str, last_year: int) -> list[int]:
    """Years after `last_year` that the scenario's file holds from an earlier run.

    They started from the state `last_year` had before, so a run that ends at `last_year`
    leaves them out of date.
    """
    with duckdb.connect(str(warehouse_path(scenario_id)), read_only=True) as con:
        rows = con.execute(
            "select distinct simulation_year from fct_workforce_snapshot where simulation_year > ? order by 1",
            [last_year],
        ).fetchall()
    return [row[0] for row in rows]


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


def simulate_years(
    config: ScenarioConfig,
    years: list[int],
    dbt_manifest: Any,
    models: list[str],
    should_stop: Callable[[], bool] = lambda: False,
    threads: int | None = None,
) -> Iterator[YearReport]:
    """Simulate consecutive years of one scenario into its DuckDB file, yielding each year's report
    as soon as its tables are committed; the caller holds the scenario's write lock.

    `threads` pins dbt's and DuckDB's thread counts (see dbt_args); by default both are the profile's.
    """
    _check_can_run(config, years, models)
    if years[0] == config.simulation.start_year:
        _rebuild_clean(config, models)
    dbt = _InProcessDbt(dbt_manifest, threads)
    scenario = config.scenario_id
    progress = scenario_logger(scenario, config.plan_design_id)
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
            report = YearReport(year, time.perf_counter() - year_started, year_sql)
            _record_year(report, models, config.simulation.replicates)
            # progress per year for the batch display (the planwise logger is silent in daemon runs)
            progress.info(f"year {year} simulated in {report.seconds:.1f} s", extra={"simulation_year": year})
            yield report
    finally:
        release_warehouse()


def run_data_tests(config: ScenarioConfig, years: list[int], dbt_manifest: Any) -> list[TestOutcome]:
    """Run the data tests over the scenario's simulated years (all of them, up to the last of `years`)."""
    try:
        results, _ = _InProcessDbt(dbt_manifest).invoke(
            "test", dbt_vars(config, years[-1]), f"{config.scenario_id} tests", select="resource_type:model"
        )
    finally:
        release_warehouse()
    return _outcomes(results)
