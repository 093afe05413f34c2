"""A bulletin's life: the draft for a period, its news items, its schedule. Editable until
it goes out; a bulletin being sent or sent is never changed (BulletinLocked)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from tracker.bulletins.period import Period
from tracker.errors import DomainError
from tracker.models import Bulletin, BulletinItem, BulletinStatus, Person
from tracker.rows import column_length, id_of

TITLE_LENGTH = column_length(BulletinItem, "title")
BODY_LENGTH = column_length(BulletinItem, "body")
LINK_LENGTH = column_length(BulletinItem, "link")
MAX_ITEMS = 20
OUT = (BulletinStatus.SENDING, BulletinStatus.SENT)


class BulletinError(DomainError):
    """What cannot be done with a bulletin (templates/texts/bulletins.j2 words it)."""

    template = "texts/bulletins.j2"


def find_bulletin(session: Session, period: Period) -> Bulletin | None:
    return session.exec(select(Bulletin).where(col(Bulletin.period) == str(period))).first()


def open_bulletin(session: Session, period: Period, person: Person | None,
                  now: datetime) -> Bulletin:
    """The period's bulletin, made as a draft the first time it is asked for."""
    found = find_bulletin(session, period)
    if found is not None:
        return found
    bulletin = Bulletin(period=str(period), status=BulletinStatus.DRAFT,
                        created_by_id=person.id if person else None, created_at=now,
                        updated_at=now)
    session.add(bulletin)
    session.flush()
    return bulletin


def editable(bulletin: Bulletin) -> Bulletin:
    """The bulletin if it may still change; BulletinLocked once it went out."""
    if bulletin.status in OUT:
        raise BulletinError("bulletin_sent", period=bulletin.period)
    return bulletin


def items_of(session: Session, bulletin: Bulletin) -> list[BulletinItem]:
    return list(session.exec(select(BulletinItem)
                             .where(col(BulletinItem.bulletin_id) == id_of(bulletin))
                             .order_by(col(BulletinItem.position), col(BulletinItem.id))))


def add_item(session: Session, bulletin: Bulletin, *, title: str, body: str = "",
             link: str | None = None, image_file_id: str | None = None,
             now: datetime) -> BulletinItem:
    editable(bulletin)
    if len(items_of(session, bulletin)) >= MAX_ITEMS:
        raise BulletinError("bulletin_items_full", limit=MAX_ITEMS)
    last = session.exec(select(func.max(BulletinItem.position))
                        .where(col(BulletinItem.bulletin_id) == id_of(bulletin))).one()
    item = BulletinItem(bulletin_id=id_of(bulletin), position=(last or 0) + 1, title=title,
                        body=body, link=link, image_file_id=image_file_id,
                        image_alt=title if image_file_id else None, created_at=now)
    session.add(item)
    _touch(session, bulletin, now)
    return item


def remove_item(session: Session, bulletin: Bulletin, item_id: int, now: datetime) -> None:
    editable(bulletin)
    item = _item(session, bulletin, item_id)
    session.delete(item)
    _touch(session, bulletin, now)


def move_item(session: Session, bulletin: Bulletin, item_id: int, up: bool,
              now: datetime) -> None:
    """One place up (or down); the first stays first."""
    editable(bulletin)
    items = items_of(session, bulletin)
    index = next((i for i, it in enumerate(items) if it.id == item_id), None)
    if index is None:
        raise BulletinError("bulletin_item_gone")
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items, start=1):
        item.position = position
        session.add(item)
    _touch(session, bulletin, now)


def schedule(session: Session, bulletin: Bulletin, at: datetime, now: datetime) -> None:
    """It goes out at `at` (the due-work tick sends it); still editable until then."""
    editable(bulletin)
    if at <= now:
        raise BulletinError("bulletin_schedule_past", moment=at)
    bulletin.status = BulletinStatus.SCHEDULED
    bulletin.scheduled_at = at
    _touch(session, bulletin, now)


def unschedule(session: Session, bulletin: Bulletin, now: datetime) -> None:
    editable(bulletin)
    bulletin.status = BulletinStatus.DRAFT
    bulletin.scheduled_at = None
    _touch(session, bulletin, now)


def all_bulletins(session: Session) -> list[Bulletin]:
    """Newest period first."""
    return list(session.exec(select(Bulletin).order_by(col(Bulletin.period).desc())))


def _item(session: Session, bulletin: Bulletin, item_id: int) -> BulletinItem:
    item = session.get(BulletinItem, item_id)
    if item is None or item.bulletin_id != bulletin.id:
        raise BulletinError("bulletin_item_gone")
    return item


def _touch(session: Session, bulletin: Bulletin, now: datetime) -> None:
    bulletin.updated_at = now
    session.add(bulletin)
    session.flush()
