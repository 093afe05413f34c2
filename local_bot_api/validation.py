"""Typed parameter access plus the Telegram validations tests rely on.

Each helper raises the same ``400 Bad Request: ...`` Telegram would, so a bot that builds
a bad request fails in tests the way it would fail in production.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import bad_request
from .formatting import EntityParseError, parse_html, trim
from .params import Upload

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes, UTF-8
# setMyName, setMyDescription, setMyShortDescription: 0-64, 0-512, 0-120 characters.
MAX_BOT_TEXT = {"name": 64, "description": 512, "short_description": 120}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_INLINE_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MARKUP_ERROR = "can't parse reply keyboard markup JSON object"


class Args:
    """One request's parameters with typed getters."""

    def __init__(self, params: dict[str, Any], uploads: dict[str, Upload]):
        self.params = params
        self.uploads = uploads

    def get(self, name: str, default: Any = None) -> Any:
        value = self.params.get(name)
        return default if value is None else value

    def int(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return default
        if isinstance(value, bool):
            raise bad_request(f"{name} is invalid")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"{name} is invalid") from None

    def number(self, name: str, default: float = 0) -> float:
        value = self.params.get(name)
        try:
            return default if value is None else float(value)
        except (TypeError, ValueError):
            raise bad_request(f"{name} is invalid") from None

    def flag(self, name: str) -> bool:
        return self.params.get(name) in (True, 1, "true", "True", "1")

    def obj(self, name: str) -> Any:
        """A JSON-serialized parameter (already decoded unless the client sent junk)."""
        value = self.params.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


def formatted_text(
    args: Args,
    key: str,
    entities_key: str,
    *,
    limit: int,
    empty_error: str | None,
    long_error: str,
) -> tuple[str, list[dict]]:
    """Plain text + entities for ``key``, validated like Telegram (parse_mode aware)."""
    raw = args.get(key, "")
    if not isinstance(raw, str):
        raw = str(raw)
    mode = str(args.get("parse_mode", "")).lower()
    if mode == "html":
        try:
            plain, entities = parse_html(raw)
        except EntityParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is stored verbatim: only HTML is checked by this stand-in.
        plain, entities = raw, list(args.obj(entities_key) or [])
    else:
        raise bad_request("unsupported parse_mode")
    plain, entities = trim(plain, entities)
    if not plain and empty_error:
        raise bad_request(empty_error)
    if len(plain) > limit:
        raise bad_request(long_error)
    return plain, entities


def reply_markup(args: Args) -> tuple[dict | None, dict | None]:
    """``(inline_markup_for_the_message, markup_as_sent)``.

    Telegram only echoes inline keyboards in Message.reply_markup; reply keyboards and
    keyboard removal are chat state, kept on the stored message for ``SimUser.keyboard``.
    """
    markup = args.obj("reply_markup")
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request(_MARKUP_ERROR)
    if "inline_keyboard" in markup:
        rows = _rows(markup["inline_keyboard"])
        for button in (b for row in rows for b in row):
            _check_inline_button(button)
        inline = {"inline_keyboard": rows} if any(rows) else None
        return inline, markup
    if "keyboard" in markup:
        for button in (b for row in _rows(markup["keyboard"]) for b in row):
            if not isinstance(button, str) and not isinstance(button, dict):
                raise bad_request(_MARKUP_ERROR)
            if isinstance(button, dict) and not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
        return None, markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return None, markup
    raise bad_request(_MARKUP_ERROR)


def _rows(value: Any) -> list[list]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise bad_request('can\'t parse keyboard: field "keyboard" must be an Array of Arrays')
    return value


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not _INLINE_ACTIONS & button.keys():
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not re.match(r"(?i)(https?|tg)://\S+$", str(url)):
        raise bad_request("BUTTON_URL_INVALID")


def bot_commands(value: Any) -> list[dict]:
    """Validate setMyCommands ``commands``; returns clean {command, description} dicts."""
    if not isinstance(value, list):
        raise bad_request("can't parse commands JSON object")
    if len(value) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand")
        command = str(item.get("command", ""))
        description = str(item.get("description", "")).strip()
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    return result


def language_code(args: Args) -> str:
    """The optional two-letter language_code of command/description methods."""
    code = str(args.get("language_code", ""))
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code
