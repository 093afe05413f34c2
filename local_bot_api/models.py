"""Builders for the JSON objects the Bot API returns (User, Chat, Message, files...).

Kept separate from the method logic so every object has exactly one shape, the one PTB's
``de_json`` expects.  Messages stored for the simulated user carry a few extra keys
(:data:`EXTRA_KEYS`) that are stripped before anything is sent to the bot.
"""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import struct
import time
from dataclasses import dataclass
from typing import Any

# Keys kept on stored bot messages for test assertions; never sent to the bot.
EXTRA_KEYS = frozenset(
    {"deleted", "raw_text", "parse_mode", "sent_reply_markup", "disable_notification"}
)


def now() -> int:
    """Unix time, the unit of every ``date`` field."""
    return int(time.time())


def bot_user(bot_id: int, username: str, first_name: str) -> dict:
    """The bot as it appears in ``from`` of its own messages."""
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def get_me(bot: dict) -> dict:
    """``getMe`` result: the bot user plus its capability flags."""
    return {
        **bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def human_user(
    user_id: int, first_name: str, username: str | None, language_code: str | None
) -> dict:
    """A person, as in ``from`` of their messages and callback queries."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def private_chat(user_id: int, first_name: str, username: str | None) -> dict:
    """The private chat with a user (its id equals the user id)."""
    chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
    if username:
        chat["username"] = username
    return chat


def full_chat(chat: dict) -> dict:
    """``getChat`` result (ChatFullInfo needs a couple of mandatory extras)."""
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11}


def public_view(message: dict) -> dict:
    """A deep copy of a stored message without the test-only keys."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k not in EXTRA_KEYS}


@dataclass
class StoredFile:
    """A file known to the server: uploaded by the bot, or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    kind: str  # "document" | "photo"
    data: bytes
    file_name: str
    mime_type: str
    file_path: str
    source_url: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def make_file(
    serial: int, kind: str, data: bytes, file_name: str, mime_type: str | None
) -> StoredFile:
    """Create a file with Telegram-looking ids and a download path."""
    digest = hashlib.sha1(data + file_name.encode()).hexdigest()
    file_id = f"{'BQ' if kind == 'document' else 'AgAC'}ACAgIAAx{serial:06d}{digest[:20]}"
    unique = f"AQAD{serial:04d}{digest[:8]}"
    mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    ext = mimetypes.guess_extension(mime) or ""
    if "." in file_name:
        ext = "." + file_name.rsplit(".", 1)[1]
    folder = "documents" if kind == "document" else "photos"
    return StoredFile(
        file_id=file_id,
        file_unique_id=unique,
        kind=kind,
        data=data,
        file_name=file_name,
        mime_type=mime,
        file_path=f"{folder}/file_{serial}{ext}",
    )


def document(f: StoredFile) -> dict:
    """Document object for a message."""
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_name": f.file_name,
        "mime_type": f.mime_type,
        "file_size": f.size,
    }


def photo_sizes(f: StoredFile) -> list[dict]:
    """A one-element PhotoSize list (real Telegram adds smaller thumbnails too)."""
    width, height = image_size(f.data)
    return [
        {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "width": width,
            "height": height,
            "file_size": f.size,
        }
    ]


def file_info(f: StoredFile) -> dict:
    """``getFile`` result."""
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_size": f.size,
        "file_path": f.file_path,
    }


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG, GIF or JPEG; a plausible default for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        size = _jpeg_size(data)
        if size:
            return size
    return 800, 600


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def command_entity(text: str) -> list[dict]:
    """The ``bot_command`` entity Telegram attaches to ``/cmd`` or ``/cmd@bot`` at offset 0."""
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": len(word.encode("utf-16-le")) // 2}]
