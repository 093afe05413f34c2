"""/durum through the handlers: bad answers, HTML, a restart between steps, duplicate updates."""

from __future__ import annotations

from sqlmodel import Session, select

from tests.bot.conftest import Harness, buttons, texts_of
from tracker.models import Dialog, Role, StatusUpdate

NARRATIVE = "Çalıştay <script>alert('x')</script> & “Ar-Ge” <b>günü</b> yapıldı"


async def at_progress(harness: Harness):
    """An EBSO reporter who picked E1.2.3 and said it is in progress."""
    user = await harness.register(1001, "EBSO", Role.REPORTER)
    pick = (await harness.send(user, "/durum"))[0]
    assert "2014 1. Çeyrek durum bildirimi" in pick["text"]
    assert [b.split(" · ")[0] for b in buttons(pick)] == ["E1.2.3", "E3.1.1", "E3.1.2", "E3.1.5"]
    status = (await harness.press(user, pick, buttons(pick)[0]))[0]
    assert "Bu çeyrekte eylemin durumu nedir?" in status["text"]
    progress = (await harness.press(user, status, "Devam ediyor"))[0]
    assert "yüzde kaç tamamlandı" in progress["text"]
    return user, progress


def the_dialog(harness: Harness) -> Dialog:
    with Session(harness.engine) as session:
        return session.exec(select(Dialog)).one()


def stored(harness: Harness) -> list[StatusUpdate]:
    with Session(harness.engine) as session:
        return list(session.exec(select(StatusUpdate)).all())


BAD_PROGRESS = [
    ("150", "İlerleme 0 ile 100 arasında bir tam sayı olmalı (yazdığınız: 150)."),
    ("%150", "İlerleme 0 ile 100 arasında bir tam sayı olmalı (yazdığınız: %150)."),
    ("-5", "İlerleme 0 ile 100 arasında bir tam sayı olmalı (yazdığınız: -5)."),
    ("12,5", "İlerleme 0 ile 100 arasında bir tam sayı olmalı (yazdığınız: 12,5)."),
    ("1,2 milyon", "(yazdığınız: 1,2 milyon)"),
    ("yüzde kırk", "“yüzde kırk” bir sayı olarak okunamadı."),
    ("kırk", "“kırk” bir sayı olarak okunamadı."),
    ("<b>40</b>", "“<b>40</b>” bir sayı olarak okunamadı."),
]


async def test_bad_progress_is_explained_and_the_question_stays(harness):
    user, progress = await at_progress(harness)
    before = the_dialog(harness)
    for typed, explanation in BAD_PROGRESS:
        replies = await harness.send(user, typed)
        assert len(replies) == 1, typed
        text = replies[0]["text"]
        assert text.startswith("⚠️ ") and explanation in text, typed
        assert "yüzde kaç tamamlandı" in text, typed
        assert buttons(replies[0]) == buttons(progress), typed
        after = the_dialog(harness)
        assert after.step == "progress" and "progress" not in after.data["answers"], typed
        assert after.revision == before.revision, typed  # the offered buttons stay valid
        assert stored(harness) == [], typed
    # ... and a good answer is still taken.
    replies = await harness.send(user, "%40")
    assert "neler yapıldı" in texts_of(replies)[0]
    assert the_dialog(harness).data["answers"]["progress"] == 40


async def test_html_in_the_narrative_is_escaped_for_telegram_and_stored_raw(harness):
    user, _ = await at_progress(harness)
    await harness.send(user, "40")
    evidence = (await harness.send(user, NARRATIVE))[0]
    assert "kanıt" in evidence["text"]
    summary = (await harness.press(user, evidence, "Kanıt eklemeden geç"))[0]
    # Telegram shows exactly what was typed (so it parsed the bot's HTML as text) ...
    assert f"Yapılanlar: {NARRATIVE}" in summary["text"]
    # ... because the bot sent it escaped.
    sent = summary["raw_text"]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; “Ar-Ge” &lt;b&gt;" in sent
    assert "<script>" not in sent
    saved = (await harness.press(user, summary, "✅ Onayla"))[0]
    assert "Kaydedildi: E1.2.3, 2014 1. Çeyrek — Devam ediyor, %40" in saved["text"]
    rows = stored(harness)
    assert len(rows) == 1 and rows[0].narrative == NARRATIVE and rows[0].progress == 40


async def test_a_restart_between_two_steps_resumes_at_the_same_question(harness):
    user, progress = await at_progress(harness)
    await harness.restart()
    # /yardim after the restart asks the same question again, with the same buttons ...
    replies = await harness.send(user, "/yardim")
    assert replies[-1]["text"] == progress["text"]
    assert buttons(replies[-1]) == buttons(progress)
    # ... and a button of the message sent before the restart still answers it.
    narrative = (await harness.press(user, progress, "%75"))[0]
    assert "neler yapıldı" in narrative["text"]

    await harness.restart()
    evidence = (await harness.send(user, "Saha ziyaretleri tamamlandı"))[0]
    assert "kanıt" in evidence["text"]
    await harness.restart()
    summary = (await harness.press(user, evidence, "Kanıt eklemeden geç"))[0]
    assert "İlerleme: %75" in summary["text"]
    assert "Yapılanlar: Saha ziyaretleri tamamlandı" in summary["text"]
    await harness.restart()
    await harness.press(user, summary, "✅ Onayla")
    assert [(r.progress, r.narrative) for r in stored(harness)] == [
        (75, "Saha ziyaretleri tamamlandı")
    ]


async def test_a_text_answer_delivered_twice_is_applied_once(harness):
    user, _ = await at_progress(harness)
    await harness.send(user, "40")
    update = harness.processed[-1]
    dialog = the_dialog(harness)
    assert dialog.step == "narrative"

    before_events = len(user.events)
    await harness.process(update)  # getUpdates is at-least-once: the same update_id again
    assert len(user.events) == before_events  # no second answer, no error
    again = the_dialog(harness)
    assert (again.step, again.revision, again.data) == (dialog.step, dialog.revision, dialog.data)

    # A duplicate narrative is not taken as the next answer either.
    await harness.send(user, "Birinci metin")
    evidence_step = the_dialog(harness)
    await harness.process(harness.processed[-1])
    assert the_dialog(harness).revision == evidence_step.revision
    assert the_dialog(harness).data["answers"]["narrative"] == "Birinci metin"


async def test_a_button_press_delivered_twice_is_applied_once(harness):
    user, progress = await at_progress(harness)
    await harness.press(user, progress, "%25")
    update = harness.processed[-1]
    dialog = the_dialog(harness)
    before_events = len(user.events)
    await harness.process(update)
    assert len(user.events) == before_events
    assert the_dialog(harness).revision == dialog.revision
    assert the_dialog(harness).data == dialog.data


async def test_the_final_confirmation_delivered_twice_stores_one_version(harness):
    user, progress = await at_progress(harness)
    await harness.send(user, "60")
    evidence = (await harness.send(user, "Toplantılar yapıldı"))[0]
    summary = (await harness.press(user, evidence, "Kanıt eklemeden geç"))[0]
    await harness.press(user, summary, "✅ Onayla")
    update = harness.processed[-1]
    await harness.process(update)
    await harness.restart()
    await harness.process(update)
    rows = stored(harness)
    assert len(rows) == 1 and rows[0].version == 1 and rows[0].progress == 60


async def test_an_old_button_after_the_question_moved_on_is_stale_and_changes_nothing(harness):
    user, progress = await at_progress(harness)
    await harness.send(user, "40")
    before = harness.dialogs()
    replies = await harness.press(user, progress, "%100")
    assert user.callback_answers[-1]["text"] == "Bu düğme artık geçerli değil."
    assert replies == []  # the notice only: the current question is on screen already
    assert harness.dialogs() == before


async def test_two_quick_presses_on_one_question_send_the_next_question_once(harness):
    user, progress = await at_progress(harness)

    async def two_taps():
        await user.press(progress, "%25")
        await user.press(progress, "%50")  # before the bot answered the first

    replies = await harness.act(user, two_taps())
    assert len(replies) == 1 and "neler yapıldı" in replies[0]["text"]
    stale = "Bu düğme artık geçerli değil."
    assert [a["text"] for a in user.callback_answers[-2:]] == [None, stale]
    assert the_dialog(harness).data["answers"]["progress"] == 25


async def test_answers_of_the_longest_allowed_length_still_give_a_summary(harness):
    user = await harness.register(1001, "EBSO", Role.REPORTER)
    pick = (await harness.send(user, "/durum"))[0]
    status = (await harness.press(user, pick, buttons(pick)[0]))[0]
    await harness.press(user, status, "Gecikmede")
    await harness.send(user, "40")
    assert "Gecikmeye ne yol açıyor" in texts_of(await harness.send(user, "ç" * 2000))[0]
    await harness.send(user, "ğ" * 2000)
    link = "https://ornek.org/" + "a" * 982
    summary = (await harness.send(user, link))[0]
    assert "Bilgiler doğruysa onaylayın." in summary["text"]
    assert f"Kanıt: {link}" in summary["text"]
    await harness.press(user, summary, "✅ Onayla")
    rows = stored(harness)
    assert len(rows) == 1
    assert (rows[0].narrative, rows[0].blockers) == ("ç" * 2000, "ğ" * 2000)
    assert rows[0].evidence_link == link


async def test_a_press_too_old_to_answer_still_gets_its_next_question(harness):
    """Pressed while the bot was down: Telegram refuses the answer, the person still sees on."""
    user, progress = await at_progress(harness)

    async def press_while_down():
        query = await user.press(progress, "%50")
        harness.api.state.callbacks[query["id"]]["answered"] = True  # expired meanwhile

    replies = await harness.act(user, press_while_down())
    assert "neler yapıldı" in texts_of(replies)[0]
    assert the_dialog(harness).data["answers"]["progress"] == 50


async def test_a_request_telegram_refuses_ends_in_an_apology(harness):
    user, _ = await at_progress(harness)
    harness.api.fail_next("sendMessage", status=400, description="Bad Request: test refusal")
    replies = await harness.send(user, "40")
    assert texts_of(replies) == [
        "Üzgünüm, bir sorun oluştu ve son isteğinizi tamamlayamadım. Kaydedilen yanıtlarınız "
        "yerinde duruyor; lütfen bir kez daha deneyin. Sorun sürerse ajansa haber verebilirsiniz."
    ]
    assert [type(e).__name__ for e in harness.errors] == ["BadRequest"]
    harness.errors.clear()
    # The answer was kept; /yardim asks the next question.
    assert "neler yapıldı" in texts_of(await harness.send(user, "/yardim"))[-1]


async def test_a_press_whose_reply_telegram_refuses_still_ends_in_an_apology(harness):
    """The press was answered before the reply failed; answering it again is refused, and that
    refusal used to swallow the apology: the person got nothing at all."""
    user, progress = await at_progress(harness)
    harness.api.fail_next("sendMessage", status=400, description="Bad Request: test refusal")
    replies = await harness.press(user, progress, "%50")
    assert texts_of(replies) == [
        "Üzgünüm, bir sorun oluştu ve son isteğinizi tamamlayamadım. Kaydedilen yanıtlarınız "
        "yerinde duruyor; lütfen bir kez daha deneyin. Sorun sürerse ajansa haber verebilirsiniz."
    ]
    assert [type(e).__name__ for e in harness.errors] == ["BadRequest"]
    harness.errors.clear()


async def test_telegram_unreachable_is_not_apologised_for(harness, caplog):
    user, _ = await at_progress(harness)
    harness.api.fail_next("sendMessage", status=502)
    with caplog.at_level("WARNING", logger="bot.handlers.errors"):
        assert await harness.send(user, "40") == []
    assert [type(e).__name__ for e in harness.errors] == ["NetworkError"]
    harness.errors.clear()
    # One Turkish line for the operator: what failed, what to check; no traceback.
    (logged,) = [r for r in caplog.records if r.name == "bot.handlers.errors"]
    assert logged.getMessage().startswith(
        "Telegram Bot API'ye ulaşılamadı (https://api.telegram.org/bot: Bad Gateway). "
        "Ağ bağlantısını, [telegram] base_url ayarını ve jetonu denetleyin.")
    assert logged.exc_info is None and harness.api.token not in logged.getMessage()


BARE_FIGURES = ["%60", "60", "60%", "yüzde 60", "Yüzde 60", "% 60"]


async def test_a_figure_alone_is_not_taken_as_the_narrative(harness):
    user, _ = await at_progress(harness)
    await harness.send(user, "%30")
    for typed in BARE_FIGURES:
        replies = await harness.send(user, typed)
        assert len(replies) == 1, typed
        text = replies[0]["text"]
        assert text.startswith(
            f"⚠️ Bu bir açıklama gibi görünmüyor: yalnızca bir sayı yazılmış (“{typed}”)."
        ), typed
        assert "özette “Düzelt”e basabilirsiniz" in text, typed
        assert "Bu çeyrekte neler yapıldı?" in text, typed  # the same question again
        dialog = the_dialog(harness)
        assert dialog.step == "narrative", typed
        assert dialog.data["answers"] == {"status": "in_progress", "progress": 30}, typed
    narrative = "%60'a ulaşıldı: iki çalıştay yapıldı"
    replies = await harness.send(user, narrative)
    assert "kanıt" in replies[0]["text"]
    assert the_dialog(harness).data["answers"]["narrative"] == narrative


async def test_a_figure_alone_is_not_taken_as_the_blockers(harness):
    user = await harness.register(1001, "EBSO", Role.REPORTER)
    pick = (await harness.send(user, "/durum"))[0]
    status = (await harness.press(user, pick, buttons(pick)[0]))[0]
    await harness.press(user, status, "Gecikmede")
    await harness.send(user, "20")
    await harness.send(user, "Ziyaretler ertelendi")
    replies = await harness.send(user, "%40")
    assert replies[0]["text"].startswith("⚠️ Bu bir açıklama gibi görünmüyor")
    assert "Gecikmeye ne yol açıyor" in replies[0]["text"]
    assert the_dialog(harness).step == "blockers"


async def test_an_action_not_started_is_asked_why_and_when(harness):
    user = await harness.register(1001, "EBSO", Role.REPORTER)
    pick = (await harness.send(user, "/durum"))[0]
    status = (await harness.press(user, pick, buttons(pick)[0]))[0]
    question = (await harness.press(user, status, "Başlamadı"))[0]
    assert (
        "Eylem henüz başlamadı. Neden başlamadı, ne zaman başlaması bekleniyor? Kısaca yazın."
        in question["text"]
    )
    assert "neler yapıldı" not in question["text"]
    assert buttons(question) == ["Atla"]  # saying nothing stays possible
    reason = "Bütçe onayı bekleniyor; Mayıs'ta başlayacak."
    evidence = (await harness.send(user, reason))[0]
    summary = (await harness.press(user, evidence, "Kanıt eklemeden geç"))[0]
    assert f"Neden başlamadı / ne zaman: {reason}" in summary["text"]
    assert "Yapılanlar" not in summary["text"]
    fields = (await harness.press(user, summary, "✏️ Düzelt"))[0]
    assert "Neden başlamadı" in buttons(fields) and "Yapılanlar" not in buttons(fields)
    summary = (await harness.press(user, fields, "↩︎ Özete dön"))[0]
    await harness.press(user, summary, "✅ Onayla")
    rows = stored(harness)
    assert [(r.status, r.progress, r.narrative) for r in rows] == [("not_started", 0, reason)]


async def test_the_caption_of_an_evidence_file_is_kept_and_shown(harness):
    user, _ = await at_progress(harness)
    await harness.send(user, "40")
    await harness.send(user, "Çalıştay yapıldı")
    caption = "Katılım listesi <imzalı> & fotoğraflar"
    summary = (
        await harness.act(user, user.send_document("liste.pdf", b"%PDF-1.4", caption=caption))
    )[0]
    assert "Kanıt: liste.pdf" in summary["text"]
    assert f"Kanıt açıklaması: {caption}" in summary["text"]
    await harness.press(user, summary, "✅ Onayla")
    (row,) = stored(harness)
    assert (row.evidence_file_name, row.evidence_note) == ("liste.pdf", caption)

    # A correction offers the same evidence, caption included.
    again = (await harness.send(user, "/durum E1.2.3"))[0]
    await harness.press(user, again, "Devam ediyor")
    await harness.send(user, "50")
    evidence = (await harness.send(user, "Rapor yazıldı"))[0]
    summary = (await harness.press(user, evidence, "Önceki kanıtı kullan"))[0]
    assert f"Kanıt açıklaması: {caption}" in summary["text"]
    # A link instead: the file's caption goes with the file.
    fields = (await harness.press(user, summary, "✏️ Düzelt"))[0]
    await harness.press(user, fields, "Kanıt")
    summary = (await harness.send(user, "https://ornek.org/rapor"))[0]
    assert "Kanıt: https://ornek.org/rapor" in summary["text"]
    assert "Kanıt açıklaması" not in summary["text"]
