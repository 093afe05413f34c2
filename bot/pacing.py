"""Pacing sends the way Telegram counts them: the sender's limits and its one limiter.

Telegram counts the messages that reach it in any one second (30, or 1,000 with paid
broadcasts), about one a second in one chat and 20 a minute in one group; a 429 stops the
whole bot for `retry_after` seconds. bot/sender.py keeps several sends in flight under the
`SlidingWindow` below and spaces each chat's messages with `ChatPacing`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

FREE_RATE = 30  # messages a second Telegram allows a bot without paid broadcasts
PAID_RATE = 1000  # with allow_paid_broadcast (a fee in Stars per message)


@dataclass(frozen=True)
class SendLimits:
    rate: int = FREE_RATE  # sends started in any one second, all chats together
    # Telegram counts a request when it arrives, we when it leaves: the way between varies by
    # a few milliseconds, so our window is a little longer than Telegram's second.
    window_guard: float = 0.01
    paid_broadcast: bool = False  # send with allow_paid_broadcast (lets `rate` go past 30)
    private_interval: float = 1.0  # one chat: a message a second
    # A group: 20 a minute, i.e. one every 3 s, and a little more so that the jitter of a
    # network cannot bring a 21st into Telegram's minute.
    group_interval: float = 3.1
    # Sends in flight at once; 0: enough to keep `rate` with a 250 ms round trip.
    in_flight: int = 0
    max_attempts: int = 5
    backoff: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    retry_later: timedelta = timedelta(minutes=10)  # after max_attempts transient failures
    # A row still `sending` this long after its sender last renewed the claim belongs to a
    # sender that died mid-send: it becomes `unknown` (a live sender renews every third of it).
    abandoned_after: timedelta = timedelta(seconds=30)
    poll: float = 1.0  # how often a running bot looks for rows other processes wrote
    progress_every: timedelta = timedelta(seconds=5)  # a broadcast's progress edits

    def concurrency(self) -> int:
        return self.in_flight or max(4, math.ceil(self.rate * 0.25))

    def backoff_after(self, attempts: int) -> float:
        return self.backoff[min(max(attempts - 1, 0), len(self.backoff) - 1)]


class Reservation:
    """A place in the window, taken before the row is claimed; `start()` stamps the instant
    the request really leaves, `cancel()` gives the place back (nothing was claimed)."""

    def __init__(self, window: SlidingWindow):
        self._window = window
        self._open = True

    def start(self) -> None:
        if self._open:
            self._open = False
            self._window._started(self)

    def cancel(self) -> None:
        if self._open:
            self._open = False
            self._window._cancelled(self)


class SlidingWindow:
    """At most `rate` starts in any window of `period` seconds, counted as Telegram counts.

    Hand-written because the libraries at hand count differently: aiolimiter's AsyncLimiter
    is a leaky bucket that, from idle, lets `rate` through at once and then one more every
    1/rate s (AsyncLimiter(30, 1) admitted 59 acquisitions within its first second, which
    Telegram answers with 429); window counters such as pyrate-limiter's stamp the moment a
    place is taken, whereas a sender claims its row in the database between taking a place
    and sending, and Telegram counts the moment the request arrives. So a place is
    *reserved* first (it counts from then on) and *stamped* when the request leaves: with
    every open reservation counted as a start, no window can ever hold more than `rate`
    stamps (tests/unit/test_pacing.py checks this on a fake clock).

    `pause(seconds)` closes the window for everyone (Telegram's 429 is per bot). The clock is
    injectable; `acquire()` is the asyncio face, FIFO among waiters.
    """

    def __init__(self, rate: int, period: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.period = period
        self.clock = clock
        self._starts: deque[float] = deque()
        self._open: set[Reservation] = set()
        self._paused_until = 0.0
        self._changed: asyncio.Condition | None = None
        self._waiting = 0  # acquire() calls asleep on `_changed`
        self._wakers: set[asyncio.Task[None]] = set()  # referenced until done (asyncio's rule)

    # -- the rule ------------------------------------------------------------------------------

    def free_in(self) -> float | None:
        """Seconds until a place is free (0: now); None while only an open reservation can
        free one (when it is cancelled or started)."""
        now = self.clock()
        while self._starts and self._starts[0] <= now - self.period:
            self._starts.popleft()
        pause = max(0.0, self._paused_until - now)
        excess = len(self._starts) + len(self._open) - self.rate + 1
        if excess <= 0:
            return pause
        if excess > len(self._starts):
            return None
        return max(pause, self._starts[excess - 1] + self.period - now)

    def reserve(self) -> Reservation:
        """Take a free place now (free_in() must be 0)."""
        if self.free_in() != 0:
            raise RuntimeError("no free place in the window")
        reservation = Reservation(self)
        self._open.add(reservation)
        return reservation

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)
        self._notify()

    def starts(self) -> list[float]:
        """The stamps still inside the window (for tests and logs)."""
        self.free_in()
        return list(self._starts)

    def _started(self, reservation: Reservation) -> None:
        self._open.discard(reservation)
        self._starts.append(max(self.clock(), self._starts[-1] if self._starts else 0.0))
        self._notify()

    def _cancelled(self, reservation: Reservation) -> None:
        self._open.discard(reservation)
        self._notify()

    # -- asyncio -------------------------------------------------------------------------------

    async def acquire(self) -> Reservation:
        """Wait for a free place and reserve it."""
        changed = self._condition()
        async with changed:
            while True:
                wait = self.free_in()
                if wait == 0:
                    return self.reserve()
                self._waiting += 1
                try:
                    await asyncio.wait_for(changed.wait(), wait)
                except TimeoutError:
                    pass
                finally:
                    self._waiting -= 1

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _notify(self) -> None:
        """Wake the waiters (from synchronous code: they look again when they run)."""
        changed = self._changed
        if changed is None or not self._waiting:
            return  # nobody is waiting (and outside a loop nobody can be)

        async def wake() -> None:
            async with changed:
                changed.notify_all()

        task = asyncio.get_running_loop().create_task(wake())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)


@dataclass
class ChatPacing:
    """When each chat may get its next message: a private chat one a second, a group one
    every `group_interval` (its 20 a minute). A row that must wait for a retry holds its
    chat until then, so the chat's later rows do not overtake it."""

    limits: SendLimits
    clock: Callable[[], float] = time.monotonic
    _ready: dict[int, float] = field(default_factory=dict)

    def ready_at(self, chat_id: int) -> float:
        return self._ready.get(chat_id, 0.0)

    def sent(self, chat_id: int) -> None:
        interval = self.limits.group_interval if chat_id < 0 else self.limits.private_interval
        self._ready[chat_id] = max(self.ready_at(chat_id), self.clock() + interval)

    def hold(self, chat_id: int, seconds: float) -> None:
        self._ready[chat_id] = max(self.ready_at(chat_id), self.clock() + seconds)

    def busy(self) -> list[int]:
        """The chats that may not get a message now (forgetting those that may)."""
        now = self.clock()
        self._ready = {chat: at for chat, at in self._ready.items() if at > now}
        return list(self._ready)

    def next_ready_in(self) -> float | None:
        """Seconds until the first busy chat may get a message again."""
        busy = self.busy()
        return min(self._ready[chat] for chat in busy) - self.clock() if busy else None
