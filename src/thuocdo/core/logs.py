"""Logs as JSON lines, each with the request id of the request (or job, or command) it
belongs to, so one id found in a user's report, a response header, the audit log or a job
leads to every line about it.

`LOG_FORMAT=json` (the default) writes one JSON object per line; `LOG_FORMAT=text` a
plain line for a developer's console. Every record carries `request_id` and `channel` from
the current origin (`core.origin`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from thuocdo.core.origin import current_origin

# Attributes every LogRecord has; anything else was passed in `extra` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class OriginFilter(logging.Filter):
    """Stamps each record with the request id and channel of the current origin."""

    def filter(self, record: logging.LogRecord) -> bool:
        origin = current_origin()
        if not hasattr(record, "request_id"):
            record.request_id = origin.request_id if origin.channel != "system" else ""
        if not hasattr(record, "channel"):
            record.channel = origin.channel
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id,
    channel, the record's extras, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "channel": getattr(record, "channel", ""),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """The LOGGING setting: everything to the console, as JSON lines unless `fmt` is
    "text"; Django's request errors (500s with their traceback) included."""
    formatter = (
        {"()": "thuocdo.core.logs.JsonLines"}
        if fmt != "text"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"origin": {"()": "thuocdo.core.logs.OriginFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["origin"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # a 4xx is the client's business and is answered with a message; 5xx are logged
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }
