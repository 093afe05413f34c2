"""People and invitations: nobody gets a role by asking, only through an invite."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from tracker.errors import DomainError, NotFound
from tracker.models import Cluster, Invite, Organisation, OrgKind, Person, Role
from tracker.organisations import find_organisation
from tracker.turkish import fold

ROLE_WORDS = {
    "admin": Role.ADMIN,
    "yonetici": Role.ADMIN,
    "agency": Role.AGENCY,
    "ajans": Role.AGENCY,
    "reporter": Role.REPORTER,
    "sorumlu": Role.REPORTER,
    "raportor": Role.REPORTER,
    "secretary": Role.SECRETARY,
    "sekreter": Role.SECRETARY,
    "member": Role.MEMBER,
    "uye": Role.MEMBER,
}


def parse_role(word: str) -> Role:
    role = ROLE_WORDS.get(fold(word))
    if role is None:
        raise DomainError("unknown_role", value=word)
    return role


def person_by_telegram(session: Session, telegram_user_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()


@dataclass
class CreatedInvite:
    invite: Invite
    organisation: Organisation | None  # None: a member invite, which names a cluster only
    cluster: Cluster | None

    def link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.invite.token}"


def create_invite(
    session: Session,
    *,
    organisation: str | None,
    role: Role,
    now: datetime,
    cluster: str | None = None,
    multi: bool = False,
    days: int = 14,
    created_by: Person | None = None,
) -> CreatedInvite:
    # Members come from a cluster's member firms, not from the plan's organisations.
    if organisation is None and role != Role.MEMBER:
        raise DomainError("invite_needs_org")
    org = find_organisation(session, organisation) if organisation is not None else None
    if org is not None and org.kind == OrgKind.GROUP:
        raise DomainError("invite_group", short=org.short)
    if days < 1 or days > 365:
        raise DomainError("invite_days", days=days)
    cluster_row = None
    if cluster is not None:
        cluster_row = session.exec(select(Cluster).where(Cluster.code == cluster)).first()
        if cluster_row is None:
            raise NotFound("cluster_not_found", code=cluster)
    elif org is not None and org.cluster_id is not None:
        cluster_row = session.get(Cluster, org.cluster_id)
    if role == Role.MEMBER and cluster_row is None:
        raise DomainError("member_needs_cluster")
    invite = Invite(
        token=secrets.token_urlsafe(18),
        organisation_id=org.id if org is not None else None,
        role=role,
        cluster_id=cluster_row.id if cluster_row else None,
        multi=multi,
        expires_at=now + timedelta(days=days),
        created_by_id=created_by.id if created_by else None,
        created_at=now,
    )
    session.add(invite)
    session.flush()
    return CreatedInvite(invite, org, cluster_row)


@dataclass
class Registration:
    person: Person
    organisation: Organisation
    rebound: bool  # the person was registered before and now has a new organisation or role


def valid_invite(session: Session, token: str, now: datetime) -> Invite:
    """The invite behind `token`, if it may still be used; else a DomainError saying why."""
    # Locked until the redemption commits (PostgreSQL): two people redeeming a single-use
    # invite at once, the second sees it used.
    invite = session.exec(select(Invite).where(Invite.token == token).with_for_update()).first()
    if invite is None or invite.revoked:
        raise DomainError("invite_invalid")
    if now >= invite.expires_at:
        raise DomainError("invite_expired")
    return invite


def redeem_invite(
    session: Session, *, token: str, telegram_user_id: int, display_name: str, now: datetime
) -> Registration:
    invite = valid_invite(session, token, now)
    person = person_by_telegram(session, telegram_user_id)
    if invite.uses > 0 and not invite.multi and (person is None or person.invite_id != invite.id):
        raise DomainError("invite_used")
    already_bound = person is not None and person.invite_id == invite.id
    rebound = person is not None and not already_bound
    if person is None:
        person = Person(
            telegram_user_id=telegram_user_id,
            display_name=display_name[:200],
            organisation_id=invite.organisation_id,
            role=invite.role,
        )
    person.organisation_id, person.role = invite.organisation_id, invite.role
    person.cluster_id, person.invite_id, person.active = invite.cluster_id, invite.id, True
    if not already_bound:
        invite.uses += 1
    session.add_all([person, invite])
    session.flush()
    organisation = session.get(Organisation, person.organisation_id)
    assert organisation is not None
    return Registration(person, organisation, rebound)


def ensure_admin(session: Session, *, telegram_user_id: int, display_name: str) -> Person:
    """A configured admin needs no invite: they are bound to the agency on first contact."""
    person = person_by_telegram(session, telegram_user_id)
    if person is not None:
        if person.role != Role.ADMIN or not person.active:
            person.role, person.active = Role.ADMIN, True
            session.add(person)
        return person
    agency = session.exec(
        select(Organisation).where(Organisation.kind == OrgKind.AGENCY)
        .order_by(col(Organisation.id))
    ).first()
    if agency is None:
        raise DomainError("no_agency")
    person = Person(
        telegram_user_id=telegram_user_id,
        display_name=display_name[:200],
        organisation_id=agency.id,
        role=Role.ADMIN,
    )
    session.add(person)
    session.flush()
    return person
