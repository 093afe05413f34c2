"""The Bot API methods the stand-in implements, with Telegram's semantics and errors.

Each method takes the request's :class:`Args` and returns the ``result`` value or raises
:class:`ApiError`.  HTTP, fault injection and the call log live in ``server.py``.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from typing import Any

from . import models, validation
from .errors import ApiError, bad_request
from .params import Upload, resolve_input_file
from .simchat import SimGroup, chat_member
from .simuser import SimUser
from .state import ApiState, scope_key
from .validation import Args

Method = Callable[[Args], Awaitable[Any]]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_UPLOAD_LIMITS = {"document": 50 * 1024**2, "photo": 10 * 1024**2}
_DOWNLOAD_LIMIT = 20 * 1024**2
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running"
)


class BotMethods:
    """Dispatch table from lower-cased method name to implementation."""

    def __init__(self, state: ApiState):
        self.s = state
        self.table: dict[str, Method] = {
            name.lower(): fn
            for name, fn in {
                "getMe": self.get_me,
                "logOut": self.always_true,
                "close": self.always_true,
                "getUpdates": self.get_updates,
                "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "getChat": self.get_chat,
                "getChatMember": self.get_chat_member,
                "sendMessage": self.send_message,
                "editMessageText": self.edit_message_text,
                "editMessageCaption": self.edit_message_caption,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "deleteMessage": self.delete_message,
                "deleteMessages": self.delete_messages,
                "answerCallbackQuery": self.answer_callback_query,
                "sendChatAction": self.send_chat_action,
                "sendDocument": self.send_document,
                "sendPhoto": self.send_photo,
                "getFile": self.get_file,
                "setMyCommands": self.set_my_commands,
                "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "setChatMenuButton": self.set_chat_menu_button,
                "getChatMenuButton": self.get_chat_menu_button,
                "setMyDescription": self._bot_text_setter("description"),
                "getMyDescription": self._bot_text_getter("description"),
                "setMyShortDescription": self._bot_text_setter("short_description"),
                "getMyShortDescription": self._bot_text_getter("short_description"),
                "setMyName": self._bot_text_setter("name"),
                "getMyName": self._bot_text_getter("name"),
            }.items()
        }

    async def call(self, method: str, args: Args) -> Any:
        handler = self.table.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(args)

    # -- bot & polling -----------------------------------------------------------------------

    async def get_me(self, _: Args) -> dict:
        return models.get_me(self.s.bot)

    async def always_true(self, _: Args) -> bool:
        return True

    async def get_updates(self, a: Args) -> list[dict]:
        """Long polling: a newer getUpdates terminates an older one with 409, as in Telegram."""
        s = self.s
        if s.webhook["url"]:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        limit = min(max(a.int("limit", default=100), 1), 100)
        timeout = max(a.number("timeout"), 0.0)
        allowed = a.obj("allowed_updates")
        if isinstance(allowed, list):
            s.allowed_updates = [str(kind) for kind in allowed]
        s.confirm(a.int("offset"))
        s.poll_generation += 1
        generation = s.poll_generation
        await s.notify(activity=False)  # wakes an older poll so it can end with 409
        if timeout > 0:
            deadline = asyncio.get_running_loop().time() + timeout
            await s.wait(
                lambda: s.closing or generation != s.poll_generation or bool(s.updates),
                deadline,
            )
        if generation != s.poll_generation:
            raise ApiError(409, _POLL_CONFLICT)
        batch = copy.deepcopy(s.updates[:limit])
        if batch:
            s.mark_delivered(batch)
            await s.notify()
        return batch

    async def set_webhook(self, a: Args) -> bool:
        self.s.webhook = {"url": str(a.get("url", "")), "params": dict(a.params)}
        if a.flag("drop_pending_updates"):
            self.s.updates.clear()
        return True

    async def delete_webhook(self, a: Args) -> bool:
        self.s.webhook = {"url": ""}
        if a.flag("drop_pending_updates"):
            self.s.updates.clear()
        return True

    async def get_webhook_info(self, _: Args) -> dict:
        return {
            "url": self.s.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.s.updates),
        }

    async def get_chat(self, a: Args) -> dict:
        user = self.s.user_for_chat(a.get("chat_id"), check_blocked=False)
        return models.full_chat(user.chat)

    async def get_chat_member(self, a: Args) -> dict:
        chat = self.s.user_for_chat(a.get("chat_id"), check_blocked=False)
        user_id = a.int("user_id", required=True, default=0)  # required: never the default
        if isinstance(chat, SimGroup):
            return chat.member(user_id)
        if user_id not in (chat.id, self.s.bot["id"]):
            raise bad_request("PARTICIPANT_ID_INVALID")
        user = self.s.bot if user_id == self.s.bot["id"] else chat.user
        return chat_member(user, "member")

    # -- messages ----------------------------------------------------------------------------

    async def send_message(self, a: Args) -> dict:
        user = self.s.user_for_chat(a.get("chat_id"))
        text, entities = validation.formatted_text(
            a,
            "text",
            "entities",
            limit=validation.MAX_TEXT,
            empty_error="message text is empty",
            long_error="message is too long",
        )
        message = self._new_bot_message(user, a)
        message["text"] = text
        if entities:
            message["entities"] = entities
        message["raw_text"] = a.get("text")
        preview = a.obj("link_preview_options")
        if preview:
            message["link_preview_options"] = preview
        return await self._publish(user, "sent", message)

    async def send_document(self, a: Args) -> dict:
        return await self._send_media(a, "document")

    async def send_photo(self, a: Args) -> dict:
        return await self._send_media(a, "photo")

    async def edit_message_text(self, a: Args) -> dict:
        user, message = self._editable(a)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = validation.formatted_text(
            a,
            "text",
            "entities",
            limit=validation.MAX_TEXT,
            empty_error="message text is empty",
            long_error="message is too long",
        )
        inline = self._inline_markup(a)
        current = (message["text"], message.get("entities", []), message.get("reply_markup"))
        if current == (text, entities, inline):
            raise bad_request(validation.NOT_MODIFIED)
        message["text"] = text
        message["raw_text"] = a.get("text")
        _set_or_drop(message, "entities", entities)
        # Like Telegram: editing text without reply_markup removes the inline keyboard.
        _set_or_drop(message, "reply_markup", inline)
        preview = a.obj("link_preview_options")
        if preview:
            message["link_preview_options"] = preview
        return await self._apply_edit(user, message, a)

    async def edit_message_caption(self, a: Args) -> dict:
        user, message = self._editable(a)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = validation.formatted_text(
            a,
            "caption",
            "caption_entities",
            limit=validation.MAX_CAPTION,
            empty_error=None,
            long_error="message caption is too long",
        )
        inline = self._inline_markup(a)
        current = (
            message.get("caption", ""),
            message.get("caption_entities", []),
            message.get("reply_markup"),
        )
        if current == (caption, entities, inline):
            raise bad_request(validation.NOT_MODIFIED)
        _set_or_drop(message, "caption", caption)
        _set_or_drop(message, "caption_entities", entities)
        _set_or_drop(message, "reply_markup", inline)
        message["raw_text"] = a.get("caption")
        return await self._apply_edit(user, message, a)

    async def edit_message_reply_markup(self, a: Args) -> dict:
        user, message = self._editable(a)
        inline = self._inline_markup(a)
        if inline == message.get("reply_markup"):
            raise bad_request(validation.NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", inline)
        return await self._apply_edit(user, message, a, content=False)

    async def delete_message(self, a: Args) -> bool:
        user = self.s.user_for_chat(a.get("chat_id"))
        message = user.find(a.int("message_id", required=True))
        if message is None or message["deleted"]:
            raise bad_request("message to delete not found")
        await self._delete(user, message)
        return True

    async def delete_messages(self, a: Args) -> bool:
        user = self.s.user_for_chat(a.get("chat_id"))
        ids = a.obj("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids is invalid")
        for message_id in ids:
            message = user.find(message_id)
            if message is not None and not message["deleted"]:
                await self._delete(user, message)
        return True

    async def answer_callback_query(self, a: Args) -> bool:
        query_id = str(a.get("callback_query_id", ""))
        record = self.s.callbacks.get(query_id)
        if record is None or record["answered"]:
            raise bad_request(_QUERY_INVALID)
        text = a.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record["answered"] = True
        answer = {
            "callback_query_id": query_id,
            "text": text,
            "show_alert": a.flag("show_alert"),
            "url": a.get("url"),
            "cache_time": a.int("cache_time", default=0),
            "data": record["data"],
            "message_id": record["message_id"],
        }
        self.s.users[record["user_id"]].callback_answers.append(answer)
        await self.s.notify()
        return True

    async def send_chat_action(self, a: Args) -> bool:
        user = self.s.user_for_chat(a.get("chat_id"))
        action = a.get("action", "")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        user.chat_actions.append(action)
        await self.s.notify()
        return True

    # -- files -------------------------------------------------------------------------------

    async def get_file(self, a: Args) -> dict:
        stored = self.s.files.get(str(a.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > _DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return models.file_info(stored)

    # -- commands & menu ---------------------------------------------------------------------

    async def set_my_commands(self, a: Args) -> bool:
        commands = validation.bot_commands(a.obj("commands"))
        key = self._commands_key(a)
        if commands:
            self.s.commands[key] = commands
        else:  # an empty list behaves like deleteMyCommands
            self.s.commands.pop(key, None)
        return True

    async def get_my_commands(self, a: Args) -> list[dict]:
        return copy.deepcopy(self.s.commands.get(self._commands_key(a), []))

    async def delete_my_commands(self, a: Args) -> bool:
        self.s.commands.pop(self._commands_key(a), None)
        return True

    async def set_chat_menu_button(self, a: Args) -> bool:
        chat_id = a.get("chat_id")
        if chat_id is not None:
            chat_id = self.s.user_for_chat(chat_id, check_blocked=False).id
        self.s.menu_buttons[chat_id] = a.obj("menu_button") or {"type": "default"}
        return True

    async def get_chat_menu_button(self, a: Args) -> dict:
        chat_id = a.get("chat_id")
        if chat_id is not None:
            chat_id = self.s.user_for_chat(chat_id, check_blocked=False).id
        button = self.s.menu_buttons.get(chat_id) or self.s.menu_buttons.get(None)
        return copy.deepcopy(button or {"type": "commands"})

    def _bot_text_setter(self, field: str) -> Method:
        async def setter(a: Args) -> bool:
            value = str(a.get(field, ""))
            if len(value) > validation.MAX_BOT_TEXT[field]:
                raise bad_request(f"{field.upper()}_INVALID")
            self.s.bot_texts[(field, validation.language_code(a))] = value
            return True

        return setter

    def _bot_text_getter(self, field: str) -> Method:
        async def getter(a: Args) -> dict:
            texts = self.s.bot_texts
            lang = validation.language_code(a)
            fallback = self.s.bot["first_name"] if field == "name" else ""
            return {field: texts.get((field, lang), texts.get((field, ""), fallback))}

        return getter

    # -- helpers -----------------------------------------------------------------------------

    def _commands_key(self, a: Args) -> tuple[tuple, str]:
        key = scope_key(a.obj("scope"))
        if len(key) > 1:  # chat-bound scopes must name a known chat
            self.s.user_for_chat(key[1], check_blocked=False)
        return key, validation.language_code(a)

    def _new_bot_message(self, user: SimUser, a: Args) -> dict:
        """The common part of every message the bot sends (validates markup and reply)."""
        inline, sent_markup = validation.reply_markup(a)
        message: dict[str, Any] = {
            "message_id": self.s.next_message_id(user.id),
            "from": dict(self.s.bot),
            "chat": dict(user.chat),
            "date": models.now(),
        }
        replied = self._reply_target(user, a)
        if replied is not None:
            quoted = models.public_view(replied)
            quoted.pop("reply_to_message", None)
            message["reply_to_message"] = quoted
        if inline:
            message["reply_markup"] = inline
        message.update(
            deleted=False,
            raw_text=None,
            parse_mode=a.get("parse_mode"),
            sent_reply_markup=sent_markup,
            disable_notification=a.flag("disable_notification"),
        )
        return message

    def _reply_target(self, user: SimUser, a: Args) -> dict | None:
        params = a.obj("reply_parameters") or {}
        message_id = params.get("message_id", a.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = user.find(message_id)
        if target is None or target["deleted"]:
            lenient = params.get("allow_sending_without_reply") or a.flag(
                "allow_sending_without_reply"
            )
            if lenient:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _inline_markup(self, a: Args) -> dict | None:
        inline, sent = validation.reply_markup(a)
        if sent is not None and inline is None and "inline_keyboard" not in sent:
            raise bad_request("inline keyboard expected")
        return inline

    def _editable(self, a: Args) -> tuple[SimUser, dict]:
        if a.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        user = self.s.user_for_chat(a.get("chat_id"))
        message = user.find(a.int("message_id", required=True))
        if message is None or message["deleted"]:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.s.bot["id"]:
            raise bad_request("message can't be edited")
        return user, message

    async def _apply_edit(
        self, user: SimUser, message: dict, a: Args, *, content: bool = True
    ) -> dict:
        """Finish an edit; ``content`` edits (text/caption) also replace the parse_mode."""
        message["edit_date"] = models.now()
        message["sent_reply_markup"] = a.obj("reply_markup")
        if content:
            message["parse_mode"] = a.get("parse_mode")
        return await self._publish(user, "edited", message)

    async def _publish(self, user: SimUser, kind: str, message: dict) -> dict:
        if kind == "sent":  # Telegram fields first, test-only keys last: easier to read
            extras = {k: message.pop(k) for k in list(message) if k in models.EXTRA_KEYS}
            message.update(extras)
        user.record(kind, message)
        await self.s.notify()
        return models.public_view(message)

    async def _delete(self, user: SimUser, message: dict) -> None:
        message["deleted"] = True
        if message["from"]["id"] == self.s.bot["id"]:
            user.record("deleted", message)
        await self.s.notify()

    async def _send_media(self, a: Args, kind: str) -> dict:
        user = self.s.user_for_chat(a.get("chat_id"))
        stored = self._input_file(a, kind)
        caption, entities = validation.formatted_text(
            a,
            "caption",
            "caption_entities",
            limit=validation.MAX_CAPTION,
            empty_error=None,
            long_error="message caption is too long",
        )
        message = self._new_bot_message(user, a)
        if kind == "document":
            message["document"] = models.document(stored)
        else:
            message["photo"] = models.photo_sizes(stored)
        if caption:
            message["caption"] = caption
            message["raw_text"] = a.get("caption")
        if entities:
            message["caption_entities"] = entities
        return await self._publish(user, "sent", message)

    def _input_file(self, a: Args, kind: str) -> models.StoredFile:
        """Upload, known file_id, or URL (not fetched: this machine is offline)."""
        source = resolve_input_file(a.params, a.uploads, kind)
        if source is None or source == "":
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(source, Upload):
            if not source.data:
                raise bad_request("file must be non-empty")
            if len(source.data) > _UPLOAD_LIMITS[kind]:
                raise ApiError(413, "Request Entity Too Large")
            generic = source.content_type == "application/octet-stream"
            mime = None if generic else source.content_type  # None: guess from the name
            return self.s.add_file(kind, source.data, source.filename, mime)
        known = self.s.files.get(source)
        if known is not None:
            if known.kind != kind:
                raise bad_request(f"can't use file of type {known.kind.title()} as {kind.title()}")
            return known
        if source.startswith(("http://", "https://")):
            name = source.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or kind
            stored = self.s.add_file(kind, b"", name, None)
            stored.source_url = source
            return stored
        raise bad_request("wrong file identifier/HTTP URL specified")


def _set_or_drop(message: dict, key: str, value: Any) -> None:
    """Set ``key`` when ``value`` is truthy, otherwise remove it (Telegram omits empties)."""
    if value:
        message[key] = value
    else:
        message.pop(key, None)
