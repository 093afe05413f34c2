"""The test-driver side: a simulated Telegram user chatting privately with the bot.

Waiting model (why it looks like this): a test must be able to say both "wait for the
bot's answer" and "the bot sent nothing more", without sleeping blindly.

* Every change the bot makes in this chat (send, edit, delete of a bot message) appends a
  :class:`BotEvent` holding a *snapshot* of the message at that moment to ``events``.
* The user keeps a *marker* into ``events``.  ``send``/``press``/... move the marker to
  the end first, so waiting starts from "what the bot did after this action".  Waiters
  consume events and move the marker past what they returned.
* :meth:`SimUser.wait_for` is deterministic: it waits for ``count`` matching events.
* :meth:`SimUser.replies` is the batch form: it waits for the first event, then until the
  bot has *settled*: the user's updates have been fetched by getUpdates, no bot request is
  in flight, and no bot request started/finished for ``quiet`` seconds.
* :meth:`SimUser.assert_no_reply` waits until the bot fetched the user's last update and
  then settled, and fails if anything arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import models

if TYPE_CHECKING:
    from .state import ApiState

Predicate = Callable[[dict], bool]


@dataclass(frozen=True)
class BotEvent:
    """One bot action in the chat: ``kind`` is "sent", "edited" or "deleted"."""

    kind: str
    message: dict  # snapshot (including test-only keys such as "deleted")
    at: float  # event-loop time


def describe(message: dict) -> str:
    """One-line summary of a message for assertion errors."""
    body = message.get("text") or message.get("caption") or ""
    if "document" in message:
        body = f"[document {message['document'].get('file_name')}] {body}"
    elif "photo" in message:
        body = f"[photo] {body}"
    flags = " (deleted)" if message.get("deleted") else ""
    buttons = [
        f"{b.get('text')!r}->{b.get('callback_data', b.get('url'))!r}"
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
    ]
    extra = f" buttons=[{', '.join(buttons)}]" if buttons else ""
    return f"#{message.get('message_id')}{flags}: {body[:200]!r}{extra}"


def _safe(predicate: Predicate, message: dict) -> bool:
    """Predicates may index keys a message lacks (e.g. "text" on a photo): that's a no."""
    try:
        return bool(predicate(message))
    except (KeyError, IndexError, TypeError):
        return False


def _not_deleted(message: dict) -> bool:
    return not message.get("deleted")


def latest_per_message(events: list[BotEvent]) -> list[dict]:
    """Collapse events to one snapshot per message: latest state, first-seen order."""
    latest: dict[int, dict] = {}
    for event in events:
        latest[event.message["message_id"]] = event.message
    return list(latest.values())


class SimUser:
    """A private-chat user (chat id == user id).  Create it with ``api.user(...)``."""

    def __init__(
        self,
        state: ApiState,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ):
        self._state = state
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code
        self.user = models.human_user(user_id, first_name, username, language_code)
        self.chat = models.private_chat(user_id, first_name, username)
        self.messages: list[dict] = []  # bot messages, live (current text/markup/deleted)
        self.sent: list[dict] = []  # this user's own messages
        self.events: list[BotEvent] = []
        self.callback_answers: list[dict] = []
        self.chat_actions: list[str] = []
        self._by_id: dict[int, dict] = {}
        self._marker = 0
        self._last_update_id = 0
        self._last_query_id: str | None = None

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    # -- views -------------------------------------------------------------------------------

    @property
    def last(self) -> dict | None:
        """The bot's most recent message in this chat (current state), if any."""
        return self.messages[-1] if self.messages else None

    @property
    def commands(self) -> list[dict]:
        """The command menu this chat currently shows (scope + language fallback)."""
        return self._state.visible_commands(self.id, self.language_code)

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Button texts of the reply keyboard currently shown, or None."""
        for message in reversed(self.messages):
            markup = message.get("sent_reply_markup") or {}
            if "keyboard" in markup:
                return [
                    [b if isinstance(b, str) else b["text"] for b in row]
                    for row in markup["keyboard"]
                ]
            if markup.get("remove_keyboard"):
                return None
        return None

    @property
    def blocked(self) -> bool:
        return self.id in self._state.blocked

    def message(self, message_id: int) -> dict:
        """Any message of this chat (bot's or user's) by id."""
        if message_id not in self._by_id:
            raise AssertionError(f"no message #{message_id} in chat {self.id}")
        return self._by_id[message_id]

    def find(self, message_id: Any) -> dict | None:
        """Server-side lookup: the message or None."""
        return self._by_id.get(message_id) if isinstance(message_id, int) else None

    # -- server-side hooks (called by the method implementations) ---------------------------

    def record(self, kind: str, message: dict) -> None:
        """Register a bot action on ``message`` (which is stored live in this chat)."""
        if kind == "sent":
            self._by_id[message["message_id"]] = message
            self.messages.append(message)
        loop_time = asyncio.get_running_loop().time()
        self.events.append(BotEvent(kind, copy.deepcopy(message), loop_time))

    # -- acting as the user -----------------------------------------------------------------

    async def send(self, text: str, *, reply_to: int | None = None) -> dict:
        """Send a text message; "/cmd args" gets a bot_command entity like in Telegram."""
        message = self._new_message(text=text)
        entities = models.command_entity(text)
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = models.public_view(self.message(reply_to))
        return await self._deliver(message)

    async def send_document(
        self,
        filename: str,
        data: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict:
        """Send a file; the bot can getFile + download it."""
        stored = self._state.add_file("document", data, filename, mime_type)
        message = self._new_message(caption=caption)
        message["document"] = models.document(stored)
        return await self._deliver(message)

    async def send_photo(
        self, data: bytes, caption: str | None = None, filename: str = "photo.jpg"
    ) -> dict:
        """Send a photo (one PhotoSize; dimensions read from PNG/GIF/JPEG headers)."""
        stored = self._state.add_file("photo", data, filename, "image/jpeg")
        message = self._new_message(caption=caption)
        message["photo"] = models.photo_sizes(stored)
        return await self._deliver(message)

    async def tap(self, text: str) -> dict:
        """Press a reply-keyboard button, i.e. send its text (asserts it is shown)."""
        shown = self.keyboard or []
        if not any(text in row for row in shown):
            raise AssertionError(f"no reply-keyboard button {text!r}; keyboard: {shown}")
        return await self.send(text)

    async def press(self, message: dict | int, button: str) -> dict:
        """Press an inline button found by exact callback_data, else by its text."""
        target = self._bot_message(message)
        buttons = [
            b for row in target.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        match = next((b for b in buttons if b.get("callback_data") == button), None)
        match = match or next((b for b in buttons if b.get("text") == button), None)
        if match is None:
            raise AssertionError(f"no inline button {button!r} on message {describe(target)}")
        if "callback_data" not in match:
            raise AssertionError(f"button {match} is not a callback button")
        return await self._callback(target, match["callback_data"])

    async def press_raw(self, message_id: int, data: str) -> dict:
        """Send a callback query with arbitrary (possibly forged) data for a bot message."""
        return await self._callback(self._bot_message(message_id), data)

    # -- waiting -----------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Predicate | None = None, timeout: float = 5.0, count: int = 1
    ) -> list[dict]:
        """Wait for ``count`` new bot events matching ``predicate``; return their snapshots.

        Without a predicate, every send/edit counts (deletions do not).  A predicate sees
        every event's snapshot, deletions included (``m["deleted"]`` is True).  The marker
        moves past the last returned event, so consecutive calls see consecutive replies.
        """
        check = predicate or _not_deleted
        start = self._marker

        def hits() -> list[int]:
            return [
                i for i in range(start, len(self.events)) if _safe(check, self.events[i].message)
            ]

        await self._state.wait(lambda: len(hits()) >= count, self._deadline(timeout))
        found = hits()
        if len(found) < count:
            seen = "; ".join(describe(e.message) for e in self.events[start:]) or "nothing"
            raise AssertionError(
                f"expected {count} matching bot message(s) in chat {self.id} within "
                f"{timeout}s, got {len(found)}; new bot activity: {seen}"
            )
        used = found[:count]
        self._marker = used[-1] + 1
        return [self.events[i].message for i in used]

    async def reply(self, timeout: float = 5.0) -> dict:
        """The next message the bot sends or edits (AssertionError if none in time)."""
        return (await self.wait_for(timeout=timeout))[0]

    async def next_message(self, timeout: float = 5.0) -> dict:
        """The next *new* message the bot sends (edits of older ones are passed over)."""
        start = self._marker

        def hits() -> list[int]:
            return [i for i in range(start, len(self.events)) if self.events[i].kind == "sent"]

        await self._state.wait(lambda: bool(hits()), self._deadline(timeout))
        found = hits()
        if not found:
            seen = "; ".join(describe(e.message) for e in self.events[start:]) or "nothing"
            raise AssertionError(
                f"expected a new bot message in chat {self.id} within {timeout}s; "
                f"new bot activity: {seen}"
            )
        self._marker = found[0] + 1
        return self.events[found[0]].message

    async def replies(self, timeout: float = 5.0, quiet: float = 0.15) -> list[dict]:
        """Everything the bot did in this chat since the marker, once it has settled.

        Returns one snapshot per message (latest state, first-seen order, deleted ones
        included with ``deleted=True``), or ``[]`` if nothing came within ``timeout``.
        """
        deadline = self._deadline(timeout)
        start = self._marker
        if not await self._state.wait(lambda: len(self.events) > start, deadline):
            return []
        await self._settle(quiet, deadline)
        self._marker = len(self.events)
        return latest_per_message(self.events[start:])

    async def assert_no_reply(self, within: float = 0.3, timeout: float = 5.0) -> None:
        """Fail if the bot does anything in this chat after fetching our last update."""
        deadline = self._deadline(timeout)
        start = self._marker
        if not await self._state.wait(self._delivered, deadline):
            raise AssertionError(f"the bot did not fetch the update of chat {self.id}")
        await self._settle(within, deadline)
        if len(self.events) > start:
            got = "; ".join(describe(e.message) for e in self.events[start:])
            raise AssertionError(f"expected no reply in chat {self.id}, got: {got}")

    async def wait_answer(self, timeout: float = 5.0) -> dict:
        """The bot's answerCallbackQuery for our most recent press."""
        query_id = self._last_query_id

        def answer() -> dict | None:
            return next(
                (a for a in self.callback_answers if a["callback_query_id"] == query_id), None
            )

        await self._state.wait(lambda: answer() is not None, self._deadline(timeout))
        found = answer()
        if found is None:
            raise AssertionError(f"callback query {query_id} was not answered in {timeout}s")
        return found

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _deadline(timeout: float) -> float:
        return asyncio.get_running_loop().time() + timeout

    def _delivered(self) -> bool:
        return self._last_update_id <= self._state.delivered_upto

    async def _settle(self, quiet: float, deadline: float) -> None:
        """Return once our updates were fetched and the bot was idle for ``quiet`` s."""
        state = self._state
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            if state.inflight or not self._delivered():
                await state.wait(lambda: not state.inflight and self._delivered(), deadline)
                continue
            seq = state.activity_seq
            window = min(deadline, loop.time() + quiet)

            def moved(mark: int = seq) -> bool:
                return state.activity_seq != mark

            if not await state.wait(moved, window):
                return

    def _bot_message(self, message: dict | int) -> dict:
        message_id = message["message_id"] if isinstance(message, dict) else message
        found = self.message(message_id)
        if found.get("from", {}).get("id") != self._state.bot["id"]:
            raise AssertionError(f"message #{message_id} was not sent by the bot")
        if found.get("deleted"):
            raise AssertionError(f"message #{message_id} was deleted by the bot")
        return found

    def _new_message(self, *, text: str | None = None, caption: str | None = None) -> dict:
        message: dict[str, Any] = {
            "message_id": self._state.next_message_id(self.id),
            "from": dict(self.user),
            "chat": dict(self.chat),
            "date": models.now(),
            "deleted": False,
        }
        if text is not None:
            message["text"] = text
        if caption is not None:
            message["caption"] = caption
        return message

    async def _deliver(self, message: dict) -> dict:
        # Writing to a bot you blocked unblocks it in Telegram.
        self._state.blocked.discard(self.id)
        self._by_id[message["message_id"]] = message
        self.sent.append(message)
        self._marker = len(self.events)
        update = await self._state.enqueue("message", models.public_view(message))
        if update:
            self._last_update_id = update["update_id"]
        return message

    async def _callback(self, target: dict, data: str) -> dict:
        query_id = str(4_000_000_000_000_000 + self._state.serial())
        query = {
            "id": query_id,
            "from": dict(self.user),
            "message": models.public_view(target),
            "chat_instance": str(-7_000_000_000_000_000 - self.id),
            "data": data,
        }
        self._state.callbacks[query_id] = {
            "user_id": self.id,
            "message_id": target["message_id"],
            "data": data,
            "answered": False,
        }
        self._marker = len(self.events)
        self._last_query_id = query_id
        update = await self._state.enqueue("callback_query", query)
        if update:
            self._last_update_id = update["update_id"]
        return query
