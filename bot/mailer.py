"""The e-mail sender: the mail outbox (tracker.mail.outbox) through SMTP with aiosmtplib.

One connection carries many messages, opened when there is something to send and closed after
a quiet while; messages leave at most `[smtp] rate` a second. Each row is claimed right before
its message leaves; a mail the server took is recorded `sent` in the transaction that claims
the next one (one commit per mail, not two), or at once when there is no next one. A sender
killed at any moment leaves at most the mail on the wire, or the one just taken and not yet
recorded, in doubt: `unknown` later, never sent again. What the server answers:

- 250 after the message: `sent`.
- 4xx (to the envelope or the message): the mail goes back with a growing pause (`backoff`),
  and fails for good after `max_attempts` tries; 421 (the server is closing) is an outage.
- 5xx to the recipient: the address is `bounced` (and its subscriber with it), never retried.
  5xx to the message itself: that mail `failed`. 5xx to the sender or the login: nothing can
  go out, sending stops (a drain reports it; a running bot tries again later).
- The server down, unreachable, or the connection lost before the message: the mail goes
  back untouched and sending pauses (`reconnect`), then resumes: nothing lost, nothing twice.
  Lost while the message itself was on the wire: `unknown` (the server may have taken it).

`drain()` sends what may go now, waiting for retries due within `linger` (`kume mail send`);
`start()` sends continuously in a running bot (`kume run`), next to the Telegram sender.
The password goes to aiosmtplib only, which logs nothing; kume.redaction masks it anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from aiosmtplib.email import flatten_message
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.background import BackgroundSender
from kume.config import Config
from tracker.clock import Clock
from tracker.mail.message import MailIdentity, Outgoing, UnsafeHeader, build_message
from tracker.mail.outbox import (
    MailClaim,
    claim_next,
    finish,
    next_due_in,
    recover_abandoned,
    release,
)
from tracker.models import MailMessage, MailStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailLimits:
    rate: float = 5.0  # messages a second ([smtp] rate)
    backoff: tuple[float, ...] = (10.0, 60.0, 300.0, 900.0, 3600.0)  # after a 4xx
    max_attempts: int = 8  # 4xx answers before a mail fails for good
    reconnect: tuple[float, ...] = (1.0, 5.0, 30.0, 60.0)  # pauses while the server is away
    reconnect_tries: int = 3  # a drain gives up after this many failed connections in a row
    # Longer than a send can take (MAIL, RCPT and DATA each within [smtp] timeout).
    abandoned_after: timedelta = timedelta(minutes=5)
    poll: float = 5.0  # how often a running bot looks for mails other processes wrote
    linger: float = 15.0  # a drain waits for retries due within this many seconds
    idle_close: float = 20.0  # the connection is closed after this long without a mail

    def backoff_after(self, attempts: int) -> float:
        return self.backoff[min(max(attempts - 1, 0), len(self.backoff) - 1)]

    def reconnect_after(self, failures: int) -> float:
        return self.reconnect[min(max(failures - 1, 0), len(self.reconnect) - 1)]


@dataclass(frozen=True)
class MailSettings:
    identity: MailIdentity
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "starttls"  # starttls, ssl or none
    user: str | None = None
    password: SecretStr | None = None
    timeout: float = 30.0
    limits: MailLimits = field(default_factory=MailLimits)

    @classmethod
    def from_config(cls, config: Config) -> MailSettings:
        smtp, web = config.smtp, config.web
        identity = MailIdentity(
            sender=smtp.sender, reply_to=smtp.reply_to, base_url=web.base_url,
            secret=web.secret.get_secret_value() if web.secret else None)
        return cls(identity=identity, host=smtp.host, port=smtp.port, security=smtp.security,
                   user=smtp.user, password=smtp.password, timeout=smtp.timeout,
                   limits=MailLimits(rate=smtp.rate))


@dataclass
class MailReport:
    """What one drain did."""

    sent: int = 0
    bounced: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0  # in doubt: a dead sender's, or lost on the wire
    retried: int = 0  # 4xx answers and lost connections: the mails went back
    halted: str | None = None  # why sending stopped early: unreachable, refused, no_secret
    reason: str | None = None  # the server's own words, for the log and the CLI


class _Lost(Exception):
    """The connection went away; `in_data` if the message itself was on the wire."""

    def __init__(self, reason: str, in_data: bool):
        super().__init__(reason)
        self.in_data = in_data


class _Halt(Exception):
    """Nothing can go out now (the server refuses the sender or the login, no secret)."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code


class MailSender(BackgroundSender):
    task_name = "mail-sender"

    def __init__(self, engine: Engine, clock: Clock, settings: MailSettings):
        super().__init__(engine, threads=1, thread_name="mail")
        self.clock = clock
        self.settings = settings
        self.limits = settings.limits
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_start = 0.0  # monotonic time the last message left
        self._last_used = 0.0
        self._failures = 0  # failed connections in a row
        self._totals: Counter[str] = Counter()
        self._halted: tuple[str, str] | None = None
        self._lock: asyncio.Lock | None = None
        # A mail the server took, recorded `sent` in the same transaction as the next claim
        # (one commit per mail instead of two): (row id, Message-ID, when).
        self._unrecorded: tuple[int, str, datetime] | None = None

    # -- the public face ------------------------------------------------------------------------

    async def drain(self) -> MailReport:
        """Send every mail that may go now (retries due within `linger` included)."""
        before = Counter(self._totals)
        self._halted = None
        async with self._the_lock():
            try:
                await self._dispatch(forever=False)
            finally:
                await self._disconnect()
        return self._report(self._totals - before)

    def _stop_grace(self) -> float:
        """The mail on the wire finishes and is recorded."""
        return self.settings.timeout + 5

    # -- the loop -------------------------------------------------------------------------------

    async def _run(self) -> None:
        async with self._the_lock():
            try:
                await self._dispatch(forever=True)
            except Exception:  # the bot must not lose its mail sender silently
                logger.exception("the mail sender stopped")
                raise
            finally:
                await self._disconnect()

    async def _dispatch(self, *, forever: bool) -> None:
        try:
            await self._send_loop(forever)
        finally:
            await self._record_sent()

    async def _send_loop(self, forever: bool) -> None:
        self._woken = self._woken or asyncio.Event()
        await self._housekeep()  # mails a dead sender left become unknown first
        last_housekeeping = time.monotonic()
        busy = False  # the last claim found a mail: look for the next one straight away
        while not self._stopping:
            if time.monotonic() - last_housekeeping > self.limits.poll:
                await self._housekeep()
                last_housekeeping = time.monotonic()
            try:
                if not busy:
                    await self._record_sent()
                    wait = await self._db(lambda s: _due_in(s, self.clock, self.limits.linger))
                    if wait is None or wait > 0:
                        if not forever and wait is None:
                            return
                        if self._smtp is not None and (
                                time.monotonic() - self._last_used > self.limits.idle_close):
                            await self._disconnect()
                        await self._sleep(min(wait or self.limits.poll, self.limits.poll))
                        continue
                if not await self._connected(forever):
                    busy = False
                    if not forever and self._halted is not None:
                        return  # a drain gives up; a running bot tries again later
                    continue
                busy = await self._one()
            except _Halt as exc:
                busy = False
                self._halted = (exc.code, str(exc))
                logger.error("mail sending stopped: %s", exc)
                await self._disconnect()
                if not forever:
                    return
                await self._sleep(self.limits.reconnect[-1])
            except Exception:
                if not forever:
                    raise
                # The database is away for a moment: a running bot keeps its mail sender.
                busy = False
                logger.exception("the mail sender could not read the mail outbox")
                await self._sleep(self.limits.poll)

    async def _one(self) -> bool:
        """Claim the next mail and send it; False if there was none to claim."""
        now = self.clock.now()
        claim = await self._claim(now)
        if claim.skipped:
            self._totals["skipped"] += 1
        if claim.row is None:
            return claim.skipped or claim.contended
        row = claim.row
        try:
            message = _built(row, claim.name, self.settings.identity, now)
        except _Halt:
            await self._db(lambda s: release(s, row.id or 0, now, count_attempt=False))
            raise
        except (UnsafeHeader, ValueError) as exc:  # this mail alone cannot be built
            error = f"{type(exc).__name__}: {exc}"
            await self._db(lambda s: finish(s, row.id or 0, MailStatus.FAILED, now,
                                            error=error))
            self._totals["failed"] += 1
            logger.error("mail %s cannot be built and is marked failed: %s", row.id, exc)
            return True
        # Paced here, right before the message leaves, not before the claim: a claim's time
        # varies, and the rate is what the server sees. The claimed mail waits at most 1/rate.
        await self._pace()
        try:
            await self._transmit(message, row.address)
        except aiosmtplib.SMTPResponseException as exc:
            await self._refused(row, exc)
        except _Lost as exc:
            await self._lost(row, exc)
        else:
            self._unrecorded = (row.id or 0, str(message["Message-ID"]), self.clock.now())
            self._totals["sent"] += 1
            logger.info("mail %s (%s) sent", row.id, row.kind)
        return True

    async def _transmit(self, message: EmailMessage, address: str) -> None:
        """MAIL, RCPT, DATA on the open connection; a refusal resets the envelope."""
        smtp = self._smtp
        assert smtp is not None
        flat = flatten_message(message)
        in_data = False
        try:
            await smtp.mail(self.settings.identity.sender_address)
            await smtp.rcpt(address)
            in_data = True
            await smtp.data(flat)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing: an outage, not an answer
                raise _Lost(f"{exc.code} {exc.message}", in_data=False) from exc
            with contextlib.suppress(aiosmtplib.SMTPException, ConnectionError):
                await smtp.rset()
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _Lost(f"{type(exc).__name__}: {exc}", in_data) from exc
        finally:
            self._last_used = time.monotonic()

    async def _refused(self, row: MailMessage, exc: aiosmtplib.SMTPResponseException) -> None:
        now = self.clock.now()
        reason = f"{exc.code} {exc.message}"
        row_id = row.id or 0
        if isinstance(exc, aiosmtplib.SMTPSenderRefused) and exc.code >= 500:
            await self._db(lambda s: release(s, row_id, now, error=reason, count_attempt=False))
            raise _Halt("refused", reason)
        if exc.code >= 500 and isinstance(exc, aiosmtplib.SMTPRecipientRefused):
            await self._db(lambda s: finish(s, row_id, MailStatus.BOUNCED, now, error=reason))
            self._totals["bounced"] += 1
            logger.warning("mail %s bounced: %s", row.id, reason)
        elif exc.code >= 500 or row.attempts + 1 >= self.limits.max_attempts:
            await self._db(lambda s: finish(s, row_id, MailStatus.FAILED, now, error=reason))
            self._totals["failed"] += 1
            logger.warning("mail %s failed for good: %s", row.id, reason)
        else:
            pause = self.limits.backoff_after(row.attempts + 1)
            retry_at = now + timedelta(seconds=pause)
            await self._db(lambda s: release(s, row_id, now, error=reason, retry_at=retry_at))
            self._totals["retried"] += 1
            logger.warning("mail %s: %s; trying again in %g s", row.id, reason, pause)

    async def _lost(self, row: MailMessage, exc: _Lost) -> None:
        now = self.clock.now()
        row_id = row.id or 0
        await self._disconnect()
        if exc.in_data:  # the server may have taken it: never sent twice
            await self._db(lambda s: finish(s, row_id, MailStatus.UNKNOWN, now,
                                            error=f"connection lost during the message: {exc}"))
            self._totals["unknown"] += 1
            logger.warning("mail %s is in doubt (connection lost while sending it)", row.id)
        else:
            await self._db(lambda s: release(s, row_id, now, error=str(exc),
                                              count_attempt=False))
            self._totals["retried"] += 1
            logger.warning("mail %s went back: connection lost (%s)", row.id, exc)

    async def _claim(self, now: datetime) -> MailClaim:
        """The next mail, claimed in the transaction that records the last one sent."""
        sent = self._unrecorded

        def work(session: Session) -> MailClaim:
            if sent is not None:
                finish(session, sent[0], MailStatus.SENT, sent[2], message_id=sent[1])
            return claim_next(session, now)

        claim = await self._db(work)
        self._unrecorded = None
        return claim

    async def _record_sent(self) -> None:
        """Record the last mail sent now (before a pause, at the end)."""
        sent = self._unrecorded
        if sent is not None:
            await self._db(lambda s: finish(s, sent[0], MailStatus.SENT, sent[2],
                                            message_id=sent[1]))
            self._unrecorded = None

    # -- the connection ---------------------------------------------------------------------------

    async def _connected(self, forever: bool) -> bool:
        """An open connection, or False (after a pause) when the server cannot be reached."""
        if self._smtp is not None and self._smtp.is_connected:
            return True
        settings = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=settings.host, port=settings.port, timeout=settings.timeout,
            use_tls=settings.security == "ssl",
            start_tls=settings.security == "starttls",
            username=settings.user or None,
            password=settings.password.get_secret_value() if settings.password else None)
        try:
            await smtp.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise _Halt("refused", f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            self._failures += 1
            logger.warning("SMTP server %s:%s unreachable (%s: %s)", settings.host,
                           settings.port, type(exc).__name__, exc)
            if not forever and self._failures >= self.limits.reconnect_tries:
                self._halted = ("unreachable", f"{type(exc).__name__}: {exc}")
                return False
            await self._sleep(self.limits.reconnect_after(self._failures))
            return False
        self._failures = 0
        self._smtp = smtp
        self._last_used = time.monotonic()
        logger.debug("SMTP connection open to %s:%s", settings.host, settings.port)
        return True

    async def _disconnect(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    async def _pace(self) -> None:
        """At most `rate` messages a second: each starts at least 1/rate after the one
        before, and a slow moment is not made up for by a burst afterwards."""
        interval = 1.0 / self.limits.rate
        wait = self._last_start + interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_start = max(self._last_start + interval, time.monotonic())

    # -- plumbing -----------------------------------------------------------------------------

    async def _housekeep(self) -> None:
        now = self.clock.now()
        after = self.limits.abandoned_after
        unknown = await self._db(lambda s: recover_abandoned(s, now, after))
        if unknown:
            self._totals["unknown"] += unknown
            logger.warning("%d mail(s) left by a stopped sender are now unknown", unknown)

    async def _sleep(self, seconds: float) -> None:
        woken = self._woken
        assert woken is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), max(seconds, 0.0))
        woken.clear()

    def _the_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _report(self, counts: Counter[str]) -> MailReport:
        halted, reason = self._halted or (None, None)
        return MailReport(sent=counts["sent"], bounced=counts["bounced"],
                          failed=counts["failed"], skipped=counts["skipped"],
                          unknown=counts["unknown"], retried=counts["retried"],
                          halted=halted, reason=reason)


def _due_in(session: Session, clock: Clock, linger: float) -> float | None:
    """Seconds until the next mail may go (0: now), None if none within `linger`."""
    wait = next_due_in(session, clock.now(), timedelta(seconds=linger))
    return None if wait is None else wait.total_seconds()


def _built(row: MailMessage, name: str, identity: MailIdentity, now: datetime) -> EmailMessage:
    if row.subscriber_id is not None and not identity.secret:
        raise _Halt("no_secret", "[web] secret is not set: no unsubscribe link")
    outgoing = Outgoing(address=row.address, subject_line=row.subject_line, text=row.text,
                        html=row.html, subscriber_id=row.subscriber_id, name=name)
    return build_message(outgoing, identity, now)
