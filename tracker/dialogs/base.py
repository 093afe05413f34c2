"""The shape of a guided dialog, independent of any chat platform.

A dialog engine receives the person's input (text, a pressed choice, a file) for the step the
dialog is at, validates it, stores the answer in `Dialog.data`, and returns the next Prompt: a
template to render, its parameters and the choices to offer. The bot only renders prompts and
turns chat events into inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from tracker import texts
from tracker.models import Dialog, Person


@dataclass(frozen=True)
class Choice:
    key: str  # short and stable: it travels in the button's callback data
    label: str  # rendered text on the button


@dataclass
class Prompt:
    template: str  # under templates/messages/
    params: dict[str, Any] = field(default_factory=dict)
    choices: list[list[Choice]] = field(default_factory=list)
    finished: bool = False  # the dialog ended with this message


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class ChoiceInput:
    key: str


@dataclass(frozen=True)
class FileInput:
    file_id: str
    file_name: str
    size: int | None
    kind: str  # "document" | "photo"
    caption: str | None = None  # what the person wrote with the file


Input = TextInput | ChoiceInput | FileInput


@dataclass
class Context:
    """What an engine may use besides the database session."""

    person: Person
    now: datetime
    settings: Any  # tracker.calendar.CalendarSettings and friends, via the bot's settings


class Engine(Protocol):
    kind: str

    def prompt(self, session: Session, dialog: Dialog, ctx: Context) -> Prompt:
        """The current question again (after a restart, a /yardim, a stale button)."""

    def handle(self, session: Session, dialog: Dialog, ctx: Context, value: Input) -> Prompt:
        """Apply one answer; return what to show next."""


def button(macro: str, **params: Any) -> str:
    """A button label from templates/texts/buttons.j2."""
    return texts.say("texts/buttons.j2", macro, **params)
