"""The administrators' notice of a fault: once per kind of error, window and administrator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from tracker.db import session_scope
from tracker.models import Notification, Person, Role
from tracker.notifications.incidents import NOTICE_EVERY, report_fault, window_start
from tracker.people import ensure_admin
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 10, 10, 7, tzinfo=ISTANBUL)


def test_windows_are_aligned_whatever_the_time_zone():
    assert window_start(NOW) == datetime(2014, 4, 10, 7, 0, tzinfo=UTC)
    assert window_start(NOW + timedelta(minutes=7, seconds=59)) == window_start(NOW)
    assert window_start(NOW + timedelta(minutes=8)) == window_start(NOW) + NOTICE_EVERY
    assert window_start(NOW.astimezone(UTC)) == window_start(NOW)


def test_each_active_admin_once_per_kind_and_window(engine):
    with session_scope(engine) as session:
        for telegram_id in (801, 802, 803):
            ensure_admin(session, telegram_user_id=telegram_id, display_name="Yönetici")
        retired = session.exec(select(Person).where(Person.telegram_user_id == 803)).one()
        retired.active = False
        session.add(Person(telegram_user_id=804, display_name="Ajans", role=Role.AGENCY,
                           organisation_id=retired.organisation_id))

    def report(kind: str, now: datetime, during_update: bool = True) -> int:
        with session_scope(engine) as session:
            return report_fault(session, kind=kind, during_update=during_update, now=now)

    assert report("OperationalError", NOW) == 2
    assert report("OperationalError", NOW + timedelta(minutes=5)) == 0
    assert report("KeyError", NOW + timedelta(minutes=5), during_update=False) == 2
    assert report("OperationalError", NOW + NOTICE_EVERY) == 2
    with Session(engine) as session:
        rows = session.exec(select(Notification).order_by(Notification.id)).all()
    assert {r.chat_id for r in rows} == {801, 802}
    assert [r.subject for r in rows[::2]] == ["OperationalError", "KeyError", "OperationalError"]
    assert "arka plan işinde" in rows[2].text and "özür" not in rows[2].text
