"""Invite → /start → /durum to the end → stored, through real HTTP."""

from __future__ import annotations

from sqlmodel import Session, select

from tracker.models import Person, Role, StatusUpdate


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_invite_start_and_a_whole_status_update(bot_env):
    token = bot_env.invite("EBSO", Role.REPORTER)
    user = bot_env.api.user(1001, first_name="Ayşe")
    await user.send(f"/start {token}")
    welcome = await user.next_message()
    assert "Hoş geldiniz, Ayşe!" in welcome["text"]
    assert (
        "Ege Bölgesi Sanayi Odası adına kuruluş sorumlusu olarak kayıtlısınız" in welcome["text"]
    )
    assert [c["command"] for c in user.commands] == ["durum", "ertele", "degil", "iptal", "yardim"]

    await user.send("/durum")
    pick = await user.next_message()
    assert "2014 1. Çeyrek durum bildirimi" in pick["text"]
    labels = buttons(pick)
    assert [label.split(" · ")[0] for label in labels] == ["E1.2.3", "E3.1.1", "E3.1.2", "E3.1.5"]

    await user.press(pick, labels[0])
    status_question = await user.next_message()
    assert "Bu çeyrekte eylemin durumu nedir?" in status_question["text"]
    await user.press(status_question, "Devam ediyor")
    progress = await user.next_message()
    assert "yüzde kaç" in progress["text"]
    await user.send("yüzde kırk")
    again = await user.next_message()
    assert "“yüzde kırk” bir sayı olarak okunamadı" in again["text"]
    await user.send("%40")
    narrative = await user.next_message()
    assert "neler yapıldı" in narrative["text"]
    await user.send("İki çalışma ziyareti yapıldı <b>Almanya</b> & İtalya")
    evidence = await user.next_message()
    await user.press(evidence, "Kanıt eklemeden geç")
    summary = await user.next_message()
    assert "İlerleme: %40" in summary["text"]
    assert "İki çalışma ziyareti yapıldı <b>Almanya</b> & İtalya" in summary["text"]
    await user.press(summary, "✅ Onayla")
    saved = await user.next_message()
    assert "Kaydedildi: E1.2.3, 2014 1. Çeyrek — Devam ediyor, %40" in saved["text"]

    with Session(bot_env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == 1001)).one()
        rows = session.exec(select(StatusUpdate)).all()
    assert len(rows) == 1
    assert rows[0].person_id == person.id and rows[0].progress == 40
    assert rows[0].narrative == "İki çalışma ziyareti yapıldı <b>Almanya</b> & İtalya"
    assert rows[0].quarter == "2014Q1"
