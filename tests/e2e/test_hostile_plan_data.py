"""Plan data at its limits and beyond, through every message kume sends.

A plan file with a hostile code or an over-long title is refused, naming file, row and column,
and changes nothing. A plan at the limits (codes of 16 characters with Turkish letters, titles of
the longest length allowed, HTML-like text everywhere), and data an older kume let in before
the limits existed (codes of 54 characters, a code with quotes and semicolons, titles of 200,000
characters), are driven through every path: the quarterly prompt, reminders, snooze, "not ours"
and the escalation through run_due and the outbox sender; /durum from the pick list, from a
prompt's button and typed, through every dialog step; /gosterge; /rapor. Every message must
arrive, within Telegram's 4,096 characters, with every button's data within 64 bytes, and the
local Bot API (which refuses what Telegram refuses) must have refused nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kume.cli import cli, main
from local_bot_api import SimUser
from tests.e2e.conftest import BotEnv
from tests.e2e.test_outbox import at, run_tick, speed_up
from tracker.db import session_scope
from tracker.models import (
    Action,
    Cluster,
    Goal,
    Indicator,
    Notification,
    NotificationStatus,
    Organisation,
    Plan,
    Priority,
    Role,
    StatusUpdate,
)
from tracker.planfile import plan_document
from tracker.plans import resolve_plan

APOLOGY = "Üzgünüm, bir sorun oluştu"
FILLER = "Ağ & <b>işbirliği</b> “çalıştay” <script>x</script> ; "
TURKISH = "İ.ĞŞÇÖÜ-ığş."  # with a letter in front and three digits after: 16 characters
ISSUE_CODE = "Eylem.Çağrı-Öğütlü_Işık.Şükrü-İğdeli.Ümran.Gökçe-1.2.3"  # 54, as in the issue
SQL_CODE = "E1.1.1'); DROP TABLE action;--"


def text_of(length: int, head: str) -> str:
    """`length` characters of HTML-like Turkish text, starting with `head`."""
    text = (head + " " + FILLER * (length // len(FILLER) + 1))[:length]
    return text[:-1] + "x" if text.endswith(" ") else text


def limit_code(letter: str, n: int) -> str:
    return f"{letter}{TURKISH}{n:03d}"


# -- the data --------------------------------------------------------------------------------


def at_the_limits(engine: Engine, tmp_path: Path) -> None:
    """The bundled plan exported, every code and title pushed to its limit, imported again
    through `kume plan import` (so the limits are the importer's)."""
    with Session(engine) as session:
        doc = plan_document(session, resolve_plan(session))
    renamed: dict[str, str] = {}
    for letter, table in (("Ö", "priorities"), ("H", "goals"), ("E", "actions"),
                          ("G", "indicators")):
        for n, record in enumerate(doc[table]):
            renamed[record["code"]] = record["code"] = limit_code(letter, n)
    for goal in doc["goals"]:
        goal["priority"] = renamed[goal["priority"]]
    for action in doc["actions"]:
        action["goal"] = renamed[action["goal"]]
    clusters: dict[str, str] = {}
    for n, cluster in enumerate(doc["clusters"]):
        clusters[cluster["code"]] = cluster["code"] = (f"küme-{n}-" + "çğıöşü" * 11)[:64]
        cluster["name"] = text_of(300, f"Küme {n}")
    for organisation in doc["organisations"]:
        organisation["name"] = text_of(300, organisation["short"])
        if organisation["cluster"]:
            organisation["cluster"] = clusters[organisation["cluster"]]
    doc["plan"]["title"] = text_of(300, "Plan")
    for table, length in (("priorities", 500), ("goals", 500), ("actions", 1000),
                          ("indicators", 500)):
        for record in doc[table]:
            record["title"] = text_of(length, record["code"])
    path = tmp_path / "sinirda.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = kume(engine, "plan", "import", str(path))
    assert result.exit_code == 0, result.output


def beyond_the_limits(engine: Engine) -> None:
    """What an older kume let in, straight into the database (only SQLite holds it: PostgreSQL
    enforces the column lengths)."""
    with session_scope(engine) as session:
        for n, action in enumerate(session.exec(select(Action).order_by(col(Action.id)))):
            action.code = SQL_CODE if n == 0 else (f"{n:02d}" + ISSUE_CODE)[:54]
            action.title = text_of(200_000, action.code)
        for model in (Priority, Goal, Indicator):
            for item in session.exec(select(model)):
                item.title = text_of(5_040, item.code)
        for cluster in session.exec(select(Cluster)):
            cluster.name = text_of(5_040, cluster.code)
        for organisation in session.exec(select(Organisation)):
            organisation.name = text_of(5_040, organisation.short)
        for plan in session.exec(select(Plan)):
            plan.title = text_of(5_040, plan.code)


def kume(engine: Engine, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, list(args), env={"KUME_DATABASE_URL": engine.url.render_as_string(False)}
    )


# -- talking to the bot ----------------------------------------------------------------------


async def answer(user: SimUser, act: Callable[[], object], expect: str) -> dict:
    """Do something, return the bot's next message, which must contain `expect`."""
    await act()  # type: ignore[misc]
    message = await user.next_message()
    assert APOLOGY not in message["text"], message["text"]
    assert expect in message["text"], message["text"][:500]
    return message


def press(user: SimUser, message: dict, label: str, expect: str):  # type: ignore[no-untyped-def]
    return answer(user, lambda: user.press(message, label), expect)


def send(user: SimUser, text: str, expect: str):  # type: ignore[no-untyped-def]
    return answer(user, lambda: user.send(text), expect)


def labels(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def label_starting(message: dict, start: str) -> str:
    return next(label for label in labels(message) if label.startswith(start))


def codes_of(engine: Engine, short: str) -> list[str]:
    from tracker.quarters import Quarter
    from tracker.status_updates import active_actions

    with Session(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.short == short)).one()
        return [a.code for a in active_actions(session, org.id or 0, Quarter(2014, 1))]


def all_sent_within_telegram_limits(env: BotEnv, users: list[SimUser]) -> None:
    # Pressing a button on a message whose buttons went already (done on purpose above) makes
    # the bot try to remove them again; Telegram says "not modified", and that is all.
    refused = [r for r in env.api.refused if "message is not modified" not in r[1]]
    assert refused == []
    for user in users:
        for message in user.messages:
            assert APOLOGY not in message.get("text", ""), message["text"]
            assert len(message.get("text", "")) <= 4096
            assert len(message.get("caption", "")) <= 1024
            markup = message.get("reply_markup") or {}
            for button in (b for row in markup.get("inline_keyboard", []) for b in row):
                assert len(button["callback_data"].encode("utf-8")) <= 64, button
        for reply in user.callback_answers:
            assert len(reply["text"] or "") <= 200
    with Session(env.engine) as session:
        rows = [(n.kind, n.status) for n in session.exec(select(Notification))]
    assert {kind for kind, _ in rows} == {
        "prompt", "reminder1", "reminder2", "reminder3", "snooze", "reassign", "escalation"}
    assert [kind for kind, status in rows if status != NotificationStatus.SENT] == []


# -- every path ------------------------------------------------------------------------------


async def every_message_path(env: BotEnv) -> None:
    engine = env.engine
    await speed_up(env)
    ebso = await env.register(3101, "EBSO", Role.REPORTER, name="Ayşe")
    organik = await env.register(3102, "KY Organik Gıda", Role.REPORTER, name="Mehmet")
    izka = await env.register(3103, "İZKA", Role.AGENCY, name="Zeynep")
    people = [ebso, organik, izka]
    ebso_codes, organik_codes = codes_of(engine, "EBSO"), codes_of(engine, "KY Organik Gıda")

    # The quarterly prompt through run_due and the sender, to all three.
    env.clock.set(at(4, 1))
    await run_tick(env)
    prompts = {user.id: user.last for user in people}  # the buttons are on the last part
    for user in people:
        assert any("2014 1. Çeyrek</b> sona erdi" in m["raw_text"] for m in user.messages)
    assert "…" in ebso.messages[-1]["text"]  # the titles, shortened

    # /durum from the prompt's button, through every step of the dialog.
    first = prompts[ebso.id]
    status = await press(ebso, first, f"Şimdi yanıtla: {ebso_codes[0]}", "eylemin durumu nedir?")
    assert ebso_codes[0] in status["text"] and "…" in status["text"]
    progress = await press(ebso, status, "Gecikmede", "yüzde kaç tamamlandı")
    await send(ebso, "40", "neler yapıldı?")
    await send(ebso, text_of(2000, "Yapılanlar"), "Gecikmeye ne yol açıyor")
    await send(ebso, text_of(2000, "Engeller"), "Varsa bir kanıt ekleyin")
    summary = await send(ebso, "https://ornek.org/" + "ğ" * 900, "Bilgiler doğruysa onaylayın.")
    edit = await press(ebso, summary, "✏️ Düzelt", "Hangi bilgiyi düzeltmek istersiniz?")
    summary = await press(ebso, edit, "↩︎ Özete dön", "Bilgiler doğruysa onaylayın.")
    saved = await press(ebso, summary, "✅ Onayla", f"Kaydedildi: {ebso_codes[0]}, 2014 1.")
    assert progress["reply_markup"]
    # The saved message offers the next action by a button that opens it.
    await press(ebso, saved, f"Sıradaki eylem: {ebso_codes[1]}", "eylemin durumu nedir?")
    await send(ebso, "/iptal", "taslak olarak saklandı")

    # /durum typed: the pick list, and a code typed as it is written.
    pick = await send(ebso, "/durum", "durum bildirimi")
    question = await press(ebso, pick, labels(pick)[-1], "eylemin durumu nedir?")
    assert ebso_codes[-1] in question["text"]
    await send(ebso, "/iptal", "taslak olarak saklandı")
    await send(ebso, f"/durum {ebso_codes[2]}", "eylemin durumu nedir?")
    await send(ebso, "/iptal", "taslak olarak saklandı")

    # Buttons already sent with a code in their data (before buttons carried ids) still work,
    # when the code fits in 64 bytes; a forged id of another body's action is refused by name.
    old = f"c:durum {ebso_codes[3]}"
    if len(old.encode("utf-8")) <= 64:
        await answer(ebso, lambda: ebso.press_raw(first["message_id"], old), "durumu nedir?")
        await send(ebso, "/iptal", "taslak olarak saklandı")
    with Session(engine) as session:
        foreign = session.exec(select(Action).where(Action.code == organik_codes[0])).one()
    refusal = await answer(
        ebso, lambda: ebso.press_raw(first["message_id"], f"c:durum #{foreign.id}"),
        "sizin kuruluşunuzun sorumluluğunda değil")
    assert refusal["text"].startswith(f"⛔ {organik_codes[0][:39]}")

    # /gosterge from the prompt's button, every indicator skipped but the first, saved.
    figure = await press(organik, prompts[organik.id], "Gösterge değerlerini gir", "(1/22)")
    figure = await send(organik, "12", "(2/22)")
    for n in range(3, 23):
        figure = await press(organik, figure, "Atla", f"({n}/22)")
    figures_summary = await press(organik, figure, "Atla", "Değerler doğruysa onaylayın.")
    await press(organik, figures_summary, "✅ Onayla", "Kaydedildi: 1 değer, 21 atlandı.")

    # The first reminder: "not ours" through its list; "tomorrow" for the cluster.
    env.clock.set(at(4, 9))
    await run_tick(env)
    reminder = ebso.last
    assert reminder is not None and reminder["text"].startswith("Hatırlatma · 2014 1. Çeyrek")
    which = await press(ebso, reminder, "Bu eylem bizim sorumluluğumuzda değil",
                        "Hangi eylem kuruluşunuzun sorumluluğunda değil?")
    assert len(labels(which)) == len(ebso_codes)
    await press(ebso, which, label_starting(which, ebso_codes[-1]), "ajansa iletildi")
    assert organik.last is not None
    await press(organik, organik.last, "⏰ Yarın hatırlat", "yeniden hatırlatacağım")

    # The snooze reminder and the agency told of "not ours"; the rest of the quarter, the
    # escalation on 21 April included.
    for day in (10, 15, 21):
        env.clock.set(at(4, day))
        await run_tick(env)
    assert any("yanıt vermeyenler" in m["text"] for m in izka.messages)
    assert any("kendi sorumluluğunda olmadığını bildirdi" in m["text"] for m in izka.messages)

    # /rapor: the summary, for the plan, one action, one cluster, the indicators.
    with Session(engine) as session:
        cluster_code = session.exec(select(Cluster.code).order_by(col(Cluster.id))).first()
    for words in ("", f" {ebso_codes[0]}", f" kume {cluster_code}", " gosterge"):
        await izka.send(f"/rapor{words}")
        replies = await izka.replies(timeout=30)
        texts = [m["text"] for m in replies if "text" in m]
        assert texts and texts[0].startswith(("📊", "📈", "🏷")), texts[:1]
        assert any("document" in m for m in replies)

    with Session(engine) as session:
        assert session.exec(select(StatusUpdate)).one().narrative.startswith("Yapılanlar")
    all_sent_within_telegram_limits(env, people)


async def test_a_plan_at_its_limits_goes_through_every_message_path(bot_env, tmp_path):
    at_the_limits(bot_env.engine, tmp_path)
    await every_message_path(bot_env)


async def test_data_beyond_todays_limits_goes_through_every_message_path(bot_env):
    if bot_env.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL enforces the column lengths: such rows cannot exist there")
    beyond_the_limits(bot_env.engine)
    await every_message_path(bot_env)


# -- importing hostile files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("code", SQL_CODE, f"“{SQL_CODE}” kod olarak kullanılamaz"),
        ("code", ISSUE_CODE, "çok uzun (54 karakter); en fazla 16 karakter olabilir."),
        ("title", text_of(5_040, "Uzun"), "çok uzun (5.040 karakter); en fazla 1.000 karakter"),
        ("title", text_of(200_000, "Uzun"), "çok uzun (200.000 karakter); en fazla 1.000"),
    ],
)
def test_kume_plan_import_refuses_a_hostile_action_and_changes_nothing(
    engine, tmp_path, monkeypatch, capsys, field, value, words
):
    before = kume(engine, "plan", "export", "--format", "json", "--out", "-").stdout_bytes
    doc = json.loads(before)
    doc["actions"][4][field] = value
    doc["priorities"][0]["title"] = "Değişmemesi gereken başlık"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # As a person runs it: `kume plan import plan.json`, through the entry point.
    monkeypatch.setenv("KUME_DATABASE_URL", engine.url.render_as_string(False))
    monkeypatch.setattr(sys, "argv", ["kume", "plan", "import", str(path)])
    with pytest.raises(SystemExit) as stopped:
        main()
    shown = capsys.readouterr().err
    assert stopped.value.code == 1
    assert f"plan.json: Eylemler tablosu, 5. kayıt, “{field}” alanı: {words}" in shown
    assert "Traceback" not in shown and len(shown) < 1000
    assert kume(engine, "plan", "export", "--format", "json", "--out", "-").stdout_bytes == before
