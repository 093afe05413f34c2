"""The application's one clock: real time, or real time shifted to a configured start.

Every service that depends on time takes `now` as an argument; only the edges (bot, CLI) ask a
Clock. The bundled plan is 2013-2018, so demonstrations run with a shifted clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None):
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        """From now on the clock reads `instant` and runs forward in real time."""
        if instant.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._offset = instant - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta
