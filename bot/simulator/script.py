"""Playing a scripted conversation and printing its transcript.

One input per line, in the interactive syntax (see bot.simulator.syntax); blank lines and
"#" comment lines are skipped. The transcript has no ANSI codes and is deterministic: after
each input the player waits until the bot has settled. A line that cannot be carried out (a
button that is not there, an unknown persona...) stops the play with that line named.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.simulator.console import Console, perform
from bot.simulator.errors import SimulatorError
from bot.simulator.logfile import log_path, logging_to_file
from bot.simulator.personas import PERSONAS, find_persona
from bot.simulator.render import say
from bot.simulator.setup import prepare
from bot.simulator.syntax import Become, Command, Refresh, is_comment, parse
from kume.config import Config
from tracker.errors import DomainError
from tracker.texts import describe


def read_script(path: Path) -> list[tuple[int, Command]]:
    """The script's commands with their line numbers; syntax errors name the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise SimulatorError("script_missing", path=str(path)) from exc
    commands: list[tuple[int, Command]] = []
    for number, line in enumerate(lines, start=1):
        if is_comment(line):
            continue
        try:
            command = parse(line)
        except DomainError as error:
            raise SimulatorError(
                "script_line", path=str(path), line=number, reason=describe(error)
            ) from error
        if not isinstance(command, Refresh):
            commands.append((number, command))
    return commands


def run_script(
    config: Config,
    script: Path,
    *,
    persona: str | None = None,
    date: datetime | None = None,
    out: TextIO | None = None,
) -> int:
    """Play `script` against the configured database; returns the exit status (0)."""
    commands = read_script(script)
    first = find_persona(persona) if persona else None
    if first is None and not (commands and isinstance(commands[0][1], Become)):
        first = PERSONAS[0]
    prepared = prepare(config, date)
    console = Console(out or sys.stdout)
    console.line(say("banner", now=prepared.clock.now(), reason=prepared.reason, url=prepared.url))
    console.line()

    async def play() -> None:
        async with prepared.simulation() as sim:
            if first is not None:
                await perform(sim, Become(first.key), console)
            for number, command in commands:
                try:
                    if not await perform(sim, command, console):
                        return
                except DomainError as error:
                    raise SimulatorError(
                        "script_line", path=str(script), line=number, reason=describe(error)
                    ) from error

    try:
        with logging_to_file(log_path(config.database.url)) as errors:
            console.errors = errors
            asyncio.run(play())
    finally:
        prepared.engine.dispose()
    return 0
