"""/bulten: the agency composes a period's bulletin, tests it on itself and sends it.

Steps: "period" (a quarter or a month; buttons for the likely ones), "menu" (the draft's
summary and what to do: add a news item, arrange the items, see the Telegram version, send a
test to oneself, send now, schedule), a news item's "title", "text", "link" and "photo" (each
after the title may be skipped), "items" (move up, remove), "preview" (the Telegram version
exactly as it goes out), "schedule" (a Turkish date and time, tracker.events.dates) and
"confirm" (how many people and subscribers it goes to). The bulletin itself is stored as it is
edited (tracker.bulletins.store), so the dialog keeps only where it is and the item being
written. Once sent, nothing about it changes.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from tracker.bulletins.period import Period, PeriodError, parse_period
from tracker.bulletins.render import telegram_parts
from tracker.bulletins.send import (
    MailLinks,
    audience,
    draft_of,
    send_bulletin,
    send_test,
)
from tracker.bulletins.store import (
    BODY_LENGTH,
    LINK_LENGTH,
    OUT,
    TITLE_LENGTH,
    BulletinError,
    add_item,
    editable,
    items_of,
    move_item,
    open_bulletin,
    remove_item,
    schedule,
    unschedule,
)
from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    Context,
    DialogData,
    FileInput,
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
from tracker.events.dates import EventDateError, parse_event_time
from tracker.models import Bulletin, BulletinStatus
from tracker.quarters import ISTANBUL, Quarter
from tracker.turkish import clean

URL = re.compile(r"^https?://\S+\.\S+$", re.IGNORECASE)
MIN_TEXT = 3


class BulletinAnswers(DialogData):
    """Which bulletin, the news item being written, and what the menu says first."""

    bulletin_id: int | None = None
    title: str | None = None
    text: str | None = None
    link: str | None = None
    notice: str | None = None  # a macro of the template: "added", "tested", "scheduled", ...
    notice_email: str | None = None  # the address a test went to


def links_of(ctx: Context) -> MailLinks:
    """[web] base_url and secret, from the bot's settings (bot.settings.BotSettings)."""
    links = getattr(ctx.settings, "mail_links", None)
    return links if isinstance(links, MailLinks) else MailLinks()


class BulletinDialog(StepEngine):
    kind = "bulletin"
    template = "messages/bulletin.j2"

    def __init__(self) -> None:
        A = BulletinAnswers
        self.steps = {
            "period": Step(A, self.ask_period, self.read_period),
            "menu": Step(A, self.ask_menu, self.read_menu),
            "title": Step(A, self.ask_plain, self.read_title, next=lambda _: "text"),
            "text": Step(A, self.ask_skippable, self.read_text, next=lambda _: "link"),
            "link": Step(A, self.ask_skippable, self.read_link, next=lambda _: "photo"),
            "photo": Step(A, self.ask_skippable, self.read_photo),
            "items": Step(A, self.ask_items, self.read_items),
            "preview": Step(A, self.ask_preview, self.read_back),
            "schedule": Step(A, self.ask_back, self.read_schedule),
            "confirm": Step(A, self.ask_confirm, self.read_confirm),
        }

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        if argument:
            period = parse_period(argument)  # a PeriodError is the bot's polite refusal
            bulletin = editable(open_bulletin(session, period, ctx.person, ctx.now))
            return self.open(session, ctx, "bulletin", "menu",
                             BulletinAnswers(bulletin_id=bulletin.id))
        return self.open(session, ctx, "bulletin", "period", BulletinAnswers())

    # -- the period ------------------------------------------------------------------------------

    def ask_period(self, here: Here[BulletinAnswers]) -> Question:
        return Question({}, [[Choice(f"p:{p}", button("bulletin_period", period=p))]
                             for p in _likely_periods(here.ctx)])

    def read_period(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value)
        text = key.removeprefix("p:") if key and key.startswith("p:") else typed(value)
        if not text:
            return refuse("type_bulletin_period")
        try:
            period = parse_period(text)
            bulletin = editable(open_bulletin(here.session, period, here.ctx.person,
                                              here.ctx.now))
        except (PeriodError, BulletinError) as error:
            return refusal_of(error)
        return Goto("menu", BulletinAnswers(bulletin_id=bulletin.id))

    # -- the menu --------------------------------------------------------------------------------

    def _shown(self, here: Here[BulletinAnswers]) -> dict[str, Any]:
        bulletin = self._bulletin(here)
        return {"bulletin": bulletin, "period": parse_period(bulletin.period),
                "answers": here.data}

    def ask_menu(self, here: Here[BulletinAnswers]) -> Question:
        bulletin = self._bulletin(here)
        draft = draft_of(here.session, bulletin, here.ctx.now)
        rows = [[Choice("add", button("bulletin_add"))]]
        if draft.news:
            rows.append([Choice("items", button("bulletin_items", count=len(draft.news)))])
        rows.append([Choice("preview", button("bulletin_preview")),
                     Choice("test", button("bulletin_test"))])
        rows.append([Choice("send", button("bulletin_send")),
                     Choice("schedule", button("bulletin_schedule"))])
        if bulletin.status == BulletinStatus.SCHEDULED:
            rows.append([Choice("unschedule", button("bulletin_unschedule"))])
        rows.append([Choice("close", button("bulletin_close"))])
        return Question({**self._shown(here), "draft": draft}, rows)

    def read_menu(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value)
        bulletin = self._bulletin(here)
        if bulletin.status in OUT:  # the scheduler sent it meanwhile
            service.close(here.session, here.dialog)
            return Turn(None, self.say("already_sent", **self._shown(here)))
        data = here.data.model_copy(update={"notice": None, "notice_email": None})
        if key == "add":
            return Goto("title", data.model_copy(update={"title": None, "text": None,
                                                         "link": None}))
        if key in ("items", "preview", "schedule"):
            return Goto(key, data)
        if key == "send":
            return Goto("confirm", data)
        if key == "test":
            sent = send_test(here.session, bulletin, here.ctx.person, here.ctx.now,
                             links_of(here.ctx))
            return Goto("menu", data.model_copy(update={"notice": "tested",
                                                        "notice_email": sent.email}))
        if key == "unschedule":
            unschedule(here.session, bulletin, here.ctx.now)
            return Goto("menu", data.model_copy(update={"notice": "unscheduled"}))
        if key == "close":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("closed", **self._shown(here)))
        return refuse("use_buttons")

    # -- a news item -----------------------------------------------------------------------------

    def ask_plain(self, here: Here[BulletinAnswers]) -> Question:
        return Question(self._shown(here), [[Choice("menu", button("back_to_summary"))]])

    def ask_skippable(self, here: Here[BulletinAnswers]) -> Question:
        return Question(self._shown(here), [[Choice("skip", button("bulletin_skip"))],
                                            [Choice("menu", button("back_to_summary"))]])

    def read_title(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        if pressed(value) == "menu":
            return Goto("menu", here.data)
        text = _text(value, TITLE_LENGTH)
        return text if not isinstance(text, str) else here.data.model_copy(
            update={"title": text})

    def read_text(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value)
        if key == "menu":
            return Goto("menu", here.data)
        if key == "skip":
            return here.data.model_copy(update={"text": ""})
        text = typed(value)
        if text is None:
            return refuse("type_text")
        if len(text) > BODY_LENGTH:
            return refuse("text_too_long", length=len(text), limit=BODY_LENGTH)
        return here.data.model_copy(update={"text": text})

    def read_link(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value)
        if key == "menu":
            return Goto("menu", here.data)
        if key == "skip":
            return here.data.model_copy(update={"link": None})
        text = typed(value)
        if text is None or not URL.match(text):
            return refuse("bulletin_link")
        if len(text) > LINK_LENGTH:
            return refuse("text_too_long", length=len(text), limit=LINK_LENGTH)
        return here.data.model_copy(update={"link": text})

    def read_photo(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value)
        if key == "menu":
            return Goto("menu", here.data)
        photo = value.file_id if isinstance(value, FileInput) and value.kind == "photo" else None
        if key != "skip" and photo is None:
            return refuse("bulletin_photo")
        data = here.data
        if data.title is None:  # answered out of order (a stale draft): start the item again
            return Goto("title", data)
        add_item(here.session, self._bulletin(here), title=data.title, body=data.text or "",
                 link=data.link, image_file_id=photo, now=here.ctx.now)
        return Goto("menu", data.model_copy(update={"title": None, "text": None, "link": None,
                                                    "notice": "added"}))

    # -- arranging -------------------------------------------------------------------------------

    def ask_items(self, here: Here[BulletinAnswers]) -> Question:
        items = items_of(here.session, self._bulletin(here))
        rows = [[Choice(f"u:{item.id}", button("bulletin_up", number=n)),
                 Choice(f"x:{item.id}", button("bulletin_remove", number=n))]
                for n, item in enumerate(items, start=1)]
        rows.append([Choice("menu", button("back_to_summary"))])
        return Question({**self._shown(here), "items": items}, rows)

    def read_items(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value) or ""
        if key == "menu":
            return Goto("menu", here.data)
        action, _, number = key.partition(":")
        if action not in ("u", "x") or not number.isdigit():
            return refuse("use_buttons")
        bulletin = self._bulletin(here)
        if action == "u":
            move_item(here.session, bulletin, int(number), True, here.ctx.now)
        else:
            remove_item(here.session, bulletin, int(number), here.ctx.now)
        if not items_of(here.session, bulletin):
            return Goto("menu", here.data)
        return Goto("items", here.data)

    # -- seeing it, scheduling, sending ----------------------------------------------------------

    def ask_preview(self, here: Here[BulletinAnswers]) -> Question:
        parts = telegram_parts(draft_of(here.session, self._bulletin(here), here.ctx.now))
        return Question({**self._shown(here), "parts": parts},
                        [[Choice("menu", button("back_to_summary"))]])

    def ask_back(self, here: Here[BulletinAnswers]) -> Question:
        return Question(self._shown(here), [[Choice("menu", button("back_to_summary"))]])

    def read_back(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        if pressed(value) == "menu":
            return Goto("menu", here.data)
        return refuse("use_buttons")

    def read_schedule(self, here: Here[BulletinAnswers],
                      value: Input) -> Reading[BulletinAnswers]:
        if pressed(value) == "menu":
            return Goto("menu", here.data)
        text = typed(value)
        if text is None:
            return refuse("type_event_date")
        try:
            moment = parse_event_time(text, here.ctx.now)
        except EventDateError as error:
            return refusal_of(error)
        schedule(here.session, self._bulletin(here), moment, here.ctx.now)
        return Goto("menu", here.data.model_copy(update={"notice": "scheduled"}))

    def ask_confirm(self, here: Here[BulletinAnswers]) -> Question:
        bulletin = self._bulletin(here)
        who = audience(here.session, bulletin, links_of(here.ctx), here.ctx.now)
        return Question({**self._shown(here), "audience": who},
                        [[Choice("yes", button("bulletin_send_yes")),
                          Choice("menu", button("back_to_summary"))]])

    def read_confirm(self, here: Here[BulletinAnswers], value: Input) -> Reading[BulletinAnswers]:
        key = pressed(value)
        if key == "menu":
            return Goto("menu", here.data)
        if key != "yes":
            return refuse("use_buttons")
        bulletin = self._bulletin(here)
        delivery = send_bulletin(here.session, bulletin, here.ctx.now, links_of(here.ctx),
                                 started_by=here.ctx.person)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("sent", **self._shown(here), delivery=delivery))

    # -- helpers ---------------------------------------------------------------------------------

    def _bulletin(self, here: Here[BulletinAnswers]) -> Bulletin:
        bulletin = (here.session.get(Bulletin, here.data.bulletin_id)
                    if here.data.bulletin_id is not None else None)
        if bulletin is None:
            raise BulletinError("bulletin_not_found", period="?")
        return bulletin


def _likely_periods(ctx: Context) -> list[Period]:
    """The quarter just ended, the current one, and last month."""
    local = ctx.now.astimezone(ISTANBUL)
    quarter = Quarter.of(local)
    last_month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return [Period(quarter.previous().year, quarter.previous().q),
            Period(quarter.year, quarter.q),
            Period(last_month[0], (last_month[1] - 1) // 3 + 1, last_month[1])]


def _text(value: Input, limit: int) -> str | Refusal:
    text = typed(value)
    if text is None:
        return refuse("type_text")
    text = clean(text)
    if len(text) < MIN_TEXT:
        return refuse("text_too_short")
    if len(text) > limit:
        return refuse("text_too_long", length=len(text), limit=limit)
    return text
