"""Single sign-on per organisation: its settings, and who a validated OpenID Connect identity is.

An identity is matched to the staff user of *that* organisation by e-mail (case-insensitive); with just-in-time
creation switched on, an unknown address becomes a new staff user. A groups claim can map provider groups to a role,
applied at every sign-in (audited; the last active admin keeps the admin role). `bot.staff.sso_cli` holds the
`bot sso ...` commands with which the administrator of the instance configures an organisation.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot import emails
from bot.audit import record
from bot.models import Organisation, OrganisationSignIn, Role, StaffUser
from bot.staff.users import ROLES, UserError, change_role, ensure_staff_user, find_staff_user

# When a user is in several mapped groups, the most far-reaching role wins.
ROLE_PRECEDENCE = (Role.ADMIN.value, Role.CISO.value, Role.CONTRACT_MANAGER.value)
_LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")


class SsoError(ValueError):
    """Single sign-on cannot be configured as asked; the message names the setting and why."""


@dataclass(frozen=True)
class SsoOutcome:
    """The staff user a sign-in leads to, or why there is none (`refused`: a short reason code)."""

    user: StaffUser | None = None
    refused: str = ""
    email: str = ""


def secret_variable(organisation: Organisation) -> str:
    """The environment variable that holds this organisation's client secret: OIDC_CLIENT_SECRET_<SLUG>."""
    return "OIDC_CLIENT_SECRET_" + re.sub(r"[^A-Z0-9]", "_", organisation.slug.upper())


def client_secret(row: OrganisationSignIn, organisation: Organisation) -> str:
    """The client secret: from the environment when set there, else from the database, else empty."""
    return os.environ.get(secret_variable(organisation), "").strip() or (row.client_secret or "")


def secret_source(row: OrganisationSignIn, organisation: Organisation) -> str:
    """Where the secret comes from, to show instead of the secret: environment, database or missing."""
    if os.environ.get(secret_variable(organisation), "").strip():
        return "environment"
    return "database" if row.client_secret else "missing"


def settings_for(session: Session, organisation_id: int) -> OrganisationSignIn | None:
    return session.exec(select(OrganisationSignIn).where(OrganisationSignIn.organisation_id == organisation_id)).first()


def has_sso(row: OrganisationSignIn | None) -> bool:
    return row is not None and bool(row.issuer) and bool(row.client_id)


def mail_link_allowed(session: Session, organisation_id: int) -> bool:
    """Whether this organisation's staff may still sign in with a mailed link (yes unless switched off)."""
    row = settings_for(session, organisation_id)
    return row is None or row.mail_link


def sso_organisations(session: Session) -> list[Organisation]:
    """The organisations whose staff can sign in by single sign-on, by name."""
    rows = session.exec(
        select(Organisation, OrganisationSignIn)
        .join(OrganisationSignIn, OrganisationSignIn.organisation_id == Organisation.id)  # type: ignore[arg-type]
        .order_by(Organisation.name)
    ).all()
    return [organisation for organisation, row in rows if has_sso(row)]


def any_mail_link(session: Session) -> bool:
    """Whether any organisation still offers the mailed link (the sign-in page shows its form only then)."""
    organisations = session.exec(select(Organisation.id)).all()
    return not organisations or any(mail_link_allowed(session, oid) for oid in organisations if oid is not None)


def _check_issuer(issuer: str) -> str:
    issuer = issuer.strip().rstrip("/")
    if not (issuer.startswith("https://") or _LOOPBACK.match(issuer)):
        raise SsoError(f"issuer must be an https:// URL, got '{issuer}'")
    return issuer


def configure(
    session: Session,
    *,
    organisation: Organisation,
    now: datetime,
    actor: str,
    issuer: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    email_claim: str | None = None,
    groups_claim: str | None = None,
    group_roles: dict[str, str] | None = None,
    create_users: bool | None = None,
    mail_link: bool | None = None,
) -> OrganisationSignIn:
    """Create or change an organisation's sign-in settings (None = leave as is), audited without the secret.

    The caller commits.
    """
    row = settings_for(session, organisation.id) or OrganisationSignIn(  # type: ignore[arg-type]
        organisation_id=organisation.id, created_at=now, updated_at=now
    )
    changed: dict[str, Any] = {}
    if issuer is not None:
        row.issuer = _check_issuer(issuer) if issuer.strip() else ""
        changed["issuer"] = row.issuer
    if client_id is not None:
        row.client_id = client_id.strip()
        changed["client_id"] = row.client_id
    if client_secret is not None:
        row.client_secret = client_secret.strip() or None
        changed["client_secret"] = "changed"  # noqa: S105 - that it changed, never the value
    if email_claim is not None:
        if not email_claim.strip():
            raise SsoError("email claim must name a claim, e.g. email or preferred_username")
        row.email_claim = email_claim.strip()
        changed["email_claim"] = row.email_claim
    if groups_claim is not None:
        row.groups_claim = groups_claim.strip() or None
        changed["groups_claim"] = row.groups_claim
    if group_roles is not None:
        bad = {group: role for group, role in group_roles.items() if role not in ROLES}
        if bad:
            group, role = next(iter(bad.items()))
            raise SsoError(f"group '{group}': role must be one of {', '.join(ROLES)}, got '{role}'")
        row.group_roles = dict(sorted(group_roles.items())) or None
        changed["group_roles"] = row.group_roles
    if create_users is not None:
        row.create_users = create_users
        changed["create_users"] = create_users
    if mail_link is not None:
        row.mail_link = mail_link
        changed["mail_link"] = mail_link
    if bool(row.issuer) != bool(row.client_id):
        raise SsoError("issuer and client id go together: set both, or clear both")
    if not row.mail_link and not has_sso(row):
        raise SsoError("the mailed link can only be switched off when single sign-on is configured")
    row.updated_at = now
    session.add(row)
    session.flush()
    record(
        session,
        now=now,
        actor=actor,
        action="organisation.sign-in-configured",
        organisation_id=organisation.id,
        subject_type="organisation",
        subject_id=organisation.id,
        detail=changed,
    )
    return row


def mapped_role(row: OrganisationSignIn, claims: dict[str, Any]) -> str | None:
    """The role the groups claim maps to (the most far-reaching one), or None without a mapping or a match."""
    if not row.groups_claim or not row.group_roles:
        return None
    groups = claims.get(row.groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return None
    roles = {row.group_roles[g] for g in groups if isinstance(g, str) and g in row.group_roles}
    return next((role for role in ROLE_PRECEDENCE if role in roles), None)


def _email(row: OrganisationSignIn, claims: dict[str, Any]) -> str:
    value = claims.get(row.email_claim)
    if not isinstance(value, str) or not emails.is_valid(value):
        return ""
    if claims.get("email_verified") is False and row.email_claim == "email":
        return ""  # the provider itself says the address is not the user's
    return emails.normalise(value)


def sign_in_identity(
    session: Session,
    *,
    organisation: Organisation,
    row: OrganisationSignIn,
    claims: dict[str, Any],
    now: datetime,
) -> SsoOutcome:
    """Who these validated ID-token claims are in `organisation`, applying JIT creation and the group mapping.

    Audits the sign-in or the refusal; the caller commits (also after a refusal, to keep its audit row).
    """
    email = _email(row, claims)
    role = mapped_role(row, claims)
    outcome = SsoOutcome(refused="no-email") if not email else _match(session, organisation, row, email, role, now)
    if outcome.user is None:
        record(
            session,
            now=now,
            actor=f"sso:{email or claims.get('sub', '?')}",
            action="staff.sso-refused",
            organisation_id=organisation.id,
            detail={"reason": outcome.refused, "email": email, "issuer": row.issuer},
        )
        return outcome
    user = outcome.user
    user.last_signed_in_at = now
    session.add(user)
    record(
        session,
        now=now,
        actor=f"staff:{user.email}",
        action="staff.signed-in",
        organisation_id=organisation.id,
        subject_type="staffuser",
        subject_id=user.id,
        detail={"method": "oidc", "issuer": row.issuer},
    )
    return outcome


def _match(
    session: Session, organisation: Organisation, row: OrganisationSignIn, email: str, role: str | None, now: datetime
) -> SsoOutcome:
    user: StaffUser | None = find_staff_user(session, organisation=organisation, email=email)
    actor = f"sso:{email}"
    if user is None:
        if not row.create_users:
            return SsoOutcome(refused="unknown-user", email=email)
        if row.group_roles and role is None:
            return SsoOutcome(refused="no-role", email=email)
        user, _created = ensure_staff_user(
            session,
            organisation=organisation,
            email=email,
            role=role or Role.CONTRACT_MANAGER.value,
            now=now,
            actor=actor,
        )
        return SsoOutcome(user=user, email=email)
    if not user.active:
        return SsoOutcome(refused="inactive", email=email)
    if role is not None and role != user.role:
        # The last active admin stays admin: change_role refuses before it changes anything.
        with contextlib.suppress(UserError):
            change_role(session, organisation=organisation, user=user, role=role, now=now, actor=actor)
    return SsoOutcome(user=user, email=email)
