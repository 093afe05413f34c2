"""Carrying out one parsed input against a Simulation and printing what the person sees.

Shared by the interactive terminal and the script player; neither knows about the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from bot.simulator.logfile import ErrorCount
from bot.simulator.personas import find_persona
from bot.simulator.render import MESSAGE_INDENT, say, shown_block
from bot.simulator.session import Shown, Simulation
from bot.simulator.syntax import (
    Become,
    Command,
    Help,
    Press,
    Quit,
    Refresh,
    Say,
    SendFile,
    SetDate,
    parse_when,
)

TRANSCRIPT_WIDTH = 96


@dataclass
class Console:
    out: TextIO
    color: bool = False
    width: int | None = TRANSCRIPT_WIDTH
    echo: bool = True  # print each input as a transcript line (the person did not type it here)
    errors: ErrorCount | None = None  # errors the bot logged (to a file, not to this chat)
    errors_told: int = 0

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, macro: str, **params: object) -> None:
        self.line(say(macro, **params))

    def shown(self, items: list[Shown], *, expect_reply: bool = False) -> None:
        if items:
            width = None if self.color else self.width
            self.line(shown_block(items, color=self.color, width=width))
        elif expect_reply:
            self.line()
            self.line(MESSAGE_INDENT + say("no_reply"))
        self.line()


async def perform(sim: Simulation, command: Command, console: Console) -> bool:
    """Carry out one input; False when the person asked to quit. SimulatorError (and any
    DomainError, e.g. from an invite) propagates for the caller to report."""
    if isinstance(command, Quit):
        return False
    if isinstance(command, Refresh):
        if sim.current is not None:
            console.shown(sim.pending())
    elif isinstance(command, Say):
        sim.user()  # a persona must be chosen before anything is echoed
        if console.echo:
            console.note("said", persona=sim.current, text=command.text)
        console.shown(await sim.say(command.text), expect_reply=True)
    elif isinstance(command, Press):
        button = sim.find_button(command.ref)
        if console.echo:
            number = next(i for i, b in enumerate(sim.buttons(), start=1) if b is button)
            console.note("pressed", persona=sim.current, number=number, label=button["text"])
        _, shown = await sim.press(command.ref)
        console.shown(shown)
    elif isinstance(command, SendFile):
        name, size, shown = await sim.send_file(command.path, command.caption)
        if console.echo:
            console.note(
                "sent_file", persona=sim.current, name=name, size=size, caption=command.caption
            )
        console.shown(shown, expect_reply=True)
    elif isinstance(command, Become):
        if command.ref is None:
            console.line(say("persona_list", personas=sim.personas, current=sim.current))
            console.line()
        else:
            persona = find_persona(command.ref, sim.personas)
            registering = not sim.is_registered(persona)
            console.note("registering" if registering else "switched", persona=persona)
            _, shown = await sim.become(persona)
            console.shown(shown)
    elif isinstance(command, SetDate):
        if command.value is None:
            console.note("date_shown", now=sim.clock.now())
        else:
            shown = await sim.set_date(parse_when(command.value))
            console.note("date_set", now=sim.clock.now())
            console.shown(shown)
        console.line()
    elif isinstance(command, Help):
        console.line(say("help", personas=sim.personas))
        console.line()
    if console.errors is not None and console.errors.count > console.errors_told:
        console.errors_told = console.errors.count
        console.note("logged_error", path=console.errors.path)
        console.line()
    waiting = [
        (p.name, count)
        for p in sim.personas
        if p != sim.current and (count := sim.unseen(p))
    ]
    if waiting:
        console.note("waiting", counts=waiting)
        console.line()
    return True
