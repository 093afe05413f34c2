"""The head count of an event, asked for by the QR message's “Elle sayı gir” button: those who
came without scanning the code, typed as a number (`/yoklama <id> <sayı>` does it in one go).
Who may enter it, and what is a number, is tracker.events.checkin's."""

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
from tracker.events.checkin import event_for_attendance, scanned, set_head_count
from tracker.models import Event

T = "messages/attendance.j2"


class HeadCount(DialogData):
    event_id: int


class HeadCountDialog(StepEngine):
    kind = "head_count"
    template = T

    def __init__(self) -> None:
        self.steps = {"head_count": Step(HeadCount, self.ask, self.read)}

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        event = event_for_attendance(session, ctx.person, argument)
        assert event.id is not None
        return self.open(session, ctx, f"event:{event.id}", "head_count",
                         HeadCount(event_id=event.id))

    def ask(self, here: Here[HeadCount]) -> Question:
        # Shown as it is; whether the count may still be entered is read's to say (with a
        # reason, and “Vazgeç” beside it), so a cancelled event never leaves a question
        # that cannot even be asked.
        event = here.session.get(Event, here.data.event_id)
        assert event is not None  # events are never deleted
        return Question({"event": event, "scanned": scanned(here.session, here.data.event_id)},
                        [[Choice("drop", button("drop_head_count"))]])

    def read(self, here: Here[HeadCount], value: Input) -> Reading[HeadCount]:
        if pressed(value) == "drop":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("head_count_dropped"))
        text = typed(value)
        if text is None:
            return refuse("type_head_count")
        try:
            # Asked again: the event may have been cancelled, or the person's role changed.
            event = event_for_attendance(here.session, here.ctx.person, str(here.data.event_id))
            count = set_head_count(here.session, event, text, here.ctx.now)
        except DomainError as error:
            return refusal_of(error)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("head_count_saved", event=event, count=count,
                                   scanned=scanned(here.session, here.data.event_id)))
