"""/bulten end to end, through the local Bot API and the real outbox sender: the agency
composes a quarter's bulletin (a news item with HTML in it, a bad link, a photo), sees the
Telegram version, tests it on itself (chat and e-mail), schedules and unschedules it, sends it
to members; a sent bulletin is closed to changes, and other roles are refused."""

from __future__ import annotations

from sqlmodel import Session, select
from telegram.ext import CallbackContext

from bot.app import tick
from tests.e2e.conftest import BotEnv
from tests.e2e.test_events import add_members, answer, buttons
from tracker.db import session_scope
from tracker.models import Bulletin, BulletinItem, BulletinStatus, MailMessage, Person, Role

AGENCY = 3101
ODD = "<b>Ayşe</b> & “Co” <script>"
MENU = "Kümelenme Bülteni · 2014 1. Çeyrek"


async def agency(env: BotEnv):
    user = await env.register(AGENCY, "İZKA", Role.AGENCY)
    with session_scope(env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == AGENCY)).one()
        person.email = "uzman@izka.example"
    return user


async def test_the_agency_composes_tests_and_sends_a_bulletin(bot_env):
    add_members(bot_env, [5101, 5102])
    user = await agency(bot_env)
    await user.send("/bulten")
    choose = await user.next_message()
    assert "Hangi dönemin bültenini" in choose["text"]
    assert "2014 1. Çeyrek" in buttons(choose) and "Mart 2014" in buttons(choose)
    await answer(user, "geçen yıl", "bir dönem değil")
    await user.press(choose, "2014 1. Çeyrek")
    menu = await user.next_message()
    assert MENU in menu["text"] and "Henüz haber eklenmedi" in menu["text"]

    await user.press(menu, "➕ Haber ekle")
    await user.next_message()
    await answer(user, f"Başlık {ODD}", "Haberin metnini yazın")
    await answer(user, f"Metin {ODD}", "bağlantı eklemek")
    await answer(user, "javascript:alert(1)", "https:// ile başlayan")
    await answer(user, "https://izka.org.tr/haber?a=1&b=2", "fotoğraf göndermek")
    await user.send_photo(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    menu = await user.next_message()
    assert "Haber eklendi" in menu["text"] and f"1. Başlık {ODD}" in menu["text"]

    await user.press(menu, "👁 Telegram sürümü")
    preview = await user.next_message()
    assert f"Başlık {ODD}" in preview["text"] and f"Metin {ODD}" in preview["text"]
    await user.press(preview, "↩︎ Özete dön")
    menu = await user.next_message()

    await user.press(menu, "Kendime test gönder")
    tested = await user.wait_for(lambda m: "Deneme gönderildi" in m.get("text", ""))
    assert "uzman@izka.example" in tested[0]["text"]
    test_copy = await user.wait_for(lambda m: m.get("text", "").startswith("📰"))
    assert f"Başlık {ODD}" in test_copy[0]["text"]
    menu = tested[0]

    await user.press(menu, "⏰ Zamanla")
    await user.next_message()
    await answer(user, "bugün 09:00", "geçmişte kalıyor")
    menu = await answer(user, "15 Nisan 10:00", "zamanlandı")
    await user.press(menu, "Zamanlamayı kaldır")
    menu = await user.wait_for(lambda m: "Zamanlama kaldırıldı" in m.get("text", ""))

    await user.press(menu[0], "📤 Şimdi gönder")
    confirm = await user.next_message()
    assert "Telegram: 3 kişi (1 mesaj)" in confirm["text"], confirm["text"]
    await user.press(confirm, "✅ Evet, gönder")
    await user.wait_for(lambda m: "gönderiliyor: Telegram'da 3 kişi" in m.get("text", ""))
    for member in (5101, 5102):
        got = await bot_env.api.user(member).wait_for(
            lambda m: m.get("text", "").startswith("📰"))
        assert MENU in got[0]["text"] and f"Başlık {ODD}" in got[0]["text"]

    await answer(user, "/bulten 2014Q1", "gönderilmiş bir bülten değiştirilemez")
    with Session(bot_env.engine) as session:
        bulletin = session.exec(select(Bulletin)).one()
        assert bulletin.status == BulletinStatus.SENT and bulletin.frozen_telegram
        item = session.exec(select(BulletinItem)).one()
        assert item.image_file_id and item.link == "https://izka.org.tr/haber?a=1&b=2"
        (mail,) = session.exec(select(MailMessage)).all()
        assert mail.address == "uzman@izka.example" and "&lt;script&gt;" in mail.html


async def test_a_scheduled_bulletin_goes_out_at_its_time(bot_env):
    add_members(bot_env, [5201])
    user = await agency(bot_env)
    await user.send("/bulten 2014-03")
    menu = await user.next_message()
    assert "Mart 2014" in menu["text"]
    await user.press(menu, "⏰ Zamanla")
    await user.next_message()
    await answer(user, "11.04.2014 09:30", "zamanlandı")
    member = bot_env.api.user(5201)
    bot_env.clock.set(bot_env.clock.now().replace(day=11, hour=9, minute=31))
    await tick(CallbackContext(bot_env.app))
    got = await member.wait_for(lambda m: m.get("text", "").startswith("📰"))
    assert "Kümelenme Bülteni · Mart 2014" in got[0]["text"]
    with Session(bot_env.engine) as session:
        assert session.exec(select(Bulletin)).one().status == BulletinStatus.SENT


async def test_reporters_and_members_cannot_make_bulletins(bot_env):
    reporter = await bot_env.register(3102, "EBSO", Role.REPORTER)
    await answer(reporter, "/bulten", "⛔ /bulten komutu sizin rolünüz için açık değil.")
    add_members(bot_env, [5301])
    member = bot_env.api.user(5301)
    await answer(member, "/bulten 2014Q1", "⛔ /bulten komutu sizin rolünüz için açık değil.")
    with Session(bot_env.engine) as session:
        assert session.exec(select(Bulletin)).all() == []
