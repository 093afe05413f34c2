"""/rapor through real HTTP: the agency gets a summary, the workbook and the charts; filters
reach the report; a wrong word gets the usage; nobody else gets any data."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.e2e.conftest import ADMIN_ID, DEFAULT_NOW, BotEnv
from tracker.db import session_scope
from tracker.models import (
    Action,
    Cluster,
    Indicator,
    IndicatorValue,
    Organisation,
    Role,
    Status,
    StatusUpdate,
)

SHEETS = ["Özet", "Eylemler", "Güncellemeler", "Göstergeler", "Katılım", "Üyeler",
    "Etkinlikler"]
PNG = b"\x89PNG\r\n\x1a\n"
REFUSED = "⛔ /rapor komutu sizin rolünüz için açık değil."
UNREGISTERED = "Merhaba! Ben kume, İzmir Kalkınma Ajansı'nın kümelenme stratejisi"
APOLOGY = "Üzgünüm, bir sorun oluştu"


def seed(env: BotEnv) -> None:
    """A few answers for 2014Q1 (one corrected), one for 2014Q2, and a cluster's figures."""
    with session_scope(env.engine) as session:
        action = {a.code: a.id for a in session.exec(select(Action))}
        org = {o.short: o for o in session.exec(select(Organisation))}
        at = DEFAULT_NOW - timedelta(days=5)

        def update(code, short, quarter, status, progress, version=1, **more):
            session.add(StatusUpdate(
                action_id=action[code], organisation_id=org[short].id, quarter=quarter,
                version=version, status=status, progress=progress,
                narrative=f"{short} {code} <çalıştay> & ziyaret", created_at=at, **more))

        update("E1.2.3", "EBSO", "2014Q1", Status.IN_PROGRESS, 40)
        update("E1.2.3", "EBSO", "2014Q1", Status.IN_PROGRESS, 55, version=2)
        update("E3.1.1", "EBSO", "2014Q1", Status.COMPLETED, 100)
        update("E1.2.3", "İZTO", "2014Q1", Status.DELAYED, 10, blockers="Bütçe onayı gecikti.")
        update("E1.2.3", "EBSO", "2014Q2", Status.IN_PROGRESS, 70)
        cluster = session.exec(select(Cluster).where(Cluster.code == "organik-gida")).one()
        g01 = session.exec(select(Indicator).where(Indicator.code == "G01")).one()
        for period, value in (("2013Q4", 10), ("2014Q1", 12)):
            session.add(IndicatorValue(
                indicator_id=g01.id, cluster_id=cluster.id,
                organisation_id=org["KY Organik Gıda"].id, subject_key=f"c{cluster.id}",
                period=period, value=value, created_at=at))


async def join(env: BotEnv, user_id: int, organisation: str, role: Role, cluster=None):
    user = env.api.user(user_id, first_name="Ayşe")
    await user.send(f"/start {env.invite(organisation, role, cluster)}")
    if role == Role.MEMBER:  # consent first: the notice, then the firm question skipped
        await user.press(await user.next_message(), "✅ Kabul ediyorum")
        assert "Onayınız kaydedildi" in (await user.next_message())["text"]
        await user.press(await user.next_message(), "Atla")
        await user.next_message()
        return user
    assert "olarak kayıtlısınız" in (await user.next_message())["text"]
    return user


async def ask(user, text: str) -> list[dict]:
    """Send `text`; every message the bot sent for it, once it went quiet."""
    before = len(user.messages)
    await user.send(text)
    await user.replies(timeout=30, quiet=0.4)
    return user.messages[before:]


def split(messages: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    texts = [m for m in messages if "text" in m]
    documents = [m for m in messages if "document" in m]
    photos = [m for m in messages if "photo" in m]
    assert len(texts) + len(documents) + len(photos) == len(messages)
    return texts, documents, photos


def stored(env: BotEnv, file_id: str) -> bytes:
    return env.api.state.files[file_id].data


def workbook_of(env: BotEnv, document: dict):
    return load_workbook(io.BytesIO(stored(env, document["document"]["file_id"])),
                         read_only=True)


def values(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True)]


async def test_the_agency_gets_summary_workbook_and_charts(bot_env):
    seed(bot_env)
    agency = await join(bot_env, 1001, "İZKA", Role.AGENCY)
    assert "rapor" in [c["command"] for c in agency.commands]

    texts, documents, photos = split(await ask(agency, "/rapor"))
    assert agency.chat_actions == ["upload_document"]
    # The summary first, then the workbook, then the charts.
    assert len(texts) == 1 and len(documents) == 1 and photos
    assert agency.messages[-1 - len(photos)] is documents[0]
    summary = texts[0]["text"]
    assert "2014 1. Çeyrek" in summary and APOLOGY not in summary
    assert "E1.2.3" in summary  # the delay İZTO reported is a red flag
    document = documents[0]["document"]
    assert document["file_name"] == "kume-rapor-2014Q1.xlsx"
    assert document["mime_type"].endswith("spreadsheetml.sheet")
    assert "2014 1. Çeyrek" in documents[0]["caption"]
    book = workbook_of(bot_env, documents[0])
    assert book.sheetnames == SHEETS
    history = values(book["Güncellemeler"])
    ebso = [row for row in history if "E1.2.3" in row and "EBSO" in row]
    assert {55, 40} <= {cell for row in ebso for cell in row}  # both versions are kept
    assert not any("2014 2. Çeyrek" in row or "2014Q2" in row for row in history)
    figures = values(book["Göstergeler"])
    assert any("G01" in row and 12 in row for row in figures)
    for photo in photos:
        assert stored(bot_env, photo["photo"][0]["file_id"]).startswith(PNG)
        assert photo["caption"]
    assert len(bot_env.api.calls_to("sendDocument")) == 1
    assert len(bot_env.api.calls_to("sendPhoto")) == len(photos)


async def test_filters_reach_the_report(bot_env):
    seed(bot_env)
    admin = bot_env.api.user(ADMIN_ID, first_name="Zeynep")  # the configured admin may too
    await admin.send("/start")
    await admin.next_message()

    texts, documents, _ = split(await ask(admin, "/rapor 2014Q2"))
    assert documents[0]["document"]["file_name"] == "kume-rapor-2014Q2.xlsx"
    assert "2014 2. Çeyrek" in texts[0]["text"]
    history = values(workbook_of(bot_env, documents[0])["Güncellemeler"])
    assert any("E1.2.3" in row and 70 in row for row in history)
    assert not any(40 in row or 55 in row for row in history)

    texts, documents, _ = split(await ask(admin, "/rapor Ö2"))
    assert documents[0]["document"]["file_name"] == "kume-rapor-2014Q1-o2.xlsx"
    assert "Ö2" in texts[0]["text"] and "Ö2" in documents[0]["caption"]
    actions = values(workbook_of(bot_env, documents[0])["Eylemler"])[1:]
    assert actions and all(row[0].startswith("E2.") for row in actions)

    texts, documents, photos = split(await ask(admin, "/rapor gosterge"))
    assert documents[0]["document"]["file_name"] == "kume-rapor-2014Q1-gosterge.xlsx"
    assert "Göstergeler" in texts[0]["text"]
    assert any("G01" in photo["caption"] for photo in photos)


async def test_a_wrong_filter_gets_the_usage_and_nothing_else(bot_env):
    agency = await join(bot_env, 1001, "İZKA", Role.AGENCY)
    messages = await ask(agency, "/rapor xyz")
    assert len(messages) == 1
    text = messages[0]["text"]
    assert "“xyz” anlaşılamadı" in text
    assert "Örnekler:" in text and "/rapor 2014Q2" in text and "/rapor gosterge" in text
    assert agency.chat_actions == []
    assert not bot_env.api.calls_to("sendDocument") and not bot_env.api.calls_to("sendPhoto")


async def test_nobody_else_gets_any_data(bot_env):
    seed(bot_env)
    people = [
        await join(bot_env, 1001, "EBSO", Role.REPORTER),
        await join(bot_env, 1002, "KY Organik Gıda", Role.REPORTER),
        await join(bot_env, 1003, "Kümelenme Komitesi", Role.SECRETARY),
        await join(bot_env, 1004, "KY Organik Gıda", Role.MEMBER, "organik-gida"),
    ]
    stranger = bot_env.api.user(1005, first_name="Yabancı")
    for user in [*people, stranger]:
        expected = UNREGISTERED if user is stranger else REFUSED
        assert "rapor" not in [c["command"] for c in user.commands]
        for text in ("/rapor", "/rapor 2014Q1 gosterge", "/rapor xyz"):
            await user.send(text)
            assert (await user.next_message())["text"].startswith(expected), (user, text)
    for user in [*people, stranger]:
        # Updates are handled one after another: once /iptal is answered, /rapor is done.
        await user.send("/iptal")
        await user.next_message()
        assert not [m for m in user.messages if m.get("text", "").startswith(("📊", "📈"))]
    for method in ("sendDocument", "sendPhoto", "sendChatAction"):
        assert bot_env.api.calls_to(method) == [], method


async def test_an_empty_database_gives_a_summary_not_an_apology(bot_env):
    agency = await join(bot_env, 1001, "İZKA", Role.AGENCY)
    with Session(bot_env.engine) as session:
        assert session.exec(select(StatusUpdate)).first() is None
    texts, documents, photos = split(await ask(agency, "/rapor"))
    assert len(texts) == 1 and len(documents) == 1
    summary = texts[0]["text"]
    assert "2014 1. Çeyrek" in summary and APOLOGY not in summary
    book = workbook_of(bot_env, documents[0])
    assert book.sheetnames == SHEETS
    for photo in photos:
        assert stored(bot_env, photo["photo"][0]["file_id"]).startswith(PNG)
