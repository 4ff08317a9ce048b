"""results_fingerprint: one digest for a scenario's mart tables, whatever order their rows were written in."""

from __future__ import annotations

from pathlib import Path

import duckdb

from planwise_assets.lib.fingerprint import results_fingerprint


def scenario_file(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


MARTS = (
    "create table fct_yearly_summary as select range as simulation_year, range * 1.5 as pay from range(2025, 2030)",
    "create table fct_yearly_events as select range % 7 as employee_id, 'hire' as event_type from range(1000)",
)


def test_the_same_rows_in_another_order_give_the_same_fingerprint(tmp_path):
    written = scenario_file(tmp_path / "a.duckdb", *MARTS)
    reversed_order = scenario_file(
        tmp_path / "b.duckdb",
        *(f"{statement} order by 1 desc" for statement in MARTS),
    )

    assert results_fingerprint(written) == results_fingerprint(reversed_order)


def test_one_changed_value_changes_the_fingerprint(tmp_path):
    written = scenario_file(tmp_path / "a.duckdb", *MARTS)
    changed = scenario_file(
        tmp_path / "b.duckdb", *MARTS, "update fct_yearly_summary set pay = 0 where simulation_year = 2027"
    )

    assert results_fingerprint(written) != results_fingerprint(changed)


def test_only_the_mart_tables_count(tmp_path):
    marts_only = scenario_file(tmp_path / "a.duckdb", *MARTS)
    with_inputs = scenario_file(tmp_path / "b.duckdb", *MARTS, "create table census as select 1 as employee_id")

    assert results_fingerprint(marts_only) == results_fingerprint(with_inputs)
