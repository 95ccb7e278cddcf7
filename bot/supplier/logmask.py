"""Keep link tokens out of every log: access logs (werkzeug, gunicorn) print the request path, which holds them.

A filter on the loggers that write request lines replaces `/q/<token>` and any token-shaped path segment with
`/q/<token>`-style placeholders before a handler formats the record.
"""

from __future__ import annotations

import logging
import re

from bot.tokens import TOKEN_PATTERN

# /q/<anything but the token-free pages> and any segment shaped like a token (43 URL-safe characters).
_LINK = re.compile(r"/q/(?!uitvraag/|static/)[^\s/?\"']+")
_SEGMENT = re.compile(r"(?<=/)" + TOKEN_PATTERN.pattern.strip("^$") + r"(?=[/?\s\"']|$)")
# Loggers that print request lines; the root logger catches what the app itself logs.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "")


def mask(text: str) -> str:
    """`text` with every link token replaced by a placeholder."""
    return _SEGMENT.sub("[token]", _LINK.sub("/q/[token]", text))


class TokenMaskFilter(logging.Filter):
    """Rewrites the record's message with tokens masked (formats it once, so arguments are masked too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report, not ours
            return True
        masked = mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def install() -> None:
    """Add the filter to the access loggers once (idempotent; safe to call for every app created)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenMaskFilter) for f in logger.filters):
            logger.addFilter(TokenMaskFilter())
    # Records from other loggers propagate to the root logger's handlers without passing its filters; a filter on
    # those handlers masks them too.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenMaskFilter) for f in handler.filters):
            handler.addFilter(TokenMaskFilter())
