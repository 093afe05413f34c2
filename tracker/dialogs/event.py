"""/etkinlik: a secretary announces an awareness event, one question at a time.

Steps: "title", "when" (Turkish date and time, tracker.events.dates), "place" (a place or an
online link), "description", "audience" (clusters, several may be ticked, or every member),
"action" (the plan action it serves, E3.1.4 unless another code is typed), "capacity"
(optional), then "preview" (the notice exactly as members will get it: "Gönder", "Düzelt",
"Vazgeç") and "edit" (which answer to change). Every answer is kept in an EventDraft, so a
restart or /iptal resumes at the same question. Lengths are the Event table's.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlmodel import Session, col, select

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
    Refusal,
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
from tracker.events.dates import EventDateError, parse_event_time
from tracker.events.publish import (
    NewEvent,
    approval_needed,
    approvers,
    create_event,
    queued,
)
from tracker.events.view import EventView, cluster_names
from tracker.models import Action, Cluster, Plan
from tracker.numbers import NumberFormatError, parse_tr_figure
from tracker.turkish import clean, fold

DEFAULT_ACTION = "E3.1.4"  # "Kümelenme farkındalık toplantı ve etkinliklerinin ... yapılması"
MAX_TITLE = 200
MAX_PLACE = 300
MAX_URL = 500
MAX_DESCRIPTION = 2000
MIN_TEXT = 3
MAX_CAPACITY = 100_000
URL = re.compile(r"^https?://\S+\.\S+$", re.IGNORECASE)
ORDER = ("title", "when", "place", "description", "audience", "action", "capacity")


class EventDraft(DialogData):
    """The answers so far; None (or False for the *_done flags): not answered yet."""

    title: str | None = None
    starts_at: datetime | None = None
    place: str | None = None
    online_url: str | None = None
    description: str | None = None
    cluster_ids: list[int] = Field(default_factory=list)
    all_members: bool = False
    audience_done: bool = False
    action_id: int | None = None
    action_code: str | None = None
    capacity: int | None = None
    capacity_done: bool = False

    def answered(self, **answers: Any) -> EventDraft:
        return self.model_copy(update=answers)

    def missing(self) -> list[str]:
        done = {
            "title": self.title is not None,
            "when": self.starts_at is not None,
            "place": self.place is not None or self.online_url is not None,
            "description": self.description is not None,
            "audience": self.audience_done,
            "action": self.action_id is not None,
            "capacity": self.capacity_done,
        }
        return [step for step in ORDER if not done[step]]

    def next_step(self) -> str:
        """The first question not answered yet; the preview once all are (so a correction
        made from "Düzelt" leads straight back to it)."""
        missing = self.missing()
        return missing[0] if missing else "preview"

    def new_event(self) -> NewEvent:
        assert self.title and self.starts_at and self.description is not None
        return NewEvent(title=self.title, starts_at=self.starts_at,
                        description=self.description, place=self.place,
                        online_url=self.online_url, cluster_ids=self.cluster_ids,
                        all_members=self.all_members, action_id=self.action_id,
                        capacity=self.capacity)


def _next(draft: EventDraft) -> str:
    return draft.next_step()


class EventDialog(StepEngine):
    kind = "event"
    template = "messages/event.j2"

    def __init__(self) -> None:
        step = {"title": self.read_title, "when": self.read_when, "place": self.read_place,
                "description": self.read_description, "action": self.read_action,
                "capacity": self.read_capacity}
        self.steps = {name: Step(EventDraft, self.ask, read, _next) for name, read in step.items()}
        self.steps["audience"] = Step(EventDraft, self.ask_audience, self.read_audience, _next)
        self.steps["preview"] = Step(EventDraft, self.ask_preview, self.read_preview)
        self.steps["edit"] = Step(EventDraft, self.ask_edit, self.read_edit)

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        # One draft per person: /etkinlik again resumes it where it was.
        return self.open(session, ctx, "new", "title", EventDraft())

    # -- questions -------------------------------------------------------------------------------

    def _shown(self, here: Here[EventDraft]) -> dict[str, Any]:
        return {"draft": here.data.to_json(), "now": here.ctx.now,
                "default_action": DEFAULT_ACTION}

    def ask(self, here: Here[EventDraft]) -> Question:
        name = here.dialog.step
        choices = []
        if name == "action":
            choices.append([Choice("default", button("default_action", code=DEFAULT_ACTION))])
        if name == "capacity":
            choices.append([Choice("skip", button("no_capacity"))])
        return Question(self._shown(here), choices)

    def read_title(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        text = _text(value, MAX_TITLE)
        return text if not isinstance(text, str) else here.data.answered(title=text)

    def read_when(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        text = typed(value)
        if text is None:
            return refuse("type_event_date")
        try:
            moment = parse_event_time(text, here.ctx.now)
        except EventDateError as error:
            return refusal_of(error)
        return here.data.answered(starts_at=moment)

    def read_place(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        text = typed(value)
        if text is None:
            return refuse("type_text")
        if URL.match(text):
            if len(text) > MAX_URL:
                return refuse("text_too_long", length=len(text), limit=MAX_URL)
            return here.data.answered(online_url=text, place=None)
        place = _text(value, MAX_PLACE)
        return place if not isinstance(place, str) else here.data.answered(
            place=place, online_url=None)

    def read_description(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        text = typed(value)
        if text is None:
            return refuse("type_text")
        if len(text) < MIN_TEXT:
            return refuse("text_too_short")
        if len(text) > MAX_DESCRIPTION:
            return refuse("text_too_long", length=len(text), limit=MAX_DESCRIPTION)
        return here.data.answered(description=text)

    def ask_audience(self, here: Here[EventDraft]) -> Question:
        chosen = set(here.data.cluster_ids)
        rows = [[Choice(f"c{c.id}", button("audience_cluster", name=c.name,
                                            ticked=c.id in chosen))]
                for c in _clusters(here.session)]
        rows.append([Choice("all", button("all_members"))])
        if chosen:
            rows.append([Choice("done", button("audience_done", count=len(chosen)))])
        params = {**self._shown(here),
                  "chosen": cluster_names(here.session, sorted(chosen))}
        return Question(params, rows)

    def read_audience(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        key, draft = pressed(value) or "", here.data
        if key == "all":
            return draft.answered(all_members=True, cluster_ids=[], audience_done=True)
        if key == "done" and draft.cluster_ids:
            return draft.answered(all_members=False, audience_done=True)
        cluster = next((c for c in _clusters(here.session) if key == f"c{c.id}"), None)
        if cluster is None or cluster.id is None:
            return refuse("choose_cluster")
        ids = set(draft.cluster_ids) ^ {cluster.id}  # a press ticks or unticks
        return Goto("audience", draft.answered(cluster_ids=sorted(ids), audience_done=False,
                                               all_members=False))

    def read_action(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        code = DEFAULT_ACTION if pressed(value) == "default" else typed(value)
        if not code:
            return refuse("type_action_code", code=DEFAULT_ACTION)
        action = _action(here.session, code)
        if action is None:
            return refuse("unknown_action_code", code=code[:40], default=DEFAULT_ACTION)
        return here.data.answered(action_id=action.id, action_code=action.code)

    def read_capacity(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        if pressed(value) == "skip":
            return here.data.answered(capacity=None, capacity_done=True)
        text = typed(value)
        if text is None:
            return refuse("type_capacity")
        try:
            number = parse_tr_figure(text).value
        except NumberFormatError:
            return refuse("capacity_not_number", value=text)
        if number != number.to_integral_value() or not 1 <= number <= MAX_CAPACITY:
            return refuse("capacity_range", value=text, limit=MAX_CAPACITY)
        return here.data.answered(capacity=int(number), capacity_done=True)

    # -- preview and corrections -----------------------------------------------------------------

    def ask_preview(self, here: Here[EventDraft]) -> Question:
        choices = [[Choice("send", button("send_event")), Choice("edit", button("edit"))],
                   [Choice("drop", button("drop_event"))]]
        return Question(self._preview(here), choices)

    def _preview(self, here: Here[EventDraft]) -> dict[str, Any]:
        return {**self._shown(here), "event": _view(here.session, here.data),
                "approval": approval_needed(here.ctx.settings)}

    def read_preview(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        key = pressed(value)
        if key == "edit":
            return Goto("edit", here.data)
        if key == "drop":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("dropped"))
        if key != "send":
            return refuse("use_buttons")
        if here.data.missing():
            return Goto(here.data.next_step(), here.data)
        draft = here.data
        assert draft.starts_at is not None
        if draft.starts_at <= here.ctx.now:  # the draft waited past its own date
            return Goto("when", draft.answered(starts_at=None), error=refusal_of(
                EventDateError("event_date_past", moment=draft.starts_at,
                               now=here.ctx.now)).reason)
        approval = approval_needed(here.ctx.settings)
        try:
            event = create_event(here.session, draft.new_event(), here.ctx.person,
                                 here.ctx.now, approval=approval)
        except DomainError as error:
            return refusal_of(error)
        params = self._preview(here)
        service.close(here.session, here.dialog)
        assert event.id is not None
        return Turn(None, self.say("sent", **params, event_id=event.id,
                                   queued=queued(here.session, event.id),
                                   approvers=len(approvers(here.session)) if approval else 0))

    def ask_edit(self, here: Here[EventDraft]) -> Question:
        rows = [[Choice(f"e:{name}", button("event_field", field=name))] for name in ORDER]
        rows.append([Choice("back", button("back_to_summary"))])
        return Question(self._preview(here), rows)

    def read_edit(self, here: Here[EventDraft], value: Input) -> Reading[EventDraft]:
        key = pressed(value) or ""
        if key == "back":
            return Goto("preview", here.data)
        field = key.removeprefix("e:")
        if not key.startswith("e:") or field not in ORDER:
            return refuse("use_buttons")
        draft = here.data
        if field == "audience":  # ticking again: the choice is kept until "Tamam"
            draft = draft.answered(audience_done=False)
        return Goto(field, draft)


def _text(value: Input, limit: int) -> str | Refusal:
    """A one-line text answer, or the refusal saying what is wrong with it."""
    text = typed(value)
    if text is None:
        return refuse("type_text")
    text = clean(text)
    if len(text) < MIN_TEXT:
        return refuse("text_too_short")
    if len(text) > limit:
        return refuse("text_too_long", length=len(text), limit=limit)
    return text


def _clusters(session: Session) -> list[Cluster]:
    return list(session.exec(select(Cluster).order_by(col(Cluster.position), col(Cluster.id))))


def _action(session: Session, code: str) -> Action | None:
    """The action with this code, in the newest plan that has it."""
    actions = session.exec(select(Action).join(Plan, col(Plan.id) == Action.plan_id)
                           .order_by(col(Plan.id).desc())).all()
    return next((a for a in actions if fold(a.code) == fold(code)), None)


def _view(session: Session, draft: EventDraft) -> EventView | None:
    if draft.title is None or draft.starts_at is None:
        return None
    return EventView(
        title=draft.title, starts_at=draft.starts_at, place=draft.place,
        online_url=draft.online_url, description=draft.description or "",
        audience=[] if draft.all_members else cluster_names(session, draft.cluster_ids),
        action_code=draft.action_code, capacity=draft.capacity)
