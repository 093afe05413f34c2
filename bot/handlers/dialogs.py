"""Everything a person answers inside a dialog: typed text, files and button presses.

Thin by design: find the person and their dialog, hand the input to the dialog's engine in
tracker/, render the prompt it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.context import in_session, services
from bot.handlers.common import (
    Sender,
    for_person,
    refusal,
    registered,
    sender,
    unregistered,
)
from bot.render import message, prompt_markup, prompt_text
from bot.replies import Outcome, deliver
from tracker.access import require
from tracker.dialogs import engine, service
from tracker.dialogs.base import ChoiceInput, Context, FileInput, Input, Prompt, TextInput
from tracker.errors import DomainError
from tracker.models import Dialog, DialogStatus, Person


def show(outcome: Outcome, prompt: Prompt, dialog: Dialog | None) -> Outcome:
    dialog_id = dialog.id if dialog is not None and not prompt.finished else None
    revision = dialog.revision if dialog is not None else 0
    return outcome.add(prompt_text(prompt), prompt_markup(prompt, dialog_id, revision))


def _context(context: ContextTypes.DEFAULT_TYPE, person: Person) -> Context:
    svc = services(context)
    return Context(person=person, now=svc.clock.now(), settings=svc.settings)


def _expired(session: Session, dialog: Dialog, ctx: Context) -> bool:
    return dialog.updated_at < ctx.now - ctx.settings.draft_ttl


def start_dialog(
    context: ContextTypes.DEFAULT_TYPE,
    who: Sender,
    command: str,
    starter: Callable[[Session, Context], tuple[Dialog | None, Prompt]],
) -> Callable[[Session], Outcome]:
    """Work for a command that opens a dialog, checked against the person's role first."""

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered()
        try:
            require(person, command)
            ctx = _context(context, person)
            # A draft past its time is gone even if the periodic sweep has not run yet.
            expired = service.expire_drafts(session, ctx.now, ctx.settings.draft_ttl, person)
            dialog, prompt = starter(session, ctx)
        except DomainError as error:
            return refusal(error)
        outcome = Outcome()
        for draft in expired:
            outcome.add(message("draft_expired", kind=draft.kind))
        return show(outcome, prompt, dialog)

    return work


async def on_input(update: Update, context: ContextTypes.DEFAULT_TYPE, value: Input) -> None:
    def act(session: Session, person: Person) -> Outcome:
        dialog = service.active_dialog(session, person)
        if dialog is None:
            return Outcome().add(message("no_dialog"))
        return _answer(session, context, person, dialog, value, update.update_id)

    await for_person(update, context, act)


def _answer(
    session: Session,
    context: ContextTypes.DEFAULT_TYPE,
    person: Person,
    dialog: Dialog,
    value: Input,
    update_id: int,
) -> Outcome:
    if service.seen_update(session, dialog, update_id):
        return Outcome()
    ctx = _context(context, person)
    if _expired(session, dialog, ctx):
        service.close(session, dialog)
        return Outcome().add(message("draft_expired", kind=dialog.kind))
    driver: Any = engine(dialog.kind)
    try:
        prompt = driver.handle(session, dialog, ctx, value)
    except DomainError as error:
        return refusal(error)
    # An engine may close this dialog and open another (a pick leads to the chosen item): the
    # buttons belong to whichever dialog is active now.
    return show(Outcome(), prompt, service.active_dialog(session, person) or dialog)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await on_input(update, context, TextInput(update.effective_message.text or ""))


async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
    await on_input(update, context, value)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    who = sender(update)
    if query is None or who is None:
        return
    press = callbacks.parse(query.data)
    if isinstance(press, callbacks.CommandPress):
        from bot.handlers.commands import run_command

        await run_command(update, context, press.command, press.argument)
        return

    def work(session: Session) -> Outcome:
        person = registered(session, who)
        if person is None:
            return unregistered(Outcome(notice=message("not_registered_notice"), alert=True))
        if press is None:
            return Outcome(notice=message("stale_button"), alert=True)
        dialog = session.get(Dialog, press.dialog_id)
        if dialog is None or dialog.person_id != person.id:
            return Outcome(notice=message("stale_button"), alert=True)
        if dialog.last_update_id is not None and who.update_id <= dialog.last_update_id:
            return Outcome()  # this very press was applied already (a duplicate update)
        if dialog.status != DialogStatus.ACTIVE or dialog.revision != press.revision:
            # Usually a second quick tap on the same question: the current question is already
            # on screen, so sending it again would only repeat it. The notice is enough.
            return Outcome(notice=message("stale_button"))
        return _answer(session, context, person, dialog, ChoiceInput(press.key), who.update_id)

    await deliver(update, context, await in_session(context, work))


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    def act(session: Session, person: Person) -> Outcome:
        dialog = service.suspend_active(session, person, services(context).clock.now())
        return Outcome().add(
            message(
                "cancelled", had_dialog=dialog is not None, kind=dialog.kind if dialog else None
            )
        )

    await for_person(update, context, act)
