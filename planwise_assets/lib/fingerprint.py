"""A fingerprint of a scenario's results: equal fingerprints, equal marts, row for row.

Two runs of one scenario (one of them killed and resumed, say) are compared by it. Only the
marts (`fct_*`) are covered: they are the results, and every intermediate table feeds them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

ROWS_PER_FETCH = 10_000


def results_fingerprint(path: Path) -> str:
    """sha256 over each mart's name, columns and rows (in the canonical order `order by all`), marts in name order."""
    digest = hashlib.sha256()
    with duckdb.connect(str(path), read_only=True) as con:
        marts = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where database_name = current_database() "
                "and schema_name = 'main' and starts_with(table_name, 'fct_') order by table_name"
            ).fetchall()
        ]
        for mart in marts:
            cursor = con.execute(f'select * from main."{mart}" order by all')
            digest.update(repr((mart, [column[0] for column in cursor.description])).encode())
            while rows := cursor.fetchmany(ROWS_PER_FETCH):
                for row in rows:
                    digest.update(repr(row).encode())
    return digest.hexdigest()
