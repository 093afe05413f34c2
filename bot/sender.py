"""Draining the outbox within Telegram's limits.

About 30 messages a second overall, one a second per private chat (20 a minute per group).
429 is retried after Telegram's retry_after; 5xx and timeouts with growing pauses; 403 means
the person blocked the bot: the contact becomes inactive and the agency is told; 400 fails the
row for good; 401/404 (a revoked token) stop the drain and leave the row pending. A row is
claimed right before its own send, so a sender killed while pacing leaves nothing half-done.

Duplicates: a call that timed out may still have reached Telegram. It is retried all the
same, so the person may see that one message twice (a lost prompt is worse than a repeated
one). A row a dead sender left in `sending` is not retried: after `abandoned_after` it
becomes `unknown` (see tracker.notifications.outbox.recover_abandoned).
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from aiolimiter import AsyncLimiter
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from bot import callbacks
from bot.fit import fit_message
from tracker import texts
from tracker.calendar import CalendarSettings, may_send_at
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.models import Notification, NotificationStatus, Organisation, Person
from tracker.notifications.due import AGENCY_ROLES, contacts, still_needed
from tracker.notifications.outbox import enqueue, finish, recover_abandoned

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendLimits:
    per_second: float = 30.0
    private_interval: float = 1.0
    group_interval: float = 3.0
    max_attempts: int = 5
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    retry_later: timedelta = timedelta(minutes=10)  # after max_attempts transient failures
    batch: int = 200
    abandoned_after: timedelta = timedelta(minutes=5)


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    blocked: int = 0
    deferred: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class OutboxSender:
    def __init__(self, bot: Bot, engine: Engine, clock: Clock, calendar: CalendarSettings,
                 limits: SendLimits | None = None):
        self.bot = bot
        self.engine = engine
        self.clock = clock
        self.calendar = calendar
        self.limits = limits or SendLimits()
        self._overall = AsyncLimiter(self.limits.per_second, 1)
        self._last_in_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def _db(self, work):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            with session_scope(self.engine) as session:
                return work(session)

        return await asyncio.to_thread(run)

    async def drain(self) -> SendReport:
        """Send everything due now (one drain at a time per sender)."""
        async with self._lock:
            return await self._drain()

    async def _drain(self) -> SendReport:
        report = SendReport()
        now = self.clock.now()
        if not may_send_at(now, self.calendar):
            return report  # weekends, holidays and quiet hours: it waits in the outbox
        await self._db(lambda s: recover_abandoned(s, now, self.limits.abandoned_after))
        candidates = await self._db(lambda s: [
            (n.id, n.chat_id) for n in s.exec(
                select(Notification).where(
                    Notification.status == NotificationStatus.PENDING,
                    Notification.not_before <= now)
                .order_by(col(Notification.not_before), col(Notification.id))
                .limit(self.limits.batch))])
        waiting = list(candidates)
        while waiting:
            notification_id, chat_id = waiting.pop(await self._next_ready(waiting))
            await self._pace(chat_id)
            claimed = await self._db(
                lambda s, i=notification_id: _claim_one(s, i, self.clock.now())
            )
            if claimed is None:
                continue  # another sender took it
            try:
                outcome = await self._send(claimed)
            except Exception as exc:  # one bad row must not stop everyone else's messages
                outcome = await self._poisoned(claimed, exc)
            report.by_status[outcome] = report.by_status.get(outcome, 0) + 1
            if outcome == "halted":
                break
        report.sent = report.by_status.get("sent", 0)
        report.skipped = report.by_status.get("skipped", 0)
        report.failed = report.by_status.get("failed", 0)
        report.blocked = report.by_status.get("blocked", 0)
        report.deferred = report.by_status.get("pending", 0) + report.by_status.get("halted", 0)
        return report

    def _ready_at(self, chat_id: int) -> float:
        """When this chat may get its next message (time.monotonic)."""
        interval = self.limits.group_interval if chat_id < 0 else self.limits.private_interval
        last = self._last_in_chat.get(chat_id)
        return 0.0 if last is None else last + interval

    async def _next_ready(self, waiting: list[tuple[int, int]]) -> int:
        """The index of the first waiting row whose chat may get a message now, sleeping until
        one may. A chat's rows keep their order, and a chat that must wait does not hold up
        the others (five notices for the agency do not delay everyone's prompt by 4 s)."""
        while True:
            now = time.monotonic()
            seen: set[int] = set()
            earliest = None
            for index, (_, chat_id) in enumerate(waiting):
                if chat_id in seen:
                    continue
                seen.add(chat_id)
                ready = self._ready_at(chat_id)
                if ready <= now:
                    return index
                earliest = ready if earliest is None else min(earliest, ready)
            assert earliest is not None
            await asyncio.sleep(earliest - now)

    async def _pace(self, chat_id: int) -> None:
        wait = self._ready_at(chat_id) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        await self._overall.acquire()
        self._last_in_chat[chat_id] = time.monotonic()

    async def _send(self, row: Notification) -> str:
        needed = await self._db(lambda s: still_needed(s, row.kind, row.subject, row.period))
        if not needed:
            await self._finish(row, NotificationStatus.SKIPPED)
            return "skipped"
        markup = _markup(row.buttons)
        # Past Telegram's length, several messages, the buttons on the last. A retry goes on
        # from the part that failed: the ones before it have arrived.
        parts = fit_message(row.text)
        next_part = 0
        message_id: int | None = None
        error = ""
        for attempt in range(self.limits.max_attempts):
            try:
                while next_part < len(parts):
                    if next_part > 0:
                        await self._pace(row.chat_id)
                    last = next_part == len(parts) - 1
                    message = await self.bot.send_message(
                        row.chat_id, parts[next_part], parse_mode=ParseMode.HTML,
                        reply_markup=markup if last else None,
                        link_preview_options=LinkPreviewOptions(is_disabled=True))
                    message_id = message.message_id
                    next_part += 1
            except RetryAfter as exc:
                seconds = _retry_seconds(exc)
                error = f"429 retry after {seconds:g} s"
                await asyncio.sleep(seconds)
                continue
            except Forbidden as exc:
                await self._blocked(row, str(exc))
                return "blocked"
            except BadRequest as exc:
                await self._finish(row, NotificationStatus.FAILED, error=str(exc),
                                   attempts=attempt + 1)
                logger.warning("notification %s failed for good: %s", row.id, exc)
                return "failed"
            except InvalidToken as exc:
                # 401/404: the token was revoked or is wrong. Nothing can go out, so the row is
                # released (not left in `sending`, which would make it `unknown`) and the
                # drain stops; the next one tries again.
                await self._finish(row, NotificationStatus.PENDING, error=str(exc),
                                   retry_at=row.not_before)
                logger.error("Telegram refused the bot's token (%s); sending stopped", exc)
                return "halted"
            except TelegramError as exc:  # NetworkError (5xx, timeouts) and odd answers
                error = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(self.limits.backoff[min(attempt, len(self.limits.backoff)
                                                            - 1)])
                continue
            await self._finish(row, NotificationStatus.SENT, message_id=message_id,
                               attempts=attempt + 1)
            logger.info("notification %s (%s) sent to person %s after %d attempt(s)",
                        row.id, row.kind, row.person_id, attempt + 1)
            return "sent"
        retry_at = self.clock.now() + self.limits.retry_later
        await self._finish(row, NotificationStatus.PENDING, error=error, retry_at=retry_at,
                           attempts=self.limits.max_attempts)
        logger.warning("notification %s deferred after %d attempts: %s", row.id,
                       self.limits.max_attempts, error)
        return "pending"

    async def _poisoned(self, row: Notification, exc: Exception) -> str:
        """A row kume itself cannot send (its buttons or text could not be built, a bug): it
        fails for good with the reason, and the drain goes on."""
        reason = f"{type(exc).__name__}: {exc}"
        logger.error("notification %s could not be sent and is marked failed: %s", row.id,
                     reason, exc_info=exc)
        try:
            await self._finish(row, NotificationStatus.FAILED, error=reason)
        except Exception:  # the database too: the row stays `sending` and becomes `unknown`
            logger.exception("could not mark notification %s failed", row.id)
        return "failed"

    async def _finish(self, row: Notification, status: NotificationStatus, *,
                      error: str | None = None, message_id: int | None = None,
                      retry_at: datetime | None = None, attempts: int | None = None) -> None:
        now = self.clock.now()

        def work(session: Session) -> None:
            finish(session, row.id or 0, status, now, error=error, message_id=message_id,
                   retry_at=retry_at, attempts=attempts)

        await self._db(work)

    async def _blocked(self, row: Notification, error: str) -> None:
        now = self.clock.now()

        def work(session: Session) -> None:
            finish(session, row.id or 0, NotificationStatus.BLOCKED, now, error=error)
            person = session.get(Person, row.person_id)
            if person is None:
                return
            person.active = False
            session.add(person)
            organisation = session.get(Organisation, person.organisation_id)
            for agent in [p for people in contacts(session, AGENCY_ROLES).values()
                          for p in people]:
                enqueue(session, kind="blocked", subject=str(person.id),
                        period=now.date().isoformat(), person=agent,
                        text=texts.render("messages/notify.j2", name="blocked_contact",
                                          person=person, organisation=organisation),
                        not_before=now, now=now)

        await self._db(work)
        logger.warning("person %s blocked the bot; marked inactive", row.person_id)


def _retry_seconds(exc: RetryAfter) -> float:
    """retry_after is an int today and a timedelta in PTB's next major version."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        delay = exc.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


def _claim_one(session: Session, notification_id: int, now: datetime) -> Notification | None:
    result = session.exec(
        sa.update(Notification)
        .where(col(Notification.id) == notification_id,
               col(Notification.status) == NotificationStatus.PENDING)
        .values(status=NotificationStatus.SENDING, claimed_at=now))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.get(Notification, notification_id)
    if row is not None:
        session.expunge(row)
    return row


def _markup(buttons: list) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = []
    for line in buttons:
        row = []
        for label, target in line:
            data = callbacks.command(target[1:]) if target.startswith("/") else target
            row.append(InlineKeyboardButton(label, callback_data=data))
        rows.append(row)
    return InlineKeyboardMarkup(rows)
