"""Reading and writing files the way every part of PlanWise must: bounded, whole or not at all,
and with one readable line when the disk is full.

- A user's file (scenario YAML, census) is read only if it is a regular file, and never more
  than a limit: a FIFO, a link to /dev/zero or a growing file cannot make a command hang.
- A file PlanWise writes appears whole or not at all (temporary name, then rename), so a kill
  at any moment leaves the previous version readable.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from planwise_assets.lib.errors import CensusError, PlanwiseError


class DiskFullError(PlanwiseError):
    """No space left on the device holding a file PlanWise writes."""


def one_line(text: str) -> str:
    """The text as one printable line: control characters (a newline in a key or a file name) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def resolved(path: Path) -> Path:
    """`path` made absolute with its links resolved; a loop of links or a NUL byte leaves it
    merely absolute, so that reading it then fails with a message instead of resolving raising."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError, ValueError):
        return Path(os.path.abspath(path))


def open_regular_file(path: Path) -> int:
    """A read-only descriptor of `path`, which must be a regular file (after following links).

    Opened without blocking, so that a FIFO named like a scenario file is refused instead of
    waiting for a writer; the type is checked on the descriptor itself, not on the name.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{_kind(mode)}, not a regular file", str(path))
        os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes: the census identity recorded with each simulation run."""
    digest = hashlib.sha256()
    try:
        with os.fdopen(open_regular_file(path), "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise CensusError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    return digest.hexdigest()


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device")):
        if test(mode):
            return name
    return "a special file"


def read_regular_file(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; raises ValueError if it holds more.

    The limit applies to what is read, not to the size the file reports, which can change
    while it is read.
    """
    with os.fdopen(open_regular_file(path), "rb") as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise ValueError(f"more than the {limit} bytes allowed")
    return content


def line_of_offset(content: bytes, offset: int) -> int:
    """The 1-based line number of a byte offset (how a user finds a bad byte in an editor)."""
    return content.count(b"\n", 0, offset) + 1


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`, synced and renamed onto it on success.

    An analyst may have yesterday's workbook open, a sync tool may be reading it, or the
    process may be killed while writing: a reader sees the old file or the new one, never
    half of one. A full disk raises DiskFullError naming `path`, and the old file stays.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        try:
            yield partial
            with open(partial, "rb+") as handle:
                os.fsync(handle.fileno())
            partial.replace(path)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise DiskFullError(disk_full_message(path)) from error
            raise
    finally:
        partial.unlink(missing_ok=True)


def write_json(path: Path, document: dict[str, Any]) -> Path:
    with atomic_file(path) as partial:
        partial.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def disk_full_message(path: Path | str) -> str:
    return f"{path}: no space left on the device"


# DuckDB names the file in its I/O errors: `Could not write file "/path/x.duckdb.wal": No space left on device`
_QUOTED_PATH = re.compile(r'"(/[^"]+)"')


def describe_disk_full(error: BaseException, fallback: Path) -> str | None:
    """One line naming the file for an error caused by a full disk, else None.

    The error may come from Python (OSError ENOSPC), SQLite (the Dagster home) or DuckDB (a
    scenario's file), directly or as the cause of another error.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFullError):
            return str(current)
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return disk_full_message(current.filename or fallback)
        text = str(current)
        if isinstance(current, sqlite3.OperationalError) and "disk is full" in text:
            return disk_full_message(fallback)
        if "No space left on device" in text or "database or disk is full" in text:
            quoted = _QUOTED_PATH.search(text)
            return disk_full_message(quoted.group(1) if quoted else fallback)
        current = current.__cause__ or current.__context__
    return None
