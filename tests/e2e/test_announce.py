"""/duyuru, `kume broadcast` and a cluster's groups and channels (/bagla, /ayir), end to end
against the local Bot API: what a secretary, a member and a group see, and what is stored."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from sqlmodel import Session, func, select

from tests.e2e.conftest import ADMIN_ID, BotEnv
from tests.e2e.test_outbox import PYTHON, cli_env
from tracker.audience import follow
from tracker.db import session_scope
from tracker.models import Broadcast, Cluster, ClusterChat, Notification, Person, Role

ORGANIK = "İzmir Organik Gıda Kümesi"
INOVIZ = "İNOVİZ – Sağlık için İzmir"
TEXT = "<b>Toplantı</b> & yarın 14:00, İZKA salonu"
ESCAPED = "&lt;b&gt;Toplantı&lt;/b&gt; &amp; yarın 14:00, İZKA salonu"


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def add_members(env: BotEnv, members: dict[int, str | None]) -> None:
    """Consented members, each following the cluster named (None: following none)."""
    now = env.clock.now()
    with session_scope(env.engine) as session:
        for telegram_id, code in members.items():
            person = Person(telegram_user_id=telegram_id, display_name=f"Üye {telegram_id}",
                            role=Role.MEMBER, consent_at=now, consent_version="1")
            session.add(person)
            session.flush()
            if code is not None:
                cluster = session.exec(select(Cluster).where(Cluster.code == code)).one()
                follow(session, person.id, cluster.id, now)
    for telegram_id in members:
        env.api.user(telegram_id, first_name=f"Üye {telegram_id}")


def count(env: BotEnv, model: type) -> int:
    with Session(env.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def notice_to(user, cluster_names: list[str]) -> dict:
    """Walk /duyuru with TEXT to the preview for the clusters named."""
    await user.send("/duyuru")
    ask = await user.next_message()
    assert "Üyelere gidecek metni" in ask["text"]
    await user.send(TEXT)
    audience = await user.next_message()
    assert "Duyuru kime gitsin?" in audience["text"]
    for name in cluster_names:
        await user.press(audience, name)
        audience = await user.next_message()
        assert f"✅ {name}"[:42] in " ".join(buttons(audience))
    await user.press(audience, "Devam →")
    return await user.next_message()


async def test_a_secretary_sends_a_notice_to_one_cluster(bot_env):
    add_members(bot_env, {5001: "organik-gida", 5002: "organik-gida", 5003: "inoviz"})
    secretary = await bot_env.register(4001, "Kümelenme Komitesi", Role.SECRETARY, name="Selin")
    preview = await notice_to(secretary, [ORGANIK])
    assert "Önizleme" in preview["text"]
    assert f"{ORGANIK} duyurusu" in preview["text"]
    assert TEXT in preview["text"]  # shown as typed: the HTML was escaped
    assert ESCAPED in preview["raw_text"]
    assert "2 üye alacak" in preview["text"]
    assert buttons(preview) == ["📣 Gönder", "✏️ Düzelt", "Vazgeç"]

    await secretary.press(preview, "📣 Gönder")
    queued = await secretary.next_message()
    assert "Duyuru sıraya alındı: 2 üye" in queued["text"]
    report = await secretary.wait_for(lambda m: "Duyuru tamamlandı" in m["text"], timeout=15)
    assert "Gönderildi: 2" in report[0]["text"]

    for member_id in (5001, 5002):
        member = bot_env.api.users[member_id]
        got = await member.wait_for(lambda m: "duyurusu" in m["text"], timeout=10)
        assert TEXT in got[0]["text"] and ESCAPED in got[0]["raw_text"]
        assert f"{ORGANIK} duyurusu" in got[0]["text"] and "— Selin" in got[0]["text"]
        assert len(member.messages) == 1
    assert bot_env.api.users[5003].messages == []  # follows another cluster
    with Session(bot_env.engine) as session:
        broadcast = session.exec(select(Broadcast)).one()
    assert broadcast.total == 2 and broadcast.finished_at is not None


async def test_bad_inputs_get_the_question_again(bot_env):
    add_members(bot_env, {5001: "organik-gida"})
    secretary = await bot_env.register(4001, "Kümelenme Komitesi", Role.SECRETARY)
    await secretary.send("/duyuru")
    await secretary.next_message()
    await secretary.send("x" * 3001)
    again = await secretary.next_message()
    assert again["text"].startswith("⚠️ Metin çok uzun (3.001 karakter)")
    await secretary.send_document("afis.pdf", b"%PDF-1.4")
    again = await secretary.next_message()
    assert again["text"].startswith("⚠️ Duyuru metni boş olamaz")
    await secretary.send(TEXT)
    audience = await secretary.next_message()
    labels = buttons(audience)
    assert "👥 Tüm üyeler" not in labels  # a secretary addresses clusters
    assert "Devam →" in labels and ORGANIK in labels
    await secretary.press(audience, "Devam →")
    again = await secretary.next_message()
    assert again["text"].startswith("⚠️ Lütfen en az bir küme seçin")
    await secretary.send("organik-gida")
    again = await secretary.next_message()
    assert again["text"].startswith("⚠️ Lütfen en az bir küme seçin")
    # Forged: "every member" pressed by a secretary, and a cluster that does not exist.
    with Session(bot_env.engine) as session:
        from tracker.models import Dialog

        dialog = session.exec(select(Dialog)).one()
    await secretary.press_raw(again["message_id"], f"d:{dialog.id}:{dialog.revision}:all")
    refused = await secretary.next_message()
    assert refused["text"].startswith("⚠️ Tüm üyelere birden duyuruyu ajans gönderir")
    await secretary.press_raw(again["message_id"], f"d:{dialog.id}:{dialog.revision}:c99999")
    refused = await secretary.next_message()
    assert refused["text"].startswith("⚠️ Lütfen en az bir küme seçin")

    # A cluster nobody follows: the preview says so, and Gönder is refused.
    await secretary.press(refused, INOVIZ)
    chosen = await secretary.next_message()
    await secretary.press(chosen, "Devam →")
    preview = await secretary.next_message()
    assert "duyuru alacak üye yok" in preview["text"]
    await secretary.press(preview, "📣 Gönder")
    nobody = await secretary.next_message()
    assert nobody["text"].startswith("⚠️ Bu duyuruyu alacak kimse yok")
    # Düzelt: the audience again, then the text kept as it was.
    await secretary.press(nobody, "✏️ Düzelt")
    what = await secretary.next_message()
    await secretary.press(what, "Alıcıları")
    audience = await secretary.next_message()
    await secretary.press(audience, f"✅ {INOVIZ}")  # off again
    audience = await secretary.next_message()
    await secretary.press(audience, ORGANIK)
    audience = await secretary.next_message()
    await secretary.press(audience, "Devam →")
    preview = await secretary.next_message()
    assert "1 üye alacak" in preview["text"]
    await secretary.press(preview, "✏️ Düzelt")
    what = await secretary.next_message()
    await secretary.press(what, "Metni")
    text_again = await secretary.next_message()
    await secretary.press(text_again, "Metin aynı kalsın")
    preview = await secretary.next_message()
    assert TEXT in preview["text"]
    await secretary.press(preview, "Vazgeç")
    dropped = await secretary.next_message()
    assert "Duyuru gönderilmedi" in dropped["text"]
    assert count(bot_env, Broadcast) == 0 and count(bot_env, Notification) == 0
    assert bot_env.api.users[5001].messages == []


async def test_the_agency_sends_to_every_member_and_a_second_press_queues_nothing(bot_env):
    add_members(bot_env, {5001: "organik-gida", 5002: "inoviz", 5003: None})
    agency = await bot_env.register(4002, "İZKA", Role.AGENCY, name="Deniz")
    await agency.send("/duyuru")
    await agency.next_message()
    await agency.send("Yeni destek programı açıldı.")
    audience = await agency.next_message()
    await agency.press(audience, "👥 Tüm üyeler")
    preview = await agency.next_message()
    assert "Kümelenme duyurusu" in preview["text"] and "3 üye alacak" in preview["text"]
    send = preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await agency.press(preview, "📣 Gönder")
    await agency.next_message()
    await agency.press_raw(preview["message_id"], send)  # a second tap, as a fast thumb does
    assert (await agency.wait_answer())["text"]
    await agency.wait_for(lambda m: "Duyuru tamamlandı" in m["text"], timeout=15)
    for member_id in (5001, 5002, 5003):
        await bot_env.api.users[member_id].wait_for(lambda m: "Yeni destek" in m["text"])
    assert count(bot_env, Broadcast) == 1
    for member_id in (5001, 5002, 5003):
        assert len(bot_env.api.users[member_id].messages) == 1


async def test_a_member_may_not_send_a_notice(bot_env):
    member = bot_env.api.user(5009, first_name="Ece")
    await member.send(f"/start {bot_env.invite('KY Organik Gıda', Role.MEMBER, 'organik-gida')}")
    await member.press(await member.next_message(), "✅ Kabul ediyorum")  # consent first
    await member.next_message()
    await member.press(await member.next_message(), "Atla")
    await member.next_message()
    await member.send("/duyuru")
    refused = await member.next_message()
    assert refused["text"].startswith("⛔ /duyuru komutu sizin rolünüz için açık değil.")
    assert count(bot_env, Broadcast) == 0


async def admin(env: BotEnv):
    user = env.api.user(ADMIN_ID, first_name="Zeynep")
    await user.send("/start")
    await user.next_message()
    return user


async def test_a_group_linked_by_an_admin_gets_each_notice_once(bot_env):
    add_members(bot_env, {5001: "organik-gida"})
    boss = await admin(bot_env)
    stranger = bot_env.api.user(6001, first_name="Yabancı")
    reporter = await bot_env.register(6002, "EBSO", Role.REPORTER, name="Ali")
    group = bot_env.api.group(-1001234, "Organik Gıda Üyeleri")
    for person in (boss, stranger, reporter):
        group.join(person)
    await group.add_bot(boss)
    hint = await group.next_message()  # added by an admin: how to link it
    assert "Bu grubu bir kümeye bağlamak için burada yazın: /bagla <küme kodu>" in hint["text"]
    assert "Küme kodları: organik-gida, inoviz" in hint["text"]

    for who in (stranger, reporter):  # not admins: refused, nothing stored
        await group.post("/bagla organik-gida", by=who)
        refused = await group.next_message()
        assert refused["text"].startswith("⛔"), refused
    assert count(bot_env, ClusterChat) == 0

    await group.post("/bagla yok-boyle", by=boss)
    unknown = await group.next_message()
    assert "“yok-boyle” kodlu küme yok. Kayıtlı kümeler: organik-gida, inoviz" in unknown["text"]
    await group.post("/bagla@kume_bot organik-gida", by=boss)
    linked = await group.next_message()
    assert f"“Organik Gıda Üyeleri” artık {ORGANIK} kümesine bağlı" in linked["text"]

    secretary = await bot_env.register(4001, "Kümelenme Komitesi", Role.SECRETARY)
    preview = await notice_to(secretary, [ORGANIK])
    assert "1 üye ve 1 grup/kanal alacak" in preview["text"]
    await secretary.press(preview, "📣 Gönder")
    await secretary.next_message()
    await secretary.wait_for(lambda m: "Duyuru tamamlandı" in m["text"], timeout=15)
    posted = await group.wait_for(lambda m: "duyurusu" in m["text"], timeout=10)
    assert TEXT in posted[0]["text"] and ESCAPED in posted[0]["raw_text"]
    await bot_env.app.sender.drain()
    notices = [m for m in group.messages if "duyurusu" in m.get("text", "")]
    assert len(notices) == 1

    await group.post("/ayir", by=boss)
    unlinked = await group.next_message()
    assert "Bağlantı kaldırıldı" in unlinked["text"]
    assert count(bot_env, ClusterChat) == 0


async def test_a_group_added_by_someone_else_hears_nothing(bot_env):
    reporter = await bot_env.register(6002, "EBSO", Role.REPORTER, name="Ali")
    group = bot_env.api.group(-1008888, "Başka Grup")
    group.join(reporter)
    await group.add_bot(reporter)
    await group.assert_no_reply()
    await group.post("/ayir", by=reporter)
    assert (await group.next_message())["text"].startswith("⛔")


async def test_a_channel_is_linked_from_a_private_chat(bot_env):
    boss = await admin(bot_env)
    channel = bot_env.api.group(-1005555, "Organik Gıda Duyuruları", kind="channel",
                                username="organikduyuru")
    await channel.add_bot(boss, admin=True)
    assert "bana özelden yazın" in (await channel.next_message())["text"]
    await channel.post("/bagla organik-gida")  # a channel post names nobody
    refused = await channel.next_message()
    assert "bana özelden /bagla" in refused["text"]
    assert count(bot_env, ClusterChat) == 0

    plain = bot_env.api.group(-1006666, "Başka Kanal", kind="channel", username="baskakanal")
    await plain.add_bot(boss)  # a member, not an administrator: it could not post there
    await boss.send("/bagla organik-gida @baskakanal")
    assert "yönetici değilim" in (await boss.next_message())["text"]
    await boss.send("/bagla organik-gida @yokkanal")
    assert "bulamadım" in (await boss.next_message())["text"]
    await boss.send("/bagla organik-gida @organikduyuru")
    linked = await boss.next_message()
    assert "“Organik Gıda Duyuruları” artık" in linked["text"]
    assert "/ayir -1005555" in linked["text"]
    with Session(bot_env.engine) as session:
        chat = session.exec(select(ClusterChat)).one()
    assert chat.chat_id == -1005555

    # Removed from the channel: the link goes with it.
    await channel.remove_bot(boss)
    await channel.assert_no_reply()
    # Nothing is said in the chat: wait until the handler's transaction is in.
    for _ in range(100):
        if count(bot_env, ClusterChat) == 0:
            break
        await asyncio.sleep(0.05)
    assert count(bot_env, ClusterChat) == 0


@dataclass
class Ran:
    exit_code: int
    output: str  # stdout and stderr


async def broadcast(env: BotEnv, *args: str, answer: str = "") -> Ran:
    """`kume broadcast ARGS` as a person runs it, `answer` typed at its question."""
    python = PYTHON if PYTHON.exists() else sys.executable
    # The command line's clock where the bot's is (the bundled plan's years).
    clock = {"KUME_CLOCK_START": env.clock.now().isoformat()}
    proc = await asyncio.create_subprocess_exec(
        str(python), "-m", "kume", "broadcast", *args,
        env=cli_env(env.engine, env.api, clock),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate(answer.encode())
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode())


async def test_kume_broadcast_asks_first_and_says_how_many(bot_env):
    add_members(bot_env, {5001: "organik-gida", 5002: "organik-gida", 5003: "inoviz"})

    unknown = await broadcast(bot_env, "--text", "Merhaba", "--cluster", "yok")
    assert unknown.exit_code == 1
    assert "“yok” kodlu küme yok. Kayıtlı kümeler: organik-gida, inoviz" in unknown.output
    empty = await broadcast(bot_env, "--text", "Merhaba", "--cluster", "meyve-sebze")
    assert empty.exit_code == 1 and "alacak kimse yok" in empty.output
    blank = await broadcast(bot_env, "--text", "   ")
    assert blank.exit_code == 1 and "Duyuru metni boş olamaz" in blank.output

    declined = await broadcast(bot_env, "--text", "Merhaba", "--cluster", "organik-gida",
                               answer="h\n")
    assert declined.exit_code == 0, declined.output
    assert "Alıcılar (organik-gida kümesi): 2 üye." in declined.output
    assert "Gönderilsin mi? [e/H]" in declined.output and "Gönderilmedi." in declined.output
    assert count(bot_env, Notification) == 0

    confirmed = await broadcast(bot_env, "--text", TEXT, answer="evet\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "Duyuru kuyruğa alındı: 3 üye alacak." in confirmed.output
    quiet = await broadcast(bot_env, "--text", "İkinci", "--cluster", "inoviz", "--yes")
    assert quiet.exit_code == 0 and "Gönderilsin mi?" not in quiet.output
    assert "Duyuru kuyruğa alındı: 1 üye alacak." in quiet.output

    await bot_env.app.sender.drain()  # the running bot sends what the command line queued
    got = await bot_env.api.users[5003].wait_for(count=2, timeout=10)
    assert ESCAPED in got[0]["raw_text"] and "Kümelenme duyurusu" in got[0]["text"]
    assert "İkinci" in got[1]["text"]
    assert len(bot_env.api.users[5001].messages) == 1


async def test_a_group_that_dropped_the_bot_is_unlinked_and_its_linker_stays(bot_env):
    add_members(bot_env, {5001: "organik-gida"})
    boss = await admin(bot_env)
    group = bot_env.api.group(-1007777, "Eski Grup")
    group.join(boss)
    await group.add_bot(boss)
    await group.next_message()  # how to link it
    await group.post("/bagla organik-gida", by=boss)
    await group.next_message()
    group.bot_status = "kicked"  # removed while kume was not running: no update came

    secretary = await bot_env.register(4001, "Kümelenme Komitesi", Role.SECRETARY)
    preview = await notice_to(secretary, [ORGANIK])
    await secretary.press(preview, "📣 Gönder")
    await secretary.next_message()
    await secretary.wait_for(lambda m: "Duyuru tamamlandı" in m["text"], timeout=15)
    await bot_env.api.users[5001].wait_for(lambda m: "duyurusu" in m["text"])
    await bot_env.app.sender.drain()
    with Session(bot_env.engine) as session:
        row = session.exec(select(Notification).where(Notification.chat_id == -1007777)).one()
        linker = session.exec(select(Person).where(Person.telegram_user_id == ADMIN_ID)).one()
    assert str(row.status) == "blocked"
    assert linker.active  # the chat went, not the admin who linked it
    assert count(bot_env, ClusterChat) == 0


async def test_a_secretary_who_lost_the_role_cannot_send_the_preview(bot_env):
    add_members(bot_env, {5001: "organik-gida"})
    secretary = await bot_env.register(4001, "Kümelenme Komitesi", Role.SECRETARY)
    preview = await notice_to(secretary, [ORGANIK])
    with session_scope(bot_env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == 4001)).one()
        person.role = Role.MEMBER
        session.add(person)
    await secretary.press(preview, "📣 Gönder")
    refused = await secretary.next_message()
    assert refused["text"].startswith("⛔ /duyuru komutu sizin rolünüz için açık değil.")
    assert count(bot_env, Broadcast) == 0 and count(bot_env, Notification) == 0


async def test_a_notice_left_with_iptal_resumes_where_it_was(bot_env):
    secretary = await bot_env.register(4001, "Kümelenme Komitesi", Role.SECRETARY)
    await secretary.send("/duyuru")
    await secretary.next_message()
    await secretary.send(TEXT)
    await secretary.next_message()
    await secretary.send("/iptal")
    left = await secretary.next_message()
    assert "taslak olarak saklandı; /duyuru ile kaldığınız yerden" in left["text"]
    await secretary.send("/duyuru")
    again = await secretary.next_message()
    assert again["text"].startswith("Yarım kalan duyurunuza devam ediyoruz.")
    assert "Duyuru kime gitsin?" in again["text"] and ORGANIK in buttons(again)
