"""Logging for the command line: one JSON object a line on stderr, at HUNTER_LOG_LEVEL."""

from __future__ import annotations

import json
import logging
import sys

STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("hunter")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
