"""How a dialog step is written: one UPDATE of the dialog's row, the update id with it; the
update id of an answer that changed nothing stored at the commit; the ORM's flush when other
changes are pending."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tracker.db import session_scope
from tracker.dialogs import service
from tracker.models import Dialog, DialogStatus, Organisation, Person, Role
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)


@pytest.fixture
def dialog_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        person = Person(display_name="Ayşe", organisation_id=org.id, role=Role.REPORTER,
                        telegram_user_id=7401)
        session.add(person)
        session.flush()
        dialog = Dialog(person_id=person.id, kind="status", subject="E1.1.1@2014Q1",
                        status=DialogStatus.ACTIVE, step="progress", data={"key": "k"},
                        created_at=NOW, updated_at=NOW)
        session.add(dialog)
        session.flush()
        assert dialog.id is not None
        return dialog.id


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement.split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", note)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", note)


def stored(engine: Engine, dialog_id: int) -> Dialog:
    with Session(engine) as session:
        row = session.get(Dialog, dialog_id)
        assert row is not None
        return row


def test_a_step_is_one_update_carrying_the_update_id(engine, dialog_id, statements):
    later = NOW + timedelta(minutes=1)
    with session_scope(engine) as session:
        person, dialog = service.person_and_dialog(session, 7401)
        assert dialog is not None
        assert not service.seen_update(session, dialog, 501)
        service.advance(session, dialog, "narrative", {"answers": {"progress": 40}}, later)
        assert (dialog.step, dialog.revision, dialog.last_update_id) == ("narrative", 1, 501)
    assert statements.count("UPDATE") == 1
    row = stored(engine, dialog_id)
    assert (row.step, row.revision, row.last_update_id, row.updated_at) == (
        "narrative", 1, 501, later)
    assert row.data == {"answers": {"progress": 40}, "key": "k"}


def test_an_answer_that_changes_nothing_still_stores_its_update_id(engine, dialog_id):
    """A refused answer: Telegram's redelivery of it is then recognised as seen."""
    with session_scope(engine) as session:
        _, dialog = service.person_and_dialog(session, 7401)
        assert dialog is not None
        assert not service.seen_update(session, dialog, 502)
    row = stored(engine, dialog_id)
    assert (row.step, row.revision, row.last_update_id) == ("progress", 0, 502)
    with session_scope(engine) as session:
        _, dialog = service.person_and_dialog(session, 7401)
        assert dialog is not None
        assert service.seen_update(session, dialog, 502)


def test_other_pending_changes_go_through_the_orm_with_the_step(engine, dialog_id):
    with session_scope(engine) as session:
        _, dialog = service.person_and_dialog(session, 7401)
        assert dialog is not None
        assert not service.seen_update(session, dialog, 503)
        dialog.subject = "E1.1.2@2014Q1"
        service.advance(session, dialog, "narrative", {}, NOW)
    row = stored(engine, dialog_id)
    assert (row.subject, row.step, row.revision, row.last_update_id) == (
        "E1.1.2@2014Q1", "narrative", 1, 503)


def test_a_rolled_back_step_leaves_nothing_for_the_next_commit(engine, dialog_id):
    with Session(engine, expire_on_commit=False) as session:
        _, dialog = service.person_and_dialog(session, 7401)
        assert dialog is not None
        assert not service.seen_update(session, dialog, 504)
        session.rollback()
        session.commit()
    assert stored(engine, dialog_id).last_update_id is None
