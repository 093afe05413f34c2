"""/durum: a quarterly status update on one action, one question at a time."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    ChoiceInput,
    Context,
    FileInput,
    Input,
    Prompt,
    TextInput,
    button,
)
from tracker.locks import locked_for, open_quarter_for
from tracker.models import Action, Dialog, Status
from tracker.numbers import NumberFormatError, is_only_a_figure, parse_tr_figure
from tracker.quarters import Quarter
from tracker.status_updates import (
    StatusAnswers,
    action_ref,
    active_actions,
    current_updates,
    named_action,
    record_status_update,
    starting_point,
)

KIND = "status"
T = "messages/status.j2"
STATUS_KEYS = {
    "ns": Status.NOT_STARTED,
    "ip": Status.IN_PROGRESS,
    "co": Status.COMPLETED,
    "de": Status.DELAYED,
    "ca": Status.CANCELLED,
}
KEY_OF_STATUS = {v: k for k, v in STATUS_KEYS.items()}
MAX_TEXT = 2000
MIN_NARRATIVE = 3
MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
URL = re.compile(r"^https?://\S+\.\S+$", re.IGNORECASE)
FIELDS = ("status", "progress", "narrative", "blockers", "evidence")
EVIDENCE = ("evidence_link", "evidence_file_id", "evidence_file_name", "evidence_note")
MAX_NOTE = 1024  # a Telegram caption's limit, and the column's


def _prompt(name: str, choices: list[list[Choice]] | None = None, **params: Any) -> Prompt:
    return Prompt(T, {"name": name, **params}, choices or [])


def _finished(name: str, **params: Any) -> Prompt:
    return Prompt(T, {"name": name, **params}, [], finished=True)


def start(
    session: Session, ctx: Context, named: str | None = None
) -> tuple[Dialog | None, Prompt]:
    """Begin /durum: choose an action, or go straight to the one `named` (a code as typed or
    a button's reference, see tracker.status_updates.named_action) or the only one."""
    quarter = open_quarter_for(session, ctx.person.organisation_id, ctx.now,
                               ctx.settings.calendar)
    if quarter is None:
        return None, _finished("no_open_quarter", current=Quarter.of(ctx.now))
    actions = active_actions(session, ctx.person.organisation_id, quarter)
    if not actions:
        return None, _finished("nothing_to_report", quarter=quarter)
    if named is not None:
        return _open_action(session, ctx, named_action(session, actions, named, quarter), quarter)
    if len(actions) == 1:
        return _open_action(session, ctx, actions[0], quarter)
    dialog = service.open_dialog(
        session, ctx.person, KIND, f"pick@{quarter}", "pick", {"quarter": str(quarter)}, ctx.now
    )
    return dialog, _pick_prompt(session, ctx, quarter, actions)


def _pick_prompt(
    session: Session,
    ctx: Context,
    quarter: Quarter,
    actions: list[Action],
    error: str | None = None,
) -> Prompt:
    answered = current_updates(session, ctx.person.organisation_id, quarter)
    drafts = {
        d.subject
        for d in session.exec(
            select(Dialog).where(Dialog.person_id == ctx.person.id, Dialog.kind == KIND)
        )
    }
    rows = []
    for action in actions:
        mark = (
            "answered"
            if action.id in answered
            else "draft"
            if f"{action.code}@{quarter}" in drafts
            else "open"
        )
        rows.append(
            [
                Choice(
                    f"a{action.id}",
                    button("action", code=action.code, title=action.title, mark=mark),
                )
            ]
        )
    return _prompt(
        "pick",
        rows,
        quarter=quarter,
        count=len(actions),
        answered=len([a for a in actions if a.id in answered]),
        error=error,
    )


def _open_action(
    session: Session, ctx: Context, action: Action, quarter: Quarter
) -> tuple[Dialog, Prompt]:
    previous = starting_point(session, action.id or 0, ctx.person.organisation_id, quarter)
    data = {
        "quarter": str(quarter),
        "action_id": action.id,
        "action_code": action.code,
        "previous": _snapshot(previous),
        "answers": {},
    }
    subject = f"{action.code}@{quarter}"
    had_draft = service.find_dialog(session, ctx.person, KIND, subject) is not None
    dialog = service.open_dialog(session, ctx.person, KIND, subject, "status", data, ctx.now)
    first = prompt(session, dialog, ctx)
    first.params["resumed"] = had_draft
    return dialog, first


def _snapshot(update: Any) -> dict[str, Any] | None:
    if update is None:
        return None
    return {
        "quarter": update.quarter,
        "status": str(update.status),
        "progress": update.progress,
        "narrative": update.narrative,
        "blockers": update.blockers,
        "evidence_link": update.evidence_link,
        "evidence_file_name": update.evidence_file_name,
        "evidence_file_id": update.evidence_file_id,
        "evidence_note": update.evidence_note,
    }


def _context_params(session: Session, dialog: Dialog) -> dict[str, Any]:
    data = dialog.data
    action = session.get(Action, data["action_id"])
    return {
        "action": action,
        "quarter": Quarter.parse(data["quarter"]),
        "previous": data.get("previous"),
        "answers": data.get("answers", {}),
    }


def prompt(session: Session, dialog: Dialog, ctx: Context, error: str | None = None) -> Prompt:
    """The question the dialog is at, with its choices (and an explanation after bad input)."""
    if dialog.step == "pick":
        quarter = Quarter.parse(dialog.data["quarter"])
        actions = active_actions(session, ctx.person.organisation_id, quarter)
        return _pick_prompt(session, ctx, quarter, actions, error)
    params = _context_params(session, dialog)
    previous = params["previous"] or {}
    answers = params["answers"]
    step = dialog.step
    choices: list[list[Choice]] = []
    if step == "status":
        labels = {key: button("status", status=str(status)) for key, status in STATUS_KEYS.items()}
        choices = [
            [Choice("ns", labels["ns"]), Choice("ip", labels["ip"])],
            [Choice("co", labels["co"]), Choice("de", labels["de"])],
            [Choice("ca", labels["ca"])],
        ]
    elif step == "progress":
        choices = [[Choice(f"p{v}", f"%{v}") for v in (0, 25, 50, 75, 100)]]
        if previous.get("progress") is not None:
            choices.append([Choice("keep", button("keep_progress", value=previous["progress"]))])
    elif step == "narrative":
        if previous.get("narrative"):
            choices.append([Choice("keep", button("keep_text"))])
        if answers.get("status") == str(Status.NOT_STARTED):
            choices.append([Choice("skip", button("skip"))])
    elif step == "blockers":
        if previous.get("blockers"):
            choices.append([Choice("keep", button("keep_text"))])
    elif step == "evidence":
        if previous.get("evidence_link") or previous.get("evidence_file_id"):
            choices.append([Choice("keep", button("keep_evidence"))])
        choices.append([Choice("skip", button("no_evidence"))])
    elif step == "confirm":
        choices = [
            [Choice("ok", button("confirm")), Choice("edit", button("edit"))],
            [Choice("later", button("save_draft"))],
        ]
    elif step == "edit":
        fields = [f for f in FIELDS if f != "blockers" or answers.get("status") == "delayed"]
        choices = [
            [Choice(f"e:{f}", button("field", field=f, status=answers.get("status")))]
            for f in fields
        ]
        choices.append([Choice("back", button("back_to_summary"))])
    return _prompt(step, choices, error=error, **params)


def handle(session: Session, dialog: Dialog, ctx: Context, value: Input) -> Prompt:
    if dialog.step == "pick":
        return _handle_pick(session, dialog, ctx, value)
    data = dict(dialog.data)
    answers = dict(data.get("answers", {}))
    previous = data.get("previous") or {}
    step = dialog.step
    pressed = value.key if isinstance(value, ChoiceInput) else None
    text = value.text.strip() if isinstance(value, TextInput) else None

    def again(error: str, **params: Any) -> Prompt:
        return prompt(session, dialog, ctx, error=_error(error, **params))

    if step == "status":
        if pressed not in STATUS_KEYS:
            return again("choose_status")
        answers["status"] = str(STATUS_KEYS[pressed])
        if answers["status"] == str(Status.COMPLETED):
            answers["progress"] = 100
        elif answers["status"] == str(Status.NOT_STARTED):
            answers["progress"] = 0
        if answers["status"] != str(Status.DELAYED):
            answers.pop("blockers", None)
    elif step == "progress":
        if pressed == "keep" and previous.get("progress") is not None:
            answers["progress"] = previous["progress"]
        elif pressed and pressed.startswith("p") and pressed[1:].isdigit():
            answers["progress"] = int(pressed[1:])
        elif text is not None:
            try:
                number = parse_tr_figure(text).value
            except NumberFormatError:
                return again("progress_not_number", value=text)
            if number != number.to_integral_value() or not 0 <= number <= 100:
                return again("progress_range", value=text)
            answers["progress"] = int(number)
        else:
            return again("type_progress")
    elif step in ("narrative", "blockers"):
        if pressed == "keep" and previous.get(step):
            answers[step] = previous[step]
        elif (
            pressed == "skip"
            and step == "narrative"
            and (answers.get("status") == str(Status.NOT_STARTED))
        ):
            answers[step] = ""
        elif text is not None:
            # Typically a second progress figure sent quickly after the first ("%30", "%60").
            if is_only_a_figure(text):
                return again("not_a_description", value=text,
                             progress_asked="progress" in _needs(answers.get("status")))
            if len(text) < MIN_NARRATIVE:
                return again("text_too_short")
            if len(text) > MAX_TEXT:
                return again("text_too_long", length=len(text), limit=MAX_TEXT)
            answers[step] = text
        else:
            return again("type_text")
    elif step == "evidence":
        if pressed == "skip":
            for key in EVIDENCE:
                answers[key] = None
        elif pressed == "keep":
            for key in EVIDENCE:
                answers[key] = previous.get(key)
        elif isinstance(value, FileInput):
            if value.size is not None and value.size > MAX_FILE_BYTES:
                return again("file_too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024))
            answers.update(
                evidence_link=None,
                evidence_file_id=value.file_id,
                evidence_file_name=value.file_name[:300],
                evidence_note=(value.caption or "").strip()[:MAX_NOTE] or None,
            )
        elif text is not None:
            if not URL.match(text) or len(text) > 1000:
                return again("evidence_not_link")
            answers.update(
                evidence_link=text, evidence_file_id=None, evidence_file_name=None,
                evidence_note=None,
            )
        else:
            return again("evidence_expected")
    elif step == "confirm":
        if pressed == "ok":
            return _save(session, dialog, ctx, data, answers)
        if pressed == "edit":
            service.advance(session, dialog, "edit", data, ctx.now)
            return prompt(session, dialog, ctx)
        if pressed == "later":
            service.suspend_active(session, ctx.person, ctx.now)
            return _finished("kept_as_draft", **_context_params(session, dialog))
        return again("use_buttons")
    elif step == "edit":
        if pressed == "back":
            service.advance(session, dialog, "confirm", data, ctx.now)
            return prompt(session, dialog, ctx)
        field = pressed[2:] if pressed and pressed.startswith("e:") else None
        if field not in FIELDS:
            return again("use_buttons")
        data["editing"] = True
        service.advance(session, dialog, field, data, ctx.now)
        return prompt(session, dialog, ctx)
    else:
        return again("use_buttons")

    data["answers"] = answers
    service.advance(
        session, dialog, _next_step(step, answers, data.get("editing", False)), data, ctx.now
    )
    return prompt(session, dialog, ctx)


def _next_step(step: str, answers: dict[str, Any], editing: bool) -> str:
    """The next unanswered question; while correcting one answer, back to the summary."""
    needs = _needs(answers.get("status"))
    missing = [
        s
        for s in needs
        if s not in answers and not (s == "evidence" and "evidence_link" in answers)
    ]
    if editing:
        return missing[0] if missing else "confirm"
    later = needs[needs.index(step) + 1 :] if step in needs else []
    for candidate in later:
        if candidate in missing:
            return candidate
    return missing[0] if missing else "confirm"


def _needs(status: str | None) -> list[str]:
    """The questions asked for an action in this status, in order."""
    needs = ["status"]
    if status not in (str(Status.COMPLETED), str(Status.NOT_STARTED)):
        needs.append("progress")
    needs.append("narrative")
    if status == str(Status.DELAYED):
        needs.append("blockers")
    needs.append("evidence")
    return needs


def _handle_pick(session: Session, dialog: Dialog, ctx: Context, value: Input) -> Prompt:
    quarter = Quarter.parse(dialog.data["quarter"])
    actions = active_actions(session, ctx.person.organisation_id, quarter)
    key = value.key if isinstance(value, ChoiceInput) else None
    chosen = next((a for a in actions if key == f"a{a.id}"), None)
    if chosen is None:
        return _pick_prompt(session, ctx, quarter, actions, _error("choose_action"))
    service.close(session, dialog)
    _, next_prompt = _open_action(session, ctx, chosen, quarter)
    return next_prompt


def _save(
    session: Session, dialog: Dialog, ctx: Context, data: dict[str, Any], answers: dict[str, Any]
) -> Prompt:
    quarter = Quarter.parse(data["quarter"])
    params = _context_params(session, dialog)
    if locked_for(session, ctx.person.organisation_id, quarter, ctx.now, ctx.settings.calendar):
        service.suspend_active(session, ctx.person, ctx.now)
        return _finished("locked", **params)
    action = params["action"]
    row = record_status_update(
        session,
        person=ctx.person,
        action=action,
        quarter=quarter,
        now=ctx.now,
        source_key=service.source_key(dialog),
        answers=StatusAnswers(
            status=Status(answers["status"]),
            progress=int(answers["progress"]),
            narrative=answers.get("narrative") or "",
            blockers=answers.get("blockers"),
            evidence_link=answers.get("evidence_link"),
            evidence_file_id=answers.get("evidence_file_id"),
            evidence_file_name=answers.get("evidence_file_name"),
            evidence_note=answers.get("evidence_note"),
        ),
    )
    service.close(session, dialog)
    remaining = [
        a
        for a in active_actions(session, ctx.person.organisation_id, quarter)
        if a.id not in current_updates(session, ctx.person.organisation_id, quarter)
    ]
    choices = [
        [Choice(f"/durum {action_ref(a)}", button("next_action", code=a.code))]
        for a in remaining[:1]
    ]
    result = _prompt("saved", choices, update=row, remaining=len(remaining), **params)
    result.finished = True
    return result


def _error(name: str, **params: Any) -> str:
    from tracker import texts

    return texts.say("texts/dialog_errors.j2", name, **params)


ENGINE_KIND = KIND
