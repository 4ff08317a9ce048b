"""How an export file appears: whole or not at all."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`, renamed onto it on success.

    An analyst may have yesterday's workbook open or a sync tool may be reading it; a reader
    sees either the old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_json(path: Path, document: dict[str, Any]) -> Path:
    with atomic_file(path) as partial:
        partial.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
