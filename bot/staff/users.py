"""Staff users: the functions that add, list, change the role of and deactivate staff users, and the `bot user ...`
commands that call them (the web administration calls the same functions). `create_staff_user` is the one place a
staff user is made: the register import (contract owners become contract managers), single sign-on (through
`ensure_staff_user`) and the demo use it too."""

from __future__ import annotations

from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlmodel import Session, select

from bot import emails
from bot.audit import record
from bot.cli_options import now_option, resolve_now
from bot.db import get_session
from bot.models import Organisation, Role, StaffUser
from bot.staff.sessions import end_sessions

# The roles of a municipality's staff; the sector role belongs to no organisation (`add_sector_user`).
ROLES = tuple(role.value for role in Role if role is not Role.SECTOR)


class UserError(ValueError):
    """A staff user cannot be added as asked; the message names what was wrong."""


def find_organisation(session: Session, key: str) -> Organisation | None:
    """An organisation by slug or by exact name (case-insensitive)."""
    key = key.strip()
    return session.exec(
        select(Organisation)
        .where(sa.or_(sa.func.lower(Organisation.slug) == key.lower(), sa.func.lower(Organisation.name) == key.lower()))
        # One organisation's slug may be another's name: the slug wins, then the oldest.
        .order_by(sa.case((sa.func.lower(Organisation.slug) == key.lower(), 0), else_=1), Organisation.id)  # type: ignore[arg-type]
    ).first()


def _checked_address(email: str, role: str, language: str | None) -> str:
    address = emails.normalise(email)
    if not emails.is_valid(address):
        raise UserError(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got '{role}'")
    if language is not None and language not in ("nl", "en"):
        raise UserError(f"language must be nl or en, got '{language}'")
    return address


def create_staff_user(
    session: Session,
    *,
    organisation_id: int,
    email: str,
    role: str,
    now: datetime,
    name: str = "",
    language: str | None = None,
    actor: str = "cli",
) -> StaffUser:
    """The one way a staff user comes to exist (CLI, administration, single sign-on, register import, demo): a valid
    address in its normal form, a known role, and an audit row. It does not look for an existing user (see
    `ensure_staff_user`); the caller commits."""
    address = _checked_address(email, role, language)
    user = StaffUser(organisation_id=organisation_id, email=address, name=name.strip(), role=role, created_at=now)
    if language is not None:
        user.language = language
    session.add(user)
    session.flush()
    record(
        session,
        now=now,
        actor=actor,
        action="staff.user-added",
        organisation_id=organisation_id,
        subject_type="staffuser",
        subject_id=user.id,
        detail={"email": address, "role": role},
    )
    return user


def ensure_staff_user(
    session: Session,
    *,
    organisation: Organisation,
    email: str,
    role: str,
    now: datetime,
    name: str = "",
    language: str | None = None,
    actor: str = "cli",
) -> tuple[StaffUser, bool]:
    """Create the staff user, or update and reactivate an existing one of this organisation. Returns (user, created).

    The caller commits.
    """
    address = _checked_address(email, role, language)
    user = session.exec(
        select(StaffUser)
        .where(StaffUser.organisation_id == organisation.id, sa.func.lower(StaffUser.email) == address)
        .order_by(StaffUser.id)  # type: ignore[arg-type]  # case-only twins: the oldest
    ).first()
    if user is None:
        assert organisation.id is not None
        user = create_staff_user(
            session,
            organisation_id=organisation.id,
            email=address,
            role=role,
            now=now,
            name=name,
            language=language,
            actor=actor,
        )
        return user, True
    user.role = role
    user.active = True
    if name.strip():
        user.name = name.strip()
    if language is not None:
        user.language = language
    session.add(user)
    session.flush()
    record(
        session,
        now=now,
        actor=actor,
        action="staff.user-updated",
        organisation_id=organisation.id,
        subject_type="staffuser",
        subject_id=user.id,
        detail={"email": address, "role": role},
    )
    return user, False


def add_sector_user(
    session: Session, *, email: str, now: datetime, name: str = "", language: str | None = None, actor: str = "cli"
) -> tuple[StaffUser, bool]:
    """Create (or update and reactivate) the sector account of this address: no organisation, role `sector`.

    Returns (user, created); the caller commits.
    """
    address = _checked_address(email, Role.CONTRACT_MANAGER.value, language)
    user = find_sector_user(session, email=address)
    created = user is None
    if user is None:
        user = StaffUser(organisation_id=None, email=address, role=Role.SECTOR.value, created_at=now)
    user.active = True
    if name.strip():
        user.name = name.strip()
    if language is not None:
        user.language = language
    session.add(user)
    session.flush()
    record(
        session,
        now=now,
        actor=actor,
        action="staff.user-added" if created else "staff.user-updated",
        organisation_id=None,
        subject_type="staffuser",
        subject_id=user.id,
        detail={"email": address, "role": Role.SECTOR.value},
    )
    return user, created


def find_sector_user(session: Session, *, email: str) -> StaffUser | None:
    """The sector account of this e-mail address (case-insensitive), or None."""
    return session.exec(
        select(StaffUser).where(
            StaffUser.organisation_id.is_(None),  # type: ignore[union-attr]
            sa.func.lower(StaffUser.email) == emails.normalise(email),
        )
    ).first()


def find_staff_user(session: Session, *, organisation: Organisation, email: str) -> StaffUser | None:
    """The staff user of this organisation with this e-mail address (case-insensitive), or None."""
    return session.exec(
        select(StaffUser)
        .where(StaffUser.organisation_id == organisation.id, sa.func.lower(StaffUser.email) == emails.normalise(email))
        .order_by(StaffUser.id)  # type: ignore[arg-type]  # case-only twins: the oldest
    ).first()


def list_staff_users(session: Session, *, organisation_id: int | None = None) -> list[tuple[StaffUser, Organisation]]:
    """Staff users with their organisation, by organisation slug then e-mail; only one organisation's when given."""
    query = select(StaffUser, Organisation).join(Organisation, Organisation.id == StaffUser.organisation_id)  # type: ignore[arg-type]
    if organisation_id is not None:
        query = query.where(StaffUser.organisation_id == organisation_id)
    return list(session.exec(query.order_by(Organisation.slug, StaffUser.email)).all())


def list_sector_users(session: Session) -> list[StaffUser]:
    """The sector accounts, by e-mail."""
    return list(
        session.exec(
            select(StaffUser).where(StaffUser.organisation_id.is_(None)).order_by(StaffUser.email)  # type: ignore[union-attr,arg-type]
        ).all()
    )


def _other_active_admins(session: Session, user: StaffUser) -> int:
    return len(
        session.exec(
            select(StaffUser.id).where(
                StaffUser.organisation_id == user.organisation_id,
                StaffUser.role == Role.ADMIN.value,
                StaffUser.active == True,  # noqa: E712
                StaffUser.id != user.id,
            )
        ).all()
    )


def _guard_last_admin(session: Session, user: StaffUser, organisation: Organisation) -> None:
    # An organisation without an active admin can no longer administer itself in the browser.
    if user.role == Role.ADMIN.value and user.active and _other_active_admins(session, user) == 0:
        raise UserError(f"{user.email} is the last active admin of {organisation.name}; make someone else admin first")


def change_role(
    session: Session, *, organisation: Organisation, user: StaffUser, role: str, now: datetime, actor: str
) -> bool:
    """Give a staff user of this organisation another role, audited. Returns False when it already had it.

    Refuses to take the admin role from the organisation's last active admin. The caller commits.
    """
    if user.organisation_id != organisation.id:
        raise UserError(f"{user.email} is not a staff user of {organisation.name}")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, got '{role}'")
    if user.role == role:
        return False
    if role != Role.ADMIN.value:
        _guard_last_admin(session, user, organisation)
    previous = user.role
    user.role = role
    session.add(user)
    record(
        session,
        now=now,
        actor=actor,
        action="staff.user-role-changed",
        organisation_id=organisation.id,
        subject_type="staffuser",
        subject_id=user.id,
        detail={"email": user.email, "from": previous, "to": role},
    )
    return True


def deactivate_staff_user(
    session: Session, *, organisation: Organisation, user: StaffUser, now: datetime, actor: str
) -> bool:
    """Stop a staff user of this organisation from signing in, audited. Returns False when it was already inactive.

    Every open session ends on the server (`end_sessions`). Refuses the organisation's last active
    admin. The caller commits.
    """
    if user.organisation_id != organisation.id:
        raise UserError(f"{user.email} is not a staff user of {organisation.name}")
    if not user.active:
        return False
    _guard_last_admin(session, user, organisation)
    user.active = False
    session.add(user)
    # Reactivating the account later must not bring an old (perhaps copied) session cookie back to life.
    end_sessions(session, user, now=now, actor=actor, reason="sessions-ended")
    record(
        session,
        now=now,
        actor=actor,
        action="staff.user-deactivated",
        organisation_id=organisation.id,
        subject_type="staffuser",
        subject_id=user.id,
        detail={"email": user.email},
    )
    return True


def deactivate_sector_user(session: Session, *, user: StaffUser, now: datetime, actor: str) -> bool:
    """Stop a sector account from signing in, ending its sessions, audited. False when it was already inactive."""
    if user.role != Role.SECTOR.value:
        raise UserError(f"{user.email} is not a sector user")
    if not user.active:
        return False
    user.active = False
    session.add(user)
    end_sessions(session, user, now=now, actor=actor, reason="sessions-ended")
    record(
        session,
        now=now,
        actor=actor,
        action="staff.user-deactivated",
        subject_type="staffuser",
        subject_id=user.id,
        detail={"email": user.email},
    )
    return True


def _organisation_or_usage_error(session: Session, key: str) -> Organisation:
    organisation = find_organisation(session, key)
    if organisation is None:
        raise click.UsageError(f"--organisation: no organisation '{key}'")
    return organisation


def _user_or_usage_error(session: Session, organisation: Organisation, email: str) -> StaffUser:
    user = find_staff_user(session, organisation=organisation, email=email)
    if user is None:
        raise click.UsageError(f"no staff user '{email}' in {organisation.name}")
    return user


@click.group("user")
def user_group() -> None:
    """Manage staff users of the staff area."""


@user_group.command("add")
@click.argument("email")
@click.option("--organisation", "organisation_key", default=None, help="Organisation slug or name (not for sector).")
@click.option(
    "--role",
    type=click.Choice((*ROLES, Role.SECTOR.value)),
    required=True,
    help="What the user may do; 'sector' sees only the sector's aggregates and belongs to no organisation.",
)
@click.option("--name", default="", help="The user's name, shown in mails and the audit log.")
@click.option("--language", type=click.Choice(["nl", "en"]), default=None, help="Language of pages and mails.")
@now_option
@with_appcontext
def add_command(
    email: str, organisation_key: str | None, role: str, name: str, language: str | None, now: datetime | None
) -> None:
    """Add a staff user (or update the role and name of an existing one, and reactivate it)."""
    session = get_session()
    if role == Role.SECTOR.value:
        if organisation_key is not None:
            raise click.UsageError("--organisation: a sector user belongs to no organisation; leave it out")
        try:
            sector_user, created = add_sector_user(
                session, email=email, name=name, language=language, now=resolve_now(now)
            )
        except UserError as error:
            raise click.UsageError(str(error)) from None
        session.commit()
        click.echo(f"{'Added' if created else 'Updated'} {sector_user.email} as sector user.")
        return
    if organisation_key is None:
        raise click.UsageError("--organisation is required for the role " + role)
    organisation = find_organisation(session, organisation_key)
    if organisation is None:
        known = ", ".join(session.exec(select(Organisation.slug).order_by(Organisation.slug)).all()) or "none yet"
        raise click.UsageError(f"--organisation: no organisation '{organisation_key}' (known: {known})")
    try:
        user, created = ensure_staff_user(
            session,
            organisation=organisation,
            email=email,
            role=role,
            name=name,
            language=language,
            now=resolve_now(now),
        )
    except UserError as error:
        raise click.UsageError(str(error)) from None
    session.commit()
    verb = "Added" if created else "Updated"
    click.echo(f"{verb} {user.email} as {user.role} of {organisation.name}.")


@user_group.command("list")
@click.option("--organisation", "organisation_key", default=None, help="Only this organisation (slug or name).")
@with_appcontext
def list_command(organisation_key: str | None) -> None:
    """List staff users."""
    session = get_session()
    organisation_id = _organisation_or_usage_error(session, organisation_key).id if organisation_key else None
    for user, organisation in list_staff_users(session, organisation_id=organisation_id):
        state = "" if user.active else " (inactive)"
        click.echo(f"{organisation.slug}\t{user.email}\t{user.role}\t{user.name}{state}")
    if organisation_key is None:
        for user in list_sector_users(session):
            state = "" if user.active else " (inactive)"
            click.echo(f"-\t{user.email}\t{user.role}\t{user.name}{state}")


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--organisation", "organisation_key", required=True, help="Organisation slug or name.")
@now_option
@with_appcontext
def role_command(email: str, role: str, organisation_key: str, now: datetime | None) -> None:
    """Give a staff user another role."""
    session = get_session()
    organisation = _organisation_or_usage_error(session, organisation_key)
    user = _user_or_usage_error(session, organisation, email)
    try:
        changed = change_role(
            session, organisation=organisation, user=user, role=role, now=resolve_now(now), actor="cli"
        )
    except UserError as error:
        raise click.UsageError(str(error)) from None
    session.commit()
    click.echo(f"{user.email} of {organisation.name} is {'now' if changed else 'already'} {role}.")


@user_group.command("deactivate")
@click.argument("email")
@click.option(
    "--organisation", "organisation_key", default=None, help="Organisation slug or name; leave out for a sector user."
)
@now_option
@with_appcontext
def deactivate_command(email: str, organisation_key: str | None, now: datetime | None) -> None:
    """Stop a staff user from signing in; open sessions end at their next request."""
    session = get_session()
    if organisation_key is None:
        sector_user = find_sector_user(session, email=email)
        if sector_user is None:
            raise click.UsageError(f"no sector user '{email}' (give --organisation for a municipality's staff)")
        changed = deactivate_sector_user(session, user=sector_user, now=resolve_now(now), actor="cli")
        session.commit()
        click.echo(f"{'Deactivated' if changed else 'Already inactive:'} sector user {sector_user.email}.")
        return
    organisation = _organisation_or_usage_error(session, organisation_key)
    user = _user_or_usage_error(session, organisation, email)
    try:
        changed = deactivate_staff_user(
            session, organisation=organisation, user=user, now=resolve_now(now), actor="cli"
        )
    except UserError as error:
        raise click.UsageError(str(error)) from None
    session.commit()
    click.echo(f"{'Deactivated' if changed else 'Already inactive:'} {user.email} of {organisation.name}.")
