"""Log lines as text or, with LOG_FORMAT=json, as one JSON object per line; link tokens masked in both."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.supplier.logmask import TokenMaskFilter, mask

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers with handlers of their own (gunicorn's); their lines get the same format as ours.
OWN_HANDLERS = ("gunicorn.error", "gunicorn.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str) -> None:
    """Set up the root logger (INFO, unless already set up); with "json" every handler writes JSON lines."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    if log_format != "json":
        return
    handlers = list(root.handlers)
    for name in OWN_HANDLERS:
        handlers.extend(logging.getLogger(name).handlers)
    for handler in handlers:
        if not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, TokenMaskFilter) for f in handler.filters):
            handler.addFilter(TokenMaskFilter())
