"""Log records that carry scenario_id and plan_design_id (and simulation_year for a simulated year), as text
or JSON lines, or, in a terminal, as progress bars per scenario and year."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from logging.handlers import QueueHandler
from typing import Any

LOGGER_NAME = "planwise"


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, scenario_id, plan_design_id, message."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(),
                "scenario_id": getattr(record, "scenario_id", None),
                "plan_design_id": getattr(record, "plan_design_id", None),
                "simulation_year": getattr(record, "simulation_year", None),
                "message": record.getMessage(),
            }
        )


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        scenario = getattr(record, "scenario_id", None)
        return f"{scenario}: {record.getMessage()}" if scenario else record.getMessage()


def configure(json_lines: bool) -> logging.Logger:
    """The planwise logger writing to stderr in the chosen format (by the CLI and each batch worker)."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter() if json_lines else TextFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def logs_as_json() -> bool:
    """Whether the planwise logger is configured for JSON lines (passed on to worker processes)."""
    handlers = logging.getLogger(LOGGER_NAME).handlers
    return bool(handlers) and isinstance(handlers[0].formatter, JsonLinesFormatter)


class _ScenarioAdapter(logging.LoggerAdapter):
    """Keeps a call's own `extra` (e.g. simulation_year) next to the scenario's (Python 3.11 drops it)."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def scenario_logger(scenario_id: str | None, plan_design_id: str | None) -> logging.LoggerAdapter:
    """A logger whose every record names the scenario and its plan design."""
    return _ScenarioAdapter(
        logging.getLogger(LOGGER_NAME), {"scenario_id": scenario_id, "plan_design_id": plan_design_id}
    )


def live_progress_wanted() -> bool:
    """Progress bars when stderr is a terminal and the logs are text; plain lines otherwise."""
    return sys.stderr.isatty() and not logs_as_json()


class ProgressBars(logging.Handler):
    """The planwise log records as `rich` progress bars: one per scenario, advanced by each record of a
    simulated year (records with `simulation_year`); the other records are printed above the bars."""

    def __init__(self, progress: Any, years_by_scenario: dict[str, int]) -> None:
        super().__init__()
        self.progress = progress
        self.tasks = {
            scenario_id: progress.add_task(scenario_id, total=years) for scenario_id, years in years_by_scenario.items()
        }
        self.setFormatter(TextFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        task = self.tasks.get(getattr(record, "scenario_id", None))
        if task is not None and getattr(record, "simulation_year", None) is not None:
            self.progress.update(task, advance=1, description=f"{record.scenario_id} {record.simulation_year}")
        else:
            self.progress.console.print(self.format(record), markup=False, highlight=False)


@contextmanager
def progress_bars(years_by_scenario: dict[str, int]) -> Iterator[logging.Handler]:
    """Show the planwise logger's records as progress bars while the block runs; yields the handler
    that worker processes' records (passed through a queue) are given to."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    logger = logging.getLogger(LOGGER_NAME)
    handlers = logger.handlers[:]
    columns = (TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        bars = ProgressBars(progress, years_by_scenario)
        logger.handlers[:] = [bars]
        try:
            yield bars
        finally:
            logger.handlers[:] = handlers


def send_to_queue(queue: Any) -> None:
    """A batch worker's planwise records go to the parent's progress bars (the worker's initializer)."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers[:] = [QueueHandler(queue)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
