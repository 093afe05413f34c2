"""Awareness events end to end, through the local Bot API and the real outbox sender: a
secretary's /etkinlik (bad and past dates, HTML in every field, the preview), approval,
members' answers with a capacity and its waiting list, changes and cancellation told once
each, the calendar file, /etkinlikler, and forged answer buttons."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from icalendar import Calendar
from sqlmodel import Session, col, func, select

from bot.simulator import run_script
from tests.e2e.conftest import ADMIN_ID, BotEnv
from tests.e2e.test_simulator import _config
from tracker.db import create_db_engine, session_scope
from tracker.models import (
    Cluster,
    ClusterFollow,
    Event,
    EventStatus,
    Notification,
    Person,
    Role,
    Rsvp,
)
from tracker.quarters import ISTANBUL

SECRETARY = 3001
AGENCY = 3002
ORGANIC = "organik-gida"
MACHINES = "iaosb-mmd"
ODD = "<b>Ayşe</b> & “Co” <script>"


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def add_members(env: BotEnv, telegram_ids: list[int], cluster: str = ORGANIC) -> None:
    """Members who consented and follow `cluster` (joining is another module's dialog)."""
    now = env.clock.now()
    with session_scope(env.engine) as session:
        cluster_id = session.exec(select(Cluster.id).where(Cluster.code == cluster)).one()
        for t in telegram_ids:
            person = Person(telegram_user_id=t, display_name=f"Üye {t}", role=Role.MEMBER,
                            consent_version="1", consent_at=now)
            session.add(person)
            session.flush()
            session.add(ClusterFollow(person_id=person.id, cluster_id=cluster_id,
                                      started_at=now))
    for t in telegram_ids:
        env.api.user(t, first_name=f"Üye {t}")


async def secretary(env: BotEnv, user_id: int = SECRETARY, name: str = "Sekreter"):
    user = env.api.user(user_id, first_name=name)
    await user.send(f"/start {env.invite('Kümelenme Komitesi', Role.SECRETARY)}")
    await user.next_message()
    return user


async def answer(user, text: str, expect: str) -> dict:
    await user.send(text)
    reply = await user.next_message()
    assert expect in reply["text"], reply["text"]
    return reply


async def fill_event(user, *, title: str = "Organik tarım buluşması",
                     when: str = "12 Mayıs 14:00", place: str = "İzmir Ticaret Odası",
                     description: str = "Sertifikalı üretim ve ihracat üzerine bir buluşma.",
                     cluster: str = "İzmir Organik Gıda Kümesi",
                     capacity: str | None = None) -> dict:
    """/etkinlik up to the preview; the preview message."""
    await answer(user, "/etkinlik", "Etkinliğin adı nedir?")
    await answer(user, title, "Etkinlik ne zaman?")
    await answer(user, when, "Etkinlik nerede?")
    await answer(user, place, "kısaca anlatın")
    audience = await answer(user, description, "Duyuru kimlere gitsin?")
    await user.press(audience, cluster)
    ticked = await user.next_message()
    await user.press(ticked, "Tamam (1 küme)")
    action = await user.next_message()
    await user.press(action, "E3.1.4 (varsayılan)")
    capacity_question = await user.next_message()
    if capacity is None:
        await user.press(capacity_question, "Atla (kontenjan yok)")
    else:
        await user.send(capacity)
    preview = await user.next_message()
    assert "Üyeler duyuruyu şöyle görecek" in preview["text"], preview["text"]
    return preview


async def publish(env: BotEnv, user, *, report: bool = True, **answers) -> int:
    preview = await fill_event(user, **answers)
    await user.press(preview, "📤 Gönder")
    await user.wait_for(lambda m: "üyeye gönderiliyor" in m.get("text", ""))
    # The broadcast's report comes on its own time: waited for here, so that it does not
    # come between a question and its answer later in the test.
    if report:
        await user.wait_for(lambda m: m.get("text", "").startswith("✅ Duyuru tamamlandı"))
    with Session(env.engine) as session:
        return session.exec(select(Event.id).order_by(col(Event.id).desc())).first()


def notice_of(user) -> dict:
    found = [m for m in user.messages if m.get("text", "").startswith("📣")]
    assert len(found) == 1, [m.get("text") for m in user.messages]
    return found[0]


async def told(env: BotEnv, telegram_id: int, start: str = "📣") -> dict:
    user = env.api.user(telegram_id)
    found = await user.wait_for(lambda m: m.get("text", "").startswith(start))
    return found[0]


async def move_to_a_new_place(user, event_id: int) -> dict:
    """The secretary changes the event's place to “Yeni salon ODD” and confirms; the reply."""
    await user.send(f"/etkinlikdegistir {event_id}")
    field = await user.next_message()
    await user.press(field, "Yer")
    await user.next_message()
    confirm = await answer(user, f"Yeni salon {ODD}", f"→ Yeni salon {ODD}")
    await user.press(confirm, "✅ Kaydet ve bildir")
    return await user.next_message()


def rsvps(env: BotEnv, event_id: int) -> dict[int, str]:
    with Session(env.engine) as session:
        rows = session.exec(select(Person.telegram_user_id, Rsvp.answer)
                            .join(Person, col(Person.id) == Rsvp.person_id)
                            .where(Rsvp.event_id == event_id)).all()
    return {t: str(a) for t, a in rows}


def rows_of(env: BotEnv, kind: str) -> list[Notification]:
    with Session(env.engine) as session:
        return list(session.exec(select(Notification).where(Notification.kind == kind)))


def calendar_of(env: BotEnv, message: dict) -> Calendar:
    stored = env.api.state.files[message["document"]["file_id"]]
    return Calendar.from_ical(stored.data)


# -- creating ----------------------------------------------------------------------------------


async def test_a_secretary_announces_an_event_and_members_answer(bot_env):
    add_members(bot_env, [5001, 5002])
    add_members(bot_env, [5003], cluster=MACHINES)  # not in the audience
    user = await secretary(bot_env)
    await answer(user, "/etkinlik", "Etkinliğin adı nedir?")
    await answer(user, f"Buluşma {ODD}", "Etkinlik ne zaman?")
    # Wrong forms, a day that does not exist, the past: each explained, asked again.
    await answer(user, "haftaya salı 10:00", "Bu tarih okunamadı. Örnekler: “12 Mayıs 14:00”")
    await answer(user, "12 Mayıs", "Saati de yazın")
    await answer(user, "31.04.2014 10:00", "31.04.2014 diye bir gün yok")
    await answer(user, "12 Mayıs 2013 14:00", "12 Mayıs 2013 14:00 geçmişte kalıyor")
    await answer(user, "bugün 09:00", "geçmişte kalıyor (şu an 10 Nisan 2014 10:00)")
    await answer(user, "12 mayıs 14:00", "Etkinlik nerede?")
    await answer(user, f"Salon {ODD}", "kısaca anlatın")
    audience = await answer(user, f"Açıklama {ODD} <a href='x'>tık</a>",
                            "Duyuru kimlere gitsin?")
    assert "Tamam" not in " ".join(buttons(audience))
    await user.press(audience, "İzmir Organik Gıda Kümesi")
    ticked = await user.next_message()
    assert "✅ İzmir Organik Gıda Kümesi" in buttons(ticked)
    await user.press(ticked, "Tamam (1 küme)")
    action = await user.next_message()
    await answer(user, f"E9.9 {ODD}", f"“E9.9 {ODD}” kodlu bir eylem yok")
    await user.press(action, "E3.1.4 (varsayılan)")
    capacity = await user.next_message()
    await answer(user, "kırk", "“kırk” bir sayı olarak okunamadı")
    await answer(user, "0", "Kontenjan 1 ile 100.000 arasında")
    preview = await answer(user, "40", "Üyeler duyuruyu şöyle görecek")
    text = preview["text"]
    assert f"📣 Buluşma {ODD}" in text and "12 Mayıs 2014 14:00" in text
    assert f"📍 Salon {ODD}" in text and f"Açıklama {ODD} <a href='x'>tık</a>" in text
    assert "👥 İzmir Organik Gıda Kümesi" in text and "Kontenjan: 40 kişi" in text
    assert "Eylem: E3.1.4" in text
    assert buttons(preview) == ["📤 Gönder", "✏️ Düzelt", "Vazgeç"]
    del capacity

    # Düzelt: a field, its question, straight back to the preview.
    await user.press(preview, "✏️ Düzelt")
    edit = await user.next_message()
    await user.press(edit, "Yer")
    assert "Etkinlik nerede?" in (await user.next_message())["text"]
    await answer(user, "https://meet.example.org/organik", "Üyeler duyuruyu şöyle görecek")
    await user.press(user.last, "📤 Gönder")
    await user.wait_for(lambda m: "üyeye gönderiliyor" in m.get("text", ""))

    member_notice = await told(bot_env, 5001)
    assert member_notice["text"] == preview["text"].split("━━━━━━━━━━━━\n")[1].replace(
        f"📍 Salon {ODD}", "🔗 https://meet.example.org/organik").rstrip("\n")
    assert buttons(member_notice) == ["✅ Katılacağım", "❌ Katılamayacağım", "📅 Takvime ekle"]
    await told(bot_env, 5002)
    await bot_env.api.user(5003).assert_no_reply(within=0.2)

    with Session(bot_env.engine) as session:
        event = session.exec(select(Event)).one()
    assert event.title == f"Buluşma {ODD}" and event.capacity == 40
    assert event.online_url == "https://meet.example.org/organik" and event.place is None
    assert event.status == EventStatus.PUBLISHED

    # Yes: recorded, and the calendar file comes as a reply.
    first = bot_env.api.user(5001)
    await first.press(member_notice, "✅ Katılacağım")
    reply = await first.next_message()
    assert reply["text"].startswith(f"✅ Katılımınız kaydedildi: Buluşma {ODD}")
    assert buttons(reply) == ["❌ Katılamayacağım", "📅 Takvime ekle"]
    document = await first.next_message()
    assert document["document"]["file_name"] == f"etkinlik-{event.id}.ics"
    entry = calendar_of(bot_env, document).walk("VEVENT")[0]
    assert str(entry["summary"]) == f"Buluşma {ODD}"
    assert str(entry["uid"]) == f"kume-event-{event.id}@kume"
    assert entry["dtstart"].dt == event.starts_at
    assert str(entry["url"]) == "https://meet.example.org/organik"
    # Changeable.
    await first.press(reply, "❌ Katılamayacağım")
    assert "Katılamayacağınızı kaydettik" in (await first.next_message())["text"]
    second = bot_env.api.user(5002)
    await second.press(notice_of(second), "✅ Katılacağım")
    kept = await second.next_message()
    await second.next_message()  # the calendar file
    await second.press(kept, "📅 Takvime ekle")
    again = await second.next_message()
    assert again["document"]["file_name"] == f"etkinlik-{event.id}.ics"
    assert rsvps(bot_env, event.id) == {5001: "no", 5002: "yes"}

    await user.send("/etkinlikler")
    listing = await user.wait_for(lambda m: m.get("text", "").startswith("Etkinlikler"))
    assert "Katılacak: 1 · Katılamayacak: 1 · Bekleyen: 0" in listing[0]["text"]
    assert "Bildirilen: 2" in listing[0]["text"]


async def test_vazgec_stores_nothing(bot_env):
    user = await secretary(bot_env)
    preview = await fill_event(user)
    await user.press(preview, "Vazgeç")
    assert "hiçbir şey gönderilmedi" in (await user.next_message())["text"]
    with Session(bot_env.engine) as session:
        assert session.exec(select(func.count()).select_from(Event)).one() == 0


async def test_a_member_cannot_announce_or_list_events(bot_env):
    add_members(bot_env, [5001])
    member = bot_env.api.user(5001)
    for command in ("/etkinlik", "/etkinlikler", "/etkinlikonay 1", "/etkinlikiptal 1"):
        await member.send(command)
        reply = await member.next_message()
        assert reply["text"].startswith(f"⛔ {command.split()[0]} komutu sizin rolünüz"), reply


# -- approval --------------------------------------------------------------------------------


async def with_approval(env: BotEnv) -> None:
    await env.stop_bot()
    env.settings = replace(env.settings, event_approval=True)
    await env.start_bot()


async def test_approval_accepted_then_members_are_told(bot_env):
    await with_approval(bot_env)
    add_members(bot_env, [5001])
    agency = await bot_env.register(AGENCY, "İZKA", Role.AGENCY, name="Ajans")
    user = await secretary(bot_env)
    preview = await fill_event(user)
    assert "ajans onayına gider" in preview["text"]
    await user.press(preview, "📤 Gönder")
    assert "ajansın onayına gönderildi" in (await user.next_message())["text"]
    request = await told(bot_env, AGENCY, "Onay bekleyen etkinlik")
    assert "📣 Organik tarım buluşması" in request["text"]
    await bot_env.api.user(5001).assert_no_reply(within=0.2)  # not before the approval

    await agency.press(request, "✅ Onayla")
    assert (await agency.next_message())["text"].startswith("✅ Onaylandı")
    await told(bot_env, 5001)
    outcome = await told(bot_env, SECRETARY, "✅ Etkinliğiniz onaylandı")
    assert "Organik tarım buluşması" in outcome["text"]
    # A second press (or a second agency person) decides nothing more.
    await agency.press_raw(request["message_id"], "c:etkinlikonay 1")
    assert "karar zaten verilmiş (onaylandı)" in (await agency.next_message())["text"]
    assert len(rows_of(bot_env, "event_notice")) == 1


async def test_approval_rejected_with_a_reason(bot_env):
    await with_approval(bot_env)
    add_members(bot_env, [5001])
    agency = await bot_env.register(AGENCY, "İZKA", Role.AGENCY, name="Ajans")
    user = await secretary(bot_env)
    await user.press(await fill_event(user), "📤 Gönder")
    request = await told(bot_env, AGENCY, "Onay bekleyen etkinlik")
    # The same decision is offered from /etkinlikler.
    await agency.send("/etkinlikler")
    listing = await agency.next_message()
    assert "⏳ onay bekliyor" in listing["text"]
    await agency.press(listing, buttons(listing)[0])
    detail = await agency.next_message()
    assert buttons(detail) == ["🗓 Tarih/yer değiştir", "❌ İptal et", "✅ Onayla",
                               "⛔ Reddet (gerekçe)", "↩︎ Etkinlikler"]
    await agency.press(request, "⛔ Reddet (gerekçe)")
    assert "neden onaylamıyorsunuz" in (await agency.next_message())["text"]
    await answer(agency, f"Tarih bayrama denk {ODD}", "Etkinlik reddedildi")
    outcome = await told(bot_env, SECRETARY, "⛔ Etkinliğiniz onaylanmadı")
    assert f"Gerekçe: Tarih bayrama denk {ODD}" in outcome["text"]
    with Session(bot_env.engine) as session:
        event = session.exec(select(Event)).one()
    assert event.status == EventStatus.REJECTED
    assert rows_of(bot_env, "event_notice") == []
    await bot_env.api.user(5001).assert_no_reply(within=0.2)


# -- capacity ----------------------------------------------------------------------------------


async def test_capacity_waiting_list_and_promotion(bot_env):
    add_members(bot_env, [5001, 5002, 5003])
    user = await secretary(bot_env)
    event_id = await publish(bot_env, user, capacity="1")
    a, b, c = (bot_env.api.user(t) for t in (5001, 5002, 5003))
    for member in (a, b, c):
        await told(bot_env, member.id)

    await a.press(notice_of(a), "✅ Katılacağım")
    kept = await a.next_message()
    assert "Katılımınız kaydedildi" in kept["text"]
    await b.press(notice_of(b), "✅ Katılacağım")
    waiting = await b.next_message()
    assert waiting["text"].startswith("⏳ Kontenjan dolu; bekleme listesine alındınız")
    await b.assert_no_reply(within=0.1)  # no calendar file for a place not held
    await c.press(notice_of(c), "✅ Katılacağım")
    await c.next_message()
    assert rsvps(bot_env, event_id) == {5001: "yes", 5002: "waiting", 5003: "waiting"}

    # A cancels: the first waiting (B) takes the place and is told, once.
    await a.press(kept, "❌ Katılamayacağım")
    await a.next_message()
    promoted = await told(bot_env, 5002, "🎉 Bekleme listesinden")
    assert buttons(promoted) == ["📅 Takvime ekle"]
    assert rsvps(bot_env, event_id) == {5001: "no", 5002: "yes", 5003: "waiting"}
    await c.assert_no_reply(within=0.1)
    assert len(rows_of(bot_env, "event_promoted")) == 1

    # Saying yes again when waiting changes nothing.
    await c.press_raw(notice_of(c)["message_id"], f"c:katilim {event_id} evet")
    assert "(Yanıtınız zaten buydu.)" in (await c.next_message())["text"]
    assert rsvps(bot_env, event_id)[5003] == "waiting"


# -- changes and cancellation ----------------------------------------------------------------


async def test_change_and_cancel_are_told_once_each(bot_env):
    add_members(bot_env, [5001, 5002])
    user = await secretary(bot_env)
    event_id = await publish(bot_env, user)
    for t in (5001, 5002):
        await told(bot_env, t)
    await bot_env.app.sender.drain()

    await user.send("/etkinlikler")
    listing = await user.wait_for(lambda m: m.get("text", "").startswith("Etkinlikler"))
    await user.press(listing[0], buttons(listing[0])[0])
    detail = await user.next_message()
    assert buttons(detail) == ["🗓 Tarih/yer değiştir", "❌ İptal et", "🔳 Yoklama QR",
                               "↩︎ Etkinlikler"]
    qr = next(b for row in detail["reply_markup"]["inline_keyboard"] for b in row
              if b["text"] == "🔳 Yoklama QR")
    assert qr["callback_data"] == f"c:yoklama {event_id}"
    await user.press(detail, "🗓 Tarih/yer değiştir")
    field = await user.next_message()
    await user.press(field, "Tarih ve saat")
    await user.next_message()
    await answer(user, "dün 10:00", "Bu tarih okunamadı")
    confirm = await answer(user, "13 Mayıs 15:30", "12 Mayıs 2014 14:00 → 13 Mayıs 2014 15:30")
    assert "Kaydederseniz duyuruyu almış 2 kişiye değişiklik bildirilir." in confirm["text"]
    await user.press(confirm, "✅ Kaydet ve bildir")
    assert "Duyuruyu almış 2 kişiye bildiriliyor" in (await user.next_message())["text"]

    for t in (5001, 5002):
        change = await told(bot_env, t, "🔔 Etkinlikte değişiklik")
        assert "🗓 12 Mayıs 2014 14:00 → 13 Mayıs 2014 15:30" in change["text"]
        assert "📍" not in change["text"]  # the place did not change

    # The place, then a cancellation.
    await move_to_a_new_place(user, event_id)
    for t in (5001, 5002):
        change = await told(bot_env, t, "🔔 Etkinlikte değişiklik")
        assert f"📍 İzmir Ticaret Odası → Yeni salon {ODD}" in change["text"]

    await user.send(f"/etkinlikiptal {event_id}")
    sure = await user.next_message()
    assert "Duyuruyu almış 2 kişiye iptal bildirilir." in sure["text"]
    await user.press(sure, "Evet, iptal et")
    assert "Etkinlik iptal edildi" in (await user.next_message())["text"]
    for t in (5001, 5002):
        await told(bot_env, t, "❌ Etkinlik iptal edildi")
    await bot_env.app.sender.drain()

    # Each change told once to each person, the cancellation once.
    changes = rows_of(bot_env, "event_change")
    assert sorted((r.period, r.chat_id) for r in changes) == [
        ("r2", 5001), ("r2", 5002), ("r3", 5001), ("r3", 5002)]
    assert len(rows_of(bot_env, "event_cancel")) == 2
    for t in (5001, 5002):
        texts = [m.get("text", "") for m in bot_env.api.user(t).messages]
        assert sum(x.startswith("🔔") for x in texts) == 2
        assert sum(x.startswith("❌ Etkinlik iptal") for x in texts) == 1
    # A cancelled event takes no answers, no changes.
    member = bot_env.api.user(5001)
    await member.press(notice_of(member), "✅ Katılacağım")
    assert "iptal edildi; artık yanıt" in (await member.next_message())["text"]
    await user.send(f"/etkinlikiptal {event_id}")
    assert "iptal edildi; artık" in (await user.next_message())["text"]


async def test_a_linked_group_hears_the_notice_its_change_and_its_cancellation(bot_env):
    add_members(bot_env, [5001])
    boss = bot_env.api.user(ADMIN_ID, first_name="Zeynep")
    await boss.send("/start")
    await boss.next_message()
    group = bot_env.api.group(-1005, "Organik Gıda Üyeleri")
    group.join(boss)
    await group.add_bot(boss)
    await group.next_message()  # how to link it
    await group.post(f"/bagla {ORGANIC}", by=boss)
    assert "kümesine bağlı" in (await group.next_message())["text"]

    user = await secretary(bot_env)
    event_id = await publish(bot_env, user)
    notice = (await group.wait_for(lambda m: m.get("text", "").startswith("📣")))[0]
    assert "özel mesajla da gelir" in notice["text"] and "reply_markup" not in notice
    await bot_env.app.sender.drain()

    saved = await move_to_a_new_place(user, event_id)
    assert "Duyuruyu almış 1 kişiye ve 1 grup/kanala bildiriliyor." in saved["text"]
    change = (await group.wait_for(lambda m: m.get("text", "").startswith("🔔")))[0]
    assert f"📍 İzmir Ticaret Odası → Yeni salon {ODD}" in change["text"]
    assert "düğme" not in change["text"] and "reply_markup" not in change

    await user.send(f"/etkinlikiptal {event_id}")
    sure = await user.next_message()
    assert "Duyuruyu almış 1 kişiye ve 1 grup/kanala iptal bildirilir." in sure["text"]
    await user.press(sure, "Evet, iptal et")
    assert "1 kişiye ve 1 grup/kanala bildiriliyor" in (await user.next_message())["text"]
    await group.wait_for(lambda m: m.get("text", "").startswith("❌ Etkinlik iptal edildi"))
    await bot_env.app.sender.drain()
    heard = [m.get("text", "")[:1] for m in group.messages if m.get("text", "")[:1] in "📣🔔❌"]
    assert heard == ["📣", "🔔", "❌"]  # each once


async def test_only_the_creator_or_the_agency_may_change_an_event(bot_env):
    add_members(bot_env, [5001])
    user = await secretary(bot_env)
    event_id = await publish(bot_env, user)
    other = await secretary(bot_env, 3009, "Başka sekreter")
    await other.send(f"/etkinlikiptal {event_id}")
    assert "yalnızca duyuran sekreter ve ajans" in (await other.next_message())["text"]
    agency = await bot_env.register(AGENCY, "İZKA", Role.AGENCY, name="Ajans")
    await agency.send(f"/etkinlikiptal {event_id}")
    assert "emin misiniz" in (await agency.next_message())["text"]


# -- forged answers ----------------------------------------------------------------------------


async def test_forged_answer_buttons_are_refused_and_change_nothing(bot_env):
    add_members(bot_env, [5001])
    add_members(bot_env, [5003], cluster=MACHINES)
    user = await secretary(bot_env)
    event_id = await publish(bot_env, user, when="yarın 10:00")
    member = bot_env.api.user(5001)
    notice = await told(bot_env, 5001)
    outsider = bot_env.api.user(5003)
    await outsider.send("/iptal")  # a chat with a message of the bot's to press on
    anchor = await outsider.next_message()

    cases = {
        f"c:katilim {event_id} evet": "sizin takip ettiğiniz kümeler için değil",
        "c:katilim 999999 evet": "Bu etkinlik bulunamadı",
        f"c:katilim {event_id} belki": "Bu etkinlik bulunamadı",
        "c:katilim abc evet": "Bu etkinlik bulunamadı",
        f"c:takvim {event_id}": "sizin takip ettiğiniz kümeler için değil",
    }
    for data, expected in cases.items():
        await outsider.press_raw(anchor["message_id"], data)
        refusal = await outsider.next_message()
        assert expected in refusal["text"], (data, refusal["text"])
    assert rsvps(bot_env, event_id) == {}

    # Past: the event began.
    bot_env.clock.advance(timedelta(days=1, hours=1))
    await member.press(notice, "✅ Katılacağım")
    assert "başladı ya da geçti" in (await member.next_message())["text"]
    assert rsvps(bot_env, event_id) == {}


# -- when notices go ---------------------------------------------------------------------------


async def test_an_event_announced_at_night_reaches_members_in_the_morning(bot_env):
    """Quiet hours apply to events; the working-day rule does not (the morning is a Sunday)."""
    bot_env.clock.set(datetime(2014, 4, 12, 22, 30, tzinfo=ISTANBUL))  # Saturday night
    add_members(bot_env, [5001])
    user = await secretary(bot_env)
    await publish(bot_env, user, report=False)
    await bot_env.app.sender.drain()
    await bot_env.api.user(5001).assert_no_reply(within=0.2)
    [row] = rows_of(bot_env, "event_notice")
    assert row.status == "pending"

    bot_env.clock.set(datetime(2014, 4, 13, 9, 5, tzinfo=ISTANBUL))  # Sunday morning
    await bot_env.app.sender.drain()
    await told(bot_env, 5001)


# -- the simulator -----------------------------------------------------------------------------


def test_the_example_script_announces_an_event(db_url):
    """examples/etkinlik.txt, as `kume simulate --script` plays it."""
    out = io.StringIO()
    script = Path(__file__).parents[2] / "examples" / "etkinlik.txt"
    assert run_script(_config(db_url), script, out=out) == 0
    transcript = out.getvalue()
    assert "⚠️ Bu tarih okunamadı." in transcript
    assert "⚠️ 12 Mayıs 2013 14:00 geçmişte kalıyor" in transcript
    assert "🔗 https://meet.example.org/organik" in transcript
    # The member who joined first is told, answers yes and gets the calendar file.
    assert "✅ Duyuru 1 üyeye gönderiliyor." in transcript
    assert "› Küme üyesi: [1] ✅ Katılacağım" in transcript
    assert "✅ Katılımınız kaydedildi: Organik tarımda sertifikasyon buluşması" in transcript
    assert "📎 etkinlik-1.ics" in transcript
    assert "Bildirilen: 1 · Katılacak: 1 · Katılamayacak: 0 · Bekleyen: 0" in transcript
    # The head count at the door: a wrong answer explained, then stored.
    assert "⚠️ “yirmi beş” bir sayı olarak okunamadı." in transcript
    assert "elle girilen katılımcı sayısı: 25" in transcript
    engine = create_db_engine(db_url)
    try:
        with Session(engine) as session:
            event = session.exec(select(Event)).one()
    finally:
        engine.dispose()
    assert event.online_url == "https://meet.example.org/organik" and event.capacity == 40
    assert event.manual_attendance == 25
