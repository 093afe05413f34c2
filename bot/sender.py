"""The outbox sender: a pipeline that keeps Telegram's limits, not a loop of awaits.

A real Bot API call takes a network round trip (about 100 ms from Türkiye), so one send at a
time cannot pass 10 messages a second. The dispatcher keeps several sends in flight
(`SendLimits.concurrency()`), each started only when the one limiter (bot/pacing.py) has a
place for it: never more than `rate` starts in any one-second window, as Telegram counts
(30, or up to 1,000 with paid broadcasts), a private chat a second apart, a group 3.1 s.

Each row is claimed in the database right before its own request leaves (a claim's time
before its place in the window comes) and its outcome is recorded right after, so a sender
killed at any moment leaves only its in-flight rows in doubt: a row still `sending` after
`abandoned_after` without its sender renewing the claim becomes `unknown` and is never sent
again (tracker.notifications.outbox.recover_abandoned).
What Telegram answers:

- 429: every send pauses for `retry_after` (Telegram's flood limit is per bot); the row goes
  back to the queue as it was.
- 5xx, timeouts, a network failure: the row goes back with a growing pause (`backoff`),
  after `max_attempts` it waits `retry_later`; its chat's later rows wait behind it. A call
  that timed out may still have reached Telegram, so that one message may arrive twice (a
  lost prompt is worse than a repeated one).
- 403: the person blocked the bot (tracker.notifications.blocked).
- 400: the row fails for good. A row kume cannot even build fails alone; the others go on.
- 401/404 (a revoked token): the row goes back untouched and sending stops (a drain ends;
  a running bot tries again a minute later).

`drain()` sends everything that may go now, including retries due within a few seconds, and
returns (`kume run-due`, tests). `start()` runs it continuously in a running bot: woken at
once by `wake()` when this process queues rows, and looking every `poll` seconds for rows
other processes wrote. Either also keeps the broadcasts' progress messages and reports going
(tracker.notifications.broadcast).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot import callbacks
from bot.background import BackgroundSender
from bot.fit import fit_message
from bot.pacing import ChatPacing, Reservation, SendLimits, SlidingWindow
from tracker.calendar import CalendarSettings
from tracker.clock import Clock
from tracker.models import Broadcast, Notification, NotificationStatus, Person
from tracker.notifications.blocked import record_blocked
from tracker.notifications.broadcast import (
    ProgressEdit,
    progress_edits,
    settle_broadcasts,
    start_broadcast,
)
from tracker.notifications.outbox import finish, recover_abandoned
from tracker.notifications.sending import (
    Claim,
    claim_next,
    next_due_in,
    release,
    renew_claims,
)

__all__ = ["OutboxSender", "SendLimits", "SendReport"]

logger = logging.getLogger(__name__)

HALT_PAUSE = 60.0  # a running bot whose token was refused tries again after this long
STOP_GRACE = 15.0  # seconds stop() lets the sends in flight finish and be recorded


@dataclass
class SendReport:
    """What one drain did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0  # rows a dead sender left, found and given up on
    retried: int = 0  # transient failures (429, 5xx, timeouts): the rows went back
    halted: str | None = None  # why sending stopped early (a refused token)
    by_status: dict[str, int] = field(default_factory=dict)


class OutboxSender(BackgroundSender):
    task_name = "outbox-sender"

    def __init__(self, bot: Bot, engine: Engine, clock: Clock, calendar: CalendarSettings,
                 limits: SendLimits | None = None):
        # The sender's database work in threads of its own. SQLite takes one writer at a time
        # and a writer that finds it busy sleeps in steps of up to 100 ms, so several threads
        # writing at once are slower than one: one thread there, a few on PostgreSQL.
        super().__init__(engine, threads=1 if engine.dialect.name == "sqlite" else 4,
                         thread_name="outbox")
        self.bot = bot
        self.clock = clock
        self.calendar = calendar
        self.limits = limits or SendLimits()
        self._window = SlidingWindow(self.limits.rate, 1.0 + self.limits.window_guard)
        self._chats = ChatPacing(self.limits)
        self._send_options: dict[str, Any] = (
            {"allow_paid_broadcast": True} if self.limits.paid_broadcast else {})
        self._inflight: dict[int, asyncio.Task[None]] = {}  # notification id -> its send
        self._edits: set[asyncio.Task[None]] = set()  # progress edits under way
        self._ended = 0  # sends that have ended, ever
        self._claim_time = 0.01  # seconds a claim takes (a moving average)
        self._totals: Counter[str] = Counter()
        self._halted: str | None = None
        self._lock = asyncio.Lock()  # one dispatcher per sender
        # Created in the running loop (asyncio primitives bind to it on first use).
        self._stopped: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._idle: asyncio.Condition | None = None
        self._idle_asked = 0
        self._idle_seen = 0

    # -- the public face ------------------------------------------------------------------------

    async def drain(self) -> SendReport:
        """Send everything that may go now (retries due within a few seconds included) and
        return what happened; in a bot where the sender runs, wait until it has done so."""
        before = Counter(self._totals)
        if self.running:
            await self._until_idle()
        else:
            async with self._lock:
                self._halted = None
                await self._dispatch(forever=False)
        return self._report(self._totals - before)

    def _before_start(self) -> None:
        self._primitives()
        assert self._stopped is not None
        self._stopped.clear()

    def _on_stop(self) -> None:
        """The sends in flight finish and are recorded; a wait for a chat's turn ends now."""
        if self._stopped is not None:
            self._stopped.set()

    def _stop_grace(self) -> float:
        return STOP_GRACE + 5

    async def queue_broadcast(self, *, text: str, recipients: Sequence[Person], subject: str,
                              period: str, started_by: Person | None = None,
                              **options: Any) -> Broadcast:
        """Write a broadcast in a worker thread (the bot keeps answering meanwhile), then
        wake the sender: the first messages leave within a moment."""
        now = self.clock.now()
        broadcast = await self._db(lambda session: start_broadcast(
            session, text=text, recipients=recipients, subject=subject, period=period,
            now=now, started_by=started_by, **options))
        self.wake()
        return broadcast

    # -- the dispatcher ---------------------------------------------------------------------------

    async def _run(self) -> None:
        async with self._lock:
            try:
                await self._dispatch(forever=True)
            except Exception:  # the bot must not lose its sender silently
                logger.exception("the outbox sender stopped")
                raise

    async def _dispatch(self, *, forever: bool) -> None:
        self._primitives()
        assert self._slots is not None
        housekeeper = asyncio.create_task(self._housekeep_every(self.limits.poll))
        try:
            if not forever:
                await self._housekeep()  # rows a dead sender left become unknown first
            while not self._stopping and (forever or self._halted is None):
                asked = self._idle_asked
                await self._slots.acquire()
                if not await self._until_a_place_is_near():
                    self._slots.release()
                    break
                ended = self._ended
                try:
                    claim = await self._claim()
                except Exception:
                    self._slots.release()
                    if not forever:
                        raise
                    # The database is away for a moment: a running bot keeps its sender.
                    logger.exception("the outbox sender could not read the outbox")
                    await self._sleep(self.limits.poll)
                    continue
                if claim.row is not None:
                    reservation = await self._reserve()
                    if reservation is None:  # stop() came first: the row goes back untouched
                        await self._give_back(claim.row)
                        self._slots.release()
                        break
                    self._launch(claim.row, reservation)
                    continue
                self._slots.release()
                if claim.skipped:
                    self._totals["skipped"] += 1
                if claim.skipped or claim.contended:
                    continue
                try:
                    wait = await self._next_work_in(claim.held_back)
                except Exception:
                    if not forever:
                        raise
                    logger.exception("the outbox sender could not read the outbox")
                    wait = self.limits.poll
                # Idle only if no send was under way while we looked: one that ended since
                # may have given its row back for another try.
                if wait is None and not self._inflight and self._ended == ended:
                    if not forever:
                        if await self._housekeep():
                            continue  # a broadcast finished: its report is a row to send
                        break
                    await self._idle_reached(asked)
                if forever:
                    wait = min(wait, self.limits.poll) if wait is not None else self.limits.poll
                await self._sleep(wait)
        finally:
            housekeeper.cancel()
            await self._finish_inflight()
            await self._idle_reached(self._idle_asked)

    async def _claim(self) -> Claim:
        busy = self._chats.busy()
        now = self.clock.now()
        began = time.monotonic()
        claim = await self._db(lambda s: claim_next(s, now, self.calendar, busy))
        self._claim_time = 0.8 * self._claim_time + 0.2 * (time.monotonic() - began)
        return claim

    async def _until_a_place_is_near(self) -> bool:
        """Wait until the window will have a place by the time a claim is done. The claim
        (a few milliseconds, a fsync on SQLite) then does not stretch every second of the
        window, which would cost a percent or two of the rate, and the claimed row waits for
        its place only that long: at a kill -9 it is in doubt with the ones in flight. False
        if stop() comes first."""
        assert self._stopped is not None
        wait = self._window.free_in()
        if wait is not None and wait > self._claim_time:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), wait - self._claim_time)
        return not self._stopping

    async def _give_back(self, row: Notification) -> None:
        now = self.clock.now()
        await self._db(lambda s: finish(s, row.id or 0, NotificationStatus.PENDING, now))

    async def _reserve(self) -> Reservation | None:
        """A place in the window, or None when stop() comes first."""
        if self._stopping:
            return None
        assert self._stopped is not None
        acquire = asyncio.ensure_future(self._window.acquire())
        stopping = asyncio.ensure_future(self._stopped.wait())
        await asyncio.wait({acquire, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if acquire.done():
            return acquire.result()
        acquire.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await acquire
        return None

    async def _next_work_in(self, held_back: bool) -> float | None:
        """Seconds until there may be a row to send: a busy chat's next turn, a retry soon
        due; None if nothing is near."""
        # A chat that was busy at the claim may be free by now: then look again at once,
        # rather than take "no busy chat" for "nothing to send" and end a drain too early.
        chat = (self._chats.next_ready_in() or 0.0) if held_back else None
        now = self.clock.now()
        linger = timedelta(seconds=max(self.limits.backoff) + 1)
        due = await self._db(lambda s: next_due_in(s, now, self.calendar, linger))
        waits = [w for w in (chat, due.total_seconds() if due else None) if w is not None]
        return max(0.0, min(waits)) if waits else None

    async def _sleep(self, seconds: float | None) -> None:
        """Until `seconds` pass, or wake(), or a send in flight ends."""
        assert self._woken is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
        self._woken.clear()

    def _launch(self, row: Notification, reservation: Reservation) -> None:
        assert row.id is not None and self._slots is not None
        row_id = row.id
        self._chats.sent(row.chat_id)  # now, before the next claim can pick the same chat
        task = asyncio.create_task(self._deliver(row, reservation))
        self._inflight[row_id] = task

        def done(_: asyncio.Task[None]) -> None:
            self._inflight.pop(row_id, None)
            self._ended += 1
            assert self._slots is not None
            self._slots.release()
            self.wake()

        task.add_done_callback(done)

    async def _finish_inflight(self) -> None:
        tasks = [*self._inflight.values(), *self._edits]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in late:  # its row stays `sending` and becomes `unknown`: nothing twice
            task.cancel()

    # -- one row ----------------------------------------------------------------------------------

    async def _deliver(self, row: Notification, reservation: Reservation) -> None:
        try:
            outcome = await self._send(row, reservation)
        except Exception as exc:  # one bad row must not stop everyone else's messages
            reservation.cancel()
            outcome = await self._poisoned(row, exc)
        self._totals[outcome] += 1

    async def _send(self, row: Notification, reservation: Reservation | None) -> str:
        assert row.id is not None
        markup = _markup(row.buttons)
        # Past Telegram's length, several messages, the buttons on the last. A retry goes on
        # from the part that failed: the ones before it have arrived.
        parts = fit_message(row.text)
        message_id = row.telegram_message_id
        for part in range(row.parts_sent, len(parts)):
            if reservation is None:
                await self._chat_turn(row.chat_id)
                reservation = await self._window.acquire()
                self._chats.sent(row.chat_id)
            reservation.start()
            reservation = None
            try:
                # Spelled out, not left to the application's Defaults: `kume run-due` sends
                # with a plain Bot of its own.
                message = await self.bot.send_message(
                    row.chat_id, parts[part], parse_mode=ParseMode.HTML,
                    reply_markup=markup if part == len(parts) - 1 else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    **self._send_options)
            except TelegramError as exc:
                return await self._refused(row, exc, part)
            message_id = message.message_id
        await self._finish(row, NotificationStatus.SENT, message_id=message_id, attempts=1,
                           parts_sent=len(parts))
        if self.running:
            self._halted = None  # the token works (again)
        logger.info("notification %s (%s) sent to person %s", row.id, row.kind, row.person_id)
        return "sent"

    async def _chat_turn(self, chat_id: int) -> None:
        """The next part of a long text waits for its chat's next turn."""
        wait = self._chats.ready_at(chat_id) - self._chats.clock()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _refused(self, row: Notification, exc: TelegramError, part: int) -> str:
        """What Telegram's refusal means for the row (see the module's docstring)."""
        assert row.id is not None
        now = self.clock.now()
        if isinstance(exc, RetryAfter):
            seconds = _retry_seconds(exc)
            self._window.pause(seconds)
            logger.warning("Telegram asked for a %g s pause (429); all sending waits", seconds)
            await self._db(lambda s: release(s, row.id or 0, now, parts_sent=part,
                                              error=f"429 retry after {seconds:g} s"))
            return "retried"
        if isinstance(exc, Forbidden):
            await self._db(lambda s: record_blocked(s, row.id or 0, row.person_id, now,
                                                    str(exc)))
            return "blocked"
        if isinstance(exc, BadRequest):
            await self._finish(row, NotificationStatus.FAILED, error=str(exc), attempts=1,
                               parts_sent=part)
            logger.warning("notification %s failed for good: %s", row.id, exc)
            return "failed"
        if isinstance(exc, InvalidToken):
            # Nothing can go out: the row is given back untouched (not left `sending`, which
            # would make it `unknown`) and sending stops.
            self._halted = str(exc)
            if self.running:  # a drain ends here; a running bot tries again later
                self._window.pause(HALT_PAUSE)
            await self._db(lambda s: finish(s, row.id or 0, NotificationStatus.PENDING, now,
                                            error=str(exc)))
            logger.error("Telegram refused the bot's token (%s); sending stopped", exc)
            return "halted"
        # NetworkError (5xx, timeouts, no connection) and anything odd: try again later.
        attempts = row.attempts + 1
        pause = (self.limits.backoff_after(attempts) if attempts < self.limits.max_attempts
                 else self.limits.retry_later.total_seconds())
        self._chats.hold(row.chat_id, pause)  # the chat's later rows wait behind this one
        error = f"{type(exc).__name__}: {exc}"
        await self._db(lambda s: release(s, row.id or 0, now, error=error, parts_sent=part,
                                          retry_at=now + timedelta(seconds=pause)))
        logger.warning("notification %s: %s; trying again in %g s", row.id, error, pause)
        return "retried"

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
                      attempts: int | None = None, parts_sent: int | None = None) -> None:
        now = self.clock.now()
        await self._db(lambda s: finish(s, row.id or 0, status, now, error=error,
                                        message_id=message_id, attempts=attempts,
                                        parts_sent=parts_sent))

    # -- housekeeping: abandoned rows, claims in flight, broadcasts ---------------------------

    async def _housekeep_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self._housekeep()
            except Exception:  # a database hiccup: the next round tries again
                logger.exception("outbox housekeeping failed")

    async def _housekeep(self) -> int:
        """Give up on rows a dead sender left, renew this sender's claims, finish broadcasts
        and edit their progress messages; returns the reports written."""
        now = self.clock.now()
        inflight = list(self._inflight)

        def work(session: Session) -> tuple[int, int, list[ProgressEdit]]:
            unknown = recover_abandoned(session, now, self.limits.abandoned_after)
            renew_claims(session, inflight, now)
            settled = settle_broadcasts(session, now)
            edits = progress_edits(session, now, self.limits.progress_every)
            return unknown, len(settled), settled + edits

        unknown, settled, edits = await self._db(work)
        if unknown:
            self._totals["unknown"] += unknown
            logger.warning("%d notification(s) left by a stopped sender are now unknown",
                           unknown)
        for edit in edits:
            task = asyncio.create_task(self._edit(edit))
            self._edits.add(task)
            task.add_done_callback(self._edits.discard)
        if settled:
            self.wake()
        return settled

    async def _edit(self, edit: ProgressEdit) -> None:
        """A broadcast's progress message, edited under the same limits as the sends:
        Telegram counts edits too, in the chat and overall."""
        while True:
            await self._chat_turn(edit.chat_id)
            reservation = await self._window.acquire()
            # Two edits of one message (a periodic one and the final one) may have waited
            # for the same turn: the second takes the next one.
            if self._chats.ready_at(edit.chat_id) <= self._chats.clock():
                break
            reservation.cancel()
        self._chats.sent(edit.chat_id)
        reservation.start()
        try:
            await self.bot.edit_message_text(
                edit.text, chat_id=edit.chat_id, message_id=edit.message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True))
        except RetryAfter as exc:
            self._window.pause(_retry_seconds(exc))
        except TelegramError as exc:  # a progress message is not worth a retry
            logger.warning("could not edit a broadcast's progress message: %s", exc)

    # -- plumbing -----------------------------------------------------------------------------

    def _primitives(self) -> None:
        if self._woken is None:
            self._woken = asyncio.Event()
            self._stopped = asyncio.Event()
            self._slots = asyncio.Semaphore(self.limits.concurrency())
            self._idle = asyncio.Condition()

    async def _idle_reached(self, asked: int) -> None:
        """Tell drain() callers waiting on a running sender that it has caught up."""
        if self._idle is None or asked <= self._idle_seen:
            return
        self._idle_seen = asked
        async with self._idle:
            self._idle.notify_all()

    async def _until_idle(self) -> None:
        self._primitives()
        assert self._idle is not None
        self._idle_asked += 1
        ticket = self._idle_asked
        self.wake()
        async with self._idle:
            await self._idle.wait_for(lambda: self._idle_seen >= ticket or not self.running)

    def _report(self, counts: Counter[str]) -> SendReport:
        return SendReport(
            sent=counts["sent"], skipped=counts["skipped"], failed=counts["failed"],
            blocked=counts["blocked"], unknown=counts["unknown"], retried=counts["retried"],
            halted=self._halted, by_status=dict(counts))


def _retry_seconds(exc: RetryAfter) -> float:
    """retry_after is an int today and a timedelta in PTB's next major version."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        delay = exc.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


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

