"""Optional chat notifications (escalations) to an incoming webhook: Slack, Mattermost or Teams style JSON.

`notify` never raises and is bounded in time (short timeouts, two retries), so a slow or broken chat server can
delay its caller by seconds at most and never stops mail. The webhook URL is a secret: it is never logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # waits 0.5 s, then 1 s, between attempts


def payload(text: str, link: str | None) -> dict[str, Any]:
    """The JSON every common incoming webhook accepts: a `text` field (Markdown link where a link is given)."""
    body = " ".join(text.split()) if "\n" not in text else text.strip()
    if link:
        body = f"{body}\n[{link}]({link})"
    return {"text": body}


def notify(
    config: dict[str, Any],
    *,
    text: str,
    link: str | None = None,
    session: requests.Session | None = None,
) -> bool:
    """Post `text` (and `link`) to CHAT_WEBHOOK_URL. True when the chat server accepted it.

    Without CHAT_WEBHOOK_URL this does nothing and returns False. Retries connection errors, timeouts, 429 and
    5xx answers; any other answer is final. Never raises.
    """
    url = str(config.get("CHAT_WEBHOOK_URL") or "").strip()
    if not url:
        return False
    try:
        body = payload(text, link)
    except Exception:  # noqa: BLE001 - never raise into the caller
        log.exception("chat notification not sent: cannot build it")
        return False
    http = session or requests
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = http.post(url, json=body, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), allow_redirects=False)
        except requests.RequestException as error:
            problem = type(error).__name__
        except Exception as error:  # noqa: BLE001 - e.g. an invalid URL; never raise into the caller
            log.warning("chat notification not sent: %s", type(error).__name__)
            return False
        else:
            if 200 <= response.status_code < 300:
                return True
            problem = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                log.warning("chat notification refused by the chat server: %s", problem)
                return False
        if attempt < ATTEMPTS:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    log.warning("chat notification not sent after %d attempts: %s", ATTEMPTS, problem)
    return False
