"""Single sign-on views: `/staff/sso/<organisation>` sends the browser to the provider, `.../callback` signs in.

The pending sign-in (state, nonce, PKCE verifier) is kept in the signed browser session for one return only: a
second use of the callback finds nothing pending and is refused, whatever code it carries.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, session
from flask_babel import gettext as _
from sqlmodel import select

from bot.audit import record
from bot.db import get_session, writes_on_get
from bot.models import Organisation, OrganisationSignIn
from bot.staff import oidc
from bot.staff.auth import SESSION_ID_TOKEN, SESSION_SSO_ORGANISATION, now, start_session
from bot.staff.blueprint import bp
from bot.staff.sso import client_secret, has_sso, settings_for, sign_in_identity

SESSION_PENDING = "staff_sso_pending"


def _organisation_and_settings(slug: str) -> tuple[Organisation, OrganisationSignIn]:
    db = get_session()
    organisation = db.exec(select(Organisation).where(Organisation.slug == slug)).first()
    row = settings_for(db, organisation.id) if organisation is not None and organisation.id is not None else None
    if organisation is None or row is None or not has_sso(row):
        abort(404)
    return organisation, row


def _client(organisation: Organisation, row: OrganisationSignIn) -> oidc.ClientSettings:
    return oidc.ClientSettings(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=client_secret(row, organisation),
        redirect_uri=f"{current_app.config['BASE_URL']}/staff/sso/{organisation.slug}/callback",
    )


def _failure_message(reason: str) -> str:
    messages = {
        "unknown-user": _(
            "You signed in at your organisation, but there is no staff account for your e-mail address here. "
            "Ask the functional administrator to add you."
        ),
        "inactive": _("Your staff account has been deactivated. Ask the functional administrator."),
        "no-role": _("Your account at your organisation is not in a group that has access to the staff area."),
        "no-email": _("Your organisation's sign-in did not say your e-mail address, so you cannot be recognised."),
        "provider-unreachable": _("Your organisation's sign-in service cannot be reached. Try again later."),
    }
    return messages.get(reason, _("The sign-in could not be completed safely. Start again from the sign-in page."))


@bp.get("/sso/<slug>")
def sso_start(slug: str) -> Any:
    organisation, row = _organisation_and_settings(slug)
    try:
        url, pending = oidc.begin(_client(organisation, row))
    except oidc.OidcError as error:
        current_app.logger.warning("single sign-on for %s cannot start: %s", organisation.slug, error)
        return render_template("staff/sso_failed.html", message=_failure_message(error.reason)), 502
    session[SESSION_PENDING] = {"organisation_id": organisation.id, **pending.as_dict()}
    return redirect(url)


@bp.get("/sso/<slug>/callback")
@writes_on_get  # the audit log records the sign-in or why it was refused
def sso_callback(slug: str) -> Any:
    organisation, row = _organisation_and_settings(slug)
    db = get_session()
    moment = now()
    stored = session.pop(SESSION_PENDING, None)
    pending = None
    if isinstance(stored, dict) and stored.get("organisation_id") == organisation.id:
        pending = oidc.PendingSignIn.from_dict(stored)
    try:
        claims, id_token = oidc.finish(_client(organisation, row), pending, args=dict(request.args), now=moment)
    except oidc.OidcError as error:
        record(
            db,
            now=moment,
            actor="sso:unknown",
            action="staff.sso-refused",
            organisation_id=organisation.id,
            detail={"reason": error.reason, "detail": error.detail[:500], "issuer": row.issuer},
        )
        db.commit()
        status = 502 if error.reason == "provider-unreachable" else 400
        return render_template("staff/sso_failed.html", message=_failure_message(error.reason)), status
    outcome = sign_in_identity(db, organisation=organisation, row=row, claims=claims, now=moment)
    db.commit()
    if outcome.user is None:
        return render_template("staff/sso_failed.html", message=_failure_message(outcome.refused)), 403
    target = start_session(
        outcome.user, moment, **{SESSION_SSO_ORGANISATION: organisation.id, SESSION_ID_TOKEN: id_token}
    )
    return redirect(target)
