"""All in-memory state of the stand-in, shared by the HTTP side and the simulated users.

Everything runs in one event loop, so plain containers are enough; the single
:class:`asyncio.Condition` ``changed`` is notified on every state change and is what both
long-polling ``getUpdates`` and the test-side waiters (``SimUser.replies`` ...) sleep on.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import models
from .errors import ApiError, bad_request

if TYPE_CHECKING:
    from .simchat import SimGroup
    from .simuser import SimUser

# Telegram's default when allowed_updates was never set: everything but these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiState:
    """Users, chats, messages, files, commands and the pending update queue."""

    def __init__(self, token: str, bot_username: str, bot_id: int, bot_first_name: str):
        self.token = token
        self.bot = models.bot_user(bot_id, bot_username, bot_first_name)
        self.users: dict[int, SimUser] = {}
        self.groups: dict[int, SimGroup] = {}  # groups and channels (negative ids)
        self.blocked: set[int] = set()
        self.files: dict[str, models.StoredFile] = {}
        self.files_by_path: dict[str, models.StoredFile] = {}
        self.commands: dict[tuple[tuple, str], list[dict]] = {}
        self.menu_buttons: dict[Any, dict] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.allowed_updates: list[str] = []
        self.callbacks: dict[str, dict] = {}
        self.updates: list[dict] = []
        self.delivered_upto = 0  # highest update_id ever returned by getUpdates
        self.changed = asyncio.Condition()
        self.activity_seq = 0  # bumped on every bot-side action (for idle detection)
        self.inflight = 0  # bot requests being processed right now (getUpdates excluded)
        self.poll_generation = 0
        self.closing = False
        self._update_ids = itertools.count(1)
        self._serials = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}

    # -- waiting ---------------------------------------------------------------------------

    async def notify(self, *, activity: bool = True) -> None:
        """Wake every waiter; ``activity`` marks a bot-side action for idle detection."""
        async with self.changed:
            if activity:
                self.activity_seq += 1
            self.changed.notify_all()

    async def wait(self, predicate: Callable[[], bool], deadline: float) -> bool:
        """Sleep until ``predicate()`` holds or the loop time reaches ``deadline``."""
        loop = asyncio.get_running_loop()
        async with self.changed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return predicate()
            try:
                await asyncio.wait_for(self.changed.wait_for(predicate), remaining)
            except TimeoutError:
                return predicate()
            return True

    # -- ids ---------------------------------------------------------------------------------

    def serial(self) -> int:
        """A process-wide counter for ids that only need to be unique."""
        return next(self._serials)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by both sides, like in private chats."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    # -- updates -----------------------------------------------------------------------------

    async def enqueue(self, kind: str, body: dict) -> dict | None:
        """Queue an update of ``kind`` unless allowed_updates filters it out."""
        wanted = self.allowed_updates
        if (wanted and kind not in wanted) or (not wanted and kind in _OPT_IN_UPDATES):
            return None
        update = {"update_id": next(self._update_ids), kind: body}
        self.updates.append(update)
        await self.notify(activity=False)
        return update

    def confirm(self, offset: int | None) -> None:
        """Apply getUpdates ``offset``: forget confirmed (or, if negative, older) updates."""
        if offset is None:
            return
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def mark_delivered(self, updates: list[dict]) -> None:
        if updates:
            self.delivered_upto = max(self.delivered_upto, updates[-1]["update_id"])

    # -- chats -------------------------------------------------------------------------------

    def user_for_chat(self, chat_id: Any, *, check_blocked: bool = True) -> SimUser:
        """The user behind ``chat_id``; raises Telegram's error for unknown/blocked chats."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if isinstance(chat_id, str) and chat_id.startswith("@"):  # a public group or channel
            named = [g for g in self.groups.values() if g.username == chat_id[1:]]
            chat_id = named[0].id if named else 0
        group = self.groups.get(chat_id) if isinstance(chat_id, int) else None
        if group is not None:
            if check_blocked:
                group.check_can_send()
            return group
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise bad_request("chat not found")
        if check_blocked and chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    # -- files -------------------------------------------------------------------------------

    def add_file(
        self, kind: str, data: bytes, file_name: str, mime_type: str | None
    ) -> models.StoredFile:
        stored = models.make_file(self.serial(), kind, data, file_name, mime_type)
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- commands ----------------------------------------------------------------------------

    def visible_commands(self, chat_id: int, language_code: str | None) -> list[dict]:
        """Commands a private chat shows, using Telegram's documented fallback order."""
        langs = [language_code, ""] if language_code else [""]
        for scope in (("chat", chat_id), ("all_private_chats",), ("default",)):
            for lang in langs:
                found = self.commands.get((scope, lang))
                if found:
                    return [dict(c) for c in found]
        return []


SCOPE_TYPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def scope_key(scope: Any) -> tuple:
    """A hashable key for a BotCommandScope object (``None`` means the default scope)."""
    if scope is None:
        return ("default",)
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope")
    fields = SCOPE_TYPES[scope["type"]]
    values = []
    for name in fields:
        value = scope.get(name)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if value is None:
            raise bad_request(f"{name} is empty")
        values.append(value)
    return (scope["type"], *values)
