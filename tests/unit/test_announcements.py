"""Notices without Telegram: the text's bounds, who is in an audience, cluster chats linked
and unlinked, and writing a notice twice under one subject reaching nobody twice."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from tracker import texts
from tracker.announcements import (
    MAX_TEXT,
    NoticeError,
    announce,
    audience,
    checked_text,
    may_address_everyone,
    notice_text,
)
from tracker.audience import follow
from tracker.cluster_chats import ClusterNotFound, chats_of, cluster_by_code, link, unlink
from tracker.db import session_scope
from tracker.models import (
    Cluster,
    ClusterChat,
    Notification,
    NotificationStatus,
    Person,
    Role,
)
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 5, 5, 10, 0, tzinfo=ISTANBUL)


def test_the_text_is_bounded_and_kept_as_typed():
    assert checked_text("  <b>Toplantı</b> & çay \n") == "<b>Toplantı</b> & çay"
    assert len(checked_text("x" * MAX_TEXT)) == MAX_TEXT
    for bad in (None, "", "   \n "):
        with pytest.raises(NoticeError) as caught:
            checked_text(bad)
        assert texts.describe(caught.value).startswith("Duyuru metni boş olamaz")
    with pytest.raises(NoticeError) as caught:
        checked_text("x" * (MAX_TEXT + 1))
    assert texts.describe(caught.value).startswith("Metin çok uzun (3.001 karakter)")


def test_who_may_address_every_member():
    assert may_address_everyone(None)  # the command line
    for role, allowed in ((Role.ADMIN, True), (Role.AGENCY, True), (Role.SECRETARY, False),
                          (Role.REPORTER, False), (Role.MEMBER, False)):
        assert may_address_everyone(Person(display_name="x", role=role)) is allowed


def _people(session, follows: dict[str, list[str]]) -> dict[str, Person]:
    clusters = {c.code: c for c in session.exec(select(Cluster)).all()}
    made = {}
    for number, (name, codes) in enumerate(follows.items(), start=500):
        person = Person(display_name=name, role=Role.MEMBER, telegram_user_id=number,
                        consent_at=NOW, consent_version="1")
        session.add(person)
        session.flush()
        for code in codes:
            follow(session, person.id, clusters[code].id, NOW)
        made[name] = person
    return made


def test_audiences_chats_and_a_notice_written_twice(engine):
    with session_scope(engine) as session:
        people = _people(session, {"a": ["organik-gida"], "b": ["organik-gida", "inoviz"],
                                   "c": ["inoviz"], "d": []})
        admin = Person(display_name="Admin", role=Role.ADMIN, telegram_user_id=1)
        session.add(admin)
        session.flush()
        organik = cluster_by_code(session, "ORGANIK-gida")
        inoviz = cluster_by_code(session, "inoviz")
        with pytest.raises(ClusterNotFound) as caught:
            cluster_by_code(session, "yok")
        assert "Kayıtlı kümeler: organik-gida, inoviz, iaosb-mmd" in texts.describe(caught.value)

        link(session, organik, -1001, "Grup", admin, NOW)
        link(session, inoviz, -1002, "Kanal", admin, NOW)
        link(session, organik, -1002, "Kanal", admin, NOW)  # moved: one cluster per chat
        assert [c.chat_id for c in chats_of(session, [organik.id])] == [-1001, -1002]
        assert chats_of(session, [inoviz.id]) == []

        one = audience(session, [organik.id])
        assert [p.display_name for p in one.members] == ["a", "b"] and not one.everyone
        both = audience(session, [organik.id, inoviz.id])
        assert [p.display_name for p in both.members] == ["a", "b", "c"]  # b once
        everyone = audience(session, None)
        assert everyone.everyone and len(everyone.members) == 4 and len(everyone.chats) == 2
        with pytest.raises(NoticeError):
            audience(session, [organik.id, 999_999])

        body = notice_text(one, "<i>x</i> & y", people["a"])
        assert "&lt;i&gt;x&lt;/i&gt; &amp; y" in body and "İzmir Organik Gıda Kümesi" in body
        first = announce(session, text="<i>x</i> & y", audience=one, subject="s1", now=NOW,
                         author=admin)
        again = announce(session, text="<i>x</i> & y", audience=one, subject="s1", now=NOW,
                         author=admin)
        assert (first.members, first.chats) == (2, 2)
        assert (again.members, again.chats) == (0, 0)
        rows = session.exec(select(Notification).where(Notification.kind == "broadcast")).all()
        assert sorted(r.chat_id for r in rows) == sorted(
            [people["a"].telegram_user_id, people["b"].telegram_user_id, -1001, -1002])
        assert all("&lt;i&gt;" in r.text for r in rows)

        assert unlink(session, -1001).code == "organik-gida"
        assert unlink(session, -1001) is None
        assert len(session.exec(select(ClusterChat)).all()) == 1


def _admin_and_secretary(session) -> tuple[Person, Person]:
    admin = Person(display_name="Admin", role=Role.ADMIN, telegram_user_id=1)
    creator = Person(display_name="Sekreter", role=Role.SECRETARY, telegram_user_id=2)
    session.add_all([admin, creator])
    session.flush()
    return admin, creator


def test_an_event_notice_is_posted_once_in_its_clusters_chats(engine):
    from datetime import timedelta

    from tracker.events.publish import NewEvent, create_event, queued, told_people

    with session_scope(engine) as session:
        people = _people(session, {"a": ["organik-gida"], "b": ["inoviz"]})
        admin, creator = _admin_and_secretary(session)
        organik = cluster_by_code(session, "organik-gida")
        link(session, organik, -1001, "Organik grup", admin, NOW)
        link(session, cluster_by_code(session, "inoviz"), -1002, "İnoviz grup", admin, NOW)
        made = create_event(session, NewEvent(
            title="<Toplantı>", starts_at=NOW + timedelta(days=3), description="Kısa",
            place="Salon", cluster_ids=[organik.id]), creator, NOW, approval=False)
        assert made.id is not None
        rows = session.exec(select(Notification).where(Notification.chat_id < 0)).all()
        assert [(r.chat_id, r.kind, r.buttons) for r in rows] == [(-1001, "broadcast", [])]
        assert "&lt;Toplantı&gt;" in rows[0].text
        # A chat is not a person told: counts and change notices leave it out.
        assert queued(session, made.id) == 1
        assert people["a"].id is not None
        assert all(p.id != admin.id for p in told_people(session, made.id))


def _event_in_chats(session, place: str = "Salon"):
    """An event of organik-gida, whose notice was posted in its two linked chats: -1001's
    copy has gone out, -1003's is still waiting; inoviz's chat -1002 heard nothing."""
    from datetime import timedelta

    from tracker.events.publish import NewEvent, create_event

    _people(session, {"a": ["organik-gida"]})
    admin, creator = _admin_and_secretary(session)
    organik = cluster_by_code(session, "organik-gida")
    link(session, organik, -1001, "Organik grup", admin, NOW)
    link(session, organik, -1003, "Organik kanal", admin, NOW)
    link(session, cluster_by_code(session, "inoviz"), -1002, "İnoviz grup", admin, NOW)
    made = create_event(session, NewEvent(
        title="Toplantı", starts_at=NOW + timedelta(days=3), description="Kısa",
        place=place, cluster_ids=[organik.id]), creator, NOW, approval=False)
    for row in session.exec(select(Notification).where(Notification.chat_id == -1001)):
        row.status = NotificationStatus.SENT
        session.add(row)
    session.flush()
    return made, creator


def _chat_rows(session) -> list[tuple[int, str, str]]:
    rows = session.exec(select(Notification).where(Notification.chat_id < 0)
                        .order_by(Notification.id)).all()
    return [(r.chat_id, r.period, r.status) for r in rows]


def test_a_change_reaches_the_chats_that_had_the_notice_once_without_buttons(engine):
    from tracker.events.changes import Change, change_event

    with session_scope(engine) as session:
        made, creator = _event_in_chats(session)
        _, told = change_event(session, made.id, creator, Change(place="Yeni salon"), NOW,
                               revision=1)
        assert (told.people, told.chats) == (0, 1)  # the member's notice had not gone yet
        assert _chat_rows(session) == [
            (-1001, "notice", "sent"), (-1003, "notice", "pending"), (-1001, "r2", "pending")]
        rows = {(r.chat_id, r.period): r for r in session.exec(
            select(Notification).where(Notification.chat_id < 0))}
        change = rows[(-1001, "r2")]
        assert "Salon → <b>Yeni salon</b>" in change.text and change.buttons in (None, [])
        # The copy still waiting carries the new place instead: nothing stale, then its fix.
        waiting = rows[(-1003, "notice")].text
        assert "Yeni salon" in waiting and "📍 Salon" not in waiting
        # A chat has no buttons: no text there may point to one.
        for row in rows.values():
            assert "aşağıdaki düğme" not in row.text, row.text


def test_a_cancellation_reaches_the_chats_told_and_drops_the_copy_still_waiting(engine):
    from tracker.events.changes import cancel_event

    with session_scope(engine) as session:
        made, creator = _event_in_chats(session)
        _, told = cancel_event(session, made.id, creator, NOW)
        assert (told.people, told.chats) == (0, 1)
        assert _chat_rows(session) == [
            (-1001, "notice", "sent"), (-1003, "notice", "skipped"), (-1001, "cancel", "pending")]
        cancelled = session.exec(select(Notification).where(
            Notification.chat_id == -1001, Notification.period == "cancel")).one()
        assert "Etkinlik iptal edildi" in cancelled.text


def test_a_chat_unlinked_since_the_notice_hears_no_change(engine):
    from tracker.events.changes import Change, change_event

    with session_scope(engine) as session:
        made, creator = _event_in_chats(session)
        unlink(session, -1001)
        change_event(session, made.id, creator, Change(place="Yeni salon"), NOW, revision=1)
        assert [r for r in _chat_rows(session) if r[1] != "notice"] == []
