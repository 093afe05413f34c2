"""The interactive simulator: a chat with the real bot in the terminal.

The bot and the local Bot API run in an event loop on a background thread; the main thread
reads the person's lines, so Ctrl+C and end of input (Ctrl+D, a closed pipe) end it cleanly.
When standard input is not a terminal, each input is echoed like in a transcript.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TextIO, TypeVar

from bot.simulator.console import Console, perform
from bot.simulator.logfile import log_path, logging_to_file
from bot.simulator.personas import PERSONAS, find_persona
from bot.simulator.render import say
from bot.simulator.session import Simulation
from bot.simulator.setup import prepare
from bot.simulator.syntax import Become, Quit, parse
from kume.config import Config
from tracker.errors import DomainError
from tracker.texts import describe

T = TypeVar("T")


class LoopThread:
    """An event loop running on a daemon thread; `call` runs a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            raise

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            self.call(self.loop.shutdown_default_executor())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()


def _read(stdin: TextIO | None, prompt: str, interactive: bool) -> str | None:
    """One line, or None at end of input."""
    if stdin is None:
        return None
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            print()
            return None
    line = stdin.readline()
    return line if line else None


def run_interactive(
    config: Config,
    *,
    persona: str | None = None,
    date: datetime | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Chat until :çık, end of input or Ctrl+C; returns the exit status (0)."""
    stdin = sys.stdin if stdin is None else stdin
    out = out or sys.stdout
    first = find_persona(persona) if persona else PERSONAS[0]
    tty = stdin is not None and stdin is sys.stdin and stdin.isatty() and out.isatty()
    if tty:
        with contextlib.suppress(ImportError):
            # deferred: only at a terminal; readline gives input() line editing and history
            import readline  # noqa: F401
    color = tty and not os.environ.get("NO_COLOR")
    console = Console(out, color=color, echo=not tty)
    prepared = prepare(config, date)
    console.line(say("banner", now=prepared.clock.now(), reason=prepared.reason, url=prepared.url))
    console.line(say("hint"))
    console.line()

    async def create() -> Simulation:
        sim = prepared.simulation()
        return await sim.start()

    try:
        with logging_to_file(log_path(config.database.url)) as errors, LoopThread() as runner:
            console.errors = errors
            sim = runner.call(create())
            try:
                _chat(runner, sim, console, stdin, first.key, tty)
            except KeyboardInterrupt:
                console.line()
            finally:
                runner.call(sim.stop())
    finally:
        prepared.engine.dispose()
    console.note("goodbye")
    return 0


def _chat(
    runner: LoopThread, sim: Simulation, console: Console, stdin: TextIO | None, first: str,
    tty: bool,
) -> None:
    pending: list[Any] = [Become(first)]
    line = ""
    while True:
        if pending:
            command = pending.pop(0)
        else:
            prompt = say("prompt", persona=sim.current) + " " if sim.current else "› "
            read = _read(stdin, prompt, tty)
            if read is None:
                return
            line = read
            try:
                command = parse(line)
            except DomainError as error:
                _refused(console, sim, line, error)
                continue
        if isinstance(command, Quit):
            return
        try:
            if not runner.call(perform(sim, command, console)):
                return
        except DomainError as error:
            _refused(console, sim, line, error)


def _refused(console: Console, sim: Simulation, line: str, error: DomainError) -> None:
    """An input the simulator cannot carry out: echoed (when not typed here), then why."""
    if console.echo and sim.current is not None:
        console.note("said", persona=sim.current, text=line.strip())
    console.note("error", text=describe(error))
    console.line()
