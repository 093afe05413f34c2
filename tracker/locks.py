"""Locked quarters, and the agency reopening one for a single organisation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from tracker.calendar import CalendarSettings, is_locked, reporting_quarter
from tracker.errors import DomainError
from tracker.models import Organisation, Person, QuarterReopening
from tracker.organisations import find_organisation
from tracker.quarters import Quarter, QuarterError
from tracker.rows import id_of


def reopened_until(session: Session, organisation_id: int, quarter: Quarter,
                   now: datetime) -> datetime | None:
    rows = session.exec(select(QuarterReopening).where(
        QuarterReopening.organisation_id == organisation_id,
        QuarterReopening.quarter == str(quarter), QuarterReopening.until > now)).all()
    return max((r.until for r in rows), default=None)


def locked_for(session: Session, organisation_id: int, quarter: Quarter, now: datetime,
               settings: CalendarSettings) -> bool:
    if not is_locked(quarter, now, settings):
        return False
    return reopened_until(session, organisation_id, quarter, now) is None


def open_quarter_for(session: Session, organisation_id: int, now: datetime,
                     settings: CalendarSettings) -> Quarter | None:
    """The quarter this organisation reports on now: the open one, else one reopened for it."""
    current = reporting_quarter(now, settings)
    if current is not None:
        return current
    reopened = session.exec(select(QuarterReopening).where(
        QuarterReopening.organisation_id == organisation_id, QuarterReopening.until > now)
        .order_by(col(QuarterReopening.until).desc())).first()
    return Quarter.parse(reopened.quarter) if reopened else None


def reopen(session: Session, *, organisation: str, quarter: str, days: int, by: Person,
           now: datetime, settings: CalendarSettings) -> tuple[Organisation, Quarter, datetime]:
    org = find_organisation(session, organisation)
    try:
        parsed = Quarter.parse(quarter)
    except QuarterError as exc:
        raise DomainError("bad_quarter", problem=exc) from exc
    if parsed >= Quarter.of(now):
        raise DomainError("quarter_not_ended", quarter=parsed.label)
    if not is_locked(parsed, now, settings):
        raise DomainError("quarter_not_locked", quarter=parsed.label)
    if not 1 <= days <= 60:
        raise DomainError("reopen_days", days=days)
    until = now + timedelta(days=days)
    session.add(QuarterReopening(organisation_id=id_of(org), quarter=str(parsed), until=until,
                                 person_id=by.id, created_at=now))
    session.flush()
    return org, parsed, until
