"""The development mailbox: read the mails the file transport wrote, in the browser.

Only registered when DEV_MAIL is switched on explicitly (`bot dev` does) and MAIL_URL is a file:// folder, and only
answers clients on this machine (loopback addresses), so that the demo's invitation and
sign-in links can be followed without a mail client. It shows the plain-text part, escaped, with links clickable.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import re
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template, request
from markupsafe import Markup, escape

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")
URL_RE = re.compile(r"https?://[^\s<>\"]+")


def enabled(app: Flask) -> bool:
    return bool(app.config.get("DEV_MAIL")) and app.config["MAIL_URL"].startswith("file://")


@bp.before_request
def only_this_machine() -> None:
    """Mails hold live links: serve them only to a browser on this machine, never through a proxy."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback or request.headers.get("X-Forwarded-For"):
        abort(404)


def _folder() -> Path:
    return Path(current_app.config["MAIL_URL"][len("file://") :])


def _files() -> list[Path]:
    folder = _folder()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)


def _read(path: Path) -> email.message.EmailMessage:
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)  # type: ignore[return-value]


def _linkify(text: str) -> Markup:
    parts, last = [], 0
    for match in URL_RE.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    mails = []
    for path in _files()[:200]:
        message = _read(path)
        mails.append({"name": path.name, "subject": message["Subject"], "to": message["To"], "date": message["Date"]})
    return render_template("devmail/index.html", mails=mails, folder=_folder())


@bp.get("/<name>")
def show(name: str):  # type: ignore[no-untyped-def]
    path = _folder() / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        abort(404)
    message = _read(path)
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return render_template("devmail/show.html", message=message, body=_linkify(text), name=name)
