"""How the application processes updates: different people at once, one person in order.

PTB handles one update at a time by default, so each update's database work and its calls to
Telegram add up, and one slow update (a /rapor) holds up everyone. `PersonOrdered` lets
different people's updates run concurrently (at most `workers` at a time) while one person's
run strictly one after another, in the order Telegram gave them: a dialog answer never
overtakes the one before it, a button press never overtakes the message it answers.

PTB starts a task per update in the order they arrive; each first takes its place in its
person's queue (an asyncio.Lock: FIFO, and taken without yielding when free, so the places
follow the arrival order), then a worker slot. Waiting for one's turn holds no slot, so one
person's twenty messages sent at once do not stop the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

WORKERS = 8
# Updates PTB may hand over at once, queued in their people's turns or running (PTB's own bound
# on process_update, which it takes before do_process_update: see above).
HELD = 10_000


@dataclass
class _Turns:
    """One person's queue: the lock is their turn; `held` counts the updates in it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    held: int = 0


class PersonOrdered(BaseUpdateProcessor):
    def __init__(self, workers: int = WORKERS) -> None:
        super().__init__(HELD)
        self.workers = workers
        self._slots: asyncio.Semaphore | None = None
        self._turns: dict[object, _Turns] = {}

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self.workers)  # in the loop that runs the application

    async def shutdown(self) -> None:
        self._turns.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = person_of(update)
        turns = self._turns.setdefault(key, _Turns())
        turns.held += 1
        try:
            async with turns.lock:
                if self._slots is None:
                    self._slots = asyncio.Semaphore(self.workers)
                async with self._slots:
                    await coroutine
        finally:
            turns.held -= 1
            if turns.held == 0:
                del self._turns[key]
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled before its turn: no "never awaited" warning


def person_of(update: object) -> object:
    """Whose turn an update waits for: its sender, else its chat; anything else (an update
    with neither, or not from Telegram) waits for every other such update."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None
