"""The results fingerprint: the same rows give the same fingerprint whatever their stored order;
any changed value, column or row changes it."""

from __future__ import annotations

import duckdb
import pytest

from planwise_assets.lib.fingerprint import MARTS, results_fingerprint, table_fingerprint

ROWS = [(2025, "E1", 1234.56), (2025, "E2", 0.01), (2026, "E1", 1300.00)]


def _marts(rows: list[tuple], amount_type: str = "decimal(14, 2)") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in MARTS:
        con.execute(f"create table {table} (simulation_year integer, employee_id varchar, amount {amount_type})")
        con.executemany(f"insert into {table} values (?, ?, ?)", rows)
    return con


def test_the_order_rows_were_stored_in_does_not_change_the_fingerprint():
    assert results_fingerprint(_marts(ROWS)) == results_fingerprint(_marts(list(reversed(ROWS))))


@pytest.mark.parametrize(
    "changed",
    [
        [(2025, "E1", 1234.57), *ROWS[1:]],  # one cent
        ROWS[:2],  # a row fewer
        [*ROWS, ROWS[0]],  # a row twice
    ],
)
def test_any_changed_value_or_row_changes_the_fingerprint(changed):
    assert results_fingerprint(_marts(changed)) != results_fingerprint(_marts(ROWS))


def test_a_column_type_is_part_of_a_table_fingerprint():
    same_values = _marts(ROWS, "decimal(18, 2)")
    assert table_fingerprint(same_values, MARTS[0]) != table_fingerprint(_marts(ROWS), MARTS[0])


def test_the_fingerprint_is_a_sha256_hex_digest():
    fingerprint = results_fingerprint(_marts(ROWS))
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0


def test_a_files_fingerprint_is_that_of_its_marts(tmp_path):
    import duckdb

    from planwise_assets.lib.fingerprint import file_fingerprint

    path = tmp_path / "scenario.duckdb"
    with duckdb.connect(str(path)) as con:
        for table in MARTS:
            con.execute(f"create table {table} as select * from (values (1, 'a'), (2, 'b')) as t(id, name)")
        expected = results_fingerprint(con)
    assert file_fingerprint(path) == expected
