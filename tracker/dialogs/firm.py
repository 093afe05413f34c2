"""After a member accepts the information notice: their firm's name, optional ("Atla")."""

from __future__ import annotations

from sqlmodel import Session

from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    Context,
    DialogData,
    Here,
    Input,
    Question,
    Reading,
    Step,
    StepEngine,
    Turn,
    button,
    pressed,
    refusal_of,
    refuse,
    typed,
)
from tracker.errors import DomainError
from tracker.members import set_firm


class Firm(DialogData):
    """Nothing to keep between questions: the one answer goes straight to Person.firm."""


class FirmDialog(StepEngine):
    kind = "firm"
    template = "messages/firm.j2"

    def __init__(self) -> None:
        self.steps = {"firm": Step(Firm, self.ask_firm, self.read_firm)}

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        return self.open(session, ctx, "firm", "firm", Firm())

    def ask_firm(self, here: Here[Firm]) -> Question:
        return Question({"person": here.ctx.person}, [[Choice("skip", button("skip"))]])

    def read_firm(self, here: Here[Firm], value: Input) -> Reading[Firm]:
        if pressed(value) == "skip":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("skipped"))
        text = typed(value)
        if not text:
            return refuse("type_firm")
        try:
            firm = set_firm(here.session, here.ctx.person, text)
        except DomainError as error:
            return refusal_of(error)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("saved", firm=firm))
