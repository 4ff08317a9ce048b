"""A scenario's results as one digest: equal digests mean equal mart tables, wherever they were computed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa

ROWS_PER_BATCH = 100_000


def _text_bytes(text: pa.Array) -> memoryview:
    """An Arrow string array's values back to back: a view of its data buffer, not a copy."""
    _, offsets, data = text.buffers()
    offsets = memoryview(offsets).cast("q" if pa.types.is_large_string(text.type) else "i")
    return memoryview(data)[offsets[text.offset] : offsets[text.offset + len(text)]]


def results_fingerprint(path: Path) -> str:
    """sha256 over every mart table (fct_*) of a scenario's DuckDB file, tables in name order.

    Each table contributes its name and its rows sorted by all their columns (as `select * ...
    order by all` would), each row as DuckDB renders it as text, one per line: the digest depends
    on the results, not on the order a run wrote them in. DuckDB renders the rows; Python only
    hashes the bytes (a 100,000-employee scenario in about a second).
    """
    digest = hashlib.sha256()
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
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
            rows = con.sql(f'select row_::varchar || chr(10) from main."{table}" as row_ order by row_')
            for batch in rows.to_arrow_reader(ROWS_PER_BATCH):
                digest.update(_text_bytes(batch.column(0)))
    return digest.hexdigest()
