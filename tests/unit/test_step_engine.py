"""The step driver every dialog shares (tracker.dialogs.base.StepEngine), on a toy dialog.

What a read returns decides what is stored and shown; the real dialogs (/durum, /gosterge)
are tested through the bot, this pins the contract new dialogs are written against.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace

import pytest
from pydantic import Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tracker.calendar import CalendarSettings
from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    ChoiceInput,
    Context,
    DialogData,
    Goto,
    Here,
    Input,
    Question,
    Reading,
    Step,
    StepEngine,
    TextInput,
    Turn,
    pressed,
    refuse,
    typed,
)
from tracker.models import Dialog, Organisation, Person, Role
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)


class Words(DialogData):
    words: list[str] = Field(default_factory=list)


class WordsDialog(StepEngine):
    """Two words, then a summary that saves (here: closes) or goes back."""

    kind = "words"
    template = "messages/words.j2"  # never rendered here

    def __init__(self) -> None:
        self.steps = {
            "word": Step(Words, self.ask_word, self.read_word, self.after_word),
            "summary": Step(Words, self.ask_summary, self.read_summary),
        }

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        return self.open(session, ctx, "two", "word", Words())

    def ask_word(self, here: Here[Words]) -> Question:
        return Question({"words": here.data.words}, [[Choice("stop", "Stop")]])

    def read_word(self, here: Here[Words], value: Input) -> Reading[Words]:
        if pressed(value) == "stop":
            return Goto("summary", here.data, error="stopped early")
        text = typed(value)
        if not text:
            return refuse("type_text")
        return here.data.model_copy(update={"words": [*here.data.words, text]})

    def after_word(self, data: Words) -> str:
        return "word" if len(data.words) < 2 else "summary"

    def ask_summary(self, here: Here[Words]) -> Question:
        return Question({"words": here.data.words}, [[Choice("ok", "OK")]])

    def read_summary(self, here: Here[Words], value: Input) -> Reading[Words]:
        if pressed(value) != "ok":
            return refuse("use_buttons")
        service.close(here.session, here.dialog)
        return Turn(None, self.say("saved", words=here.data.words))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def ctx(session: Session) -> Context:
    org = session.exec(select(Organisation).where(Organisation.short == "EBSO")).one()
    who = Person(display_name="Ayşe", organisation_id=org.id, role=Role.REPORTER)
    session.add(who)
    session.flush()
    return Context(person=who, now=NOW, settings=SimpleNamespace(calendar=CalendarSettings()))


def test_the_driver_stores_advances_refuses_jumps_and_ends(session, ctx):
    dialogs = WordsDialog()
    turn = dialogs.start(session, ctx, None)
    dialog = turn.dialog
    assert dialog is not None and turn.prompt.params == {
        "name": "word", "words": [], "error": None, "resumed": False
    }
    key, revision = dialog.data["key"], dialog.revision

    # A refusal stores nothing and keeps the revision: the buttons on screen stay valid.
    turn = dialogs.handle(session, dialog, ctx, TextInput("  "))
    assert turn.dialog is dialog and turn.prompt.params["error"].startswith("Lütfen kısa")
    assert (dialog.step, dialog.revision) == ("word", revision)
    assert dialog.data == {"words": [], "key": key}

    # New data is stored and `next` chooses the step; each move bumps the revision.
    dialogs.handle(session, dialog, ctx, TextInput("bir"))
    assert (dialog.step, dialog.revision) == ("word", revision + 1)
    assert dialog.data == {"words": ["bir"], "key": key}
    turn = dialogs.handle(session, dialog, ctx, TextInput("iki"))
    assert dialog.step == "summary" and turn.prompt.params["words"] == ["bir", "iki"]
    assert [c.key for row in turn.prompt.choices for c in row] == ["ok"]

    # A Turn from a read is what the person sees; the dialog is gone.
    turn = dialogs.handle(session, dialog, ctx, ChoiceInput("ok"))
    assert turn.dialog is None and turn.prompt.params == {"name": "saved", "words": ["bir", "iki"]}
    assert session.exec(select(Dialog)).all() == []


def test_a_goto_jumps_with_its_error_and_a_draft_resumes_where_it_was(session, ctx):
    dialogs = WordsDialog()
    dialog = dialogs.start(session, ctx, None).dialog
    assert dialog is not None
    dialogs.handle(session, dialog, ctx, TextInput("bir"))
    turn = dialogs.handle(session, dialog, ctx, ChoiceInput("stop"))
    assert dialog.step == "summary" and turn.prompt.params["error"] == "stopped early"

    service.suspend_active(session, ctx.person, NOW)
    turn = dialogs.start(session, ctx, None)
    assert turn.dialog is dialog and turn.prompt.params["resumed"] is True
    assert turn.prompt.params["name"] == "summary" and turn.prompt.params["words"] == ["bir"]
