"""The shape of a guided dialog, independent of any chat platform.

An engine drives every dialog of one kind ("status" for /durum, "figures" for /gosterge). The
bot finds it in tracker.dialogs.registry and calls three things (the Engine protocol):
`start` when the command is given, `handle` with each input (typed text, a pressed choice, a
file), `prompt` to ask the current question again. `start` and `handle` return a Turn: the
dialog active afterwards (None when it ended or none was opened) and the Prompt to show,
whose choices become that dialog's buttons.

Most engines are a StepEngine: a table of Steps, name -> Step(data, ask, read, next). The
dialog row stores the step it is at and its answers so far, a typed model (DialogData) kept as
JSON in Dialog.data, so a restart, /iptal or a draft resumes at the same question. To answer an
input the driver (StepEngine.handle) reads the data, calls the step's `read`, and then:

- a Refusal: nothing changes; the same question again, its reason shown first (⚠️);
- new data: stored, the dialog moves to `next(data)` and that question is asked;
- a Goto: stored, the dialog moves to the step the read chose (a jump: "edit", "back");
- a Turn: the read ended or replaced the dialog itself (saved, kept as a draft).

Every move stores through tracker.dialogs.service, which bumps the dialog's revision, so the
buttons of an older question are recognised as stale. tracker/dialogs/README.md shows how to
write a new dialog in one small module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Protocol, Self, TypeAlias, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from sqlmodel import Session

from tracker import texts
from tracker.calendar import CalendarSettings
from tracker.dialogs import service
from tracker.models import Dialog, Person
from tracker.quarters import Quarter

# -- what an engine shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    key: str  # short and stable: it travels in the button's callback data; "/..." runs a command
    label: str  # rendered text on the button


@dataclass
class Prompt:
    template: str  # under templates/
    params: dict[str, Any] = field(default_factory=dict)
    choices: list[list[Choice]] = field(default_factory=list)


@dataclass(frozen=True)
class Turn:
    """The result of starting or answering: the dialog active afterwards (None: it ended, or
    none was opened) and what to show; the prompt's choices are that dialog's buttons."""

    dialog: Dialog | None
    prompt: Prompt


def button(macro: str, **params: Any) -> str:
    """A button label from templates/texts/buttons.j2."""
    return texts.say("texts/buttons.j2", macro, **params)


# -- what a person gives -------------------------------------------------------------------------


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


def pressed(value: Input) -> str | None:
    """The key of the pressed choice; None for anything typed or sent."""
    return value.key if isinstance(value, ChoiceInput) else None


def typed(value: Input) -> str | None:
    """The typed text without surrounding spaces; None for a press or a file."""
    return value.text.strip() if isinstance(value, TextInput) else None


class Settings(Protocol):
    """What engines read from the application's settings (bot.settings.BotSettings)."""

    @property
    def calendar(self) -> CalendarSettings: ...


@dataclass
class Context:
    """What an engine may use besides the database session."""

    person: Person
    now: datetime
    settings: Settings


# -- the protocol the bot calls ------------------------------------------------------------------


class Engine(Protocol):
    @property
    def kind(self) -> str:
        """Dialog.kind of the dialogs this engine drives."""
        ...

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        """The command was given (`argument`: what followed it, if anything)."""
        ...

    def prompt(
        self, session: Session, dialog: Dialog, ctx: Context, error: str | None = None
    ) -> Prompt:
        """The current question again (after a restart, a /yardim), `error` shown first."""
        ...

    def handle(self, session: Session, dialog: Dialog, ctx: Context, value: Input) -> Turn:
        """Apply one input to the question the dialog is at."""
        ...


# -- typed data, stored as JSON in Dialog.data ---------------------------------------------------


class DialogData(BaseModel):
    """A dialog's answers so far. Stored as JSON (to_json) and read back (load); a field's
    name and value form are the stored shape, so drafts written earlier keep resuming."""

    # Dialog.data also holds the dialog's own "key" (see service.source_key): not ours to keep.
    model_config = ConfigDict(extra="ignore")

    @classmethod
    def load(cls, dialog: Dialog) -> Self:
        return cls.model_validate(dialog.data or {})

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _quarter(value: object) -> object:
    return Quarter.parse(value) if isinstance(value, str) else value


def decimal_text(value: Decimal) -> str:
    """A number as JSON-safe text that reads back exactly: "1200000", "12.5"."""
    return format(value.normalize(), "f")


# A quarter stored as "2014Q1"; a number stored as text, never as a float.
QuarterText = Annotated[Quarter, BeforeValidator(_quarter), PlainSerializer(str, return_type=str)]
DecimalText = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str)]

D = TypeVar("D", bound=DialogData)


# -- a step table and its driver -----------------------------------------------------------------


@dataclass(frozen=True)
class Here(Generic[D]):
    """Where a step is asked or answered: the dialog, its data read back, and the context."""

    session: Session
    ctx: Context
    dialog: Dialog
    data: D


@dataclass(frozen=True)
class Question:
    """How a step asks: parameters for the engine's template (its `name` is the step's) and
    the choices offered."""

    params: dict[str, Any] = field(default_factory=dict)
    choices: list[list[Choice]] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    """An input the step does not take; `reason` is shown before the question is asked again."""

    reason: str


def refuse(reason: str, **params: Any) -> Refusal:
    """A refusal worded by templates/texts/dialog_errors.j2's macro `reason`."""
    return Refusal(texts.say("texts/dialog_errors.j2", reason, **params))


def refusal_of(error: texts.CodedError) -> Refusal:
    """A domain error's reason as a refusal (a figure out of range, ...)."""
    return Refusal(texts.describe(error))


@dataclass(frozen=True)
class Goto(Generic[D]):
    """An answer that leads to a step of the read's choosing, with `error` shown above it."""

    step: str
    data: D
    error: str | None = None


# What a step's read returns (see the module's docstring).
Reading: TypeAlias = D | Refusal | Goto[D] | Turn


class Step:
    """One question: the model its data is read into, how it asks, how it reads an input, and
    where a good answer leads (None: every read of this step chooses, by a Goto or a Turn)."""

    # Generic in the constructor only, so that mypy checks that ask, read and next agree on
    # the data model, and one table can still hold steps of different models (a pick).
    def __init__(
        self,
        data: type[D],
        ask: Callable[[Here[D]], Question],
        read: Callable[[Here[D], Input], Reading[D]],
        next: Callable[[D], str] | None = None,
    ) -> None:
        self.data: type[DialogData] = data
        self.ask: Callable[[Here[Any]], Question] = ask
        self.read: Callable[[Here[Any], Input], Reading[Any]] = read
        self.next: Callable[[Any], str] | None = next


class StepEngine(ABC):
    """An Engine driven by a step table. A subclass sets `kind`, `template` (one Jinja file
    under templates/messages/ with a part per step name) and `steps`, and writes `start`."""

    kind: str
    template: str
    steps: Mapping[str, Step]

    @abstractmethod
    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn: ...

    def prompt(
        self, session: Session, dialog: Dialog, ctx: Context, error: str | None = None
    ) -> Prompt:
        step = self._step(dialog)
        question = step.ask(Here(session, ctx, dialog, step.data.load(dialog)))
        params = {"name": dialog.step, **question.params, "error": error}
        return Prompt(self.template, params, question.choices)

    def handle(self, session: Session, dialog: Dialog, ctx: Context, value: Input) -> Turn:
        step = self._step(dialog)
        reading = step.read(Here(session, ctx, dialog, step.data.load(dialog)), value)
        if isinstance(reading, Turn):
            return reading
        if isinstance(reading, Refusal):
            # Nothing is stored, so the revision stays and the buttons on screen stay valid.
            return Turn(dialog, self.prompt(session, dialog, ctx, error=reading.reason))
        if not isinstance(reading, Goto):
            reading = Goto(self._next(step, dialog, reading), reading)
        service.advance(session, dialog, reading.step, reading.data.to_json(), ctx.now)
        return Turn(dialog, self.prompt(session, dialog, ctx, error=reading.error))

    def say(
        self, name: str, /, *, choices: list[list[Choice]] | None = None, **params: Any
    ) -> Prompt:
        """A part of the engine's template that asks nothing: the dialog ended, or none began."""
        return Prompt(self.template, {"name": name, **params}, choices or [])

    def open(
        self, session: Session, ctx: Context, subject: str, step: str, data: DialogData
    ) -> Turn:
        """Make (kind, subject) the person's active dialog at `step` with `data`, or resume its
        draft where it was; the prompt's `resumed` says which."""
        resumed = service.find_dialog(session, ctx.person, self.kind, subject) is not None
        dialog = service.open_dialog(
            session, ctx.person, self.kind, subject, step, data.to_json(), ctx.now
        )
        return self.first_question(session, dialog, ctx, resumed=resumed)

    def first_question(
        self, session: Session, dialog: Dialog, ctx: Context, *, resumed: bool
    ) -> Turn:
        first = self.prompt(session, dialog, ctx)
        first.params["resumed"] = resumed
        return Turn(dialog, first)

    def _step(self, dialog: Dialog) -> Step:
        step = self.steps.get(dialog.step)
        if step is None:
            raise LookupError(f"{self.kind} dialog {dialog.id} is at unknown step {dialog.step!r}")
        return step

    def _next(self, step: Step, dialog: Dialog, data: DialogData) -> str:
        if step.next is None:
            raise TypeError(f"{self.kind} step {dialog.step!r} has no next: its reads must Goto")
        return step.next(data)
