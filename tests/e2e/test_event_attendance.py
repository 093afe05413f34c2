"""An event's door and day after through the real bot: /yoklama's QR code and head count
(and who may take them), check-in by the deep link (a member, a stranger, an old link), the
day-before reminder and the satisfaction question on the simulated clock, its buttons pressed,
changed and forged."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from tests.e2e.conftest import DEFAULT_NOW
from tests.e2e.test_outbox import run_tick, speed_up
from tracker.audience import follow
from tracker.db import session_scope
from tracker.models import (
    Action,
    Cluster,
    Event,
    EventAudience,
    EventStatus,
    Notification,
    Person,
    Role,
    Rsvp,
    RsvpAnswer,
    StatusUpdate,
)

TODAY_14 = DEFAULT_NOW.replace(hour=14)  # Thursday 10 April 2014, 14:00
BAD_BUTTON = "Bu düğme artık geçerli değil."


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def add_member(env, user_id: int, name: str) -> int:
    with session_scope(env.engine) as session:
        person = Person(telegram_user_id=user_id, display_name=name, role=Role.MEMBER,
                        consent_at=DEFAULT_NOW - timedelta(days=30))
        session.add(person)
        session.flush()
        cluster = session.exec(select(Cluster).order_by(Cluster.id)).first()
        follow(session, person.id, cluster.id, DEFAULT_NOW - timedelta(days=30))
        env.api.user(user_id, first_name=name)
        return person.id


def add_event(env, starts_at: datetime, created_by: int | None, title: str,
              yes: list[int] = ()) -> tuple[int, str]:
    with session_scope(env.engine) as session:
        cluster = session.exec(select(Cluster).order_by(Cluster.id)).first()
        event = Event(title=title, starts_at=starts_at, place="İzmir <Fuar> & Kongre",
                      status=EventStatus.PUBLISHED, checkin_token=secrets.token_hex(8),
                      created_by_id=created_by)
        session.add(event)
        session.flush()
        session.add(EventAudience(event_id=event.id, cluster_id=cluster.id))
        for person_id in yes:
            session.add(Rsvp(event_id=event.id, person_id=person_id, answer=RsvpAnswer.YES))
        return event.id, event.checkin_token


def person_id(env, user_id: int) -> int:
    with Session(env.engine) as session:
        return session.exec(select(Person.id).where(Person.telegram_user_id == user_id)).one()


async def test_yoklama_qr_and_head_count_only_for_the_events_people(bot_env):
    secretary = await bot_env.register(1001, "Kümelenme Komitesi", Role.SECRETARY, name="Sena")
    other = await bot_env.register(1002, "Kümelenme Komitesi", Role.SECRETARY, name="Oya")
    agency = await bot_env.register(1003, "İZKA", Role.AGENCY, name="Zeynep")
    event_id, token = add_event(bot_env, TODAY_14, person_id(bot_env, 1001),
                                "<b>Organik</b> & gıda buluşması")

    await secretary.send("/yoklama")
    usage = await secretary.next_message()
    assert usage["text"].startswith("Etkinlik yoklaması")
    assert f"• {event_id} · <b>Organik</b> & gıda buluşması" in usage["text"]

    await secretary.send(f"/yoklama {event_id}")
    qr = await secretary.next_message()
    link = f"https://t.me/kume_bot?start=ci_{token}"
    assert "photo" in qr and link in qr["caption"]
    assert qr["caption"].startswith("<b>Organik</b> & gıda buluşması · yoklama")
    assert buttons(qr) == ["✍️ Elle sayı gir"]
    # The button asks for the number; a wrong answer is explained and asked again.
    await secretary.press(qr, "✍️ Elle sayı gir")
    ask = await secretary.next_message()
    assert "Kodu okutmadan katılanların sayısını yazın" in ask["text"]
    assert buttons(ask) == ["Vazgeç"]
    await secretary.send("yirmi beş")
    again = await secretary.next_message()
    assert again["text"].startswith("⚠️ “yirmi beş” bir sayı olarak okunamadı")
    assert "Kodu okutmadan katılanların sayısını yazın" in again["text"]
    await secretary.send("1.250")
    saved = await secretary.next_message()
    assert "elle girilen katılımcı sayısı: 1.250" in saved["text"]
    await secretary.send("30")  # the dialog has ended: a number alone changes nothing now
    assert "1.250" not in (await secretary.next_message())["text"]
    # Typed in one go, as before.
    await secretary.send(f"/yoklama {event_id} yirmi")
    assert (await secretary.next_message())["text"].startswith("⛔ “yirmi” bir sayı")
    await secretary.send(f"/yoklama {event_id} 1.250")
    assert "elle girilen katılımcı sayısı: 1.250" in (await secretary.next_message())["text"]

    await other.send(f"/yoklama {event_id}")
    assert (await other.next_message())["text"].startswith(
        "⛔ “<b>Organik</b> & gıda buluşması” etkinliğini siz oluşturmadınız")
    await other.send(f"/yoklama {event_id} 3")
    refused = await other.next_message()
    assert refused["text"].startswith("⛔")
    # The button's data forged by someone else: refused before anything is asked.
    await other.press_raw(refused["message_id"], f"c:yoklama {event_id} elle")
    assert "siz oluşturmadınız" in (await other.next_message())["text"]
    await agency.send(f"/yoklama {event_id}")
    assert link in (await agency.next_message())["caption"]
    await agency.send("/yoklama 99999")
    assert (await agency.next_message())["text"] == "⛔ 99999 numaralı bir etkinlik yok."
    with Session(bot_env.engine) as session:
        assert session.get(Event, event_id).manual_attendance == 1250


async def test_check_in_by_link_then_the_satisfaction_question_the_day_after(bot_env):
    await speed_up(bot_env)
    ayse_id = add_member(bot_env, 2001, "Ayşe")
    mehmet_id = add_member(bot_env, 2002, "Mehmet")
    event_id, token = add_event(bot_env, TODAY_14, None, "Küme buluşması", yes=[mehmet_id])
    old_id, old_token = add_event(bot_env, TODAY_14 - timedelta(days=20), None, "Eski toplantı")
    tomorrows_id, _ = add_event(bot_env, TODAY_14 + timedelta(days=2), None, "Cumartesi atölyesi",
                                yes=[ayse_id, mehmet_id])
    ayse, mehmet = bot_env.api.user(2001), bot_env.api.user(2002)
    stranger = bot_env.api.user(2999, first_name="Yabancı")
    bot_env.clock.set(TODAY_14)

    await ayse.send(f"/start ci_{token}")
    assert (await ayse.next_message())["text"].startswith(
        "✅ Hoş geldiniz! Küme buluşması etkinliğine katılımınız kaydedildi.")
    await ayse.send(f"/start ci_{token}")
    assert (await ayse.next_message())["text"].startswith("Yoklamanız zaten alınmıştı")
    await ayse.send(f"/start ci_{old_token}")
    assert "yalnızca etkinlik günü açıktır" in (await ayse.next_message())["text"]
    await ayse.send("/start ci_0000000000000000")
    assert (await ayse.next_message())["text"].startswith("Bu yoklama bağlantısı geçerli değil")
    await stranger.send(f"/start ci_{token}")
    assert (await stranger.next_message())["text"].startswith(
        "Yoklama, “Küme buluşması” etkinliğine katılan küme üyeleri içindir.")
    with Session(bot_env.engine) as session:
        rsvps = {r.person_id: (r.answer, r.attended_at is not None)
                 for r in session.exec(select(Rsvp).where(Rsvp.event_id == event_id))}
        assert session.exec(select(Person).where(Person.telegram_user_id == 2999)).first() is None
    assert rsvps == {ayse_id: (RsvpAnswer.YES, True), mehmet_id: (RsvpAnswer.YES, False)}

    # Friday 10:00: the question to Ayşe (she came, Mehmet did not); both hear of Saturday.
    bot_env.clock.set(DEFAULT_NOW + timedelta(days=1))
    await run_tick(bot_env)
    got = {u.id: [m for m in u.messages if m.get("from", {}).get("is_bot")][-2:]
           for u in (ayse, mehmet)}
    question = next(m for m in got[2001] if "ne kadar memnun" in m["text"])
    assert buttons(question) == ["1", "2", "3", "4", "5"]
    assert any("Cumartesi atölyesi" in m["text"] and "Hatırlatma" in m["text"]
               for m in got[2001])
    assert not any("ne kadar memnun" in m["text"] for m in got[2002])
    assert any("Cumartesi atölyesi" in m["text"] for m in got[2002])
    await run_tick(bot_env)  # a minute later: nothing twice
    with Session(bot_env.engine) as session:
        kinds = sorted(n.kind for n in session.exec(select(Notification)))
    assert kinds == ["event_reminder", "event_reminder", "event_satisfaction"]

    await ayse.press(question, "4")
    assert (await ayse.wait_answer())["text"].startswith("Teşekkür ederiz")
    await ayse.press(question, "2")  # changed her mind: the buttons stayed
    assert (await ayse.wait_answer())["text"].startswith("Yanıtınız güncellendi")

    # Forged: a score out of range, an event she did not attend, Mehmet's press on an event
    # he did not come to, a stranger's.
    for data in (f"c:memnun {event_id} 9", f"c:memnun {old_id} 5", f"c:memnun {tomorrows_id} 5",
                 "c:memnun 1;2"):
        await ayse.press_raw(question["message_id"], data)
        refused = await ayse.wait_answer()
        assert refused["show_alert"], data
        if data.endswith((" 9", ";2")):
            assert refused["text"] == BAD_BUTTON, data
        assert (await ayse.next_message())["text"].startswith("⛔"), data
    await mehmet.send("/yardim")
    help_message = await mehmet.next_message()
    await mehmet.press_raw(help_message["message_id"], f"c:memnun {event_id} 5")
    answer = await mehmet.wait_answer()
    assert answer["text"].startswith("Memnuniyet sorusunu yalnızca etkinliğe katılanlar")
    await stranger.send("/yardim")
    await stranger.press_raw((await stranger.next_message())["message_id"],
                             f"c:memnun {event_id} 5")
    assert "davet" in (await stranger.next_message())["text"]
    with Session(bot_env.engine) as session:
        scores = {r.person_id: r.satisfaction
                  for r in session.exec(select(Rsvp).where(Rsvp.event_id == event_id))}
    assert scores == {ayse_id: 2, mehmet_id: None}


async def test_durum_offers_the_actions_events_as_evidence_with_one_tap(bot_env):
    secretary = await bot_env.register(1001, "Kümelenme Komitesi", Role.SECRETARY, name="Sena")
    ayse_id = add_member(bot_env, 2001, "Ayşe")
    with session_scope(bot_env.engine) as session:
        action = session.exec(select(Action).where(Action.code == "E3.1.4")).one()
        other = session.exec(select(Action).where(Action.code == "E3.1.5")).one()
        ids = action.id, other.id
    in_q1 = DEFAULT_NOW - timedelta(days=30)  # 11 March 2014
    first, _ = add_event(bot_env, in_q1, person_id(bot_env, 1001), "Farkındalık 1")
    second, _ = add_event(bot_env, in_q1 + timedelta(days=3), None, "Farkındalık 2")
    add_event(bot_env, in_q1 + timedelta(days=4), None, "Başka eylem")
    add_event(bot_env, DEFAULT_NOW + timedelta(days=3), None, "Gelecek çeyrek")
    with session_scope(bot_env.engine) as session:
        for event in session.exec(select(Event)):
            event.action_id = ids[1] if event.title == "Başka eylem" else ids[0]
            if event.id == first:
                event.manual_attendance = 40
        session.add(Rsvp(event_id=second, person_id=ayse_id, answer=RsvpAnswer.YES,
                         attended_at=in_q1))

    await secretary.send("/durum E3.1.4")
    question = await secretary.next_message()
    await secretary.press(question, "Devam ediyor")
    await secretary.next_message()
    await secretary.send("%50")
    await secretary.next_message()
    await secretary.send("İki farkındalık toplantısı yapıldı.")
    evidence = await secretary.next_message()
    line = "Bu çeyrekte (2014 1. Çeyrek) E3.1.4 kapsamında 2 etkinlik, 41 katılımcı"
    assert line in evidence["text"]
    assert buttons(evidence)[0] == "📅 Etkinlikleri kanıt olarak ekle"
    await secretary.press(evidence, "📅 Etkinlikleri kanıt olarak ekle")
    summary = await secretary.next_message()
    assert f"Kanıt: {line}" in summary["text"]
    await secretary.press(summary, "✅ Onayla")
    assert (await secretary.next_message())["text"].startswith("✅ Kaydedildi")
    with Session(bot_env.engine) as session:
        update = session.exec(select(StatusUpdate)).one()
    assert update.evidence_note.startswith(line) and update.evidence_link is None

    # An action no event served: no such line, no such button.
    await secretary.send("/durum E3.1.1")
    reply = await secretary.next_message()
    if "Bu çeyrekte eylemin durumu nedir?" in reply["text"]:
        await secretary.press(reply, "Devam ediyor")
        await secretary.next_message()
        await secretary.send("%10")
        await secretary.next_message()
        await secretary.send("Hazırlık sürüyor.")
        plain = await secretary.next_message()
        assert "kapsamında" not in plain["text"]
        assert "📅 Etkinlikleri kanıt olarak ekle" not in buttons(plain)


async def test_a_sunday_events_reminder_arrives_on_saturday_not_at_night(bot_env):
    await speed_up(bot_env)
    ayse_id = add_member(bot_env, 2001, "Ayşe")
    sunday = DEFAULT_NOW.replace(day=13, hour=11)  # Sunday 13 April 2014
    add_event(bot_env, sunday, None, "Pazar kahvaltısı", yes=[ayse_id])
    ayse = bot_env.api.user(2001)

    def reminders() -> list[dict]:
        return [m for m in ayse.messages if "Pazar kahvaltısı" in (m.get("text") or "")]

    bot_env.clock.set(DEFAULT_NOW.replace(day=12, hour=9, minute=59))
    await run_tick(bot_env)
    assert reminders() == []
    bot_env.clock.set(DEFAULT_NOW.replace(day=12, hour=10))  # Saturday: not a working day
    await run_tick(bot_env)
    assert len(reminders()) == 1 and reminders()[0]["text"].startswith("⏰ Hatırlatma · yarın")
    bot_env.clock.set(DEFAULT_NOW.replace(day=12, hour=22))
    await run_tick(bot_env)
    assert len(reminders()) == 1

    # Said yes at 22:00 to an event tomorrow: written now, held through the quiet hours.
    late_id, _ = add_event(bot_env, sunday.replace(hour=12), None, "Pazar kahvaltısı (2)",
                           yes=[ayse_id])
    await run_tick(bot_env)
    assert len(reminders()) == 1
    with Session(bot_env.engine) as session:
        held = session.exec(select(Notification).where(
            Notification.subject == f"event:{late_id}")).one()
    assert held.status == "pending"
    bot_env.clock.set(sunday.replace(hour=9))
    await run_tick(bot_env)
    assert [m["text"].count("Pazar kahvaltısı (2)") for m in reminders()] == [0, 1]
