"""Drafts stored before the engines became step tables resume, with nothing typed lost.

The Dialog.data below is what the previous version wrote (captured from it), so a database
upgraded in place keeps every draft: the engines read that shape and write it back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.dialogs import figures, status
from tracker.dialogs.base import ChoiceInput, Context, Prompt, TextInput
from tracker.models import (
    Action,
    Cluster,
    Dialog,
    DialogStatus,
    Indicator,
    IndicatorValue,
    Organisation,
    Person,
    Role,
    StatusUpdate,
)
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
KEY = "b7e818542bba466c93249e9cb6d633df"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def person(session: Session, organisation: str) -> Person:
    org = session.exec(select(Organisation).where(Organisation.short == organisation)).one()
    row = Person(display_name="Ayşe", organisation_id=org.id, role=Role.REPORTER)
    session.add(row)
    session.flush()
    return row


def context(who: Person) -> Context:
    return Context(person=who, now=NOW, settings=SimpleNamespace(calendar=CalendarSettings()))


def draft(session: Session, who: Person, kind: str, subject: str, step: str, data: dict) -> Dialog:
    row = Dialog(
        person_id=who.id,
        kind=kind,
        subject=subject,
        status=DialogStatus.DRAFT,
        step=step,
        data=data,
        revision=7,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(row)
    session.flush()
    return row


def text_of(prompt: Prompt) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", texts.render(prompt.template, **prompt.params)))


def action_id(session: Session, code: str) -> int:
    return session.exec(select(Action.id).where(Action.code == code)).one()


def indicator_ids(session: Session, *codes: str) -> list[int]:
    rows = session.exec(select(Indicator).where(col(Indicator.code).in_(codes))).all()
    by_code = {i.code: i.id for i in rows}
    return [by_code[code] for code in codes]


def status_data(session: Session, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """/durum's Dialog.data as the previous version wrote it."""
    return {
        "quarter": "2014Q1",
        "action_id": action_id(session, "E1.2.3"),
        "action_code": "E1.2.3",
        "previous": {
            "quarter": "2013Q4",
            "status": "in_progress",
            "progress": 20,
            "narrative": "Geçen çeyrekte yapılanlar",
            "blockers": None,
            "evidence_link": "https://ornek.org/rapor",
            "evidence_file_name": None,
            "evidence_file_id": None,
            "evidence_note": None,
        },
        "answers": answers,
        "key": KEY,
        **extra,
    }


def test_a_status_draft_without_evidence_yet_resumes_at_the_evidence_question(session):
    who = person(session, "EBSO")
    answers = {
        "status": "delayed",
        "progress": 40,
        "narrative": "Bir iki üç dört",
        "blockers": "Engel var burada",
    }
    data = status_data(session, answers)
    stored = draft(session, who, "status", "E1.2.3@2014Q1", "evidence", data)
    engine, ctx = status.StatusDialog(), context(who)

    turn = engine.start(session, ctx, "E1.2.3")
    assert turn.dialog is not None and turn.dialog.id == stored.id
    assert "Varsa bir kanıt ekleyin" in text_of(turn.prompt)
    assert [c.key for row in turn.prompt.choices for c in row] == ["keep", "skip"]

    turn = engine.handle(session, stored, ctx, ChoiceInput("keep"))
    summary = text_of(turn.prompt)
    assert stored.step == "confirm"
    assert "Durum: Gecikmede\nİlerleme: %40\nYapılanlar: Bir iki üç dört" in summary
    assert "Engeller: Engel var burada" in summary and "Kanıt: https://ornek.org/rapor" in summary
    assert stored.data["answers"] == {
        **answers,
        "evidence_link": "https://ornek.org/rapor",
        "evidence_file_id": None,
        "evidence_file_name": None,
        "evidence_note": None,
    }
    assert stored.data["key"] == KEY and stored.data["previous"]["progress"] == 20

    engine.handle(session, stored, ctx, ChoiceInput("ok"))
    (row,) = session.exec(select(StatusUpdate)).all()
    assert (row.status, row.progress, row.narrative, row.blockers, row.evidence_link) == (
        "delayed", 40, "Bir iki üç dört", "Engel var burada", "https://ornek.org/rapor"
    )
    assert row.source_key == f"dialog:{KEY}:{stored.revision}"


def test_a_status_draft_at_the_summary_keeps_its_file_and_its_correcting(session):
    who = person(session, "EBSO")
    answers = {
        "status": "in_progress",
        "progress": 40,
        "narrative": "Bir iki üç dört",
        "evidence_link": None,
        "evidence_file_id": "FILEID",
        "evidence_file_name": "rapor.pdf",
        "evidence_note": "Rapor",
    }
    data = status_data(session, answers, editing=True)
    stored = draft(session, who, "status", "E1.2.3@2014Q1", "confirm", data)
    engine, ctx = status.StatusDialog(), context(who)

    turn = engine.start(session, ctx, "E1.2.3")
    summary = text_of(turn.prompt)
    assert "Kanıt: rapor.pdf" in summary and "Kanıt açıklaması: Rapor" in summary
    # Correcting the status to "delayed" asks for the blockers, then straight to the summary.
    engine.handle(session, stored, ctx, ChoiceInput("edit"))
    engine.handle(session, stored, ctx, ChoiceInput("e:status"))
    engine.handle(session, stored, ctx, ChoiceInput("de"))
    assert stored.step == "blockers"
    engine.handle(session, stored, ctx, TextInput("Bütçe onayı gecikti"))
    assert stored.step == "confirm"

    engine.handle(session, stored, ctx, ChoiceInput("ok"))
    (row,) = session.exec(select(StatusUpdate)).all()
    assert (row.status, row.blockers, row.evidence_file_id, row.evidence_note) == (
        "delayed", "Bütçe onayı gecikti", "FILEID", "Rapor"
    )


def test_a_figures_draft_asking_about_an_odd_figure_resumes_there(session):
    who = person(session, "KY Organik Gıda")
    cluster = session.exec(select(Cluster).where(Cluster.code == "organik-gida")).one()
    g01, g02, g03 = indicator_ids(session, "G01", "G02", "G03")
    data = {
        "period": "2014Q1",
        "cluster_id": cluster.id,
        "level": 1,
        "ids": [g01, g02, g03],
        "previous": {str(g02): ["12", "2013Q4"]},
        "current": {str(g01): "44"},
        "answers": {str(g01): "45"},
        "index": 1,
        "key": KEY,
        "editing": False,
        "pending": "500",
    }
    stored = draft(session, who, "figures", "organik-gida@2014Q1", "odd", data)
    engine, ctx = figures.FiguresDialog(), context(who)

    turn = engine.start(session, ctx, None)
    assert turn.dialog is not None and turn.dialog.id == stored.id
    assert "(2/3) Patent sayısı: 500 adet" in text_of(turn.prompt)
    assert "geçen dönemin (12) çok üstünde" in text_of(turn.prompt)

    turn = engine.handle(session, stored, ctx, ChoiceInput("yes"))
    assert "(3/3)" in text_of(turn.prompt)
    assert stored.data["answers"] == {str(g01): "45", str(g02): "500"}
    turn = engine.handle(session, stored, ctx, ChoiceInput("skip"))
    summary = text_of(turn.prompt)
    assert "Özet: 2 değer girildi, 1 atlandı." in summary
    assert "G01 Paydaş sayısı: 45 adet" in summary and "G02 Patent sayısı: 500 adet" in summary
    assert stored.data["answers"] == {str(g01): "45", str(g02): "500", str(g03): None}

    engine.handle(session, stored, ctx, ChoiceInput("ok"))
    rows = session.exec(select(IndicatorValue).order_by(col(IndicatorValue.indicator_id))).all()
    assert [(r.indicator_id, r.value, r.version) for r in rows] == [
        (g01, Decimal(45), 1),
        (g02, Decimal(500), 1),
    ]
