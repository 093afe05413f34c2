"""Events on Telegram: /etkinlikler (the list, one event's view), a member's answer to a
notice (/katilim, behind its buttons), the calendar file (/takvim) and an agency person's
approval (/etkinlikonay). Creating, changing, cancelling and rejecting are dialogs
(tracker.dialogs.event, tracker.dialogs.event_manage); the rules live in tracker.events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot import callbacks
from bot.context import KumeContext
from bot.handlers.common import for_person
from bot.render import message
from bot.replies import Outcome
from tracker import texts
from tracker.dialogs.event_manage import event_id_of
from tracker.errors import DomainError, NotFound
from tracker.events import ics
from tracker.events.listing import listed, upcoming_and_past
from tracker.events.publish import MANAGERS, approve, get_event, may_manage
from tracker.events.rsvp import ANSWER_WORDS, answer, in_audience
from tracker.events.view import view_of
from tracker.models import Event, EventStatus, Person, RsvpAnswer

B = "texts/buttons.j2"


@dataclass
class CalendarFile:
    """A calendar file to send after the reply (a document is not part of an Outcome)."""

    data: bytes | None = None
    name: str = ""
    caption: str = ""

    def take(self, event: Event, caption: str, now: datetime) -> None:
        self.data = ics.calendar_file(event, now)
        self.name = ics.file_name(event)
        self.caption = caption


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=callbacks.command(
        target)) for label, target in row] for row in rows])


async def etkinlikler(update: Update, context: KumeContext,
                      argument: str | None) -> None:
    now = context.services.clock.now()

    def act(session: Session, person: Person) -> Outcome:
        if argument:
            return _detail(session, person, event_id_of(argument), now)
        upcoming, past = upcoming_and_past(session, person, now)
        rows = [[(texts.say(B, "event_item", title=item.event.title,
                            when=item.event.starts_at.strftime("%d.%m")),
                  f"etkinlikler {item.event.id}")] for item in [*upcoming, *past]]
        text = message("event", name="list", upcoming=upcoming, past=past)
        return Outcome().add(text, _markup(rows) if rows else None)

    await for_person(update, context, act, "etkinlikler")


def _detail(session: Session, person: Person, event_id: int, now: datetime) -> Outcome:
    event = get_event(session, event_id)
    item = listed(session, person, [event])[0]
    rows: list[list[tuple[str, str]]] = []
    open_ = event.status in (EventStatus.PUBLISHED, EventStatus.PENDING_APPROVAL)
    if item.manageable and open_ and event.starts_at > now:
        rows.append([(texts.say(B, "change_event"), f"etkinlikdegistir {event_id}"),
                     (texts.say(B, "cancel_event"), f"etkinlikiptal {event_id}")])
    if event.status == EventStatus.PENDING_APPROVAL and person.role in MANAGERS:
        rows.append([(texts.say(B, "approve"), f"etkinlikonay {event_id}"),
                     (texts.say(B, "reject"), f"etkinlikret {event_id}")])
    if event.status == EventStatus.PUBLISHED:
        # `/yoklama <id>`: the check-in QR (the check-in module's route).
        rows.append([(texts.say(B, "checkin_qr"), f"yoklama {event_id}")])
    rows.append([(texts.say(B, "back_to_list"), "etkinlikler")])
    return Outcome().add(message("event", name="detail", item=item), _markup(rows))


async def katilim(update: Update, context: KumeContext,
                  argument: str | None) -> None:
    """A member's answer from a notice's button: "/katilim <event id> evet|hayir"."""
    now = context.services.clock.now()
    calendar = CalendarFile()

    def act(session: Session, person: Person) -> Outcome:
        event_word, _, word = (argument or "").partition(" ")
        if word.strip() not in ANSWER_WORDS:
            raise NotFound("event_not_found")
        result = answer(session, event_id_of(event_word), person, ANSWER_WORDS[word.strip()],
                        now)
        event = result.event
        assert event.id is not None
        other = (("rsvp_no", "hayir") if result.answer != RsvpAnswer.NO
                 else ("rsvp_yes", "evet"))
        rows = [[(texts.say(B, other[0]), f"katilim {event.id} {other[1]}")],
                [(texts.say(B, "add_to_calendar"), f"takvim {event.id}")]]
        view = view_of(session, event)
        if result.answer == RsvpAnswer.YES and result.changed:
            calendar.take(event, message("event", name="calendar", event=view), now)
        text = message("event", name="rsvp", event=view, answer=str(result.answer),
                       changed=result.changed)
        return Outcome().add(text, _markup(rows))

    await for_person(update, context, act, "katilim")
    await _send_calendar(update, context, calendar)


async def takvim(update: Update, context: KumeContext,
                 argument: str | None) -> None:
    """The calendar file of an event its audience (or a manager) may see."""
    now = context.services.clock.now()
    calendar = CalendarFile()

    def act(session: Session, person: Person) -> Outcome:
        event = get_event(session, event_id_of(argument))
        if not (may_manage(person, event) or in_audience(session, event, person)):
            raise DomainError("event_not_for_you", title=event.title)
        calendar.take(event, message("event", name="calendar", event=view_of(session, event)),
                      now)
        return Outcome()

    await for_person(update, context, act, "takvim")
    await _send_calendar(update, context, calendar)


async def etkinlikonay(update: Update, context: KumeContext,
                       argument: str | None) -> None:
    now = context.services.clock.now()

    def act(session: Session, person: Person) -> Outcome:
        event = approve(session, event_id_of(argument), person, now)
        return Outcome().add(message("event", name="approved_by_you",
                                     event=view_of(session, event)))

    await for_person(update, context, act, "etkinlikonay")


async def _send_calendar(update: Update, context: KumeContext,
                         calendar: CalendarFile) -> None:
    chat = update.effective_chat
    if calendar.data is None or chat is None:
        return
    await context.bot.send_document(
        chat.id, InputFile(calendar.data, filename=calendar.name, attach=True),
        caption=calendar.caption, parse_mode="HTML")
