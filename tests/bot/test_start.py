"""/start: invite tokens (valid, used, expired, garbage), configured admins, strangers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from tests.bot.conftest import ADMIN_ID, menu, texts_of
from tracker.access import commands_for
from tracker.models import Invite, OrgKind, Person, Role

UNREGISTERED = "Kullanmak için ajansın size göndereceği kişisel davet bağlantısına"


async def test_a_valid_invite_registers_the_person_with_its_organisation_and_role(harness):
    user = harness.user(1001, "Ayşe")
    token = harness.invite("EBSO", Role.REPORTER)
    replies = await harness.send(user, f"/start {token}")

    assert len(replies) == 1
    text = replies[0]["text"]
    assert text.startswith("Hoş geldiniz, Ayşe!")
    assert "Ege Bölgesi Sanayi Odası adına kuruluş sorumlusu olarak kayıtlısınız" in text
    assert "/durum — Eylem durum bildirimi" in text
    assert "/davet" not in text
    person = harness.person(1001)
    assert person is not None and person.role == Role.REPORTER and person.active
    assert menu(user) == commands_for(person, OrgKind.CHAMBER)
    assert "davet" not in menu(user) and "durum" in menu(user)
    with Session(harness.engine) as session:
        invite = session.exec(select(Invite).where(Invite.token == token)).one()
    assert invite.uses == 1 and person.invite_id == invite.id


async def test_the_same_person_may_open_their_own_link_again(harness):
    user = harness.user(1001, "Ayşe")
    token = harness.invite("EBSO", Role.REPORTER)
    await harness.send(user, f"/start {token}")
    again = await harness.send(user, f"/start {token}")
    assert texts_of(again)[0].startswith("Hoş geldiniz, Ayşe!")
    assert harness.counts()["Person"] == 1


async def test_a_used_invite_is_refused_to_someone_else(harness):
    token = harness.invite("EBSO", Role.REPORTER)
    await harness.send(harness.user(1001, "Ayşe"), f"/start {token}")
    before = harness.counts()

    intruder = harness.user(1002, "Mehmet")
    replies = await harness.send(intruder, f"/start {token}")
    assert texts_of(replies) == [
        "⛔ Bu davet bağlantısı daha önce kullanılmış. Her bağlantı tek kişi içindir; lütfen "
        "ajanstan yeni bir bağlantı isteyin."
    ]
    assert harness.person(1002) is None
    assert harness.counts() == before
    assert menu(intruder) == commands_for(None) == ["yardim"]


async def test_an_expired_invite_is_refused(harness):
    token = harness.invite("EBSO", Role.REPORTER, days=1)
    harness.clock.advance(timedelta(days=1, minutes=1))
    before = harness.counts()
    replies = await harness.send(harness.user(1001), f"/start {token}")
    assert texts_of(replies) == [
        "⛔ Bu davet bağlantısının süresi dolmuş. Lütfen ajanstan yeni bir bağlantı isteyin."
    ]
    assert harness.person(1001) is None and harness.counts() == before


async def test_a_garbage_token_is_refused_and_nothing_is_stored(harness):
    before = harness.counts()
    user = harness.user(1001)
    for token in ("abc", "x" * 64, "<script>alert(1)</script>", "' OR 1=1 --", "İZKA&amp"):
        replies = await harness.send(user, f"/start {token}")
        assert texts_of(replies) == [
            "⛔ Bu davet bağlantısı geçerli değil. Lütfen ajanstan yeni bir bağlantı isteyin."
        ], token
    assert harness.counts() == before


async def test_a_configured_admin_is_bound_to_the_agency_without_an_invite(harness):
    admin = harness.user(ADMIN_ID, "Zeynep")
    replies = await harness.send(admin, "/start")
    text = texts_of(replies)[0]
    assert "İzmir Kalkınma Ajansı</b> adına" not in text  # the HTML reached Telegram as markup
    assert "İzmir Kalkınma Ajansı adına yönetici olarak kayıtlısınız" in text
    person = harness.person(ADMIN_ID)
    assert person is not None and person.role == Role.ADMIN
    assert menu(admin) == commands_for(person, OrgKind.AGENCY)
    assert {"durum", "gosterge", "davet", "iptal", "yardim"} <= set(menu(admin))

    await harness.send(admin, "/start")
    with Session(harness.engine) as session:
        assert len(session.exec(select(Person)).all()) == 1


async def test_start_without_a_token_explains_how_to_register(harness):
    user = harness.user(1001)
    replies = await harness.send(user, "/start")
    assert len(replies) == 1 and UNREGISTERED in replies[0]["text"]
    assert harness.person(1001) is None
    # The chat's own menu is cleared: the bot-wide menu (only /yardim) applies.
    assert menu(user) == commands_for(None) == ["yardim"]


async def test_a_registered_person_is_greeted_back(harness):
    user = await harness.register(1001, "EBSO", Role.REPORTER, name="Ayşe")
    replies = await harness.send(user, "/start")
    assert texts_of(replies)[0].startswith("Tekrar hoş geldiniz, Ayşe!")
    assert menu(user) == commands_for(harness.person(1001), OrgKind.CHAMBER)
