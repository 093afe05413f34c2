"""Organisations and the groups that stand for several of them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from tracker.errors import NotFound
from tracker.models import Cluster, Organisation, OrganisationMember, OrgKind
from tracker.turkish import fold


@dataclass
class OrganisationRow:
    short: str
    name: str
    kind: OrgKind
    note: str | None
    cluster: str | None
    members: list[str]


def list_organisations(session: Session) -> list[OrganisationRow]:
    orgs = session.exec(
        select(Organisation).order_by(col(Organisation.position), col(Organisation.id))
    ).all()
    by_id = {o.id: o for o in orgs}
    clusters = {c.id: c.name for c in session.exec(select(Cluster))}
    members: dict[int, list[str]] = defaultdict(list)
    for m in session.exec(select(OrganisationMember).order_by(col(OrganisationMember.position))):
        members[m.group_id].append(by_id[m.member_id].short)
    return [
        OrganisationRow(
            o.short,
            o.name,
            o.kind,
            o.note,
            clusters.get(o.cluster_id) if o.cluster_id else None,
            members.get(o.id or 0, []),
        )
        for o in orgs
    ]


def find_organisation(session: Session, short: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.short_key == fold(short))).first()
    if org is None:
        raise NotFound("organisation_not_found", short=short)
    return org


def groups_of(session: Session, organisation_id: int) -> list[int]:
    """The groups an organisation belongs to (only `group` kinds expand responsibility)."""
    rows = session.exec(
        select(OrganisationMember.group_id)
        .join(Organisation, col(Organisation.id) == OrganisationMember.group_id)
        .where(OrganisationMember.member_id == organisation_id, Organisation.kind == OrgKind.GROUP)
    ).all()
    return list(rows)


def expand_groups(session: Session, organisation_ids: list[int]) -> set[int]:
    """Replace each group by its members; other organisations stand for themselves."""
    orgs = {
        o.id: o
        for o in session.exec(
            select(Organisation).where(col(Organisation.id).in_(organisation_ids))
        )
    }
    result: set[int] = set()
    group_ids = [i for i in organisation_ids if orgs[i].kind == OrgKind.GROUP]
    result.update(i for i in organisation_ids if i not in group_ids)
    if group_ids:
        result.update(
            session.exec(
                select(OrganisationMember.member_id).where(
                    col(OrganisationMember.group_id).in_(group_ids)
                )
            ).all()
        )
    return result
