"""A fingerprint of a scenario's results: two runs with equal fingerprints produced the same marts.

A table's fingerprint covers its columns (names and types) and its rows as a set, not the order
DuckDB happened to store them in (parallel inserts store rows in any order). Each row is reduced
to DuckDB's 64-bit hash() of all its values, the hashes are sorted, and sha256 runs over the
sorted hashes: a canonical order without sorting whole rows, about 0.3 s for a million rows.
hash() is fixed within a DuckDB version, so compare fingerprints made with the same version
(the metadata also records the code version). No Dagster import: anyone with a connection to a
scenario's file can compute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

# the results a scenario's outputs are made of, in the order they are hashed
MARTS = ("fct_workforce_snapshot", "fct_yearly_events", "fct_yearly_summary")


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """sha256 of a table's column names and types and of its rows, whatever their stored order."""
    digest = hashlib.sha256()
    for part in _table_parts(con, table):
        digest.update(part)
    return digest.hexdigest()


def results_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 over the marts in MARTS order: each one's name, columns and rows."""
    digest = hashlib.sha256()
    for table in MARTS:
        digest.update(f"{table}\n".encode())
        for part in _table_parts(con, table):
            digest.update(part)
    return digest.hexdigest()


def _table_parts(con: duckdb.DuckDBPyConnection, table: str) -> Iterator[bytes]:
    """The columns, then the rows' hashes in ascending order as little-endian 64-bit integers."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = ? and table_schema = 'main' order by ordinal_position",
        [table],
    ).fetchall()
    yield repr(columns).encode()
    row_hashes = con.execute(f'select hash(t) as row_hash from main."{table}" as t order by row_hash').fetchnumpy()
    yield row_hashes["row_hash"].astype("<u8").tobytes()


def file_fingerprint(path: Path) -> str:
    """results_fingerprint of a scenario's DuckDB file, opened read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        return results_fingerprint(con)
