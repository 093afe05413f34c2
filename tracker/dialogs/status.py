"""/durum: a quarterly status update on one action, one question at a time.

Steps: "pick" (which action, when the organisation has several; a dialog of its own, closed
once an action is chosen), then for the action "status", "progress" (unless completed or not
started), "narrative", "blockers" (delayed only), "evidence", "confirm" and "edit" (which
answer to correct). The answers so far are a Draft in Dialog.data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from sqlmodel import Session

from tracker import texts
from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    Context,
    DialogData,
    FileInput,
    Goto,
    Here,
    Input,
    QuarterText,
    Question,
    Reading,
    Refusal,
    Step,
    StepEngine,
    Turn,
    button,
    pressed,
    refuse,
    typed,
)
from tracker.events.evidence import events_served
from tracker.locks import locked_for, open_quarter_for
from tracker.models import Action, Person, Status, StatusUpdate
from tracker.numbers import NumberFormatError, is_only_a_figure, parse_tr_figure
from tracker.quarters import Quarter
from tracker.rows import organisation_id_of
from tracker.status_updates import (
    StatusAnswers,
    action_ref,
    active_actions,
    current_updates,
    named_action,
    record_status_update,
    starting_point,
)

PICK = "pick"
STATUS_KEYS = {
    "ns": Status.NOT_STARTED,
    "ip": Status.IN_PROGRESS,
    "co": Status.COMPLETED,
    "de": Status.DELAYED,
    "ca": Status.CANCELLED,
}
PROGRESS_KEYS = {f"p{value}": value for value in (0, 25, 50, 75, 100)}
MAX_TEXT = 2000
MIN_NARRATIVE = 3
MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_LINK = 1000
MAX_FILE_NAME = 300
MAX_NOTE = 1024  # a Telegram caption's limit, and the column's
URL = re.compile(r"^https?://\S+\.\S+$", re.IGNORECASE)
FIELDS = ("status", "progress", "narrative", "blockers", "evidence")  # what "edit" offers
EVENTS = "texts/attendance.j2"


# -- the data ------------------------------------------------------------------------------------


class Evidence(BaseModel):
    """A link or a file (with the caption sent with it); all None: the person has none."""

    link: str | None = None
    file_id: str | None = None
    file_name: str | None = None
    note: str | None = None


EVIDENCE_KEYS = tuple(f"evidence_{name}" for name in Evidence.model_fields)


class Answers(BaseModel):
    """What the person answered so far; None: not answered yet. A question's name is its
    field's. Stored as only the answered keys, evidence flat ("evidence_link", ...): the
    shape drafts have always had."""

    status: Status | None = None
    progress: int | None = None
    narrative: str | None = None  # "" when skipped: the action has not started
    blockers: str | None = None  # delayed actions only
    evidence: Evidence | None = None

    @model_validator(mode="before")
    @classmethod
    def _nest_evidence(cls, stored: Any) -> Any:
        if not isinstance(stored, dict) or "evidence" in stored:
            return stored
        answers = {k: v for k, v in stored.items() if k not in EVIDENCE_KEYS}
        if "evidence_link" in stored:  # present, even as None: the question was answered
            answers["evidence"] = {k.removeprefix("evidence_"): stored[k] for k in EVIDENCE_KEYS
                                   if k in stored}
        return answers

    @model_serializer(mode="wrap")
    def _flatten_evidence(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped = handler(self)
        evidence = dumped.pop("evidence")
        answers = {k: v for k, v in dumped.items() if v is not None}
        if evidence is not None:
            answers.update({f"evidence_{k}": v for k, v in evidence.items()})
        return answers

    def for_record(self) -> StatusAnswers:
        assert self.status is not None and self.progress is not None, "asked before confirm"
        evidence = self.evidence or Evidence()
        return StatusAnswers(
            status=self.status,
            progress=self.progress,
            narrative=self.narrative or "",
            blockers=self.blockers,
            evidence_link=evidence.link,
            evidence_file_id=evidence.file_id,
            evidence_file_name=evidence.file_name,
            evidence_note=evidence.note,
        )


class Snapshot(BaseModel):
    """The answer this one starts from (this quarter's, else the latest before it): offered
    as "keep" and shown as "previous"."""

    quarter: str
    status: Status
    progress: int | None = None
    narrative: str | None = None
    blockers: str | None = None
    evidence_link: str | None = None
    evidence_file_name: str | None = None
    evidence_file_id: str | None = None
    evidence_note: str | None = None

    @classmethod
    def of(cls, update: StatusUpdate | None) -> Snapshot | None:
        return None if update is None else cls.model_validate(update, from_attributes=True)

    def has_evidence(self) -> bool:
        return bool(self.evidence_link or self.evidence_file_id)

    def evidence(self) -> Evidence:
        return Evidence(
            link=self.evidence_link,
            file_id=self.evidence_file_id,
            file_name=self.evidence_file_name,
            note=self.evidence_note,
        )


class Pick(DialogData):
    """Choosing an action: the quarter being reported on."""

    quarter: QuarterText


class Draft(DialogData):
    """One action's update in progress."""

    quarter: QuarterText
    action_id: int
    action_code: str
    previous: Snapshot | None = None
    answers: Answers = Field(default_factory=Answers)
    # Set by "Düzelt": from then on an answer leads to the next unanswered question or the
    # summary, not through the rest of the questions.
    editing: bool = False

    def answered(self, **answers: Any) -> Draft:
        return self.model_copy(update={"answers": self.answers.model_copy(update=answers)})

    def with_status(self, status: Status) -> Draft:
        """A completed action is 100 % done, one not started 0 %; only a delayed one has
        blockers."""
        changes: dict[str, Any] = {"status": status}
        if status == Status.COMPLETED:
            changes["progress"] = 100
        elif status == Status.NOT_STARTED:
            changes["progress"] = 0
        if status != Status.DELAYED:
            changes["blockers"] = None
        return self.answered(**changes)

    def questions(self) -> list[str]:
        """The questions asked for an action in its status, in order."""
        status = self.answers.status
        asked = ["status"]
        if status not in (Status.COMPLETED, Status.NOT_STARTED):
            asked.append("progress")
        asked.append("narrative")
        if status == Status.DELAYED:
            asked.append("blockers")
        return [*asked, "evidence"]

    def next_step(self, after: str) -> str:
        """The next unanswered question after `after`; while correcting, the first unanswered
        one; the summary ("confirm") when all are answered."""
        asked = self.questions()
        missing = [q for q in asked if getattr(self.answers, q) is None]
        later = asked[asked.index(after) + 1 :] if after in asked and not self.editing else []
        return next((q for q in later if q in missing), missing[0] if missing else "confirm")


def _after(step: str) -> Callable[[Draft], str]:
    return lambda draft: draft.next_step(after=step)


# -- the engine ----------------------------------------------------------------------------------


class StatusDialog(StepEngine):
    kind = "status"
    template = "messages/status.j2"

    def __init__(self) -> None:
        self.steps = {
            PICK: Step(Pick, self.ask_pick, self.read_pick),
            "status": Step(Draft, self.ask_status, self.read_status, _after("status")),
            "progress": Step(Draft, self.ask_progress, self.read_progress, _after("progress")),
            "narrative": Step(Draft, self.ask_narrative, self.read_narrative, _after("narrative")),
            "blockers": Step(Draft, self.ask_blockers, self.read_blockers, _after("blockers")),
            "evidence": Step(Draft, self.ask_evidence, self.read_evidence, _after("evidence")),
            "confirm": Step(Draft, self.ask_confirm, self.read_confirm),
            "edit": Step(Draft, self.ask_edit, self.read_edit),
        }

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        """Choose an action, or go straight to the one named (a code as typed or a button's
        reference, see tracker.status_updates.named_action) or the only one."""
        organisation_id = organisation_id_of(ctx.person)
        quarter = open_quarter_for(session, organisation_id, ctx.now, ctx.settings.calendar)
        if quarter is None:
            return Turn(None, self.say("no_open_quarter", current=Quarter.of(ctx.now)))
        actions = active_actions(session, organisation_id, quarter)
        if not actions:
            return Turn(None, self.say("nothing_to_report", quarter=quarter))
        if argument:
            chosen = named_action(session, actions, argument, quarter)
            return self._open_action(session, ctx, chosen, quarter)
        if len(actions) == 1:
            return self._open_action(session, ctx, actions[0], quarter)
        return self.open(session, ctx, f"pick@{quarter}", PICK, Pick(quarter=quarter))

    def _open_action(
        self, session: Session, ctx: Context, action: Action, quarter: Quarter
    ) -> Turn:
        assert action.id is not None
        previous = starting_point(session, action.id, organisation_id_of(ctx.person), quarter)
        draft = Draft(
            quarter=quarter,
            action_id=action.id,
            action_code=action.code,
            previous=Snapshot.of(previous),
        )
        return self.open(session, ctx, f"{action.code}@{quarter}", "status", draft)

    # -- pick ------------------------------------------------------------------------------------

    def ask_pick(self, here: Here[Pick]) -> Question:
        session, person, quarter = here.session, here.ctx.person, here.data.quarter
        actions = active_actions(session, organisation_id_of(person), quarter)
        answered = current_updates(session, organisation_id_of(person), quarter)
        drafts = service.subjects(session, person, self.kind)

        def mark(action: Action) -> str:
            if action.id in answered:
                return "answered"
            return "draft" if f"{action.code}@{quarter}" in drafts else "open"

        rows = [
            [Choice(f"a{a.id}", button("action", code=a.code, title=a.title, mark=mark(a)))]
            for a in actions
        ]
        done = sum(1 for a in actions if a.id in answered)
        return Question({"quarter": quarter, "count": len(actions), "answered": done}, rows)

    def read_pick(self, here: Here[Pick], value: Input) -> Reading[Pick]:
        quarter = here.data.quarter
        actions = active_actions(here.session, organisation_id_of(here.ctx.person), quarter)
        chosen = next((a for a in actions if pressed(value) == f"a{a.id}"), None)
        if chosen is None:
            return refuse("choose_action")
        service.close(here.session, here.dialog)
        return self._open_action(here.session, here.ctx, chosen, quarter)

    # -- the questions ---------------------------------------------------------------------------

    def _question(self, here: Here[Draft], choices: list[list[Choice]]) -> Question:
        return Question(_shown(here), choices)

    def ask_status(self, here: Here[Draft]) -> Question:
        def choice(key: str) -> Choice:
            return Choice(key, button("status", status=str(STATUS_KEYS[key])))

        rows = [["ns", "ip"], ["co", "de"], ["ca"]]
        return self._question(here, [[choice(key) for key in row] for row in rows])

    def read_status(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        status = STATUS_KEYS.get(pressed(value) or "")
        if status is None:
            return refuse("choose_status")
        return here.data.with_status(status)

    def ask_progress(self, here: Here[Draft]) -> Question:
        choices = [[Choice(key, f"%{value}") for key, value in PROGRESS_KEYS.items()]]
        previous = here.data.previous
        if previous is not None and previous.progress is not None:
            choices.append([Choice("keep", button("keep_progress", value=previous.progress))])
        return self._question(here, choices)

    def read_progress(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        key, text, previous = pressed(value), typed(value), here.data.previous
        if key == "keep" and previous is not None and previous.progress is not None:
            return here.data.answered(progress=previous.progress)
        if key in PROGRESS_KEYS:
            return here.data.answered(progress=PROGRESS_KEYS[key])
        if text is None:
            return refuse("type_progress")
        try:
            number = parse_tr_figure(text).value
        except NumberFormatError:
            return refuse("progress_not_number", value=text)
        if number != number.to_integral_value() or not 0 <= number <= 100:
            return refuse("progress_range", value=text)
        return here.data.answered(progress=int(number))

    def ask_narrative(self, here: Here[Draft]) -> Question:
        choices = []
        if here.data.previous is not None and here.data.previous.narrative:
            choices.append([Choice("keep", button("keep_text"))])
        if here.data.answers.status == Status.NOT_STARTED:
            choices.append([Choice("skip", button("skip"))])
        return self._question(here, choices)

    def read_narrative(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        if pressed(value) == "skip" and here.data.answers.status == Status.NOT_STARTED:
            return here.data.answered(narrative="")
        kept = here.data.previous.narrative if here.data.previous else None
        return _read_text(here.data, value, "narrative", kept)

    def ask_blockers(self, here: Here[Draft]) -> Question:
        previous = here.data.previous
        keep = previous is not None and bool(previous.blockers)
        return self._question(here, [[Choice("keep", button("keep_text"))]] if keep else [])

    def read_blockers(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        kept = here.data.previous.blockers if here.data.previous else None
        return _read_text(here.data, value, "blockers", kept)

    def ask_evidence(self, here: Here[Draft]) -> Question:
        choices = []
        # The action's events of the quarter (tracker.events), attached with one tap.
        served = events_served(here.session, here.data.action_id, here.data.quarter)
        if served is not None:
            choices.append([Choice("events", texts.say(EVENTS, "attach_events"))])
        if here.data.previous is not None and here.data.previous.has_evidence():
            choices.append([Choice("keep", button("keep_evidence"))])
        choices.append([Choice("skip", button("no_evidence"))])
        return Question({**_shown(here), "events": served.note() if served else None}, choices)

    def read_evidence(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        draft, key = here.data, pressed(value)
        if key == "skip":
            return draft.answered(evidence=Evidence())
        if key == "events":
            served = events_served(here.session, draft.action_id, draft.quarter)
            if served is None:
                return refuse("use_buttons")
            return draft.answered(evidence=Evidence(note=served.note()))
        if key == "keep":
            kept = draft.previous.evidence() if draft.previous else Evidence()
            return draft.answered(evidence=kept)
        if isinstance(value, FileInput):
            return _file_evidence(draft, value)
        text = typed(value)
        if text is None:
            return refuse("evidence_expected")
        if not URL.match(text) or len(text) > MAX_LINK:
            return refuse("evidence_not_link")
        return draft.answered(evidence=Evidence(link=text))

    def ask_confirm(self, here: Here[Draft]) -> Question:
        choices = [
            [Choice("ok", button("confirm")), Choice("edit", button("edit"))],
            [Choice("later", button("save_draft"))],
        ]
        return self._question(here, choices)

    def read_confirm(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        key = pressed(value)
        if key == "ok":
            return self._save(here)
        if key == "edit":
            return Goto("edit", here.data)
        if key == "later":
            service.suspend_active(here.session, here.ctx.person, here.ctx.now)
            return Turn(None, self.say("kept_as_draft", **_shown(here)))
        return refuse("use_buttons")

    def ask_edit(self, here: Here[Draft]) -> Question:
        status = here.data.answers.status
        fields = [f for f in FIELDS if f != "blockers" or status == Status.DELAYED]
        choices = [[Choice(f"e:{f}", button("field", field=f, status=status))] for f in fields]
        choices.append([Choice("back", button("back_to_summary"))])
        return self._question(here, choices)

    def read_edit(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        key = pressed(value) or ""
        if key == "back":
            return Goto("confirm", here.data)
        field = key.removeprefix("e:")
        if not key.startswith("e:") or field not in FIELDS:
            return refuse("use_buttons")
        return Goto(field, here.data.model_copy(update={"editing": True}))

    # -- the end ---------------------------------------------------------------------------------

    def _save(self, here: Here[Draft]) -> Turn:
        session, ctx, draft = here.session, here.ctx, here.data
        params = _shown(here)
        organisation_id = organisation_id_of(ctx.person)
        if locked_for(session, organisation_id, draft.quarter, ctx.now, ctx.settings.calendar):
            service.suspend_active(session, ctx.person, ctx.now)
            return Turn(None, self.say("locked", **params))
        row = record_status_update(
            session,
            person=ctx.person,
            action=params["action"],
            quarter=draft.quarter,
            now=ctx.now,
            source_key=service.source_key(here.dialog),
            answers=draft.answers.for_record(),
        )
        service.close(session, here.dialog)
        remaining = _unanswered(session, ctx.person, draft.quarter)
        choices = [
            [Choice(f"/durum {action_ref(a)}", button("next_action", code=a.code))]
            for a in remaining[:1]
        ]
        saved = self.say("saved", choices=choices, update=row, remaining=len(remaining), **params)
        return Turn(None, saved)


def _shown(here: Here[Draft]) -> dict[str, Any]:
    """What every message about the action shows: the action, the quarter, the previous answer
    and the answers so far (in their stored JSON form, as templates/messages/status.j2 reads)."""
    stored = here.data.to_json()
    return {
        "action": here.session.get(Action, here.data.action_id),
        "quarter": here.data.quarter,
        "previous": stored["previous"],
        "answers": stored["answers"],
    }


def _read_text(draft: Draft, value: Input, question: str, kept: str | None) -> Reading[Draft]:
    """A narrative or the blockers: typed, or the previous text kept."""
    if pressed(value) == "keep" and kept:
        return draft.answered(**{question: kept})
    text = typed(value)
    if text is None:
        return refuse("type_text")
    # Typically a second progress figure sent quickly after the first ("%30", "%60").
    if is_only_a_figure(text):
        progress_asked = "progress" in draft.questions()
        return refuse("not_a_description", value=text, progress_asked=progress_asked)
    if len(text) < MIN_NARRATIVE:
        return refuse("text_too_short")
    if len(text) > MAX_TEXT:
        return refuse("text_too_long", length=len(text), limit=MAX_TEXT)
    return draft.answered(**{question: text})


def _file_evidence(draft: Draft, file: FileInput) -> Draft | Refusal:
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return refuse("file_too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024))
    evidence = Evidence(
        file_id=file.file_id,
        file_name=file.file_name[:MAX_FILE_NAME],
        note=(file.caption or "").strip()[:MAX_NOTE] or None,
    )
    return draft.answered(evidence=evidence)


def _unanswered(session: Session, person: Person, quarter: Quarter) -> list[Action]:
    answered = current_updates(session, organisation_id_of(person), quarter)
    return [a for a in active_actions(session, organisation_id_of(person), quarter)
            if a.id not in answered]
