"""Status updates: what an organisation must report on, and storing its answers as versions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from tracker.errors import DomainError
from tracker.models import (
    Action,
    ActionQuarter,
    ActionResponsible,
    Person,
    Status,
    StatusUpdate,
)
from tracker.organisations import groups_of
from tracker.quarters import Quarter
from tracker.rows import id_of, organisation_id_of
from tracker.turkish import fold

# A button names an action by its id ("#17"), never by its code: the callback data then fits
# Telegram's 64 bytes whatever the plan's codes, and "#" never starts a code. Nine digits at
# most, so a forged reference stays inside every database's integer range.
_ACTION_REF = re.compile(r"#([0-9]{1,9})")


def responsible_action_ids(session: Session, organisation_id: int) -> set[int]:
    """Actions an organisation answers for: named directly or through a group it belongs to."""
    bodies = [organisation_id, *groups_of(session, organisation_id)]
    return set(
        session.exec(
            select(ActionResponsible.action_id).where(
                col(ActionResponsible.organisation_id).in_(bodies)
            )
        ).all()
    )


def active_actions(session: Session, organisation_id: int, quarter: Quarter) -> list[Action]:
    """The organisation's actions active in `quarter`, in plan order."""
    ids = responsible_action_ids(session, organisation_id)
    if not ids:
        return []
    return list(
        session.exec(
            select(Action)
            .join(ActionQuarter, col(ActionQuarter.action_id) == Action.id)
            .where(col(Action.id).in_(ids), ActionQuarter.quarter == str(quarter))
            .order_by(col(Action.plan_id), col(Action.position))
        ).all()
    )


def action_ref(action: Action) -> str:
    """How a button names `action` (see named_action)."""
    return f"#{action.id}"


def named_action(
    session: Session, actions: list[Action], word: str, quarter: Quarter
) -> Action:
    """The one of `actions` that `word` names: its code as typed (`E1.2.4`, any case) or its
    reference from a button (`#17`). Anything else is refused the same way, whoever made it."""
    ref = _ACTION_REF.fullmatch(word)
    if ref is not None:
        action_id = int(ref.group(1))
        chosen = next((a for a in actions if a.id == action_id), None)
        named = session.get(Action, action_id)
        shown = named.code if named is not None else word
    else:
        chosen = next((a for a in actions if fold(a.code) == fold(word)), None)
        shown = word
    if chosen is None:
        raise DomainError("not_your_action", code=shown, quarter=quarter.label)
    return chosen


def may_report_on(session: Session, person: Person, action: Action, quarter: Quarter) -> bool:
    actions = active_actions(session, organisation_id_of(person), quarter)
    return any(a.id == action.id for a in actions)


def current_updates(
    session: Session, organisation_id: int, quarter: Quarter
) -> dict[int, StatusUpdate]:
    """The latest version of each action's update by this organisation for this quarter."""
    rows = session.exec(
        select(StatusUpdate)
        .where(
            StatusUpdate.organisation_id == organisation_id, StatusUpdate.quarter == str(quarter)
        )
        .order_by(col(StatusUpdate.version))
    ).all()
    return {row.action_id: row for row in rows}


def starting_point(
    session: Session, action_id: int, organisation_id: int, quarter: Quarter
) -> StatusUpdate | None:
    """What the person sees first: this quarter's answer if any, else the latest before it."""
    rows = session.exec(
        select(StatusUpdate).where(
            StatusUpdate.action_id == action_id, StatusUpdate.organisation_id == organisation_id
        )
    ).all()
    eligible = [r for r in rows if Quarter.parse(r.quarter) <= quarter]
    if not eligible:
        return None
    return max(eligible, key=lambda r: (Quarter.parse(r.quarter), r.version))


@dataclass
class StatusAnswers:
    status: Status
    progress: int
    narrative: str
    blockers: str | None = None
    evidence_link: str | None = None
    evidence_file_id: str | None = None
    evidence_file_name: str | None = None
    evidence_note: str | None = None


def record_status_update(
    session: Session,
    *,
    person: Person,
    action: Action,
    quarter: Quarter,
    answers: StatusAnswers,
    now: datetime,
    source_key: str,
) -> StatusUpdate:
    """Store a new version; an update seen twice (same source_key) is stored once."""
    existing = session.exec(
        select(StatusUpdate).where(StatusUpdate.source_key == source_key)
    ).first()
    if existing is not None:
        return existing
    if not 0 <= answers.progress <= 100:
        raise DomainError("progress_range", value=answers.progress)
    version = (
        session.exec(
            select(func.max(StatusUpdate.version)).where(
                StatusUpdate.action_id == action.id,
                StatusUpdate.organisation_id == person.organisation_id,
                StatusUpdate.quarter == str(quarter),
            )
        ).one()
        or 0
    )
    row = StatusUpdate(
        action_id=id_of(action),
        organisation_id=organisation_id_of(person),
        quarter=str(quarter),
        version=version + 1,
        status=answers.status,
        progress=answers.progress,
        narrative=answers.narrative,
        blockers=answers.blockers,
        evidence_link=answers.evidence_link,
        evidence_file_id=answers.evidence_file_id,
        evidence_file_name=answers.evidence_file_name,
        evidence_note=answers.evidence_note,
        person_id=person.id,
        created_at=now,
        source_key=source_key,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another worker stored the same answer a moment ago; theirs is the one.
        found = session.exec(
            select(StatusUpdate).where(StatusUpdate.source_key == source_key)
        ).first()
        if found is None:
            raise
        return found
    return row
