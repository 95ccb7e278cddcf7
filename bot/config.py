"""Configuration from the environment (and `.env`): one typed, frozen `Settings` object, safe only where asked.

Every setting is documented in `.env.example` and the README. Each default is defined once, as a field default of
`Settings` (the paths under the instance folder in `load_settings`). A setting that is unset or empty in `.env` or
the environment takes its default, so `cp .env.example .env` works unchanged. The app factory stores the settings in
`app.config` (Flask reads its own keys from there) and keeps the typed object in `app.extensions["settings"]`.

Fail closed: an unknown BOT_ENV is refused; the development secret key only runs when BOT_ENV says development or
test; production also refuses weak keys, debug mode and plain-http links.
"""

from __future__ import annotations

import dataclasses
import math
import os
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused outside development and test
ENVIRONMENTS = ("development", "test", "production")
LOG_FORMATS = ("text", "json")
# A production key needs at least this many characters and this much estimated entropy (bits, by its own
# character frequencies), and no character may fill more than a quarter of it.
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
# The sector view never shows figures that fewer municipalities contribute to (two would learn each other's).
SECTOR_MIN_LOWEST = 3


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which setting and why."""


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, with its default. Names are those of the environment variables."""

    BOT_ENV: str = "development"
    DEBUG: bool = False
    SECRET_KEY: str = DEFAULT_SECRET_KEY
    DATABASE_URL: str = ""  # default: a SQLite file in the instance folder
    BASE_URL: str = "http://127.0.0.1:5000"
    MAIL_URL: str = ""  # default: file:// the instance folder's mail/
    MAIL_FROM: str = "BIO leveranciersuitvraag <uitvraag@localhost>"
    CHAT_WEBHOOK_URL: str = ""
    UPLOAD_DIR: str = ""  # default: the instance folder's uploads/
    MAX_UPLOAD_MB: int = 20
    # The development mailbox at /dev/mail: only when switched on, and only for clients on this machine.
    DEV_MAIL: bool = False
    # Review cycles: months between two uitvragen per risk tier (3 = quarterly, 12 = yearly).
    CADENCE_MONTHS_LOW: int = 3
    CADENCE_MONTHS_MEDIUM: int = 3
    CADENCE_MONTHS_HIGH: int = 3
    # The month whose cycle brings the full (or light) questionnaire, once a year; the other cycles send the short
    # update questionnaire. January: the answers are in during the first quarter, ahead of the ENSIA accountability
    # and the DigiD and Suwinet assessments in spring. 0: the full questionnaire in every cycle.
    FULL_QUESTIONNAIRE_MONTH: int = 1
    DEADLINE_DAYS: int = 30
    TOKEN_GRACE_DAYS: int = 14
    REMINDER_DAYS: tuple[int, ...] = (14, 3)
    CISO_ESCALATION_DAYS: int = 14
    # Escalation by findings (open ones, not accepted or resolved): a submission escalates to its owners when it
    # has at least this many critical findings, or this many high ones, or a high one still open this many
    # days after it was found (0 switches that part off). Critical findings also reach the CISO at once.
    ESCALATE_CRITICAL_COUNT: int = 1
    ESCALATE_HIGH_COUNT: int = 3
    HIGH_FINDING_DAYS: int = 30
    # Risk acceptance: the longest a contract manager may propose (and a CISO approve) to accept a critical or a
    # high finding, in months. Medium and low findings are accepted for at most 36 months, without approval.
    RISK_ACCEPT_CRITICAL_MONTHS: int = 12
    RISK_ACCEPT_HIGH_MONTHS: int = 24
    EXPIRY_WARNING_DAYS: int = 60
    MAIL_RETRY_FIRST_SECONDS: int = 60
    MAIL_RETRY_MAX_SECONDS: int = 3600
    MAIL_GIVE_UP_HOURS: int = 72
    WORKER_TICK_SECONDS: int = 60
    # PostgreSQL: how often a waiting worker replica tries to take over the leader lock.
    WORKER_LEADER_RETRY_SECONDS: int = 10
    STAFF_SESSION_HOURS: int = 8
    # A staff session that has had no request for this long ends (the person signs in again).
    STAFF_IDLE_MINUTES: int = 60
    SIGNIN_LINK_MINUTES: int = 15
    # How often the worker looks for sign-in requests (and sends their mail): a cheap query, so every few seconds.
    SIGNIN_POLL_SECONDS: int = 2
    # The sector view shows a shared declaration only once at least this many municipalities received it (>= 3).
    SECTOR_MIN_MUNICIPALITIES: int = 5
    # Reverse proxies in front of the web server whose X-Forwarded-For/-Proto to trust (0: none). Rate limits
    # count per client address; behind a proxy that address is only known from X-Forwarded-For.
    TRUSTED_PROXIES: int = 0
    # Operations: log lines as text or as one JSON object per line (tokens masked either way); Prometheus metrics
    # at /metrics only when switched on, behind a bearer token when one is set; the age of the worker's last tick
    # at which /readyz/worker fails (0: three ticks plus a minute).
    LOG_FORMAT: str = "text"
    METRICS_ENABLED: bool = False
    METRICS_TOKEN: str = ""
    WORKER_STALE_SECONDS: int = 0
    # Retention (AVG, Archiefwet): days each kind is kept (0: for ever); see bot/retention.py. Answers, submissions
    # and evidence count from the end of the last contract they cover; the worker removes what is older daily.
    RETENTION_EVIDENCE_DAYS: int = 2557  # seven years
    RETENTION_ANSWERS_DAYS: int = 2557
    RETENTION_AUDIT_DAYS: int = 2557
    RETENTION_OUTBOX_BODY_DAYS: int = 30
    RETENTION_SIGNIN_TOKEN_DAYS: int = 30
    RETENTION_RATE_LIMIT_DAYS: int = 2

    def as_config(self) -> dict[str, Any]:
        """The settings as `app.config` keys (lists where code expects lists)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["REMINDER_DAYS"] = list(self.REMINDER_DAYS)
        return values


DEFAULTS = Settings()
_ENV_NAMES = {"DEBUG": "BOT_DEBUG"}  # settings whose environment variable has another name


def setting(config: Mapping[str, Any], name: str) -> Any:
    """`config[name]`, or the one default from `Settings` when a caller's mapping lacks it."""
    value = config.get(name)
    if value is None or value == "":
        return getattr(DEFAULTS, name)
    return value


def _raw(name: str) -> str | None:
    raw = os.environ.get(_ENV_NAMES.get(name, name))
    if raw is None or raw.strip() == "":
        return None  # unset or empty: the default
    return raw.strip()


def _parse(name: str, kind: Any, raw: str) -> Any:
    env_name = _ENV_NAMES.get(name, name)
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{env_name} must be a whole number, got {raw!r}") from None
    if kind in (bool, "bool"):
        value = raw.lower()
        if value in {"1", "true", "yes", "on", "ja"}:
            return True
        if value in {"0", "false", "no", "off", "nee"}:
            return False
        raise ConfigError(f"{env_name} must be true or false, got {raw!r}")
    if kind in (tuple[int, ...], "tuple[int, ...]"):
        try:
            return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))
        except ValueError:
            raise ConfigError(f"{env_name} must be comma-separated whole numbers, got {raw!r}") from None
    return raw


def read_settings(instance_path: str | Path, *, dotenv: bool = True) -> Settings:
    """Read every setting from the environment, after loading `.env` (BOT_DOTENV) from the working directory."""
    if dotenv:
        load_dotenv(os.environ.get("BOT_DOTENV", ".env"), override=False)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = _raw(f.name)
        if raw is not None:
            values[f.name] = _parse(f.name, f.type, raw)
    instance = Path(instance_path)
    values.setdefault("DATABASE_URL", f"sqlite:///{instance / 'bot.sqlite3'}")
    values.setdefault("MAIL_URL", f"file://{instance / 'mail'}")
    values.setdefault("UPLOAD_DIR", str(instance / "uploads"))
    values["BOT_ENV"] = str(values.get("BOT_ENV", DEFAULTS.BOT_ENV)).lower()
    values["BASE_URL"] = str(values.get("BASE_URL", DEFAULTS.BASE_URL)).rstrip("/")
    values["LOG_FORMAT"] = str(values.get("LOG_FORMAT", DEFAULTS.LOG_FORMAT)).lower()
    return Settings(**values)


def load_settings(instance_path: str | Path, *, dotenv: bool = True) -> dict[str, Any]:
    """The settings as `app.config` keys (see `read_settings`)."""
    return read_settings(instance_path, dotenv=dotenv).as_config()


def secret_key_weakness(secret: str) -> str | None:
    """Why `secret` is too weak for production, or None: too short, repeated characters or patterns, low entropy."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters"
    counts = Counter(secret)
    if counts.most_common(1)[0][1] > len(secret) / 4:
        return "SECRET_KEY repeats one character too often"
    if len(zlib.compress(secret.encode(), 9)) < len(secret.encode()) * 3 / 4:
        return "SECRET_KEY repeats a pattern"
    bits = -sum(n * math.log2(n / len(secret)) for n in counts.values())
    if bits < MIN_SECRET_BITS:
        return f"SECRET_KEY has too little randomness (about {bits:.0f} bits, at least {MIN_SECRET_BITS} needed)"
    return None


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse settings that are unknown or unsafe for their BOT_ENV, naming the setting and what to do."""
    env = config.get("BOT_ENV")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"BOT_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}.")
    if config.get("LOG_FORMAT", DEFAULTS.LOG_FORMAT) not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {config.get('LOG_FORMAT')!r}.")
    sector_minimum = config.get("SECTOR_MIN_MUNICIPALITIES", DEFAULTS.SECTOR_MIN_MUNICIPALITIES)
    if not isinstance(sector_minimum, int) or sector_minimum < SECTOR_MIN_LOWEST:
        raise ConfigError(
            f"SECTOR_MIN_MUNICIPALITIES must be at least {SECTOR_MIN_LOWEST} (fewer would single municipalities out), "
            f"got {sector_minimum!r}."
        )
    secret = config.get("SECRET_KEY") or ""
    if env != "production":
        if not secret:
            raise ConfigError("SECRET_KEY is empty; leave it unset for the development default or set a value.")
        return
    problems = []
    if not secret or secret == DEFAULT_SECRET_KEY:
        problems.append("SECRET_KEY is missing or still the development default; set a long random value")
    else:
        weakness = secret_key_weakness(secret)
        if weakness:
            problems.append(
                weakness + '; set a long random value (python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
    if config.get("DEBUG"):
        problems.append("BOT_DEBUG is on; debug mode must be off in production")
    if config.get("DEV_MAIL"):
        problems.append("DEV_MAIL is on; the development mailbox must be off in production")
    if not str(config.get("BASE_URL", "")).startswith("https://"):
        problems.append("BASE_URL must start with https:// in production (links in mails use it)")
    if problems:
        raise ConfigError("Refusing to start with BOT_ENV=production: " + "; ".join(problems) + ".")
