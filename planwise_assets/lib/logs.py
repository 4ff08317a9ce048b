"""Log records that carry scenario_id and plan_design_id, as text or JSON lines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

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


def scenario_logger(scenario_id: str | None, plan_design_id: str | None) -> logging.LoggerAdapter:
    """A logger whose every record names the scenario and its plan design."""
    return logging.LoggerAdapter(
        logging.getLogger(LOGGER_NAME), {"scenario_id": scenario_id, "plan_design_id": plan_design_id}
    )
