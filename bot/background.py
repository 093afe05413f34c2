"""What the outbox's Telegram sender and the mail sender share: one task beside the bot,
started and stopped with it, woken when rows are queued in this process, and database work in
threads of their own (never the handlers' threads, so a long send never holds up an answer).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.db import session_scope

T = TypeVar("T")


class BackgroundSender(ABC):
    """Subclasses give `_run` (the loop, until `_stopping`) and may hook `_before_start` and
    `_on_stop`; `_woken` is created in the running loop by whoever first needs it (asyncio
    primitives bind to the loop they are first used in)."""

    task_name = "sender"

    def __init__(self, engine: Engine, *, threads: int, thread_name: str) -> None:
        self.engine = engine
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._woken: asyncio.Event | None = None
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=thread_name)

    def start(self) -> None:
        """Send continuously from now on (a running bot)."""
        if not self.running:
            self._stopping = False
            self._before_start()
            self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        """Stop taking rows; what is on the wire finishes and is recorded, within the grace."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._on_stop()
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), self._stop_grace())
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Rows were queued in this process: look now, not at the next poll."""
        if self._woken is not None:
            self._woken.set()

    @abstractmethod
    async def _run(self) -> None: ...

    def _before_start(self) -> None:  # noqa: B027 (an optional hook: nothing by default)
        """Called in the running loop just before the task starts."""

    def _on_stop(self) -> None:  # noqa: B027 (an optional hook: nothing by default)
        """Called when stopping, before the task is woken to see it."""

    @abstractmethod
    def _stop_grace(self) -> float:
        """Seconds that what is on the wire may take to finish when stopping."""

    async def _db(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with session_scope(self.engine) as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(self._executor, run)
