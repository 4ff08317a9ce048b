"""What the exports read: a scenario's warehouse file (read-only), its resolved parameters and override register."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from planwise_assets.defs.exports.formats import Table, kind_of_duckdb_type
from planwise_assets.defs.simulation.runner import COMPLETED_YEARS, completed_years
from planwise_assets.lib.data_root import scenario_write_lock, warehouse_path
from planwise_assets.lib.errors import PlanwiseError
from planwise_assets.lib.scenario_config import ScenarioConfig
from planwise_assets.lib.scenario_files import CENSUS_DIGEST, flatten, unflatten

OVERRIDE_COLUMNS = ("path", "base_value", "scenario_value", "reason")
# Constant within a scenario's file and named in every output's metadata; repeating them on
# every row of a sheet would only cost time and width.
IDENTITY_COLUMNS = ("scenario_id", "plan_design_id")
# An ensemble's replicate (0-based) in every simulated table. Replicate 0 is the single run: the
# sheets that show one future show it, so a scenario of one replicate reads as it always did.
REPLICATE = "replicate"
ENSEMBLE_MART = "fct_ensemble_summary"


class ExportError(PlanwiseError):
    """An export asked for results that are not there: a scenario not simulated, a baseline not compared."""


@contextmanager
def read_warehouse(scenario_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the scenario's simulated results.

    DuckDB refuses to open a file read-only while another process writes it, so the export
    holds the scenario's lock, as every writer does: a running simulation delays the export
    instead of failing it, and the export never reads a half-written year.
    """
    path = warehouse_path(scenario_id)
    if not path.exists():
        raise ExportError(f"{scenario_id}: {path} does not exist; simulate the scenario before exporting it")
    with scenario_write_lock(scenario_id), duckdb.connect(str(path), read_only=True) as con:
        if "fct_yearly_summary" not in tables(con):
            raise ExportError(f"{scenario_id}: {path} has no fct_yearly_summary; simulate the scenario first")
        incomplete = _incomplete_years(con)
        if incomplete:
            raise ExportError(
                f"{scenario_id}: year {incomplete[0]} is incomplete (its run stopped before all the year's tables "
                f"were written; see {COMPLETED_YEARS}); run it again before exporting"
            )
        yield con


def _incomplete_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years the marts hold rows of that are not in the ledger of completed years (a file written
    before the ledger existed has none, and is taken as it is)."""
    if COMPLETED_YEARS not in tables(con):
        return []
    marts = sorted({"fct_yearly_summary", "fct_workforce_snapshot", "fct_yearly_events"} & tables(con))
    held = con.sql(" union ".join(f"select distinct simulation_year from main.{mart}" for mart in marts)).fetchall()
    return sorted({row[0] for row in held} - completed_years(con))


def has_results(scenario_id: str) -> bool:
    """Whether the scenario's file exists and holds fct_yearly_summary (checked without waiting for a writer)."""
    path = warehouse_path(scenario_id)
    if not path.exists():
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return "fct_yearly_summary" in tables(con)
    except duckdb.IOException:
        return True  # being written right now; read_warehouse waits for it


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.sql("select table_name from information_schema.tables").fetchall()}


def query_table(con: duckdb.DuckDBPyConnection, sql: str) -> Table:
    relation = con.sql(sql)
    return Table(list(relation.columns), [kind_of_duckdb_type(str(t)) for t in relation.types], relation.fetchall())


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return list(con.sql(f"select * from {table} limit 0").columns)


def shown_columns(columns: list[str]) -> str:
    """A select list of the columns without the scenario identity columns and the replicate."""
    return ", ".join(f'"{c}"' for c in columns if c not in (*IDENTITY_COLUMNS, REPLICATE))


def single_run(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A FROM clause of the table's rows of replicate 0, the single run (all its rows in a file
    simulated before replicates existed)."""
    if REPLICATE in columns_of(con, table):
        return f"(select * from main.{table} where {REPLICATE} = 0) as {table}"
    return f"main.{table}"


def replicate_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many replicates the scenario was simulated with (1 for a file from before replicates)."""
    if REPLICATE not in columns_of(con, "fct_yearly_summary"):
        return 1
    return con.sql(f"select count(distinct {REPLICATE}) from fct_yearly_summary").fetchall()[0][0]


def yearly_summary(con: duckdb.DuckDBPyConnection) -> Table:
    """fct_yearly_summary of the single run (replicate 0) by year, every metric column whatever the
    marts currently define."""
    columns = shown_columns(columns_of(con, "fct_yearly_summary"))
    return query_table(con, f"select {columns} from {single_run(con, 'fct_yearly_summary')} order by simulation_year")


def yearly_summaries_by_replicate(con: duckdb.DuckDBPyConnection) -> list[Table]:
    """fct_yearly_summary of each replicate, in replicate order: the first is yearly_summary's."""
    if replicate_count(con) == 1:
        return [yearly_summary(con)]
    columns = shown_columns(columns_of(con, "fct_yearly_summary"))
    everything = query_table(
        con, f"select {REPLICATE}, {columns} from fct_yearly_summary order by {REPLICATE}, simulation_year"
    )
    by_replicate: dict[int, list[tuple]] = {}
    for replicate, *row in everything.rows:
        by_replicate.setdefault(replicate, []).append(tuple(row))
    return [Table(everything.columns[1:], everything.kinds[1:], rows) for _, rows in sorted(by_replicate.items())]


def ensemble_summary(con: duckdb.DuckDBPyConnection) -> Table | None:
    """fct_ensemble_summary (per year and metric: mean, P10, P50, P90, min, max across the replicates)
    by metric and year, or None for a scenario of one replicate or a file without the mart."""
    if replicate_count(con) == 1 or ENSEMBLE_MART not in tables(con):
        return None
    columns = shown_columns(columns_of(con, ENSEMBLE_MART))
    return query_table(con, f"select {columns} from {ENSEMBLE_MART} order by metric, simulation_year")


def resolved_parameters(con: duckdb.DuckDBPyConnection, config: ScenarioConfig) -> dict[str, Any]:
    """Every resolved parameter, defaults included, by dotted key: those stored with the results when there are.

    The scenario_parameters table (path, JSON value) is written with the scenario's inputs, so it
    names what the simulation actually used even if the scenario file has changed since; a file
    simulated before that table existed falls back to the scenario's current configuration.
    """
    if "scenario_parameters" in tables(con):
        stored = con.sql("select path, value from scenario_parameters").fetchall()
        return {path: _decoded(value) for path, value in stored}
    return flatten(config.model_dump(mode="json"))


def configuration_used(parameters: dict[str, Any]) -> ScenarioConfig:
    """The configuration the results were simulated with, rebuilt from their resolved parameters
    (the census file's digest stored beside them is not one)."""
    return ScenarioConfig.model_validate(unflatten({k: v for k, v in parameters.items() if k != CENSUS_DIGEST}))


def _decoded(value: Any) -> Any:
    """A value stored as JSON text as the value itself (0.06 a number, true a boolean); other text as written."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def override_register(con: duckdb.DuckDBPyConnection) -> Table | None:
    """The scenario's overrides against its base (path, base_value, scenario_value, reason), when recorded."""
    if "scenario_overrides" not in tables(con):
        return None
    stored = query_table(con, f"select {', '.join(OVERRIDE_COLUMNS)} from scenario_overrides order by path")
    rows = [(path, _decoded(base), _decoded(value), reason) for path, base, value, reason in stored.rows]
    return Table(stored.columns, ["text"] * len(stored.columns), rows)
