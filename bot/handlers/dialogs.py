"""Guided dialogs on Telegram: opening one, and everything a person answers inside it (typed
text, files, pressed buttons).

Thin by design: find the person and their dialog, hand the input to the dialog's engine in
tracker/ (tracker.dialogs.registry), show the Turn it returns.
"""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update

from bot import callbacks
from bot.context import KumeContext, in_session
from bot.handlers.common import for_person, refusal, registered, sender, unregistered
from bot.render import message, prompt_markup, prompt_text
from bot.replies import Outcome, deliver
from tracker.access import require
from tracker.dialogs import service
from tracker.dialogs.base import ChoiceInput, Context, FileInput, Input, TextInput, Turn
from tracker.dialogs.registry import engine
from tracker.errors import DomainError
from tracker.models import Dialog, DialogStatus, Person


def show(outcome: Outcome, turn: Turn) -> Outcome:
    """The turn's prompt, its choices as buttons of the dialog active afterwards."""
    dialog_id = turn.dialog.id if turn.dialog is not None else None
    revision = turn.dialog.revision if turn.dialog is not None else 0
    return outcome.add(prompt_text(turn.prompt), prompt_markup(turn.prompt, dialog_id, revision))


def dialog_context(context: KumeContext, person: Person) -> Context:
    svc = context.services
    return Context(person=person, now=svc.clock.now(), settings=svc.settings)


async def open_dialog(
    update: Update,
    context: KumeContext,
    command: str,
    kind: str,
    argument: str | None,
) -> None:
    """`command` (typed or pressed) opens a dialog of `kind`, if the person's role allows it."""
    who = sender(update)
    if who is None:
        return
    ttl = context.services.settings.draft_ttl

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered()
        try:
            require(person, command)
            ctx = dialog_context(context, person)
            # A draft past its time is gone even if the periodic sweep has not run yet.
            expired = service.expire_drafts(session, ctx.now, ttl, person)
            turn = engine(kind).start(session, ctx, argument)
        except DomainError as error:
            return refusal(error)
        outcome = Outcome()
        for draft in expired:
            outcome.add(message("draft_expired", kind=draft.kind))
        return show(outcome, turn)

    await deliver(update, context, await in_session(context, work))


async def on_text(update: Update, context: KumeContext) -> None:
    assert update.effective_message is not None
    await _on_input(update, context, TextInput(update.effective_message.text or ""))


async def on_file(update: Update, context: KumeContext) -> None:
    msg = update.effective_message
    assert msg is not None
    if msg.document is not None:
        value = FileInput(
            msg.document.file_id,
            msg.document.file_name or "belge",
            msg.document.file_size,
            "document",
            msg.caption,
        )
    elif msg.photo:
        largest = msg.photo[-1]
        value = FileInput(largest.file_id, "fotoğraf.jpg", largest.file_size, "photo", msg.caption)
    else:
        return
    await _on_input(update, context, value)


async def _on_input(update: Update, context: KumeContext, value: Input) -> None:
    """for_person's shape, with the person and their dialog read in one statement (the
    busiest path: every answer typed)."""
    who = sender(update)
    if who is None:
        return

    def work(session: Session) -> Outcome:
        person, dialog = service.person_and_dialog(session, who.telegram_user_id)
        if person is None or not person.active:
            return unregistered()
        if dialog is None:
            return Outcome().add(message("no_dialog"))
        try:
            return _answer(session, context, person, dialog, value, who.update_id)
        except DomainError as error:
            return refusal(error)

    await deliver(update, context, await in_session(context, work))


async def on_press(
    update: Update, context: KumeContext, press: callbacks.DialogPress | None
) -> None:
    """A dialog's button (None: data kume never made): checked to be the presser's dialog and
    its current question before it counts as an answer."""
    who = sender(update)
    if who is None:
        return

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered(Outcome(notice=message("not_registered_notice"), alert=True))
        dialog = session.get(Dialog, press.dialog_id) if press is not None else None
        if press is None or dialog is None or dialog.person_id != person.id:
            return Outcome(notice=message("stale_button"), alert=True)
        if dialog.last_update_id is not None and who.update_id <= dialog.last_update_id:
            return Outcome()  # this very press was applied already (a duplicate update)
        if dialog.status != DialogStatus.ACTIVE or dialog.revision != press.revision:
            # Usually a second quick tap on the same question: the current question is already
            # on screen, so sending it again would only repeat it. The notice is enough.
            return Outcome(notice=message("stale_button"))
        return _answer(session, context, person, dialog, ChoiceInput(press.key), who.update_id)

    await deliver(update, context, await in_session(context, work))


def _answer(
    session: Session,
    context: KumeContext,
    person: Person,
    dialog: Dialog,
    value: Input,
    update_id: int,
) -> Outcome:
    if service.seen_update(session, dialog, update_id):
        return Outcome()
    ctx = dialog_context(context, person)
    if dialog.updated_at < ctx.now - context.services.settings.draft_ttl:
        service.close(session, dialog)
        return Outcome().add(message("draft_expired", kind=dialog.kind))
    try:
        turn = engine(dialog.kind).handle(session, dialog, ctx, value)
    except DomainError as error:
        return refusal(error)
    return show(Outcome(), turn)


async def cancel(update: Update, context: KumeContext) -> None:
    def act(session: Session, person: Person) -> Outcome:
        dialog = service.suspend_active(session, person, context.services.clock.now())
        return Outcome().add(
            message(
                "cancelled", had_dialog=dialog is not None, kind=dialog.kind if dialog else None
            )
        )

    await for_person(update, context, act)
