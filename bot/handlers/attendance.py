"""The door and the day after: check-in by deep link, /yoklama (the QR code and a head count)
and the satisfaction buttons. The rules live in tracker.events; this only shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot import callbacks
from bot.context import KumeContext, in_session
from bot.handlers.common import Sender, for_person, refusal, registered, sender, unregistered
from bot.handlers.dialogs import open_dialog
from bot.render import message
from bot.replies import Outcome, deliver
from tracker import texts
from tracker.access import require
from tracker.errors import DomainError
from tracker.events.checkin import (
    STAFF,
    check_in,
    checkin_link,
    event_for_attendance,
    qr_png,
    scanned,
    set_head_count,
)
from tracker.events.satisfaction import record_satisfaction
from tracker.models import Event, EventStatus, Person
from tracker.people import person_by_telegram

T = "messages/attendance.j2"
BUTTONS = "texts/attendance.j2"
MANUAL = "elle"  # "/yoklama <id> elle": the button that opens the head count dialog
LISTED = 10  # events listed under the usage


def checkin_outcome(session: Session, who: Sender, argument: str, now: datetime) -> Outcome:
    """`/start ci_<token>`: called by the /start handler inside its transaction."""
    person = person_by_telegram(session, who.telegram_user_id)
    try:
        done = check_in(session, person, argument, now)
    except DomainError as error:
        return Outcome().add(message("attendance", name="checkin_refused",
                                     reason=texts.describe(error)))
    return Outcome().add(message("attendance", name="checked_in", event=done.event,
                                 again=done.again))


@dataclass
class Qr:
    png: bytes
    caption: str
    markup: InlineKeyboardMarkup


async def yoklama(update: Update, context: KumeContext, arg: str | None) -> None:
    """/yoklama, /yoklama <id>, /yoklama <id> <sayı> (typed, or from the QR's button)."""
    who, chat = sender(update), update.effective_chat
    if who is None or chat is None:
        return
    svc = context.services
    event_ref, _, rest = (arg or "").strip().partition(" ")
    rest = rest.strip()
    if rest == MANUAL:  # the QR message's button: a dialog asks for the number
        await open_dialog(update, context, "yoklama", "head_count", event_ref)
        return

    def work(session: Session) -> Outcome | Qr:
        person = registered(session, who)
        if person is None:
            return unregistered()
        try:
            require(person, "yoklama")
            if not event_ref:
                return Outcome().add(message("attendance", name="usage",
                                             events=_events_of(session, person)))
            event = event_for_attendance(session, person, event_ref)
            count = scanned(session, event.id or 0)
            if rest:
                saved = set_head_count(session, event, rest, svc.clock.now())
                return Outcome().add(message("attendance", name="head_count_saved",
                                             event=event, count=saved, scanned=count))
        except DomainError as error:
            return refusal(error)
        link = checkin_link(svc.settings.username, event)
        label = texts.say(BUTTONS, "manual_count")
        data = callbacks.command(f"yoklama {event.id} {MANUAL}")
        return Qr(qr_png(link),
                  message("attendance", name="qr", event=event, link=link, scanned=count),
                  InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]]))

    result = await in_session(context, work)
    if isinstance(result, Outcome):
        await deliver(update, context, result)
        return
    if update.callback_query is not None:
        await deliver(update, context, Outcome())  # answer the press
    await context.bot.send_photo(chat.id, InputFile(result.png, filename="yoklama.png"),
                                 caption=result.caption, reply_markup=result.markup)


def _events_of(session: Session, person: Person) -> list[Event]:
    """The published events this person may take attendance of, the latest first."""
    query = select(Event).where(col(Event.status) == EventStatus.PUBLISHED)
    if person.role not in STAFF:
        query = query.where(col(Event.created_by_id) == person.id)
    return list(session.exec(query.order_by(col(Event.starts_at).desc()).limit(LISTED)).all())


async def memnun(update: Update, context: KumeContext, arg: str | None) -> None:
    """A satisfaction button ("c:memnun <event id> <score>"): the presser's own answer."""
    svc = context.services

    def act(session: Session, person: Person) -> Outcome:
        answered = record_satisfaction(session, person, arg, svc.clock.now())
        # Only a notice: the buttons stay, so another number may still be pressed.
        return Outcome(notice=texts.say(BUTTONS, "satisfaction_saved", title=answered.event.title,
                                        score=answered.score, changed=answered.changed))

    await for_person(update, context, act)
