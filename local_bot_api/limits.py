"""Telegram's flood limits, in one place (off unless a test or benchmark asks for them).

Telegram states its limits loosely (Bots FAQ, "My bot is hitting limits, how do I avoid
this?"): when notifying many users, no more than about 30 messages a second; in one chat,
avoid more than one message a second (short bursts are tolerated, then 429s come); in a
group, no more than 20 messages a minute; and a send with ``allow_paid_broadcast`` may go
up to 1,000 a second (a fee in Stars per message). The stand-in turns them into exact
rules, so that a sender that never draws a 429 here keeps to Telegram's published limits:

- **overall**: at most ``per_second`` sends without ``allow_paid_broadcast`` in any
  one-second window (a sliding window over the instants the calls arrive), and at most
  ``paid_per_second`` sends of any kind;
- **one chat**: a token bucket of ``chat_burst`` sends refilled at ``chat_per_second``
  (three at once, then one a second);
- **one group** (a negative chat id): in addition, at most ``group_per_minute`` sends in any
  60-second window.

What counts: every call that puts a message into a chat (sendMessage, sendPhoto,
sendDocument and the other send* methods, copyMessage(s), forwardMessage(s)) and every edit
of a message (editMessageText, -Caption, -Media, -ReplyMarkup): Telegram answers 429 to a
bot that edits too fast as well, so a sender's progress edits must be paced like its
messages. Not counted: getUpdates, answerCallbackQuery, sendChatAction, getters and
settings. A call that is refused (429 or any other error) is not a message and leaves the
counts as they were.

``retry_after`` is whole seconds, at least 1, until the call would have been accepted, as
Telegram's integer ``parameters.retry_after``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

_SENDS = frozenset(
    name.lower()
    for name in (
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue", "sendContact",
        "sendPoll", "sendDice", "sendInvoice", "sendMediaGroup", "sendPaidMedia", "copyMessage",
        "copyMessages", "forwardMessage", "forwardMessages",
    )
)
_EDITS = frozenset(
    name.lower()
    for name in ("editMessageText", "editMessageCaption", "editMessageMedia",
                 "editMessageReplyMarkup")
)
COUNTED_METHODS = _SENDS | _EDITS


@dataclass(frozen=True)
class TelegramLimits:
    """The published limits (defaults) or any other figures a test wants."""

    per_second: int = 30
    paid_per_second: int = 1000
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20


@dataclass
class _Window:
    """Arrival instants within the last `period` seconds."""

    limit: int
    period: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more would fit (0: it fits now)."""
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        excess = len(self.times) - self.limit + 1
        return 0.0 if excess <= 0 else self.times[excess - 1] + self.period - now


@dataclass
class _Bucket:
    """A chat's token bucket: `burst` sends at once, refilled at `rate` a second."""

    tokens: float
    at: float

    def refill(self, now: float, rate: float, burst: int) -> None:
        self.tokens = min(float(burst), self.tokens + (now - self.at) * rate)
        self.at = now


class Admission:
    """A counted call; `undo()` takes it back when the call is refused after all."""

    def __init__(self, undo: Callable[[], None]):
        self.undo = undo


class FloodControl:
    """Counts the calls that Telegram counts and refuses those over a limit with 429."""

    def __init__(self, limits: TelegramLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._free = _Window(limits.per_second, 1.0)
        self._all = _Window(limits.paid_per_second, 1.0)
        self._groups: dict[int, _Window] = {}
        self._chats: dict[int, _Bucket] = {}
        self.refusals = 0  # 429s answered
        # Each refusal: (arrival, method, chat id, the limits it would have exceeded).
        self.refused: list[tuple[float, str, int | None, tuple[str, ...]]] = []

    def admit(self, method: str, params: dict[str, Any]) -> Admission | None:
        """Count the call, or raise 429 if it would exceed a limit; None if not counted."""
        if method.lower() not in COUNTED_METHODS:
            return None
        now = self.clock()
        paid = params.get("allow_paid_broadcast") in (True, 1, "true", "True", "1")
        chat = _chat_id(params.get("chat_id"))
        windows = [self._all] if paid else [self._all, self._free]
        bucket = None
        if chat is not None:
            bucket = self._chats.setdefault(chat, _Bucket(self.limits.chat_burst, now))
            bucket.refill(now, self.limits.chat_per_second, self.limits.chat_burst)
            if chat < 0:
                windows.append(self._groups.setdefault(
                    chat, _Window(self.limits.group_per_minute, 60.0)))
        waits = {self._name(window, chat): window.wait(now) for window in windows}
        if bucket is not None and bucket.tokens < 1:
            waits["chat"] = (1 - bucket.tokens) / self.limits.chat_per_second
        longest = max(waits.values(), default=0.0)
        if longest > 0:
            self.refusals += 1
            exceeded = tuple(name for name, wait in waits.items() if wait > 0)
            self.refused.append((now, method, chat, exceeded))
            seconds = max(1, math.ceil(longest))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        for window in windows:
            window.times.append(now)
        if bucket is not None:
            bucket.tokens -= 1
        return Admission(lambda: self._undo(now, windows, bucket))

    def _name(self, window: _Window, chat: int | None) -> str:
        if window is self._free:
            return "overall"
        return "paid" if window is self._all else "group"

    def _undo(self, at: float, windows: list[_Window], bucket: _Bucket | None) -> None:
        for window in windows:
            if at in window.times:
                window.times.remove(at)
        if bucket is not None:
            bucket.tokens = min(float(self.limits.chat_burst), bucket.tokens + 1)


def _chat_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None  # an @channel username or an inline message: only the overall limits
