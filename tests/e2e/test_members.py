"""Cluster members end to end: the member link and its QR, consent first (KVKK), /abone, /dur,
/verilerim and /sil, through the real bot and a local Bot API."""

from __future__ import annotations

import json
import re

from sqlmodel import Session, func, select

from tests.e2e.conftest import ADMIN_ID, BotEnv
from tracker.audience import followed_clusters, members_of
from tracker.db import session_scope
from tracker.models import (
    Cluster,
    ClusterFollow,
    Dialog,
    Event,
    EventStatus,
    Invite,
    Notification,
    Person,
    Role,
    Rsvp,
    RsvpAnswer,
)

NOTICE = "duyurularına katılmak üzeresiniz."
ACCEPT, DECLINE = "✅ Kabul ediyorum", "Vazgeç"


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def member_token(env: BotEnv, cluster: str = "organik-gida") -> str:
    with session_scope(env.engine) as session:
        from tracker.people import create_invite

        created = create_invite(session, organisation=None, role=Role.MEMBER, cluster=cluster,
                                multi=True, now=env.clock.now())
        return created.invite.token


def count(env: BotEnv, model) -> int:
    with Session(env.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def person(env: BotEnv, user_id: int) -> Person | None:
    with Session(env.engine) as session:
        return session.exec(select(Person).where(Person.telegram_user_id == user_id)).first()


def cluster_id(env: BotEnv, code: str) -> int:
    with Session(env.engine) as session:
        return session.exec(select(Cluster.id).where(Cluster.code == code)).one()


async def join_member(env: BotEnv, user_id: int, token: str, name: str = "Ece", firm=None,
                      answer_firm: bool = True):
    """A member through the link: the notice, "Kabul ediyorum", then the firm (or "Atla")."""
    user = env.api.user(user_id, first_name=name)
    await user.send(f"/start {token}")
    notice = await user.next_message()
    assert NOTICE in notice["text"], notice
    await user.press(notice, ACCEPT)
    welcome = await user.next_message()
    assert welcome["text"].startswith(f"Hoş geldiniz, {name}!")
    firm_question = await user.next_message()
    assert "hangi firmadan" in firm_question["text"]
    if not answer_firm:
        return user
    if firm is None:
        await user.press(firm_question, "Atla")
    else:
        await user.send(firm)
    await user.next_message()
    return user


async def test_declining_the_notice_stores_nothing(bot_env):
    token = member_token(bot_env)
    before = {m.__name__: count(bot_env, m) for m in (Person, ClusterFollow, Dialog)}
    user = bot_env.api.user(2001, first_name="Ece")
    await user.send(f"/start {token}")
    notice = await user.next_message()
    assert NOTICE in notice["text"] and "Aydınlatma metni" in notice["text"]
    assert "sürüm 1" in notice["text"]
    assert buttons(notice) == [ACCEPT, DECLINE]
    # Showing the notice stored nothing: not even the Telegram id.
    assert person(bot_env, 2001) is None
    await user.press(notice, DECLINE)
    declined = await user.next_message()
    assert declined["text"].startswith("Anladım, hiçbir bilginiz kaydedilmedi.")
    after = {m.__name__: count(bot_env, m) for m in (Person, ClusterFollow, Dialog)}
    assert after == before
    with Session(bot_env.engine) as session:
        assert session.exec(select(Invite).where(Invite.token == token)).one().uses == 0


async def test_accepting_records_consent_and_follows_the_cluster(bot_env):
    token = member_token(bot_env)
    started = bot_env.clock.now()
    user = await join_member(bot_env, 2001, token, firm="Ege <Tarım> & Co")
    stored = person(bot_env, 2001)
    assert stored is not None and stored.role == Role.MEMBER
    assert stored.organisation_id is None
    assert stored.consent_version == "1" and stored.consent_at is not None
    assert started <= stored.consent_at <= bot_env.clock.now()
    assert stored.firm == "Ege <Tarım> & Co"
    assert "Teşekkürler, firmanız kaydedildi: “Ege <Tarım> & Co”." in user.messages[-1]["text"]
    with Session(bot_env.engine) as session:
        assert followed_clusters(session, stored.id) == [cluster_id(bot_env, "organik-gida")]
        assert [p.id for p in members_of(session, None)] == [stored.id]
    # The member's menu and help: their commands only.
    assert [c["command"] for c in user.commands] == [
        "abone", "dur", "verilerim", "sil", "iptal", "yardim"]
    await user.send("/yardim")
    help_text = (await user.next_message())["text"]
    assert re.findall(r"^/(\w+) — ", help_text, re.MULTILINE) == [
        "abone", "dur", "verilerim", "sil", "iptal", "yardim"]
    # Pressing the old notice again changes nothing.
    notice = next(m for m in user.messages if NOTICE in m.get("text", ""))
    await user.press_raw(notice["message_id"], f"c:uyelik kabul {token}")
    await user.next_message()
    assert count(bot_env, Person) == 1 and count(bot_env, ClusterFollow) == 1


async def test_abone_toggles_follows_and_bulletins_and_refuses_forged_clusters(bot_env):
    user = await join_member(bot_env, 2001, member_token(bot_env))
    me = person(bot_env, 2001)
    organik, inoviz = cluster_id(bot_env, "organik-gida"), cluster_id(bot_env, "inoviz")
    await user.send("/abone")
    listing = await user.next_message()
    assert listing["text"].startswith("Abonelikleriniz")
    labels = buttons(listing)
    assert any(label.startswith("✅ İzmir Organik Gıda") for label in labels)
    assert "Bültenler: açık ✅" in labels

    await user.press(listing, f"c:abone k {inoviz}")
    listing = await user.next_message()
    assert "takip ediliyor" in listing["text"]
    await user.press(listing, f"c:abone k {organik}")
    listing = await user.next_message()
    assert "bırakıldı" in listing["text"]
    await user.press(listing, "c:abone b")
    listing = await user.next_message()
    assert "Bültenler kapatıldı" in listing["text"] and "Bültenler: kapalı" in buttons(listing)
    with Session(bot_env.engine) as session:
        assert followed_clusters(session, me.id) == [inoviz]
        assert [p.id for p in members_of(session, [inoviz])] == [me.id]
        assert members_of(session, [organik]) == []
        assert session.get(Person, me.id).bulletins is False

    # Forged: a cluster that does not exist, and data kume never makes.
    follows = count(bot_env, ClusterFollow)
    for data in ("c:abone k 999999", "c:abone k x", "c:abone zz"):
        await user.press_raw(listing["message_id"], data)
        answer = await user.wait_answer()
        assert answer["show_alert"], data
        refusal = await user.next_message()
        assert refusal["text"].startswith("⛔"), data
        assert count(bot_env, ClusterFollow) == follows, data

    # Someone who is not a member cannot use the buttons.
    admin = bot_env.api.user(ADMIN_ID, first_name="Zeynep")
    await admin.send("/start")
    await admin.next_message()
    await admin.send(f"/abone k {inoviz}")
    assert (await admin.next_message())["text"].startswith("⛔ /abone komutu")
    assert count(bot_env, ClusterFollow) == follows


async def test_dur_stops_everything_and_abone_brings_the_member_back(bot_env):
    user = await join_member(bot_env, 2001, member_token(bot_env))
    me = person(bot_env, 2001)
    organik = cluster_id(bot_env, "organik-gida")
    await user.send("/dur")
    stopped = await user.next_message()
    assert stopped["text"].startswith("⏸ Tamam, tüm bildirimler durduruldu")
    assert "/abone" in stopped["text"]
    with Session(bot_env.engine) as session:
        assert members_of(session, None) == []
        assert members_of(session, [organik]) == []
        again = session.get(Person, me.id)
        assert again.stopped_at is not None and again.bulletins is False
    await user.send("/start")
    assert "Bildirimleriniz durdurulmuş" in (await user.next_message())["text"]

    await user.send("/abone")
    listing = await user.next_message()
    assert "durdurulmuş" in listing["text"]
    await user.press(listing, f"c:abone k {organik}")
    await user.next_message()
    with Session(bot_env.engine) as session:
        assert [p.id for p in members_of(session, [organik])] == [me.id]
        assert session.get(Person, me.id).stopped_at is None


async def test_verilerim_sends_a_summary_and_everything_as_json(bot_env):
    user = await join_member(bot_env, 2001, member_token(bot_env), answer_firm=False)
    await user.send("Ege Tarım")
    await user.next_message()
    me = person(bot_env, 2001)
    with session_scope(bot_env.engine) as session:
        event = _event(session, bot_env)
        session.add(Rsvp(event_id=event.id, person_id=me.id, answer=RsvpAnswer.YES))
    await user.send("/verilerim")
    replies = await user.replies(timeout=10, quiet=0.4)
    summary = next(m for m in replies if "text" in m)
    document = next(m for m in replies if "document" in m)
    assert summary["text"].startswith("Hakkınızda saklananlar")
    assert "Firma: Ege Tarım" in summary["text"] and "Etkinlik yanıtları: 1" in summary["text"]
    assert document["document"]["file_name"] == "kume-verilerim.json"
    data = json.loads(bot_env.api.state.files[document["document"]["file_id"]].data)
    assert data["person"]["telegram_user_id"] == 2001
    assert data["person"]["firm"] == "Ege Tarım"
    assert data["person"]["consent_version"] == "1"
    assert [f["cluster"] for f in data["cluster_follow"]] == ["organik-gida"]
    assert [r["answer"] for r in data["rsvp"]] == ["yes"]
    assert "dialog" not in data  # the firm question was answered: its dialog is gone


async def test_sil_asks_then_forgets_the_person_and_keeps_anonymous_counts(bot_env):
    token = member_token(bot_env)
    user = await join_member(bot_env, 2001, token)
    me = person(bot_env, 2001)
    with session_scope(bot_env.engine) as session:
        event = _event(session, bot_env)
        session.add(Rsvp(event_id=event.id, person_id=me.id, answer=RsvpAnswer.YES))
        session.add(Notification(key=f"x|1|1|{me.id}", kind="broadcast", subject="1",
                                 period="1", person_id=me.id, chat_id=2001, text="x",
                                 status="sent", not_before=bot_env.clock.now()))
        event_id = event.id
    await user.send("/sil")
    confirm = await user.next_message()
    assert confirm["text"].startswith("Kaydınız silinsin mi?")
    await user.press(confirm, "Vazgeç")
    assert (await user.next_message())["text"] == "Tamam, hiçbir şey silinmedi."
    assert person(bot_env, 2001) is not None

    await user.send("/sil")
    confirm = await user.next_message()
    await user.press(confirm, "🗑 Evet, silin")
    assert (await user.next_message())["text"].startswith("🗑 Kaydınız ve verileriniz silindi.")
    assert person(bot_env, 2001) is None
    with Session(bot_env.engine) as session:
        rsvps = session.exec(select(Rsvp).where(Rsvp.event_id == event_id)).all()
        assert [(r.person_id, r.answer) for r in rsvps] == [(None, RsvpAnswer.YES)]
        stints = session.exec(select(ClusterFollow)).all()
        assert [(s.person_id, s.ended_at is not None) for s in stints] == [(None, True)]
        assert session.exec(select(Notification)).all() == []
        assert session.exec(select(Dialog)).all() == []
    # A later /start with the link starts over: the notice again.
    await user.send(f"/start {token}")
    assert NOTICE in (await user.next_message())["text"]


async def test_staff_cannot_join_as_members_and_bad_links_are_refused(bot_env):
    reporter = bot_env.api.user(2002, first_name="Ali")
    await reporter.send(f"/start {bot_env.invite('EBSO', Role.REPORTER)}")
    await reporter.next_message()
    await reporter.send(f"/start {member_token(bot_env)}")
    refused = await reporter.next_message()
    assert "küme üyeleri içindir" in refused["text"]
    assert person(bot_env, 2002).role == Role.REPORTER

    stranger = bot_env.api.user(2003, first_name="Can")
    await stranger.press_raw((await _any_message(stranger, bot_env)), "c:uyelik kabul nope")
    await stranger.wait_answer()
    assert "⛔ Bu davet bağlantısı geçerli değil." in (await stranger.next_message())["text"]
    for forged in ("c:uyelik", "c:uyelik evet x", "c:uyelik kabul"):
        await stranger.press_raw(stranger.messages[-1]["message_id"], forged)
        assert (await stranger.wait_answer())["text"] == "Bu düğme artık geçerli değil."
    await stranger.send("/uyelik")
    assert "komutunu tanımıyorum" in (await stranger.next_message())["text"]
    assert person(bot_env, 2003) is None


async def _any_message(user, env: BotEnv) -> int:
    await user.send("/yardim")
    return (await user.next_message())["message_id"]


def _event(session, env: BotEnv) -> Event:
    event = Event(title="Tanışma", starts_at=env.clock.now(), status=EventStatus.PUBLISHED,
                  checkin_token="t" * 16)
    session.add(event)
    session.flush()
    return event


async def test_a_link_revoked_after_the_notice_cannot_be_accepted(bot_env):
    token = member_token(bot_env)
    user = bot_env.api.user(2001, first_name="Ece")
    await user.send(f"/start {token}")
    notice = await user.next_message()
    with session_scope(bot_env.engine) as session:
        invite = session.exec(select(Invite).where(Invite.token == token)).one()
        invite.revoked = True
        session.add(invite)
    await user.press(notice, ACCEPT)
    answer = await user.wait_answer()
    assert answer["show_alert"]
    refusal = await user.next_message()
    assert refusal["text"].startswith("⛔ Bu davet bağlantısı geçerli değil.")
    assert person(bot_env, 2001) is None and count(bot_env, ClusterFollow) == 0


def test_the_notice_version_comes_from_the_configuration(tmp_path):
    from bot.settings import BotSettings
    from kume.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[members]\nnotice_version = "2026-1"\n', encoding="utf-8")
    assert BotSettings.from_config(load_config(path, environ={})).notice_version == "2026-1"


async def test_a_new_notice_version_is_shown_and_recorded(bot_env):
    from dataclasses import replace

    await bot_env.stop_bot()
    bot_env.settings = replace(bot_env.settings, notice_version="2026-1")
    await bot_env.start_bot()
    user = bot_env.api.user(2001, first_name="Ece")
    await user.send(f"/start {member_token(bot_env)}")
    notice = await user.next_message()
    assert "Aydınlatma metni (sürüm 2026-1)" in notice["text"]
    await user.press(notice, ACCEPT)
    assert "aydınlatma metni sürüm 2026-1" in (await user.next_message())["text"]
    assert person(bot_env, 2001).consent_version == "2026-1"


async def test_a_member_link_follows_one_more_cluster_and_a_new_notice_is_asked_again(bot_env):
    from dataclasses import replace

    user = await join_member(bot_env, 2001, member_token(bot_env))
    await user.send(f"/start {member_token(bot_env, 'inoviz')}")
    assert "İNOVİZ – Sağlık için İzmir</b> duyurularını da" in (await user.next_message())[
        "raw_text"]
    with Session(bot_env.engine) as session:
        assert len(followed_clusters(session, person(bot_env, 2001).id)) == 2

    await bot_env.stop_bot()
    bot_env.settings = replace(bot_env.settings, notice_version="2")
    await bot_env.start_bot()
    await user.send(f"/start {member_token(bot_env, 'iaosb-mmd')}")
    notice = await user.next_message()
    assert "Aydınlatma metni (sürüm 2)" in notice["text"]
    await user.press(notice, ACCEPT)
    await user.next_message()
    again = person(bot_env, 2001)
    assert again.consent_version == "2" and count(bot_env, Person) == 1
    with Session(bot_env.engine) as session:
        assert len(followed_clusters(session, again.id)) == 3


async def test_cluster_names_are_escaped_once_in_the_list_and_on_the_button(bot_env):
    with session_scope(bot_env.engine) as session:
        cluster = session.exec(select(Cluster).where(Cluster.code == "inoviz")).one()
        cluster.name = "Ar & Ge <Küme>"
        session.add(cluster)
        inoviz = cluster.id
    user = await join_member(bot_env, 2001, member_token(bot_env))
    await user.send("/abone")
    listing = await user.next_message()
    await user.press(listing, f"c:abone k {inoviz}")
    assert (await user.wait_answer())["text"] == "✅ Ar & Ge <Küme> takip ediliyor"
    listing = await user.next_message()
    assert "✅ Ar & Ge <Küme> takip ediliyor" in listing["text"]
    assert "&amp;amp;" not in listing["raw_text"]
