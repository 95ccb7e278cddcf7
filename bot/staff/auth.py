"""Staff sign-in and sign-out views, the signed-in session, and the organisation scoping every page relies on.

The browser session (bot/staff/sessions.py) ends after STAFF_SESSION_HOURS, after STAFF_IDLE_MINUTES unused, and
on the server for every device at sign-out or when the account is deactivated. Every look-up of an id from a URL
goes through `scoped_or_404`, so another organisation's ids answer 404, exactly like ids that do not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlmodel import Session, SQLModel

from bot import emails, security_events
from bot.db import get_engine, get_session, writes_on_get
from bot.models import StaffUser
from bot.ratelimit import hit
from bot.staff import oidc
from bot.staff.blueprint import bp
from bot.staff.sessions import end_sessions, session_user
from bot.staff.sessions import start_session as start_cookie_session
from bot.staff.signin import SignInState, check_signin_token, queue_signin_request, redeem_signin_token
from bot.staff.sso import any_mail_link, has_sso, settings_for, sso_organisations
from bot.timeutil import utcnow

SESSION_NEXT = "staff_next"
# After a single sign-on: which organisation's provider, and its ID token (the hint for signing out there too).
SESSION_SSO_ORGANISATION = "staff_sso_organisation"
SESSION_ID_TOKEN = "staff_id_token"  # noqa: S105 - a session key
# Generous for people, far too few for guessing: per address and per client address.
SIGNIN_REQUESTS_PER_ADDRESS = 5
SIGNIN_REQUESTS_PER_CLIENT = 20
SIGNIN_LINK_TRIES_PER_CLIENT = 30
RATE_WINDOW_SECONDS = 15 * 60

T = TypeVar("T", bound=SQLModel)


def now() -> datetime:
    """The time staff pages and actions work with."""
    return utcnow()


def current_staff() -> StaffUser | None:
    """The signed-in, active staff user of this request, or None (and the session is cleared if it ran out)."""
    if "staff_user" in g:
        return g.staff_user
    user = session_user(
        get_session(),
        session,
        now=now(),
        hours=current_app.config["STAFF_SESSION_HOURS"],
        idle_minutes=current_app.config["STAFF_IDLE_MINUTES"],
    )
    g.staff_user = user
    if user is not None:
        g.staff_lang = user.language if user.language in ("nl", "en") else "nl"
    return user


F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Send visitors without a live staff session to the sign-in page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_staff() is None:
            if request.method == "GET":
                # After signing in (in this browser), come back here: escalation mails link to an uitvraag.
                session[SESSION_NEXT] = request.full_path.rstrip("?")
            return redirect(url_for("staff.signin"))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def staff() -> StaffUser:
    """The signed-in user inside a `login_required` view."""
    user = current_staff()
    assert user is not None
    return user


def scoped_or_404(model: type[T], object_id: int) -> T:
    """Load a row that has an `organisation_id`; 404 unless it belongs to the signed-in user's organisation."""
    row = get_session().get(model, object_id)
    if row is None or getattr(row, "organisation_id", None) != staff().organisation_id:
        abort(404)
    return row


def _client() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    # Only a path inside the staff area: never an open redirect to another site.
    if target and target.startswith("/staff/") and not target.startswith("//"):
        return target
    return url_for("staff.attention")


@bp.before_request
def _language() -> None:
    """`?lang=nl|en` switches the staff area's language; a signed-in user's choice is remembered on their account."""
    asked = request.args.get("lang")
    if asked not in ("nl", "en"):
        return
    user = current_staff()
    g.staff_lang = asked
    if user is not None and user.language != asked:
        # GET requests read through a read-only session; the choice is written through its own short one.
        with Session(get_engine()) as writer:
            stored = writer.get(StaffUser, user.id)
            if stored is not None:
                stored.language = asked
                writer.commit()


def signin_choices() -> dict[str, Any]:
    """What the sign-in page offers: a single sign-on button per organisation that has it, and the mailed link."""
    db = get_session()
    return {"sso_organisations": sso_organisations(db), "mail_link": any_mail_link(db)}


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    if request.method == "GET":
        if current_staff() is not None:
            return redirect(url_for("staff.overview"))
        return render_template("staff/signin.html", sent=False, **signin_choices())
    db = get_session()
    moment = now()
    email = (request.form.get("email") or "").strip()
    if not email or "@" not in email or len(email) > 254:
        error = _("Enter your e-mail address, e.g. name@municipality.nl.")
        return render_template("staff/signin.html", sent=False, error=error, email=email, **signin_choices()), 400
    allowed = hit(
        db,
        key=f"staff-signin:client:{_client()}",
        limit=SIGNIN_REQUESTS_PER_CLIENT,
        window_seconds=RATE_WINDOW_SECONDS,
        now=moment,
    )
    # Past the per-address limit the answer stays the same but no more mail goes out: whoever asks for someone
    # else's address cannot lock that person out (the links already mailed to her still work).
    mail = allowed and hit(
        db,
        key=f"staff-signin:address:{emails.normalise(email)}",
        limit=SIGNIN_REQUESTS_PER_ADDRESS,
        window_seconds=RATE_WINDOW_SECONDS,
        now=moment,
    )
    if mail:
        # Only queued: the worker looks the address up and mails within seconds. Looking it up here would make
        # known addresses answer measurably slower than unknown ones (F5).
        queue_signin_request(db, email=email, now=moment)
    db.commit()
    if allowed and not mail:
        security_events.note("rate-limited")  # the same page, but no mail: the per-address limit
    if not allowed:
        message = _("Too many requests. Wait fifteen minutes and try again.")
        return render_template("staff/signin.html", sent=False, error=message, email=email, **signin_choices()), 429
    # The same answer for known and unknown addresses: no one learns who has an account.
    return render_template("staff/signin.html", sent=True, email=email)


@bp.route("/signin/<token>", methods=["GET", "POST"])
@writes_on_get  # counts link look-ups against the client's rate limit
def signin_link(token: str) -> Any:
    db = get_session()
    moment = now()
    if not hit(
        db,
        key=f"staff-signin-link:client:{_client()}",
        limit=SIGNIN_LINK_TRIES_PER_CLIENT,
        window_seconds=RATE_WINDOW_SECONDS,
        now=moment,
    ):
        db.commit()
        return render_template("staff/signin_link.html", state="limited"), 429
    db.commit()
    if request.method == "GET":
        # Looking does not use the link up: mail scanners fetch links, people press the button.
        check = check_signin_token(db, token, now=moment)
        status = 200 if check.ok else 404
        if not check.ok:
            security_events.note(f"signin-link-{check.state.value}")
        return render_template("staff/signin_link.html", state=check.state.value, token=token), status
    result = redeem_signin_token(db, token, now=moment)
    if not result.ok:
        db.rollback()
        security_events.note(f"signin-link-{result.state.value}")
        return render_template("staff/signin_link.html", state=result.state.value), 404
    db.commit()
    assert result.user is not None
    return redirect(start_session(result.user, moment))


def start_session(user: StaffUser, moment: datetime, **extra: Any) -> str:
    """Sign `user` in for this browser (a fresh session, so nothing from before carries over); returns where to go.

    `extra` is kept in the session too (single sign-on keeps its ID token for signing out at the provider).
    """
    target = _safe_next(session.get(SESSION_NEXT))
    start_cookie_session(session, user, now=moment)  # bot/staff/sessions.py: epoch, idle time, sign-in time
    security_events.note("signed-in", organisation_id=user.organisation_id, actor=f"staff:{user.email}")
    session.permanent = True
    session.update(extra)
    g.pop("staff_user", None)
    return target


def _provider_sign_out_url() -> str | None:
    organisation_id = session.get(SESSION_SSO_ORGANISATION)
    id_token = session.get(SESSION_ID_TOKEN)
    if not organisation_id or not isinstance(id_token, str):
        return None
    row = settings_for(get_session(), int(organisation_id))
    if row is None or not has_sso(row):
        return None
    return oidc.end_session_url(
        row.issuer,
        id_token=id_token,
        client_id=row.client_id,
        post_logout_redirect_uri=f"{current_app.config['BASE_URL']}/staff/signed-out",
    )


@bp.get("/signed-out")
def signed_out() -> Any:
    """Where the provider sends the browser back after ending its session too."""
    return render_template("staff/signin.html", sent=False, signed_out=True, **signin_choices())


@bp.post("/signout")
def signout() -> Any:
    provider_url = _provider_sign_out_url()
    user = current_staff()
    if user is not None:
        # Every session of this user ends on the server (all devices, copied cookies too), not only this cookie.
        db = get_session()
        end_sessions(db, user, now=now(), actor=f"staff:{user.email}", reason="signed-out")
        db.commit()
        security_events.note("signed-out", organisation_id=user.organisation_id, actor=f"staff:{user.email}")
    session.clear()
    g.pop("staff_user", None)
    if provider_url:
        # Not a redirect: the page's CSP (form-action 'self') rightly stops a form post from leaving the site, so
        # a page that moves on by itself (meta refresh, with a link for when it does not) takes the browser there.
        return render_template("staff/signing_out.html", provider_url=provider_url)
    return render_template("staff/signin.html", sent=False, signed_out=True, **signin_choices())


__all__ = ["SignInState", "current_staff", "login_required", "now", "scoped_or_404", "staff", "start_session"]
