"""Updates of different people run at once, one person's strictly in order (bot/updates.py)."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from tests.e2e.test_dialog_lifecycle import USER_ID, open_action, registered
from tracker.models import Dialog, DialogStatus, Person, Role


async def test_twenty_answers_sent_at_once_are_handled_and_stored_in_order(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Gecikmede")
    assert "yüzde kaç" in (await user.next_message())["text"]

    # Sixteen that the progress question refuses, quoting each; then the four answers, each
    # only right at its own question: handled out of order, one would be refused, not stored.
    wrong = [f"yüzde {n}" for n in range(1, 17)]
    answers = ["%40", "Çalıştay yapıldı", "Salon bulunamadı", "https://ornek.org/rapor"]
    for text in wrong + answers:
        await user.send(text)
    replies = await user.wait_for(count=20, timeout=30)

    quoted = [f"“{text}” bir sayı olarak okunamadı" for text in wrong]
    assert [q in r["text"] for q, r in zip(quoted, replies[:16], strict=True)] == [True] * 16
    assert "neler yapıldı" in replies[16]["text"]
    assert "Gecikmeye ne yol açıyor" in replies[17]["text"]
    assert "Durum: Gecikmede" in replies[19]["text"]
    with Session(bot_env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == USER_ID)).one()
        dialog = session.exec(select(Dialog).where(
            Dialog.person_id == person.id, Dialog.status == DialogStatus.ACTIVE)).one()
    assert dialog.step == "confirm"
    stored = dialog.data["answers"]
    assert (stored["progress"], stored["narrative"], stored["blockers"],
            stored["evidence_link"]) == (40, *answers[1:])


async def test_another_person_is_answered_while_the_first_waits_for_telegram(bot_env):
    first = await registered(bot_env)
    second = await bot_env.register(1002, "EBSO", Role.REPORTER, name="Mehmet")
    seen = len(first.events)
    # The first person's reply hangs at the Bot API for a long while...
    bot_env.api.delay_next("sendMessage", 6)
    await first.send("merhaba")
    state = bot_env.api.state
    await state.wait(lambda: state.inflight > 0, asyncio.get_running_loop().time() + 5)
    # ...and the second person is answered meanwhile, not after it.
    await second.send("merhaba")
    assert "merhaba" not in (await second.next_message(timeout=5))["text"]
    assert len(first.events) == seen
    await first.next_message(timeout=15)
