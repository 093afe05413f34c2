"""Groups, supergroups and channels: where a bot is added, and a cluster's notices go.

A :class:`SimGroup` is a chat with a negative id that the bot can be added to (a
``my_chat_member`` update, as Telegram sends) and removed from; people post in it (a
``message`` naming them) and, in a channel, posts name only the channel (``channel_post``
with ``sender_chat``, no ``from``): Telegram does not say who wrote a channel post. It keeps
the bot's messages like a private chat does (``messages``, ``events``, ``wait_for``), and
answers ``getChatMember`` with the statuses it holds. Sending where the bot is not a member
is a 403, in a channel where it is not an administrator a 400, as Telegram answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import models
from .errors import ApiError, bad_request
from .simuser import SimUser

if TYPE_CHECKING:
    from .state import ApiState

ADMINS = ("creator", "administrator")


class SimGroup(SimUser):
    """A group (``kind`` "group" or "supergroup") or a channel (``kind`` "channel")."""

    def __init__(self, state: ApiState, chat_id: int, title: str, kind: str = "supergroup",
                 username: str | None = None):
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        super().__init__(state, chat_id, title, username, None)
        self.title = title
        self.kind = kind
        self.chat = group_chat(chat_id, title, kind, username)
        self.statuses: dict[int, str] = {}  # user id -> "creator", "administrator", "member"
        self.bot_status = "left"

    def __repr__(self) -> str:
        return f"SimGroup(id={self.id}, title={self.title!r}, kind={self.kind!r})"

    @property
    def is_channel(self) -> bool:
        return self.kind == "channel"

    # -- acting as the people of the chat ---------------------------------------------------

    def join(self, user: SimUser, status: str = "member") -> None:
        self.statuses[user.id] = status

    async def add_bot(self, by: SimUser, *, admin: bool = False) -> None:
        """`by` adds the bot (as an administrator if `admin`): a my_chat_member update."""
        await self._bot_becomes("administrator" if admin else "member", by)

    async def remove_bot(self, by: SimUser) -> None:
        await self._bot_becomes("kicked", by)

    async def post(self, text: str, *, by: SimUser | None = None) -> dict:
        """A message in the chat: by `by` in a group; in a channel by the channel itself."""
        if not self.is_channel and by is None:
            raise ValueError("a group message has an author")
        message = self._new_message(text=text)
        entities = models.command_entity(text)
        if entities:
            message["entities"] = entities
        if self.is_channel:
            message.pop("from", None)
            message["sender_chat"] = dict(self.chat)
        else:
            assert by is not None
            message["from"] = dict(by.user)
        self._by_id[message["message_id"]] = message
        self.sent.append(message)
        self._marker = len(self.events)
        kind = "channel_post" if self.is_channel else "message"
        update = await self._state.enqueue(kind, models.public_view(message))
        if update:
            self._last_update_id = update["update_id"]
        return message

    # -- the server's side ------------------------------------------------------------------

    def check_can_send(self) -> None:
        """Telegram's answers to a bot sending where it may not."""
        if self.bot_status in ("left", "kicked"):
            where = "channel" if self.is_channel else "group"
            raise ApiError(403, f"Forbidden: bot is not a member of the {where} chat")
        if self.is_channel and self.bot_status not in ADMINS:
            raise bad_request("need administrator rights in the channel chat")

    def member(self, user_id: int) -> dict:
        """getChatMember's result for `user_id`."""
        if user_id == self._state.bot["id"]:
            return chat_member(self._state.bot, self.bot_status)
        person = self._state.users.get(user_id)
        user = person.user if person is not None else {
            "id": user_id, "is_bot": False, "first_name": str(user_id)}
        return chat_member(user, self.statuses.get(user_id, "left"))

    async def _bot_becomes(self, status: str, by: SimUser) -> None:
        old, self.bot_status = self.bot_status, status
        self.statuses[by.id] = self.statuses.get(by.id, "creator")
        body = {
            "chat": dict(self.chat),
            "from": dict(by.user),
            "date": models.now(),
            "old_chat_member": chat_member(self._state.bot, old),
            "new_chat_member": chat_member(self._state.bot, status),
        }
        update = await self._state.enqueue("my_chat_member", body)
        if update:
            self._last_update_id = update["update_id"]


def group_chat(chat_id: int, title: str, kind: str, username: str | None) -> dict:
    chat: dict[str, Any] = {"id": chat_id, "type": kind, "title": title}
    if username:
        chat["username"] = username
    return chat


_ADMIN_RIGHTS = dict.fromkeys(
    ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
     "can_manage_video_chats", "can_restrict_members", "can_promote_members",
     "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
     "can_delete_stories", "can_post_messages", "can_edit_messages", "can_pin_messages"),
    False)


def chat_member(user: dict, status: str) -> dict:
    """A ChatMember object in the shape PTB's de_json expects for each status."""
    member: dict[str, Any] = {"user": dict(user), "status": status}
    if status == "administrator":
        member.update(_ADMIN_RIGHTS, can_post_messages=True, can_manage_chat=True,
                      can_invite_users=True)
    elif status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member
