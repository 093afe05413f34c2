"""Bot messages as terminal text.

The local Bot API stores what Telegram stores: plain text (HTML entities already unescaped)
plus entities with UTF-16 offsets. Bold, italic and underline become ANSI styles only when
`color` is on (a TTY); links are shown as “text (url)”; inline buttons are numbered below
the message, the way the simulator's "[2]" presses them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from bot.simulator.session import Shown
from tracker import texts

_TEMPLATE = "cli/simulator.j2"
MESSAGE_INDENT = "    "
BUTTON_INDENT = "      "
_STYLES = {
    "bold": "\x1b[1m",
    "italic": "\x1b[3m",
    "underline": "\x1b[4m",
    "strikethrough": "\x1b[9m",
    "code": "\x1b[36m",
    "pre": "\x1b[36m",
    "text_link": "\x1b[4m",
}
_RESET = "\x1b[0m"


def say(macro: str, **params: object) -> str:
    return texts.say(_TEMPLATE, macro, **params)


def styled(text: str, entities: Iterable[dict], color: bool) -> str:
    """Apply entities (UTF-16 offsets) to plain text; nested styles stay on."""
    spans = [
        (e["offset"], e["offset"] + e["length"], e.get("type", ""), e.get("url"))
        for e in entities
    ]
    if not spans:
        return text
    out: list[str] = []
    active: list[str] = []

    def at(position: int) -> None:
        nonlocal active
        for _start, end, kind, url in spans:
            if end == position and kind == "text_link" and url:
                out.append(f"{_RESET} ({url})" if color and active else f" ({url})")
        if not color:
            return
        now = [_STYLES[k] for s, e, k, _ in spans if s <= position < e and k in _STYLES]
        if now != active:
            if active:
                out.append(_RESET)
            out.extend(now)
            active = now

    position = 0  # in UTF-16 code units
    for char in text:
        at(position)
        out.append(char)
        position += 2 if ord(char) > 0xFFFF else 1
    at(position)
    if color and active:
        out.append(_RESET)
    return "".join(out)


def _wrap(line: str, width: int | None, indent: str) -> list[str]:
    if not line:
        return [""]
    if width is None:
        return [indent + line]
    return textwrap.wrap(
        line,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def message_lines(shown: Shown, *, color: bool, width: int | None) -> list[str]:
    """One shown item as lines (indented; buttons numbered). `width` None: no wrapping."""
    if shown.kind == "notice":
        return _wrap(say("notice", text=shown.text or ""), width, MESSAGE_INDENT)
    message = shown.message or {}
    lines: list[str] = []
    if shown.kind == "deleted":
        first = (message.get("text") or message.get("caption") or "").splitlines()[:1]
        return _wrap(" ".join([say("deleted"), *first]), width, MESSAGE_INDENT)
    if shown.kind == "edited":
        lines.append(MESSAGE_INDENT + say("edited"))
    if "document" in message:
        lines.append(MESSAGE_INDENT + say("document", name=message["document"].get("file_name")))
    elif "photo" in message:
        lines.append(MESSAGE_INDENT + say("photo"))
    if "text" in message:
        body = styled(message["text"], message.get("entities", []), color)
    else:
        body = styled(message.get("caption", ""), message.get("caption_entities", []), color)
    for line in body.split("\n"):
        # Styled text is not wrapped: escape codes would break the width arithmetic.
        lines.extend(_wrap(line, None if color else width, MESSAGE_INDENT))
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    number = 0
    for row in rows:
        for button in row:
            number += 1
            label = button.get("text", "")
            if "url" in button:
                label = f"{label} → {button['url']}"
            lines.extend(
                _wrap(f"[{number}] {label}", None if color else width, BUTTON_INDENT)
            )
    return lines


def shown_block(items: list[Shown], *, color: bool, width: int | None) -> str:
    """Several shown items, each preceded by a blank line."""
    parts: list[str] = []
    for item in items:
        parts.append("")
        parts.extend(message_lines(item, color=color, width=width))
    return "\n".join(parts)
