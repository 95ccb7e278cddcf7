"""Options shared by the `bot` commands (`--now`). Kept apart from bot.cli, which imports every command module:
a command module that imported bot.cli would, when imported first, import itself half-initialised."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from bot.timeutil import parse_now


class NowType(click.ParamType):
    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_now(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def now_option(func: Any) -> Any:
    """`--now T`: pretend the current time is T (UTC). Defaults to the real clock."""
    return click.option(
        "--now",
        type=NowType(),
        default=None,
        help="Pretend it is this moment (ISO date or date-time, UTC); default: the real clock.",
    )(func)


def resolve_now(value: datetime | None) -> datetime:
    return value if value is not None else parse_now(None)
