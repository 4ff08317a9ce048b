"""A scenario's results as one digest: equal digests mean equal mart tables, wherever they were computed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb


def results_fingerprint(path: Path) -> str:
    """sha256 over every mart table (fct_*) of a scenario's DuckDB file, tables in name order.

    Each table contributes its name and its rows, sorted by all their columns (as `select * ...
    order by all` would) and rendered as text by DuckDB, so the digest depends on the results, not
    on the order a run happened to write them in, and DuckDB does the per-row work.
    """
    digest = hashlib.sha256()
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_name like 'fct\\_%' escape '\\' order by table_name"
            ).fetchall()
        ]
        for table in tables:
            digest.update(f"table {table}\n".encode())
            # ordering by the row itself compares its columns left to right: `order by all`
            rows = con.sql(f'select row_::varchar from main."{table}" as row_ order by row_')
            for batch in rows.to_arrow_reader(50_000):
                for text in batch.column(0).to_pylist():
                    digest.update(text.encode())
                    digest.update(b"\n")
    return digest.hexdigest()
