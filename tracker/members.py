"""Cluster members: joining with consent (KVKK), following clusters, stopping, their data.

Consent comes first: a member link shows the information notice and stores nothing; only
accepting creates the Person, with the notice's version and the moment. The pending consent
lives in the notice's buttons (they carry the invite's token), not in the database, so
declining leaves no trace at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from tracker.audience import follow, followed_clusters, unfollow
from tracker.errors import DomainError
from tracker.models import (
    Cluster,
    Invite,
    Person,
    Role,
)
from tracker.people import person_by_telegram, valid_invite
from tracker.rows import table_of

FIRM_MAX = 200


@dataclass(frozen=True)
class Joined:
    person: Person
    cluster: Cluster
    new: bool  # a Person was created now (else a known member came back)
    added: bool = True  # the person did not follow the cluster before


def member_invite(session: Session, token: str, now: datetime) -> tuple[Invite, Cluster]:
    """A valid member invite and its cluster; refused like any invite otherwise."""
    invite = valid_invite(session, token, now)
    cluster = session.get(Cluster, invite.cluster_id) if invite.cluster_id else None
    if invite.role != Role.MEMBER or cluster is None:
        raise DomainError("invite_invalid")
    return invite, cluster


def is_member_token(session: Session, token: str) -> bool:
    invite = session.exec(select(Invite).where(Invite.token == token)).first()
    return invite is not None and invite.role == Role.MEMBER


def consented(person: Person | None) -> bool:
    return person is not None and person.role == Role.MEMBER and person.consent_at is not None


def check_pending(
    session: Session, token: str, telegram_user_id: int, now: datetime
) -> Cluster:
    """What the consent notice is about; refuses a link that could not be accepted."""
    invite, cluster = member_invite(session, token, now)
    person = person_by_telegram(session, telegram_user_id)
    if person is not None and person.role != Role.MEMBER:
        raise DomainError("member_invite_for_staff")
    if person is None and invite.uses > 0 and not invite.multi:
        raise DomainError("invite_used")
    return cluster


def accept(
    session: Session,
    *,
    token: str,
    telegram_user_id: int,
    display_name: str,
    notice_version: str,
    now: datetime,
) -> Joined:
    """The notice accepted: the member is stored with their consent and follows the cluster.

    Checked again from scratch (the button may be old, or pressed twice): a revoked or expired
    invite refuses, a second press changes nothing.
    """
    invite, cluster = member_invite(session, token, now)
    check_pending(session, token, telegram_user_id, now)
    person = person_by_telegram(session, telegram_user_id)
    new = person is None
    if person is None:
        person = Person(
            telegram_user_id=telegram_user_id,
            display_name=display_name[:200],
            organisation_id=invite.organisation_id,
            role=Role.MEMBER,
            cluster_id=cluster.id,
            invite_id=invite.id,
            created_at=now,
        )
        invite.uses += 1
        session.add(invite)
    if person.consent_version != notice_version or person.consent_at is None:
        person.consent_version, person.consent_at = notice_version, now
    person.active, person.stopped_at = True, None
    session.add(person)
    session.flush()
    assert person.id is not None and cluster.id is not None
    follow(session, person.id, cluster.id, now)
    return Joined(person, cluster, new)


def rejoin(session: Session, person: Person, token: str, now: datetime) -> Joined:
    """A member who consented opens another member link: they follow its cluster too."""
    _, cluster = member_invite(session, token, now)
    assert person.id is not None and cluster.id is not None
    person.stopped_at, person.active = None, True
    session.add(person)
    added = follow(session, person.id, cluster.id, now)
    return Joined(person, cluster, False, added)


def set_firm(session: Session, person: Person, text: str) -> str:
    firm = " ".join(text.split())
    if not firm:
        raise DomainError("firm_empty")
    if len(firm) > FIRM_MAX:
        raise DomainError("firm_too_long", length=len(firm), limit=FIRM_MAX)
    person.firm = firm
    session.add(person)
    return firm


# -- /abone and /dur ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriptions:
    clusters: list[tuple[Cluster, bool]]  # every cluster, and whether the person follows it
    bulletins: bool
    stopped: bool


def subscriptions(session: Session, person: Person) -> Subscriptions:
    assert person.id is not None
    following = set(followed_clusters(session, person.id))
    clusters = session.exec(select(Cluster).order_by(col(Cluster.position), col(Cluster.id)))
    return Subscriptions(
        [(c, c.id in following) for c in clusters], person.bulletins, person.stopped_at is not None
    )


def toggle_follow(session: Session, person: Person, cluster_id: int, now: datetime) -> bool:
    """Follow or unfollow; True when the person follows the cluster afterwards. Following
    anything after /dur starts kume's messages again."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.id is None:
        raise DomainError("cluster_unknown")
    assert person.id is not None
    if unfollow(session, person.id, cluster.id, now):
        return False
    follow(session, person.id, cluster.id, now)
    person.stopped_at = None
    session.add(person)
    return True


def toggle_bulletins(session: Session, person: Person) -> bool:
    person.bulletins = not person.bulletins
    if person.bulletins:
        person.stopped_at = None
    session.add(person)
    return person.bulletins


def stop(session: Session, person: Person, now: datetime) -> int:
    """/dur: every follow ends, bulletins off; kume sends nothing on its own any more.
    Returns how many clusters were followed."""
    assert person.id is not None
    followed = followed_clusters(session, person.id)
    for cluster_id in followed:
        unfollow(session, person.id, cluster_id, now)
    person.bulletins, person.stopped_at = False, now
    session.add(person)
    return len(followed)


# -- /verilerim and /sil -------------------------------------------------------------------------


def _person_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every column of every table that points at a person: whatever feature added it, /sil
    and /verilerim cover it."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "person" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def stored_about(session: Session, person: Person) -> dict[str, Any]:
    """Everything kume keeps about the person: their row and every row that names them."""
    data: dict[str, Any] = {
        "person": {c.name: _plain(getattr(person, c.name)) for c in table_of(Person).columns}
    }
    clusters = {c.id: c.code for c in session.exec(select(Cluster))}
    for table, column in _person_columns():
        rows = session.execute(sa.select(table).where(column == person.id)).mappings().all()
        if not rows:
            continue
        entries = [{k: _plain(v) for k, v in row.items()} for row in rows]
        if table.name == "cluster_follow":
            for entry in entries:
                entry["cluster"] = clusters.get(entry["cluster_id"])
        key = table.name if column.name == "person_id" else f"{table.name}.{column.name}"
        data.setdefault(key, []).extend(entries)
    return data


def forget(session: Session, person: Person, now: datetime) -> None:
    """/sil: the person and what names them go. Rows that others count (follow stints, event
    answers) stay without a name, so member counts and event figures stay right; rows only
    about the person (dialogs, their messages in the outbox) are deleted."""
    assert person.id is not None
    stop(session, person, now)
    session.flush()
    for table, column in _person_columns():
        if column.nullable:
            unnamed = sa.update(table).where(column == person.id).values({column.name: None})
            session.execute(unnamed)
        else:
            session.execute(sa.delete(table).where(column == person.id))
    session.execute(
        sa.update(table_of(Invite))
        .where(table_of(Invite).c.created_by_id == person.id)
        .values(created_by_id=None)
    )
    session.delete(person)
    session.flush()

