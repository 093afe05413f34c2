"""Managing an event from /etkinlikler: changing its time or place ("event_change"),
cancelling it ("event_cancel"), and an agency person's rejection with its reason
("event_reject"). Each is a short dialog on one event (subject "event:<id>"); the rules and
the notices live in tracker.events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    Context,
    DialogData,
    Goto,
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
from tracker.dialogs.event import MAX_PLACE, MAX_URL, URL
from tracker.errors import DomainError, NotFound
from tracker.events.changes import Change, cancel_event, change_event, changeable
from tracker.events.dates import EventDateError, parse_event_time
from tracker.events.publish import get_event, pending_decision, reject, told_chats, told_count
from tracker.events.view import view_of
from tracker.turkish import clean

T = "messages/event.j2"
MAX_REASON = 500
MIN_TEXT = 3


def event_id_of(argument: str | None) -> int:
    """The event a command names ("12", "#12"); a refusal for anything else."""
    word = (argument or "").strip().removeprefix("#")
    if not word.isdigit() or len(word) > 12:
        raise NotFound("event_not_found")
    return int(word)


class ChangeDraft(DialogData):
    event_id: int
    revision: int  # the event's revision when asked: a change made meanwhile is not lost
    starts_at: datetime | None = None
    place: str | None = None
    online_url: str | None = None


class EventChangeDialog(StepEngine):
    kind = "event_change"
    template = T

    def __init__(self) -> None:
        self.steps = {
            "change_field": Step(ChangeDraft, self.ask, self.read_field),
            "change_when": Step(ChangeDraft, self.ask, self.read_when, lambda _: "change_confirm"),
            "change_place": Step(ChangeDraft, self.ask, self.read_place,
                                 lambda _: "change_confirm"),
            "change_confirm": Step(ChangeDraft, self.ask_confirm, self.read_confirm),
        }

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        event = changeable(session, event_id_of(argument), ctx.person, ctx.now)
        assert event.id is not None
        draft = ChangeDraft(event_id=event.id, revision=event.revision)
        return self.open(session, ctx, f"event:{event.id}", "change_field", draft)

    def _shown(self, here: Here[ChangeDraft]) -> dict[str, Any]:
        event = get_event(here.session, here.data.event_id)
        return {"event": view_of(here.session, event), "draft": here.data}

    def ask(self, here: Here[ChangeDraft]) -> Question:
        choices = []
        if here.dialog.step == "change_field":
            choices = [[Choice("when", button("event_field", field="when")),
                        Choice("place", button("event_field", field="place"))]]
        return Question(self._shown(here), choices)

    def read_field(self, here: Here[ChangeDraft], value: Input) -> Reading[ChangeDraft]:
        key = pressed(value)
        if key not in ("when", "place"):
            return refuse("use_buttons")
        return Goto(f"change_{key}", here.data)

    def read_when(self, here: Here[ChangeDraft], value: Input) -> Reading[ChangeDraft]:
        text = typed(value)
        if text is None:
            return refuse("type_event_date")
        try:
            moment = parse_event_time(text, here.ctx.now)
        except EventDateError as error:
            return refusal_of(error)
        return here.data.model_copy(update={"starts_at": moment})

    def read_place(self, here: Here[ChangeDraft], value: Input) -> Reading[ChangeDraft]:
        text = typed(value)
        if text is None:
            return refuse("type_text")
        text = clean(text)
        if len(text) < MIN_TEXT:
            return refuse("text_too_short")
        is_link = bool(URL.match(text))
        limit = MAX_URL if is_link else MAX_PLACE
        if len(text) > limit:
            return refuse("text_too_long", length=len(text), limit=limit)
        return here.data.model_copy(update={"online_url": text if is_link else None,
                                            "place": None if is_link else text})

    def ask_confirm(self, here: Here[ChangeDraft]) -> Question:
        choices = [[Choice("save", button("save_change"))],
                   [Choice("more", button("change_more")), Choice("drop", button("drop_event"))]]
        return Question({**self._shown(here), **to_be_told(here.session, here.data.event_id)},
                        choices)

    def read_confirm(self, here: Here[ChangeDraft], value: Input) -> Reading[ChangeDraft]:
        key, draft = pressed(value), here.data
        if key == "more":
            return Goto("change_field", draft)
        if key == "drop":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("change_dropped"))
        if key != "save":
            return refuse("use_buttons")
        change = Change(starts_at=draft.starts_at, place=draft.place,
                        online_url=draft.online_url)
        try:
            event, told = change_event(here.session, draft.event_id, here.ctx.person, change,
                                       here.ctx.now, revision=draft.revision)
        except DomainError as error:
            return refusal_of(error)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("change_saved", event=view_of(here.session, event),
                                   told=told.people, chats=told.chats))


def to_be_told(session: Session, event_id: int) -> dict[str, int]:
    """Whom a change or a cancellation would be told, as its preview counts them: the people
    and linked chats the notice reached (tracker.events.changes tells the same)."""
    return {"told": told_count(session, event_id),
            "chats": len(told_chats(session, event_id))}


class EventOnly(DialogData):
    event_id: int


class EventCancelDialog(StepEngine):
    kind = "event_cancel"
    template = T

    def __init__(self) -> None:
        self.steps = {"cancel_confirm": Step(EventOnly, self.ask, self.read)}

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        event = changeable(session, event_id_of(argument), ctx.person, ctx.now)
        assert event.id is not None
        return self.open(session, ctx, f"event:{event.id}", "cancel_confirm",
                         EventOnly(event_id=event.id))

    def ask(self, here: Here[EventOnly]) -> Question:
        event = get_event(here.session, here.data.event_id)
        choices = [[Choice("yes", button("cancel_event_yes"))],
                   [Choice("no", button("cancel_event_no"))]]
        return Question({"event": view_of(here.session, event),
                         **to_be_told(here.session, here.data.event_id)}, choices)

    def read(self, here: Here[EventOnly], value: Input) -> Reading[EventOnly]:
        key = pressed(value)
        if key == "no":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("change_dropped"))
        if key != "yes":
            return refuse("use_buttons")
        try:
            event, told = cancel_event(here.session, here.data.event_id, here.ctx.person,
                                       here.ctx.now)
        except DomainError as error:
            return refusal_of(error)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("cancel_saved", event=view_of(here.session, event),
                                   told=told.people, chats=told.chats))


class EventRejectDialog(StepEngine):
    kind = "event_reject"
    template = T

    def __init__(self) -> None:
        self.steps = {"reject_reason": Step(EventOnly, self.ask, self.read)}

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        event = pending_decision(session, event_id_of(argument), ctx.person, ctx.now)
        assert event.id is not None
        return self.open(session, ctx, f"event:{event.id}", "reject_reason",
                         EventOnly(event_id=event.id))

    def ask(self, here: Here[EventOnly]) -> Question:
        event = get_event(here.session, here.data.event_id)
        return Question({"event": view_of(here.session, event)},
                        [[Choice("no", button("keep_pending"))]])

    def read(self, here: Here[EventOnly], value: Input) -> Reading[EventOnly]:
        if pressed(value) == "no":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("change_dropped"))
        text = typed(value)
        if text is None:
            return refuse("type_reason")
        text = text.strip()
        if len(text) < MIN_TEXT:
            return refuse("text_too_short")
        if len(text) > MAX_REASON:
            return refuse("text_too_long", length=len(text), limit=MAX_REASON)
        try:
            event = reject(here.session, here.data.event_id, here.ctx.person, text, here.ctx.now)
        except DomainError as error:
            return refusal_of(error)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("reject_saved", event=view_of(here.session, event),
                                   reason=text))
