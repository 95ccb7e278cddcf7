"""Configuration from the environment (and `.env`), with safe development defaults.

Every setting is documented in `.env.example`. `load_settings()` reads the environment once; the app factory
stores the result in `app.config`, and tests override single keys through the factory's mapping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production by check_production()


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which setting and why."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _int_list(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated whole numbers, got {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "ja"}:
        return True
    if value in {"0", "false", "no", "off", "nee"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def load_settings(instance_path: str | Path, *, dotenv: bool = True) -> dict[str, Any]:
    """Read every setting from the environment, after loading `.env` from the working directory."""
    if dotenv:
        load_dotenv(os.environ.get("BOT_DOTENV", ".env"), override=False)
    instance = Path(instance_path)
    env = os.environ.get("BOT_ENV", "development").strip().lower()
    return {
        "BOT_ENV": env,
        "DEBUG": _bool("BOT_DEBUG", False),
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'bot.sqlite3'}"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_URL": os.environ.get("MAIL_URL", f"file://{instance / 'mail'}"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "BIO leveranciersuitvraag <uitvraag@localhost>"),
        "CHAT_WEBHOOK_URL": os.environ.get("CHAT_WEBHOOK_URL", ""),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance / "uploads")),
        "MAX_UPLOAD_MB": _int("MAX_UPLOAD_MB", 20),
        # Review cycles: months between two uitvragen per risk tier (3 = quarterly, 12 = yearly).
        "CADENCE_MONTHS_LOW": _int("CADENCE_MONTHS_LOW", 3),
        "CADENCE_MONTHS_MEDIUM": _int("CADENCE_MONTHS_MEDIUM", 3),
        "CADENCE_MONTHS_HIGH": _int("CADENCE_MONTHS_HIGH", 3),
        "DEADLINE_DAYS": _int("DEADLINE_DAYS", 30),
        "TOKEN_GRACE_DAYS": _int("TOKEN_GRACE_DAYS", 14),
        "REMINDER_DAYS": _int_list("REMINDER_DAYS", [14, 3]),
        "CISO_ESCALATION_DAYS": _int("CISO_ESCALATION_DAYS", 14),
        # Escalation by findings (open ones, not accepted or resolved): a submission escalates to its owners when it
        # has at least this many critical findings, or this many high ones, or a high one still open this many
        # days after it was found (0 switches that part off). Critical findings also reach the CISO at once.
        "ESCALATE_CRITICAL_COUNT": _int("ESCALATE_CRITICAL_COUNT", 1),
        "ESCALATE_HIGH_COUNT": _int("ESCALATE_HIGH_COUNT", 3),
        "HIGH_FINDING_DAYS": _int("HIGH_FINDING_DAYS", 30),
        "EXPIRY_WARNING_DAYS": _int("EXPIRY_WARNING_DAYS", 60),
        "MAIL_RETRY_FIRST_SECONDS": _int("MAIL_RETRY_FIRST_SECONDS", 60),
        "MAIL_RETRY_MAX_SECONDS": _int("MAIL_RETRY_MAX_SECONDS", 3600),
        "MAIL_GIVE_UP_HOURS": _int("MAIL_GIVE_UP_HOURS", 72),
        "WORKER_TICK_SECONDS": _int("WORKER_TICK_SECONDS", 60),
        # PostgreSQL: how often a waiting worker replica tries to take over the leader lock.
        "WORKER_LEADER_RETRY_SECONDS": _int("WORKER_LEADER_RETRY_SECONDS", 10),
        "STAFF_SESSION_HOURS": _int("STAFF_SESSION_HOURS", 8),
        "SIGNIN_LINK_MINUTES": _int("SIGNIN_LINK_MINUTES", 15),
        # Reverse proxies in front of the web server whose X-Forwarded-For/-Proto to trust (0: none). Rate limits
        # count per client address; behind a proxy that address is only known from X-Forwarded-For.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
    }


def check_production(config: dict[str, Any]) -> None:
    """Refuse settings that are unsafe in production, naming the setting and what to do."""
    if config.get("BOT_ENV") != "production":
        return
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if not secret or secret == DEFAULT_SECRET_KEY:
        problems.append("SECRET_KEY is missing or still the development default; set a long random value")
    elif len(secret) < 32:
        problems.append("SECRET_KEY is shorter than 32 characters; set a long random value")
    if config.get("DEBUG"):
        problems.append("BOT_DEBUG is on; debug mode must be off in production")
    if not str(config.get("BASE_URL", "")).startswith("https://"):
        problems.append("BASE_URL must start with https:// in production (links in mails use it)")
    if problems:
        raise ConfigError("Refusing to start with BOT_ENV=production: " + "; ".join(problems) + ".")
