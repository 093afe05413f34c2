"""Sending at Telegram's limits, end to end against the local Bot API with its limits on:
a broadcast's progress and report, a 429 that pauses every chat, `kume run-due` past 200 rows
and what it says about the rest, and a `kume run` killed with kill -9 in the middle of a
broadcast and started again: nobody gets it twice, everybody owed gets it, only the rows on
the wire at the kill are in doubt (`unknown`)."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.pacing import SendLimits
from local_bot_api import LocalBotApi, TelegramLimits
from tests.e2e.test_outbox import (
    kume,
    notify,
    outbox_sender,
    rows,
    sends,
    settled,
    start_kume,
)
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.models import (
    Broadcast,
    Notification,
    NotificationStatus,
    Organisation,
    Person,
    Role,
)
from tracker.notifications.broadcast import start_broadcast
from tracker.notifications.sending import release
from tracker.quarters import ISTANBUL

WEDNESDAY = datetime(2014, 4, 2, 10, 0, tzinfo=ISTANBUL)
STARTER = 19_999
TEXT = "📣 <b>Küme toplantısı</b> 12 Mayıs 14:00, İzmir"


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def limited_api() -> AsyncIterator[LocalBotApi]:
    """Telegram's limits on, and a short network round trip."""
    async with LocalBotApi(limits=TelegramLimits(), round_trip=0.02) as api:
        yield api


def people(engine: Engine, api: LocalBotApi, telegram_ids: range | list[int],
           role: Role = Role.MEMBER) -> list[int]:
    """Members of a cluster firm (in bulk), each with a Telegram chat; their person ids."""
    with session_scope(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
        created = [Person(telegram_user_id=t, display_name=f"Üye {t}", organisation_id=org.id,
                          role=role) for t in telegram_ids]
        session.add_all(created)
        session.flush()
        ids = [p.id for p in created]
    for telegram_id in telegram_ids:
        api.user(telegram_id, first_name=f"Üye {telegram_id}")
    return ids  # type: ignore[return-value]


def write_broadcast(engine: Engine, person_ids: list[int], now: datetime) -> int:
    with session_scope(engine) as session:
        starter = session.exec(select(Person).where(Person.telegram_user_id == STARTER)).one()
        recipients = session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()
        broadcast = start_broadcast(session, text=TEXT, recipients=recipients,
                                    subject="toplanti-12-mayis", period="2014-05", now=now,
                                    started_by=starter)
        assert broadcast.id is not None
        return broadcast.id


def received(api: LocalBotApi, telegram_ids: range | list[int]) -> Counter:
    """How many times each chat got the broadcast's text."""
    return Counter({t: sum(1 for m in api.user(t).messages if "Küme toplantısı" in m["text"])
                    for t in telegram_ids})


def report_figures(text: str) -> dict[str, int]:
    return {label: int(n.replace(".", "")) for label, n in re.findall(
        r"• ([^:]+): ([\d.]+)", text)}


# -- a broadcast through the sender ----------------------------------------------------------


async def test_the_starter_sees_one_message_edited_as_it_goes_then_a_report(engine,
                                                                            limited_api):
    api = limited_api
    recipients = range(20_000, 20_060)
    ids = people(engine, api, recipients)
    people(engine, api, [STARTER], role=Role.SECRETARY)
    api.block(20_001)
    api.block(20_002)
    del api.state.users[20_003]  # Telegram does not know the chat: 400
    limits = SendLimits(rate=20, progress_every=timedelta(seconds=0.5))
    async with outbox_sender(api, engine, Clock(WEDNESDAY), limits=limits) as sender:
        with Session(engine) as session:
            recipients_rows = session.exec(select(Person).where(col(Person.id).in_(ids))).all()
            starter = session.exec(select(Person).where(Person.telegram_user_id == STARTER)).one()
        await sender.queue_broadcast(text=TEXT, recipients=recipients_rows,
                                     subject="toplanti-12-mayis", period="2014-05",
                                     started_by=starter)
        report = await sender.drain()
    assert (report.sent, report.blocked, report.failed) == (57 + 2, 2, 1)  # + progress, report

    starter_chat = api.user(STARTER)
    sent = [e for e in starter_chat.events if e.kind == "sent"]
    edits = [e for e in starter_chat.events if e.kind == "edited"]
    assert len(sent) == 2  # one progress message, one report
    progress, final_report = sent
    assert progress.message["text"].startswith("📣 Duyuru gönderiliyor: 0 / 60 gönderildi")
    assert {e.message["message_id"] for e in edits} == {progress.message["message_id"]}
    counts = [int(re.search(r"(\d+) / 60", e.message["text"]).group(1)) for e in edits]
    assert counts == sorted(counts) and counts[0] < 57 and counts[-1] == 57  # as it goes
    # At most every 0.5 s as asked; and an edit counts like a message in its chat, so
    # Telegram's one a second there paces them further.
    gaps = [b.at - a.at for a, b in zip(edits, edits[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps
    assert edits[-1].message["text"] == ("📣 Duyuru gönderimi bitti: 57 / 60 gönderildi\n"
                                         "Botu engellemiş: 2 · başarısız: 1")
    assert final_report.message["text"].startswith("✅ Duyuru tamamlandı (60 kişi)")
    assert report_figures(final_report.message["text"]) == {
        "Gönderildi": 57, "Botu engellemiş": 2, "Başarısız": 1, "Belirsiz": 0}
    reached = received(api, [t for t in recipients if t != 20_003])
    assert reached == {t: 0 if t in (20_001, 20_002) else 1 for t in reached}
    assert api.too_many_requests == 0  # our own pacing never drew a 429


async def test_a_429_pauses_every_chat_not_only_the_one_refused(engine, api):
    """Telegram's flood limit is per bot: after a 429 on one chat, no chat gets a message
    until retry_after has passed. One send in flight at a time makes the order exact."""
    chats = list(range(21_000, 21_005))
    ids = people(engine, api, chats, role=Role.REPORTER)
    for person_id in ids:
        notify(engine, person_id, 1, WEDNESDAY)
    api.fail_next("sendMessage", status=429, retry_after=1)
    one_at_a_time = SendLimits(in_flight=1)
    async with outbox_sender(api, engine, Clock(WEDNESDAY), limits=one_at_a_time) as sender:
        report = await sender.drain()
    arrivals = [t for t, _ in sends(api)]
    refused_at = arrivals[0]
    assert len(arrivals) == 6 and report.sent == 5 and report.retried == 1
    assert all(t - refused_at >= 1.0 for t in arrivals[1:])  # every chat waited
    assert Counter(p["chat_id"] for _, p in sends(api)) == {chats[0]: 2, **{
        c: 1 for c in chats[1:]}}
    assert {n.status for n in rows(engine)} == {NotificationStatus.SENT}


# -- `kume run-due`: everything due, and why the rest waits ---------------------------------


async def test_run_due_delivers_every_row_due_not_a_batch_of_200(engine, limited_api,
                                                                  tmp_path):
    api = limited_api
    chats = range(22_000, 22_250)
    for person_id in people(engine, api, chats):
        notify(engine, person_id, 1, WEDNESDAY)
    env = {"KUME_SENDING_RATE": "300", "KUME_SENDING_PAID_BROADCAST": "true"}
    out = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-02T10:00", env=env)
    assert "Gönderilen: 250 ·" in out
    assert "Kuyrukta bekleyen bildirim yok." in out
    assert Counter(p["chat_id"] for _, p in sends(api)) == {c: 1 for c in chats}
    assert all(p.get("allow_paid_broadcast") for _, p in sends(api))
    assert api.too_many_requests == 0


async def test_run_due_says_how_many_rows_wait_and_why(engine, api, tmp_path):
    ids = people(engine, api, range(23_000, 23_003))
    notify(engine, ids[0], 2, WEDNESDAY + timedelta(hours=12))  # due at 22:00: quiet hours
    notify(engine, ids[1], 1, WEDNESDAY + timedelta(days=1), kind="later")
    notify(engine, ids[2], 1, WEDNESDAY + timedelta(hours=12), kind="flaky")
    out = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-02T22:00")
    assert "Gönderilen: 0 ·" in out
    assert "Kuyrukta bekleyen: 4 bildirim" in out
    assert ("3 bildirim sessiz saatler, hafta sonu ya da resmî tatil nedeniyle bekliyor; "
            "3 Nisan 2014 09:00 itibarıyla gidecek") in out
    assert "1 bildirim zamanını bekliyor (en erken 3 Nisan 2014 10:00)" in out
    with session_scope(engine) as session:  # a send of the flaky one timed out five times
        flaky = session.exec(select(Notification).where(Notification.kind == "flaky")).one()
        release(session, flaky.id, WEDNESDAY, error="TimedOut: Timed out",
                retry_at=datetime(2014, 4, 3, 9, 10, tzinfo=ISTANBUL))
    out = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-03T09:00")
    assert "Gönderilen: 2 ·" in out
    assert ("1 bildirim geçici bir hatadan sonra yeniden denenecek "
            "(en erken 3 Nisan 2014 09:10)") in out
    assert "1 bildirim zamanını bekliyor (en erken 3 Nisan 2014 10:00)" in out


# -- kill -9 in the middle of a broadcast ------------------------------------------------------


async def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_bot_killed_mid_broadcast_resumes_sending_nothing_twice(engine, limited_api,
                                                                         tmp_path):
    """300 members, 100 a second (paid broadcasts), a round trip on every call. `kume run` is
    killed with kill -9 half way while five sends hang on the wire, and started again (its
    clock a minute on, past the time a dead sender's claims are given up)."""
    api = limited_api
    recipients = range(24_000, 24_300)
    ids = people(engine, api, recipients)
    people(engine, api, [STARTER], role=Role.ADMIN)
    env = {"KUME_SENDING_RATE": "100", "KUME_SENDING_PAID_BROADCAST": "true",
           "KUME_CLOCK_START": WEDNESDAY.isoformat(), "KUME_LOGGING_LEVEL": "WARNING"}

    bot = await start_kume(engine, api, tmp_path, "run", env=env)
    try:
        await wait_until(lambda: api.calls_to("getUpdates"), 30, "the bot to poll")
        write_broadcast(engine, ids, WEDNESDAY)
        await wait_until(lambda: sum(received(api, recipients).values()) >= 150, 30,
                         "half of the broadcast")
        api.delay_next("sendMessage", 1.0, times=5)  # these five are on the wire at the kill
        before = len(sends(api))
        await wait_until(lambda: len(sends(api)) >= before + 5, 10, "five hanging sends")
        bot.send_signal(signal.SIGKILL)
        await bot.communicate()
        assert bot.returncode == -signal.SIGKILL
        await settled(api)  # Telegram carries the hanging calls out, although nobody waits
        in_doubt = {n.id for n in rows(engine) if n.status == NotificationStatus.SENDING}
        assert 5 <= len(in_doubt) <= SendLimits(rate=100).concurrency()

        env["KUME_CLOCK_START"] = (WEDNESDAY + timedelta(minutes=1)).isoformat()
        bot = await start_kume(engine, api, tmp_path, "run", env=env)
        starter = api.user(STARTER)
        [report] = await starter.wait_for(
            lambda m: m.get("text", "").startswith("✅ Duyuru tamamlandı"), timeout=60)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await bot.communicate()

    final = {n.id: n for n in rows(engine) if n.broadcast_id is not None}
    unknown = {i for i, n in final.items() if n.status == NotificationStatus.UNKNOWN}
    assert unknown == in_doubt  # only the rows on the wire at the kill are in doubt
    assert Counter(n.status for n in final.values()) == {
        NotificationStatus.SENT: 300 - len(unknown), NotificationStatus.UNKNOWN: len(unknown)}
    # Nobody twice, nobody lost: a row in doubt was on the wire at the kill (the five that
    # hung certainly arrived; one claimed a moment before may not have).
    chats = {n.chat_id: n.status for n in final.values()}
    got = received(api, recipients)
    assert {t: got[t] for t in recipients if chats[t] != NotificationStatus.UNKNOWN} == {
        t: 1 for t in recipients if chats[t] != NotificationStatus.UNKNOWN}
    assert all(got[t] <= 1 for t in recipients)
    assert sum(got[t] for t in recipients if chats[t] == NotificationStatus.UNKNOWN) >= 5
    assert report_figures(report["text"]) == {
        "Gönderildi": 300 - len(unknown), "Botu engellemiş": 0, "Başarısız": 0,
        "Belirsiz": len(unknown)}
    assert [m for m in api.user(STARTER).messages if "Duyuru tamamlandı" in m["text"]] == [
        report]  # one report, although two bots sent parts of the broadcast
    with Session(engine) as session:
        [broadcast] = session.exec(select(Broadcast)).all()
        assert broadcast.finished_at is not None
    assert api.too_many_requests == 0
    listing = await kume(engine, api, tmp_path, "outbox", "--status", "unknown",
                         "--limit", "100")
    assert len([line for line in listing.splitlines() if line.startswith("#")]) == len(unknown)
