"""The outbox end to end: due work → outbox rows → the real sender → real HTTP → the local Bot
API, and the people's answers to what arrived.

Covers the quarterly prompt, reminders, snooze, "not ours", escalation; `kume run-due` run
twice and killed mid-drain; Telegram's faults (429, 5xx, timeouts, 403, 400); pacing; quiet
hours; two senders and two schedulers on one PostgreSQL database; the agency reopening a
locked quarter.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from telegram import Bot
from telegram.ext import CallbackContext
from telegram.request import HTTPXRequest

from bot.app import tick
from bot.sender import OutboxSender, SendLimits
from local_bot_api import LocalBotApi, SimUser
from tracker.calendar import CalendarSettings
from tracker.clock import Clock
from tracker.db import create_db_engine, session_scope
from tracker.models import (
    DueEvent,
    Notification,
    NotificationStatus,
    Organisation,
    Person,
    Role,
    Status,
    StatusUpdate,
)
from tracker.notifications.due import run_due, snooze
from tracker.notifications.outbox import enqueue
from tracker.quarters import ISTANBUL, Quarter
from tracker.status_updates import active_actions

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
CALENDAR = CalendarSettings()
Q1 = Quarter(2014, 1)
EBSO_ACTIONS = ["E1.2.3", "E3.1.1", "E3.1.2", "E3.1.5"]
# Everything but the pacing test: short per-chat interval and backoff keep the file fast.
FAST = SendLimits(private_interval=0.2, backoff=(0.1, 0.2, 0.4, 0.8, 1.6))


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2014, month, day, hour, minute, tzinfo=ISTANBUL)


# -- helpers ----------------------------------------------------------------------------------


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def listed_codes(message: dict) -> list[str]:
    """The action codes a prompt or reminder lists as bullets."""
    return re.findall(r"^• (E\d\.\d\.\d) ", message["text"], re.MULTILINE)


def sends(api: LocalBotApi, chat_id: int | None = None) -> list[tuple[float, dict]]:
    """(server arrival time, params) of every sendMessage, optionally to one chat."""
    return [(t, p) for t, method, p in api.calls
            if method == "sendMessage" and (chat_id is None or p.get("chat_id") == chat_id)]


def per_chat(api: LocalBotApi) -> Counter:
    return Counter(p["chat_id"] for _, p in sends(api))


def rows(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))).all())


def org_id(engine: Engine, short: str) -> int:
    with Session(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.short == short)).one()
        assert org.id is not None
        return org.id


def add_people(engine: Engine, api: LocalBotApi,
               people: dict[int, tuple[str, Role]]) -> dict[int, int]:
    """Contacts straight in the database (faster than /start); telegram id → person id."""
    result = {}
    with session_scope(engine) as session:
        for telegram_id, (short, role) in people.items():
            api.user(telegram_id, first_name=f"Kişi {telegram_id}")
            person = Person(telegram_user_id=telegram_id, display_name=f"Kişi {telegram_id}",
                            organisation_id=org_id(engine, short), role=role)
            session.add(person)
            session.flush()
            assert person.id is not None
            result[telegram_id] = person.id
    return result


def notify(engine: Engine, person_id: int, count: int, now: datetime, kind: str = "note") -> None:
    """`count` plain notifications for one person, due at `now`."""
    with session_scope(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        for i in range(count):
            assert enqueue(session, kind=kind, subject=str(i), period="2014Q1", person=person,
                           text=f"Bildirim {i + 1} / {person.display_name}",
                           not_before=now, now=now)


def answer_all(engine: Engine, telegram_id: int, quarter: Quarter = Q1) -> None:
    """StatusUpdate rows for every action the person's organisation still owes."""
    with session_scope(engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == telegram_id)).one()
        answered = {u.action_id for u in session.exec(select(StatusUpdate).where(
            StatusUpdate.organisation_id == person.organisation_id,
            StatusUpdate.quarter == str(quarter)))}
        for action in active_actions(session, person.organisation_id, quarter):
            if action.id not in answered:
                session.add(StatusUpdate(
                    action_id=action.id, organisation_id=person.organisation_id,
                    quarter=str(quarter), status=Status.IN_PROGRESS, progress=50,
                    narrative="ilerliyor", person_id=person.id))


def action_codes(engine: Engine, short: str, quarter: Quarter = Q1) -> list[str]:
    with Session(engine) as session:
        return [a.code for a in active_actions(session, org_id(engine, short), quarter)]


class Inbox:
    """What arrived in each chat since the last look (messages are recorded server-side
    before the sender's call returns, so after a drain nothing is still on its way)."""

    def __init__(self, *users: SimUser):
        self.users = users
        self.seen = {u.id: len(u.messages) for u in users}

    def take(self) -> dict[int, list[dict]]:
        new = {u.id: u.messages[self.seen[u.id]:] for u in self.users}
        self.seen = {u.id: len(u.messages) for u in self.users}
        return new


async def run_tick(env) -> None:  # type: ignore[no-untyped-def]
    """What the repeating job does, then wait until the running sender has sent what may
    go now."""
    await tick(CallbackContext(env.app))


async def speed_up(env) -> None:  # type: ignore[no-untyped-def]
    """The application's sender with short pacing (same bot, engine, clock, calendar)."""
    svc = env.app.bot_data.services
    await svc.sender.stop()
    svc.sender = OutboxSender(env.app.bot, env.engine, env.clock, env.settings.calendar, FAST)
    svc.sender.start()


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def outbox_sender(api: LocalBotApi, engine: Engine, clock: Clock,
                        limits: SendLimits = FAST,
                        read_timeout: float = 5.0) -> AsyncIterator[OutboxSender]:
    """A sender with a Bot of its own, over HTTP to the local Bot API."""
    bot = Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url,
              request=HTTPXRequest(read_timeout=read_timeout, connection_pool_size=4))
    async with bot:
        yield OutboxSender(bot, engine, clock, CALENDAR, limits)


async def settled(api: LocalBotApi, timeout: float = 5.0) -> None:
    """Wait until no request is being served (a delayed call still completes)."""
    deadline = time.monotonic() + timeout
    while api.state.inflight and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not api.state.inflight


# -- 1. prompts arrive and lead somewhere ------------------------------------------------------


async def test_a_quarter_of_prompts_reminders_snooze_reassign_and_escalation(bot_env):
    engine = bot_env.engine
    await speed_up(bot_env)
    ebso = await bot_env.register(3001, "EBSO", Role.REPORTER, name="Ayşe")
    organik = await bot_env.register(3002, "KY Organik Gıda", Role.REPORTER, name="Mehmet")
    izka = await bot_env.register(3003, "İZKA", Role.AGENCY, name="Zeynep")
    inbox = Inbox(ebso, organik, izka)

    # 1 April 2014, 10:00: the 2014Q1 window opens; one prompt each, listing their actions.
    bot_env.clock.set(at(4, 1))
    await run_tick(bot_env)
    got = inbox.take()
    expected = {3001: EBSO_ACTIONS, 3002: action_codes(engine, "KY Organik Gıda"),
                3003: action_codes(engine, "İZKA")}
    assert len(expected[3002]) > 8 and len(expected[3003]) > 8  # more than one screen
    for user_id, codes in expected.items():
        assert len(got[user_id]) == 1, got[user_id]
        prompt = got[user_id][0]
        assert "2014 1. Çeyrek sona erdi" in prompt["text"]
        assert listed_codes(prompt) == codes
        answer_buttons = [b for b in buttons(prompt) if b.startswith("Şimdi yanıtla: ")]
        assert answer_buttons == [f"Şimdi yanıtla: {code}" for code in codes]
    assert "Gösterge değerlerini gir" in buttons(got[3002][0])  # a cluster's figures
    assert "Gösterge değerlerini gir" not in buttons(got[3001][0])
    await run_tick(bot_env)  # the job runs again a moment later: nothing twice
    assert inbox.take() == {3001: [], 3002: [], 3003: []}

    # The prompt's button opens /durum on that action, and the answer is stored.
    await ebso.press(got[3001][0], "Şimdi yanıtla: E1.2.3")
    question = await ebso.next_message()
    assert "E1.2.3 · 2014 1. Çeyrek" in question["text"]
    assert "Bu çeyrekte eylemin durumu nedir?" in question["text"]
    await ebso.press(question, "Devam ediyor")
    await ebso.next_message()
    await ebso.send("%40")
    await ebso.next_message()
    await ebso.send("İki çalışma ziyareti yapıldı.")
    evidence = await ebso.next_message()
    await ebso.press(evidence, "Kanıt eklemeden geç")
    summary = await ebso.next_message()
    await ebso.press(summary, "✅ Onayla")
    saved = await ebso.next_message()
    assert "Kaydedildi: E1.2.3, 2014 1. Çeyrek — Devam ediyor, %40" in saved["text"]
    answer_all(engine, 3003)  # the agency answers everything of its own
    inbox.take()

    # 9 April: the first reminder, only to those with something open, listing only that.
    bot_env.clock.set(at(4, 9))
    await run_tick(bot_env)
    got = inbox.take()
    assert got[3003] == []
    assert [len(got[3001]), len(got[3002])] == [1, 1]
    reminder = got[3001][0]
    assert reminder["text"].startswith("Hatırlatma · 2014 1. Çeyrek")
    assert listed_codes(reminder) == ["E3.1.1", "E3.1.2", "E3.1.5"]
    assert buttons(reminder) == ["Şimdi yanıtla: E3.1.1", "Şimdi yanıtla: E3.1.2",
                                 "Şimdi yanıtla: E3.1.5", "⏰ Yarın hatırlat",
                                 "Bu eylem bizim sorumluluğumuzda değil"]
    organik_reminder = got[3002][0]
    assert listed_codes(organik_reminder) == expected[3002]
    assert "İzmir Organik Gıda Kümesi gösterge değerleri" in organik_reminder["text"]
    answer_all(engine, 3001)  # EBSO answers the rest

    # "Yarın hatırlat": the reply says when (and the reminder's buttons go).
    await organik.press(organik_reminder, "⏰ Yarın hatırlat")
    snoozed = await organik.next_message()
    assert "Tamam, 10 Nisan 2014 10:00 itibarıyla yeniden hatırlatacağım." in snoozed["text"]
    # A double tap arriving before the buttons went: still one snooze.
    await organik.press_raw(organik_reminder["message_id"], "c:ertele 2014Q1")
    await organik.next_message()
    inbox.take()

    # 10 April: exactly one snooze message, to the one who asked.
    bot_env.clock.set(at(4, 10))
    await run_tick(bot_env)
    got = inbox.take()
    assert got[3001] == [] and got[3003] == []
    assert len(got[3002]) == 1
    again = got[3002][0]
    assert again["text"].startswith("Hatırlatma · 2014 1. Çeyrek")
    assert listed_codes(again) == expected[3002]

    # "Not ours" → the list of actions → one → the agency hears of it within moments (the
    # running sender finds the row the handler wrote), not at the next tick.
    await organik.press(again, "Bu eylem bizim sorumluluğumuzda değil")
    which = await organik.next_message()
    assert "Hangi eylem kuruluşunuzun sorumluluğunda değil?" in which["text"]
    assert buttons(which) == [f"{code} bizim sorumluluğumuzda değil" for code in expected[3002]]
    await organik.press(which, "E3.1.5 bizim sorumluluğumuzda değil")
    thanks = await organik.next_message()
    assert "E3.1.5 eyleminin kuruluşunuzun sorumluluğunda olmadığı ajansa iletildi" in (
        thanks["text"])
    reassigned = "KY Organik Gıda, E3.1.5 eyleminin kendi sorumluluğunda olmadığını bildirdi"
    await izka.wait_for(lambda m: reassigned in m.get("text", ""))
    got = inbox.take()
    assert got[3001] == [] and len(got[3003]) == 1  # (3002: the two answers above)
    assert ("KY Organik Gıda, E3.1.5 eyleminin kendi sorumluluğunda olmadığını bildirdi "
            "(2014 1. Çeyrek). Bildiren: Mehmet") in got[3003][0]["text"]
    bot_env.clock.set(at(4, 10, 10, 5))
    await run_tick(bot_env)
    got = inbox.take()
    assert got == {3001: [], 3002: [], 3003: []}  # no second snooze, no second notice

    # 15 April: the second reminder skips EBSO, which has answered everything.
    bot_env.clock.set(at(4, 15))
    await run_tick(bot_env)
    got = inbox.take()
    assert got[3001] == [] and got[3003] == []
    assert [m["text"].split("\n")[0] for m in got[3002]] == ["Hatırlatma · 2014 1. Çeyrek"]

    # 21 April: the last reminder and the escalation, which reaches the agency only.
    bot_env.clock.set(at(4, 21))
    await run_tick(bot_env)
    got = inbox.take()
    assert got[3001] == []
    assert [m["text"].split("\n")[0] for m in got[3002]] == ["Hatırlatma · 2014 1. Çeyrek"]
    assert len(got[3003]) == 1
    escalation = got[3003][0]["text"]
    assert escalation.startswith("2014 1. Çeyrek · yanıt vermeyenler")
    assert "• KY Organik Gıda:" in escalation and "• İZTO:" in escalation
    assert "EBSO" not in escalation and "• İZKA" not in escalation

    with Session(engine) as session:
        kinds = Counter(n.kind for n in session.exec(select(Notification)))
    assert kinds == {"prompt": 3, "reminder1": 2, "snooze": 1, "reassign": 1, "reminder2": 1,
                     "reminder3": 1, "escalation": 1}
    assert {n.status for n in rows(engine)} == {NotificationStatus.SENT}


# -- 2. `kume run-due`: idempotent, and a crash sends nothing twice ----------------------------


def cli_env(engine: Engine, api: LocalBotApi,
            extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
    env.update(KUME_DATABASE_URL=engine.url.render_as_string(hide_password=False),
               KUME_TELEGRAM_TOKEN=api.token, KUME_TELEGRAM_BASE_URL=api.base_url)
    env.update(extra or {})
    return env


async def start_kume(engine: Engine, api: LocalBotApi, cwd: Path, *args: str,
                     env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    return await asyncio.create_subprocess_exec(
        str(python), "-m", "kume", *args, cwd=cwd, env=cli_env(engine, api, env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def kume(engine: Engine, api: LocalBotApi, cwd: Path, *args: str,
               env: dict[str, str] | None = None) -> str:
    proc = await start_kume(engine, api, cwd, *args, env=env)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_run_due_twice_and_a_minute_later_sends_each_prompt_once(engine, api, tmp_path):
    people = add_people(engine, api, {4001: ("EBSO", Role.REPORTER),
                                      4002: ("İZTO", Role.REPORTER),
                                      4003: ("İZKA", Role.AGENCY)})
    first = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-01T10:00")
    assert "prompt: 3 bildirim kuyruğa eklendi" in first
    assert "Gönderilen: 3 ·" in first
    again = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-01T10:00")
    later = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-01T10:01")
    for out in (again, later):
        assert "kuyruğa eklenecek yeni bildirim yok" in out
        assert "Gönderilen: 0 ·" in out
    assert per_chat(api) == {4001: 1, 4002: 1, 4003: 1}
    outbox = rows(engine)
    assert Counter(n.person_id for n in outbox) == Counter(people.values())
    assert {(n.kind, n.status) for n in outbox} == {("prompt", NotificationStatus.SENT)}
    texts = {p["chat_id"]: p["text"] for _, p in sends(api)}
    assert "EBSO olarak" in texts[4001] and "İZTO olarak" in texts[4002]


async def test_run_due_killed_mid_drain_sends_nothing_twice(engine, api, tmp_path):
    shorts = ["EBSO", "İZTO", "EİB", "EÜ İİBF", "ESİAD", "EGİAD", "EÜ", "DEÜ"]
    people = add_people(engine, api, {5001 + i: (short, Role.REPORTER)
                                      for i, short in enumerate(shorts)})
    with session_scope(engine) as session:  # each pressed "Yarın hatırlat" the day before
        for person_id in people.values():
            person = session.get(Person, person_id)
            assert snooze(session, person, Q1, at(4, 1, 15), CALENDAR) == at(4, 2)
    # Two notifications per chat (its snooze and its prompt). The first eight sends, one per
    # chat and as many as the sender keeps in flight, answer slowly: the kill finds all eight
    # on the wire, and the second row of each chat waits for its chat's next turn.
    in_flight = SendLimits().concurrency()
    assert in_flight == len(shorts)
    api.delay_next("sendMessage", 1.0, times=in_flight)
    proc = await start_kume(engine, api, tmp_path, "run-due", "--now", "2014-04-02T10:00")
    deadline = time.monotonic() + 30
    while len(sends(api)) < in_flight:
        assert proc.returncode is None and time.monotonic() < deadline, "run-due ended early"
        await asyncio.sleep(0.005)
    proc.send_signal(signal.SIGKILL)  # while eight sends are on the wire
    await proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    await settled(api)  # Telegram finishes those calls although nobody waits for the answer
    by_status = Counter(n.status for n in rows(engine))
    assert by_status == {NotificationStatus.SENDING: 8, NotificationStatus.PENDING: 8}
    stuck = {n.id for n in rows(engine) if n.status == NotificationStatus.SENDING}

    out = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-02T10:00")
    assert "Gönderilen: 8 ·" in out
    assert "8 bildirim şu anda başka bir gönderici tarafından gönderiliyor" in out
    assert len(sends(api)) == 16  # the rows in `sending` were not sent again
    assert {n.id for n in rows(engine) if n.status == NotificationStatus.SENDING} == stuck
    # Later, the rows the dead sender held are given up as unknown, not resent.
    out = await kume(engine, api, tmp_path, "run-due", "--now", "2014-04-02T10:06")
    assert "belirsiz: 8" in out and "Kuyrukta bekleyen bildirim yok." in out
    await settled(api)
    for chat_id in people:
        received = [m["text"] for m in api.user(chat_id).messages]
        assert len(received) == 2, received
        assert sum(t.startswith("Hatırlatma · 2014 1. Çeyrek") for t in received) == 1
        assert sum("2014 1. Çeyrek sona erdi" in t for t in received) == 1
    assert len(sends(api)) == 16
    final = {n.id: n for n in rows(engine)}
    assert {i for i, n in final.items() if n.status == NotificationStatus.UNKNOWN} == stuck
    assert {final[i].last_error for i in stuck} == {"sender stopped while sending"}
    assert Counter(n.status for n in final.values()) == {NotificationStatus.SENT: 8,
                                                         NotificationStatus.UNKNOWN: 8}
    listing = await kume(engine, api, tmp_path, "outbox", "--limit", "100")
    statuses = Counter(line.split()[1] for line in listing.splitlines() if line.startswith("#"))
    assert statuses == {"sent": 8, "unknown": 8}


async def test_rows_left_sending_become_unknown_after_the_timeout_and_are_not_resent(
        engine, api):
    people = add_people(engine, api, {5101: ("EBSO", Role.REPORTER)})
    clock = Clock(at(4, 2))
    notify(engine, people[5101], 2, at(4, 2))
    first, second = [n.id for n in rows(engine)]

    def claimed(notification_id: int, seconds_ago: int) -> None:
        with session_scope(engine) as session:
            session.exec(sa.update(Notification).where(col(Notification.id) == notification_id)
                         .values(status=NotificationStatus.SENDING,
                                 claimed_at=clock.now() - timedelta(seconds=seconds_ago)))

    claimed(first, 10)  # a live sender renews its claims every second: it may be busy
    claimed(second, 40)  # past SendLimits.abandoned_after (30 s) without a renewal
    async with outbox_sender(api, engine, clock) as sender:
        report = await sender.drain()
    assert report.sent == 0 and sends(api) == []
    status = {n.id: n.status for n in rows(engine)}
    assert status == {first: NotificationStatus.SENDING, second: NotificationStatus.UNKNOWN}


# -- 3. Telegram's faults, pacing and quiet hours ----------------------------------------------


async def test_429_is_retried_after_retry_after_and_delivered_once(engine, api):
    people = add_people(engine, api, {6001: ("EBSO", Role.REPORTER)})
    notify(engine, people[6001], 1, at(4, 2))
    api.fail_next("sendMessage", status=429, retry_after=1)
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        report = await sender.drain()
    (t1, _), (t2, _) = sends(api, 6001)
    assert t2 - t1 >= 1.0
    assert report.sent == 1 and len(api.user(6001).messages) == 1
    [row] = rows(engine)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)


async def test_5xx_is_retried_with_growing_pauses_and_delivered_once(engine, api):
    people = add_people(engine, api, {6002: ("EBSO", Role.REPORTER)})
    notify(engine, people[6002], 1, at(4, 2))
    api.fail_next("sendMessage", status=500, times=2)
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        report = await sender.drain()
    times = [t for t, _ in sends(api, 6002)]
    assert len(times) == 3
    assert times[1] - times[0] >= FAST.backoff[0] and times[2] - times[1] >= FAST.backoff[1]
    assert report.sent == 1 and len(api.user(6002).messages) == 1
    [row] = rows(engine)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 3)


async def test_a_timeout_is_retried_and_may_deliver_twice(engine, api):
    """As bot/sender.py documents: a timed-out call may still have reached Telegram, and it
    is retried anyway (a lost reminder is worse than a repeated one)."""
    people = add_people(engine, api, {6003: ("EBSO", Role.REPORTER)})
    notify(engine, people[6003], 1, at(4, 2))
    api.delay_next("sendMessage", 1.0)  # longer than the bot's read timeout
    async with outbox_sender(api, engine, Clock(at(4, 2)), read_timeout=0.3) as sender:
        report = await sender.drain()
    await settled(api)
    assert len(sends(api, 6003)) == 2
    assert report.sent == 1
    [row] = rows(engine)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)
    assert row.last_error is None  # the retry succeeded
    texts = [m["text"] for m in api.user(6003).messages]
    assert texts == [row.text, row.text]  # the duplicate the retry risks


async def test_403_marks_the_person_inactive_and_tells_the_agency(engine, api):
    people = add_people(engine, api, {6004: ("EBSO", Role.REPORTER),
                                      6005: ("İZKA", Role.AGENCY)})
    notify(engine, people[6004], 2, at(4, 2))
    api.block(6004)
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        report = await sender.drain()
        assert report.blocked == 2  # both rows met the block; the agency is told once
        await sender.drain()  # the next tick carries the agency's notice
    assert len(api.user(6004).messages) == 0
    with Session(engine) as session:
        assert session.get(Person, people[6004]).active is False
        blocked = session.exec(select(Notification).where(
            Notification.person_id == people[6004])).all()
    assert {n.status for n in blocked} == {NotificationStatus.BLOCKED}
    [notice] = api.user(6005).messages
    assert "Kişi 6004 (EBSO) botu engellemiş" in notice["text"]
    assert "Kişi pasif yapıldı" in notice["text"]
    with session_scope(engine) as session:  # an inactive contact is not prompted any more
        run_due(session, at(4, 2), CALENDAR)
        prompted = {n.person_id for n in session.exec(
            select(Notification).where(Notification.kind == "prompt"))}
    assert prompted == {people[6005]}


async def test_400_fails_for_good_without_retrying(engine, api):
    people = add_people(engine, api, {6006: ("EBSO", Role.REPORTER)})
    del api.state.users[6006]  # Telegram does not know the chat: 400 chat not found
    notify(engine, people[6006], 1, at(4, 2))
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        report = await sender.drain()
        again = await sender.drain()
    assert report.failed == 1 and again.failed == 0
    assert len(sends(api, 6006)) == 1
    [row] = rows(engine)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert "chat not found" in (row.last_error or "").lower()


async def test_a_row_that_cannot_be_sent_fails_alone_and_the_others_go_out(engine, api, caplog):
    """A row kume cannot even build (a button written before callback data was made of ids,
    too long for Telegram; buttons in a shape nobody expects) is failed with its reason and
    logged; the rows around it are sent. It used to stop the drain and stay `sending`."""
    people = add_people(engine, api, {6010: ("EBSO", Role.REPORTER),
                                      6011: ("İZTO", Role.REPORTER)})
    notify(engine, people[6010], 2, at(4, 2))
    long_code = "Eylem.Çağrı-Öğütlü_Işık.Şükrü-İğdeli.Ümran.Gökçe-1.2.3"
    poisoned = {
        "old_long_button": [[["Şimdi yanıtla", f"/durum {long_code}"]]],
        "odd_shape": [["only a label"]],
    }
    with session_scope(engine) as session:
        person = session.get(Person, people[6011])
        assert person is not None
        for kind, buttons_ in poisoned.items():
            enqueue(session, kind=kind, subject="x", period="2014Q1", person=person,
                    text="Zehirli satır", buttons=buttons_, not_before=at(4, 2), now=at(4, 2))
    notify(engine, people[6011], 1, at(4, 2), kind="after")
    caplog.set_level("ERROR", logger="bot.sender")
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        report = await sender.drain()
    assert (report.sent, report.failed) == (3, 2)
    by_kind = {n.kind: n for n in rows(engine)}
    assert {k: n.status for k, n in by_kind.items() if k in poisoned} == {
        "old_long_button": NotificationStatus.FAILED, "odd_shape": NotificationStatus.FAILED}
    assert (by_kind["old_long_button"].last_error or "").startswith(
        "ValueError: callback data too long")
    assert (by_kind["odd_shape"].last_error or "").startswith("ValueError: ")
    assert by_kind["after"].status == NotificationStatus.SENT
    assert [m["text"] for m in api.user(6011).messages] == ["Bildirim 1 / Kişi 6011"]
    failed_ids = {by_kind[k].id for k in poisoned}
    logged = [r for r in caplog.records if "marked failed" in r.getMessage()]
    assert {r.args[0] for r in logged} == failed_ids  # type: ignore[index]


async def test_a_row_longer_than_a_message_goes_out_in_parts_with_its_buttons_last(engine, api):
    people = add_people(engine, api, {6012: ("EBSO", Role.REPORTER)})
    lines = [f"• <b>E{i}</b> " + "uzun başlık " * 10 for i in range(80)]
    with session_scope(engine) as session:
        person = session.get(Person, people[6012])
        assert person is not None
        enqueue(session, kind="prompt", subject="EBSO", period="2014Q1", person=person,
                text="\n".join(lines), buttons=[[["⏰ Yarın hatırlat", "/ertele 2014Q1"]]],
                not_before=at(4, 2), now=at(4, 2))
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        report = await sender.drain()
    assert report.sent == 1
    messages = api.user(6012).messages
    assert len(messages) == 3 and all(len(m["text"]) <= 4096 for m in messages)
    assert [buttons(m) for m in messages] == [[], [], ["⏰ Yarın hatırlat"]]
    assert "\n".join(m["text"] for m in messages).count("• E") == 80
    [row] = rows(engine)
    assert row.telegram_message_id == messages[-1]["message_id"]


async def test_a_rejected_token_leaves_the_rows_pending_not_stuck_in_sending(engine, api):
    """401 (the token was revoked): nothing can go out, so nothing may be lost either."""
    people = add_people(engine, api, {6007: ("EBSO", Role.REPORTER)})
    notify(engine, people[6007], 3, at(4, 2))
    api.fail_next("sendMessage", status=401, description="Unauthorized")
    async with outbox_sender(api, engine, Clock(at(4, 2))) as sender:
        await sender.drain()
        assert len(sends(api)) == 1  # the drain stops at the first refusal
        assert {n.status for n in rows(engine)} == {NotificationStatus.PENDING}
        assert "Unauthorized" in (rows(engine)[0].last_error or "")
        report = await sender.drain()  # the token works again
    assert report.sent == 3 and len(api.user(6007).messages) == 3


async def test_one_chat_is_paced_a_second_apart_while_other_chats_go_at_once(engine, api):
    others = {7002 + i: (short, Role.REPORTER) for i, short in enumerate(
        ["İZTO", "EİB", "EÜ İİBF", "ESİAD", "EGİAD", "EÜ", "DEÜ", "İEÜ"])}
    people = add_people(engine, api, {7001: ("EBSO", Role.REPORTER), **others})
    notify(engine, people[7001], 5, at(4, 2))  # five for one chat, written first
    for telegram_id in others:
        notify(engine, people[telegram_id], 1, at(4, 2))
    async with outbox_sender(api, engine, Clock(at(4, 2)), limits=SendLimits()) as sender:
        report = await sender.drain()
    assert report.sent == 13
    one_chat = [t for t, _ in sends(api, 7001)]
    assert len(one_chat) == 5
    gaps = [b - a for a, b in zip(one_chat, one_chat[1:], strict=False)]
    assert min(gaps) >= 0.9, gaps  # one a second (less the jitter of a local HTTP call)
    start = sends(api)[0][0]
    rest = [t for t, p in sends(api) if p["chat_id"] != 7001]
    assert len(rest) == 8
    assert max(rest) - start < 1.0  # eight chats within a second: faster than 1/s overall
    assert [m["text"] for m in api.user(7001).messages] == [
        f"Bildirim {i} / Kişi 7001" for i in range(1, 6)]  # in order


async def test_nothing_goes_out_in_quiet_hours_until_nine_on_the_next_working_day(bot_env):
    await speed_up(bot_env)
    add_people(bot_env.engine, bot_env.api, {8001: ("EBSO", Role.REPORTER),
                                             8002: ("İZKA", Role.AGENCY)})
    bot_env.clock.set(at(4, 1, 22))  # the window opened at 10:00; kume was down all day
    await run_tick(bot_env)
    assert len(rows(bot_env.engine)) == 2 and sends(bot_env.api) == []
    assert {n.not_before.astimezone(ISTANBUL) for n in rows(bot_env.engine)} == {at(4, 2, 9)}
    bot_env.clock.set(at(4, 2, 8, 59))
    await run_tick(bot_env)
    assert sends(bot_env.api) == []
    bot_env.clock.set(at(4, 2, 9))
    await run_tick(bot_env)
    assert per_chat(bot_env.api) == {8001: 1, 8002: 1}
    assert all(n.status == NotificationStatus.SENT for n in rows(bot_env.engine))


# -- 4. concurrency on PostgreSQL ---------------------------------------------------------------


postgresql_only = pytest.mark.skipif(
    "os.environ.get('KUME_TEST_DATABASE_URL') is None", reason="needs PostgreSQL")


def _on_postgresql(engine: Engine) -> None:
    if engine.url.get_backend_name() != "postgresql":
        pytest.skip("concurrent senders and schedulers are a PostgreSQL setup")


@postgresql_only
async def test_two_senders_drain_one_outbox_and_send_each_row_once(engine, api):
    _on_postgresql(engine)
    chats = {9001 + i: (short, Role.REPORTER) for i, short in enumerate(
        ["EBSO", "İZTO", "EİB", "EÜ İİBF", "ESİAD", "EGİAD", "EÜ", "DEÜ", "İEÜ"])}
    people = add_people(engine, api, chats)
    for person_id in people.values():
        notify(engine, person_id, 3, at(4, 2))
    other = create_db_engine(engine.url.render_as_string(hide_password=False))
    clock = Clock(at(4, 2))
    try:
        async with (outbox_sender(api, engine, clock) as one,
                    outbox_sender(api, other, clock) as two):
            reports = await asyncio.gather(one.drain(), two.drain())
    finally:
        other.dispose()
    assert per_chat(api) == {chat: 3 for chat in chats}
    assert sum(r.sent for r in reports) == 27
    assert all(r.sent > 0 for r in reports), "both senders took part"
    assert {n.status for n in rows(engine)} == {NotificationStatus.SENT}
    for chat in chats:
        texts = [m["text"] for m in api.user(chat).messages]
        assert sorted(texts) == sorted(set(texts)) and len(texts) == 3


def run_due_together(engine: Engine, instants: list[datetime]) -> None:
    """run_due for each instant, each in a thread and transaction of its own, all at once."""
    barrier = threading.Barrier(len(instants))
    errors: list[BaseException] = []

    def work(now: datetime) -> None:
        try:
            with session_scope(engine) as session:
                barrier.wait(timeout=10)
                run_due(session, now, CALENDAR)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(now,)) for now in instants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


@postgresql_only
def test_run_due_from_two_threads_writes_each_key_once(engine):
    _on_postgresql(engine)
    contacts = [("EBSO", Role.REPORTER), ("İZTO", Role.REPORTER), ("EİB", Role.REPORTER),
                ("KY Organik Gıda", Role.REPORTER), ("İZKA", Role.AGENCY)]
    with session_scope(engine) as session:
        for i, (short, role) in enumerate(contacts):
            org = session.exec(select(Organisation).where(Organisation.short == short)).one()
            session.add(Person(telegram_user_id=9101 + i, display_name=f"Kişi {i}",
                               organisation_id=org.id, role=role))
    for instants in ([at(4, 1), at(4, 1)], [at(4, 9), at(4, 9, 10, 1)],
                     [at(4, 21), at(4, 21)]):
        run_due_together(engine, instants)
    with Session(engine) as session:
        notifications = session.exec(select(Notification)).all()
        events = session.exec(select(DueEvent.kind)).all()
    keys = Counter(n.key for n in notifications)
    assert max(keys.values()) == 1
    kinds = Counter(n.kind for n in notifications)
    # 21 April: the 15 April reminder was missed by more than the grace period, so the agency
    # gets a summary instead; the last reminder and the escalation go out.
    assert kinds == {"prompt": 5, "reminder1": 5, "reminder3": 5, "escalation": 1,
                     "missed": 1}
    assert sorted(events) == ["escalation", "prompt", "reminder1", "reminder2", "reminder3"]


# -- 5. the agency reopens a locked quarter ----------------------------------------------------


async def test_the_agency_reopens_a_locked_quarter_for_one_organisation(bot_env):
    bot_env.clock.set(at(5, 20))  # 2014Q1 locked on 15 May
    ebso = await bot_env.register(3101, "EBSO", Role.REPORTER, name="Ayşe")
    izto = await bot_env.register(3102, "İZTO", Role.REPORTER, name="Ali")
    izka = await bot_env.register(3103, "İZKA", Role.AGENCY, name="Zeynep")

    await ebso.send("/durum")
    closed = await ebso.next_message()
    assert "Şu anda durum bildirimi açık bir çeyrek yok" in closed["text"]

    await ebso.send("/kilit EBSO 2014Q1")  # a reporter may not
    refused = await ebso.next_message()
    assert refused["text"] == "⛔ /kilit komutu sizin rolünüz için açık değil."

    await izka.send("/kilit EBSO 2014Q1")
    reopened = await izka.next_message()
    assert reopened["text"] == (
        "🔓 2014 1. Çeyrek, EBSO için 27 Mayıs 2014 10:00 tarihine kadar yeniden açıldı. "
        "Kuruluşun kişileri /durum ile bildirim yapabilir.")

    await ebso.send("/durum")
    pick = await ebso.next_message()
    assert "2014 1. Çeyrek durum bildirimi" in pick["text"]
    labels = buttons(pick)
    assert [label.split(" · ")[0] for label in labels] == EBSO_ACTIONS
    await ebso.press(pick, labels[0])
    question = await ebso.next_message()
    await ebso.press(question, "Tamamlandı")
    narrative = await ebso.next_message()
    assert "neler yapıldı" in narrative["text"]
    await ebso.send("Ağ kuruldu, iki ziyaret yapıldı.")
    evidence = await ebso.next_message()
    await ebso.press(evidence, "Kanıt eklemeden geç")
    step = await ebso.next_message()
    assert "Özet" in step["text"]
    await ebso.press(step, "✅ Onayla")
    saved = await ebso.next_message()
    assert "Kaydedildi: E1.2.3, 2014 1. Çeyrek — Tamamlandı" in saved["text"]
    with Session(bot_env.engine) as session:
        stored = session.exec(select(StatusUpdate)).all()
    assert [(u.quarter, u.status, u.organisation_id) for u in stored] == [
        ("2014Q1", Status.COMPLETED, org_id(bot_env.engine, "EBSO"))]

    await izto.send("/durum")
    still_closed = await izto.next_message()
    assert "Şu anda durum bildirimi açık bir çeyrek yok" in still_closed["text"]
