"""Telegram's HTML within its 4,096 characters: a text past it becomes several, split between
lines; a single line longer than a message is broken at a space (or, without one, anywhere
between characters), never inside a tag or an entity, and a tag open at a break is closed there
and opened again in the next part. Nothing is dropped.

Here rather than in bot/fit.py so that the domain (a bulletin split at its sections) and the
bot's last guard before every send measure and split the same way. Hand-written because no
maintained library splits Telegram's HTML: kume's HTML is the output of its own templates (a
few inline tags around escaped text), so a tokenizer of tags, entities and text is all it takes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MAX_TEXT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
_TOKEN = re.compile(r"<[^<>]*>|&#?[0-9A-Za-z]+;|[^<&]+|[<&]")
_TAG = re.compile(r"<(/?)\s*([A-Za-z][\w-]*)")
_SPACE_WINDOW = 0.25  # break a long line at a space only within the last quarter of the room


def size(text: str) -> int:
    """The length Telegram limits: the text after parsing (a tag counts nothing, `&amp;` one),
    in UTF-16 code units, which is never less than the characters Telegram counts."""
    return sum(_units(token) for token in _TOKEN.findall(text))


def _units(token: str) -> int:
    if _is_tag(token):
        return 0
    if token.startswith("&") and len(token) > 1:
        token = html.unescape(token)
    return len(token.encode("utf-16-le")) // 2


@dataclass
class _Parts:
    """The parts made so far and the one being filled, with the tags open at its end."""

    limit: int
    done: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    used: int = 0
    has_text: bool = False
    # The tags open at this point: (name, the opening tag as written, to open it again).
    open_tags: list[tuple[str, str]] = field(default_factory=list)

    def room(self) -> int:
        return self.limit - self.used

    def add(self, token: str) -> None:
        self.pieces.append(token)
        self.used += _units(token)
        if token.strip() and not _is_tag(token):
            self.has_text = True
        match = _TAG.match(token) if _is_tag(token) else None
        if match is None:
            return
        name = match.group(2).lower()
        if match.group(1) != "/":
            self.open_tags.append((name, token))
        elif any(n == name for n, _ in self.open_tags):
            while self.open_tags and self.open_tags.pop()[0] != name:
                pass

    def flush(self) -> None:
        """End this part, closing its open tags, and begin the next, opening them again."""
        # Tags opened at the very end enclose nothing here: they open in the next part only.
        kept = len(self.open_tags)
        while kept and self.pieces and self.pieces[-1] == self.open_tags[kept - 1][1]:
            self.pieces.pop()
            kept -= 1
        if self.has_text:
            closing = "".join(f"</{name}>" for name, _ in reversed(self.open_tags[:kept]))
            self.done.append("".join(self.pieces) + closing)
        self.pieces = [tag for _, tag in self.open_tags]
        self.used, self.has_text = 0, False

    def add_line(self, tokens: list[str]) -> None:
        """Token by token; text too long for the room left is broken (an entity never)."""
        for token in tokens:
            while _units(token) > self.room():
                entity = token.startswith("&") and len(token) > 1
                if self.used == 0 and (entity or _units(token[0]) > self.limit):
                    token = ""  # a limit below one character: nothing could hold it
                    break
                if entity:
                    self.flush()
                    continue
                head, token = _break(token, self.room())
                if head:
                    self.add(head)
                self.flush()
            if token:
                self.add(token)


def _is_tag(token: str) -> bool:
    return token.startswith("<") and len(token) > 1


def _break(text: str, room: int) -> tuple[str, str]:
    """`text` cut to fit `room` (UTF-16 units), at a space near the end if there is one."""
    cut = 0
    used = 0
    for index, char in enumerate(text):
        used += size(char)
        if used > room:
            break
        cut = index + 1
    space = text.rfind(" ", 0, cut + 1)
    if cut < len(text) and space > 0 and space >= cut - max(int(room * _SPACE_WINDOW), 1):
        return text[:space], text[space + 1 :]
    return text[:cut], text[cut:]


def fit_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` (Telegram HTML) as one message, or as several of at most `limit` each; always
    at least one (an empty text stays empty, for Telegram to refuse as before)."""
    if size(text) <= limit:
        return [text]
    parts = _Parts(limit)
    for line in text.split("\n"):
        tokens = _TOKEN.findall(line)
        separator = ["\n"] if parts.has_text else []
        needed = size(line)
        # A line longer than a message is broken anyway: it begins where the text is.
        if needed > limit or parts.used + len(separator) + needed <= limit:
            parts.add_line(separator + tokens)
            continue
        parts.flush()
        parts.add_line(tokens)
    parts.flush()
    return parts.done or [""]
