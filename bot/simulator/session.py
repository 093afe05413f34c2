"""The simulator's core, free of terminal I/O: the real application polling a local Bot API.

`Simulation` starts :class:`local_bot_api.LocalBotApi` on 127.0.0.1, builds the real
application (`bot.app.build_application`) pointed at it, and acts as simulated Telegram users
(personas). Each persona registers the first time through a real invite (`create_invite`, then
"/start <token>" sent through the local API), unless the database already knows it. Every action
waits until the bot has settled (`SimUser.replies`) and returns what the person now sees.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select
from telegram.ext import Application, CallbackContext

from bot.app import build_application, start_polling_in_loop, stop_in_loop, tick
from bot.context import services_of
from bot.settings import BotSettings
from bot.simulator.errors import SimulatorError
from bot.simulator.personas import PERSONAS, Persona
from local_bot_api import LocalBotApi, SimUser
from local_bot_api.simuser import latest_per_message
from tracker.clock import Clock
from tracker.db import session_scope
from tracker.models import Organisation, Plan
from tracker.people import create_invite, person_by_telegram
from tracker.quarters import ISTANBUL, Quarter
from tracker.turkish import fold

logger = logging.getLogger(__name__)

# 2014Q1 has ended and its reporting window is open: a good moment to try /durum.
DEFAULT_START = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)
REPLY_TIMEOUT = 10.0  # seconds to wait for the bot's first reply to a message
ANSWER_GRACE = 1.0  # after a button's answer, how long further replies may take to begin


@dataclass(frozen=True)
class Shown:
    """One thing the person sees: a bot message (new, edited or deleted) or a button notice."""

    kind: str  # "message", "edited", "deleted" or "notice"
    message: dict | None = None
    text: str | None = None


def choose_start(
    engine: Engine, *, option: datetime | None, configured: datetime | None,
    today: datetime | None = None,
) -> tuple[datetime | None, str]:
    """The simulated date and why: --date, else [clock] start, else today if some plan covers
    it (its quarters and the reporting quarter after), else DEFAULT_START."""
    if option is not None:
        return option, "option"
    if configured is not None:
        return configured, "config"
    today = today or datetime.now(UTC)
    with session_scope(engine) as session:
        plans = session.exec(select(Plan)).all()
        spans = [(Quarter.parse(p.start), Quarter.parse(p.end).next()) for p in plans]
    current = Quarter.of(today)
    if any(start <= current <= end for start, end in spans):
        return None, "today"
    return DEFAULT_START, "default"


class Simulation:
    """Use as `async with Simulation(engine, clock, settings) as sim:` inside one event loop."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: BotSettings,
        personas: tuple[Persona, ...] = PERSONAS,
    ):
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.personas = personas
        self.current: Persona | None = None
        self.api = LocalBotApi(bot_username=settings.username)
        self._app: Application | None = None
        self._known: set[str] = set()  # personas registered or confirmed in this run
        self._seen: dict[int, int] = {}  # user id -> how many of its chat's events were shown
        self._shown_text: dict[tuple[int, int], str] = {}  # what a shown message said

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Simulation:
        await self.api.start()
        # A persona already in the database (from an earlier run) has a chat with the bot:
        # notices to them can arrive before they are switched to.
        with session_scope(self.engine) as session:
            known = [p for p in self.personas
                     if person_by_telegram(session, p.user_id) is not None]
        for persona in known:
            self.user(persona)
        app = build_application(
            token=self.api.token,
            engine=self.engine,
            clock=self.clock,
            settings=self.settings,
            base_url=self.api.base_url,
            base_file_url=self.api.base_file_url,
        )
        self._app = await start_polling_in_loop(app)
        return self

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is not None:
            await stop_in_loop(app)
        await self.api.stop()

    async def __aenter__(self) -> Simulation:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- who ---------------------------------------------------------------------------------

    def user(self, persona: Persona | None = None) -> SimUser:
        persona = persona or self._require_current()
        return self.api.user(persona.user_id, first_name=persona.person)

    def _require_current(self) -> Persona:
        if self.current is None:
            raise SimulatorError("no_persona")
        return self.current

    def is_registered(self, persona: Persona) -> bool:
        """The database already has this persona, active, with this organisation and role."""
        if persona.key in self._known:
            return True
        with session_scope(self.engine) as session:
            person = person_by_telegram(session, persona.user_id)
            if person is None or not person.active or person.role != persona.role:
                return False
            organisation = session.get(Organisation, person.organisation_id)
            return organisation is not None and fold(organisation.short) == fold(
                persona.organisation
            )

    def invite(self, persona: Persona) -> str:
        with session_scope(self.engine) as session:
            created = create_invite(
                session,
                organisation=persona.organisation,
                role=persona.role,
                cluster=persona.cluster,
                now=self.clock.now(),
            )
            return created.invite.token

    async def become(self, persona: Persona) -> tuple[bool, list[Shown]]:
        """Switch to `persona`; the first time it registers through an invite. Returns whether
        it registered now, and what it sees (the welcome, or messages that came meanwhile)."""
        self.current = persona
        user = self.user(persona)
        if self._app is not None:
            # What the last persona queued (a notice to members) has gone out before this one
            # looks: the sender sends on its own, a moment after the answer was shown.
            await services_of(self._app).sender.drain()
        waiting = self.pending(persona)
        if self.is_registered(persona):
            self._known.add(persona.key)
            return False, waiting
        await user.send(f"/start {self.invite(persona)}")
        self._known.add(persona.key)
        return True, waiting + await self._settle(user)

    # -- acting ------------------------------------------------------------------------------

    async def say(self, text: str) -> list[Shown]:
        user = self.user()
        waiting = self.pending()
        await user.send(text)
        return waiting + await self._settle(user)

    def buttons(self) -> list[dict]:
        """The buttons of the most recent bot message that shows any."""
        for message in reversed(self.user().messages):
            if message.get("deleted"):
                continue
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            found = [button for row in rows for button in row]
            if found:
                return found
        return []

    def _message_with_buttons(self) -> dict:
        for message in reversed(self.user().messages):
            if not message.get("deleted") and (message.get("reply_markup") or {}).get(
                "inline_keyboard"
            ):
                return message
        raise SimulatorError("no_buttons")

    def find_button(self, ref: str) -> dict:
        buttons = self.buttons()
        if not buttons:
            raise SimulatorError("no_buttons")
        if ref.isdigit():
            index = int(ref)
            if not 1 <= index <= len(buttons):
                raise SimulatorError("no_button", ref=ref, count=len(buttons))
            return buttons[index - 1]
        wanted = fold(ref)
        exact = [b for b in buttons if fold(b.get("text", "")) == wanted]
        if len(exact) == 1:
            return exact[0]
        partial = [b for b in buttons if wanted in fold(b.get("text", ""))]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise SimulatorError(
                "button_ambiguous", ref=ref, labels=[b.get("text") for b in partial]
            )
        raise SimulatorError("no_button", ref=ref, count=len(buttons))

    async def press(self, ref: str) -> tuple[str, list[Shown]]:
        """Press a button of the latest message with buttons; returns its label and replies."""
        user = self.user()
        target = self._message_with_buttons()
        button = self.find_button(ref)
        if "callback_data" not in button:
            raise SimulatorError("link_button", label=button.get("text"), url=button.get("url"))
        waiting = self.pending()
        await user.press_raw(target["message_id"], button["callback_data"])
        try:
            answer = await user.wait_answer(timeout=REPLY_TIMEOUT)
        except AssertionError:
            answer = None
        shown = await self._settle(user, timeout=ANSWER_GRACE if answer else REPLY_TIMEOUT)
        if answer and answer.get("text"):
            shown.insert(0, Shown("notice", text=str(answer["text"])))
        return button.get("text", ""), waiting + shown

    async def send_file(
        self, path: str, caption: str | None = None
    ) -> tuple[str, int, list[Shown]]:
        user = self.user()
        file = Path(path).expanduser()
        try:
            data = file.read_bytes()
        except FileNotFoundError as exc:
            raise SimulatorError("file_not_found", path=path) from exc
        except IsADirectoryError as exc:
            raise SimulatorError("file_is_folder", path=path) from exc
        except OSError as exc:
            raise SimulatorError(
                "file_unreadable", path=path, reason=exc.strerror or str(exc)
            ) from exc
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        waiting = self.pending()
        await user.send_document(file.name, data, mime_type=mime, caption=caption)
        return file.name, len(data), waiting + await self._settle(user)

    async def set_date(self, instant: datetime) -> list[Shown]:
        """Move the clock and let the scheduler look at once, as its next tick would:
        prompts and reminders due at the new date arrive now."""
        self.clock.set(instant)
        if self._app is not None:
            await tick(CallbackContext(self._app))
        return self.pending()

    # -- what arrived ------------------------------------------------------------------------

    def pending(self, persona: Persona | None = None) -> list[Shown]:
        """What the bot did in `persona`'s chat since it was last shown (without waiting)."""
        user = self.user(persona)
        seen = self._seen.get(user.id, 0)
        self._seen[user.id] = len(user.events)
        return self._shown(user.id, latest_per_message(user.events[seen:]))

    def unseen(self, persona: Persona) -> int:
        """How many new bot messages in this persona's chat were not shown yet."""
        user = self.api.users.get(persona.user_id)
        if user is None:
            return 0
        seen = self._seen.get(user.id, 0)
        return sum(1 for event in user.events[seen:] if event.kind == "sent")

    async def _settle(self, user: SimUser, timeout: float = REPLY_TIMEOUT) -> list[Shown]:
        snapshots = await user.replies(timeout=timeout)
        self._seen[user.id] = len(user.events)
        return self._shown(user.id, snapshots)

    def _shown(self, chat_id: int, snapshots: list[dict]) -> list[Shown]:
        """New messages; edits only when the text changed (not when buttons went away)."""
        shown: list[Shown] = []
        for message in snapshots:
            key = (chat_id, message["message_id"])
            body = message.get("text") or message.get("caption") or ""
            before = self._shown_text.get(key)
            self._shown_text[key] = body
            if message.get("deleted"):
                if before is not None:
                    shown.append(Shown("deleted", message))
            elif before is None:
                shown.append(Shown("message", message))
            elif before != body:
                shown.append(Shown("edited", message))
        return shown
