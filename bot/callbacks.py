"""Button data: what a button asks for, checked again on the server when it is pressed.

"d:<dialog id>:<revision>:<choice>" answers a dialog question; "c:<command> <argument>" runs a
command as if typed. Data is made of ids and fixed-width values only ("c:durum #17",
"c:degil 2014Q1 #17"), never of codes or other text, so it fits Telegram's 64 bytes by
construction; buttons sent before that ("c:durum E1.2.3") still work, read as typed. Nothing in
the data is trusted: the dialog must be the presser's and current, and the command's argument
is checked exactly as a typed one (tracker.status_updates.named_action).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit for callback data


@dataclass(frozen=True)
class DialogPress:
    dialog_id: int
    revision: int
    key: str


@dataclass(frozen=True)
class CommandPress:
    command: str
    argument: str | None


def dialog(dialog_id: int, revision: int, key: str) -> str:
    return _checked(f"d:{dialog_id}:{revision}:{key}")


def command(text: str) -> str:
    return _checked(f"c:{text}")


def _checked(data: str) -> str:
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def parse(data: str | None) -> DialogPress | CommandPress | None:
    """The press, or None for data kume never made."""
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        return None
    if data.startswith("d:"):
        parts = data.split(":", 3)
        if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit() or not parts[3]:
            return None
        return DialogPress(int(parts[1]), int(parts[2]), parts[3])
    if data.startswith("c:"):
        name, _, argument = data[2:].partition(" ")
        if not name.isalpha():
            return None
        return CommandPress(name, argument.strip() or None)
    return None
