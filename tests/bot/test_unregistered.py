"""Someone without a registration learns how to get one, whatever they send; nothing changes."""

from __future__ import annotations

from tests.bot.conftest import texts_of
from tracker import texts

EXPLANATION = texts.render("messages/unregistered.j2")
PLAIN = "Merhaba! Ben kume, İzmir Kalkınma Ajansı'nın kümelenme stratejisi eylem planını"


TYPED = [
    "merhaba",
    "<b>selam</b> & hoş geldin",
    "%40",
    "/durum",
    "/durum E1.2.3",
    "/gosterge",
    "/davet EBSO sorumlu",
    "/iptal",
    "/yardim",
    "/help",
    "/foo",
]
PRESSED = ["d:1:1:ns", "c:durum", "c:durum E1.2.3", "c:davet", "x:1"]


async def test_anything_typed_gets_the_explanation(harness):
    user = harness.user(1001)
    before = harness.counts()
    for sent in TYPED:
        replies = await harness.send(user, sent)
        assert len(replies) == 1, sent
        assert replies[0]["text"].startswith(PLAIN), sent
        assert replies[0]["raw_text"] == EXPLANATION, sent
        assert harness.counts() == before, sent


async def test_a_button_press_gets_a_notice_and_the_explanation(harness):
    user = harness.user(1001)
    first = (await harness.send(user, "/start"))[0]  # a bot message to press on
    before = harness.counts()
    for data in PRESSED:
        replies = await harness.press_raw(user, first, data)
        answer = user.callback_answers[-1]
        assert answer["data"] == data
        if data == "c:davet":  # kume never makes this button: it is simply not valid
            assert answer["text"] == "Bu düğme artık geçerli değil." and replies == []
        else:
            if not data.startswith("c:"):
                assert answer["text"] == "Bu işlem için kayıtlı olmanız gerekir.", data
            assert len(replies) == 1 and replies[0]["text"].startswith(PLAIN), data
        assert harness.counts() == before, data


async def test_a_deactivated_person_counts_as_unregistered(harness):
    from sqlmodel import Session, select

    from tracker.models import Person, Role

    user = await harness.register(1001, "EBSO", Role.REPORTER)
    with Session(harness.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == 1001)).one()
        person.active = False
        session.add(person)
        session.commit()
    before = harness.counts()
    for sent in ("/durum", "/yardim", "metin"):
        replies = await harness.send(user, sent)
        assert texts_of(replies)[0].startswith(PLAIN), sent
    assert harness.counts() == before
