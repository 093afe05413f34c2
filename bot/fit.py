"""The last guard before kume's text goes to Telegram: never too long, never refused for it.

Templates shorten what they quote (the `shorten` filter), so a message seldom comes near
Telegram's 4,096 characters; a long list can still pass it (a prompt for a body with many
actions, an escalation naming many bodies, a report summary). Such a message goes out as
several, split between lines; a single line longer than a message is broken at a space (or,
without one, anywhere between characters), never inside a tag or an entity, and a tag open at a
break is closed there and opened again in the next part. Nothing is dropped.

Hand-written because no maintained library splits Telegram's HTML: kume's HTML is the output
of its own templates (a few inline tags around escaped text), so a tokenizer of tags, entities
and text is all it takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import CallbackQueryLimit, MessageLimit, ParseMode

from tracker.text import shorten

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
MAX_NOTICE = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)  # 200
_TOKEN = re.compile(r"<[^<>]*>|&#?[0-9A-Za-z]+;|[^<&]+|[<&]")
_TAG = re.compile(r"<(/?)\s*([A-Za-z][\w-]*)")
_SPACE_WINDOW = 0.25  # break a long line at a space only within the last quarter of the room


def size(text: str) -> int:
    """Telegram's measure, made safe: UTF-16 code units of the HTML as written, which is never
    less than the length Telegram counts after parsing it (tags vanish, `&amp;` counts one)."""
    return len(text.encode("utf-16-le")) // 2


def fit_notice(text: str | None) -> str | None:
    """A button press's notice (plain text) within Telegram's 200 characters."""
    return None if text is None else shorten(text, MAX_NOTICE)


@dataclass
class _Parts:
    limit: int
    done: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    used: int = 0
    reopened: int = 0  # what the tags opened again at the start of this part take
    has_text: bool = False
    # The tags open at this point: (name, the opening tag as written, to open it again).
    open_tags: list[tuple[str, str]] = field(default_factory=list)

    def closing(self, open_tags: list[tuple[str, str]] | None = None) -> str:
        tags = self.open_tags if open_tags is None else open_tags
        return "".join(f"</{name}>" for name, _ in reversed(tags))

    def room(self) -> int:
        """What may still be added to this part, keeping room to close its open tags."""
        return self.limit - self.used - size(self.closing())

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self.used += size(piece)
        if piece.strip() and not piece.startswith("<"):
            self.has_text = True

    def track(self, token: str) -> None:
        """Follow the open tags through `token` (already added)."""
        match = _TAG.match(token)
        if match is None or not token.startswith("<"):
            return
        closing, name = match.group(1) == "/", match.group(2).lower()
        if not closing:
            self.open_tags.append((name, token))
        elif any(n == name for n, _ in self.open_tags):
            while self.open_tags and self.open_tags.pop()[0] != name:
                pass

    def flush(self) -> None:
        """End this part (closing its tags) and begin the next (opening them again)."""
        # Tags opened at the very end enclose nothing here: they open in the next part only.
        kept = len(self.open_tags)
        while kept and self.pieces and self.pieces[-1] == self.open_tags[kept - 1][1]:
            self.pieces.pop()
            kept -= 1
        if self.has_text:
            self.done.append("".join(self.pieces) + self.closing(self.open_tags[:kept]))
        self.pieces, self.used, self.reopened, self.has_text = [], 0, 0, False
        reopen = "".join(tag for _, tag in self.open_tags)
        # Room for at least one character (two UTF-16 units) after the tags, or no tags: a
        # nesting no message could hold makes the next part start bare.
        if size(reopen) + size(self.closing()) > self.limit - 2:
            self.open_tags = []
            return
        if reopen:
            self.pieces.append(reopen)
            self.used = self.reopened = size(reopen)

    def fits(self, tokens: list[str], fresh: bool = False) -> bool:
        """Whether `tokens` fit in this part (`fresh`: in a part of their own after this one),
        the tags they leave open closed after them."""
        probe = _Parts(self.limit, open_tags=list(self.open_tags))
        for token in tokens:
            probe.track(token)
        needed = sum(size(t) for t in tokens) + size(self.closing(probe.open_tags))
        before = size("".join(tag for _, tag in self.open_tags)) if fresh else self.used
        return before + needed <= self.limit

    def add_line(self, tokens: list[str]) -> None:
        """Token by token; a text token too long for the room left is broken."""
        for token in tokens:
            if _closes_nothing(token, self.open_tags):
                continue  # its opening tag was too big to keep: keep the HTML balanced
            while True:
                if _cost(token) <= self.room():
                    self.add(token)
                    self.track(token)
                    break
                if token.startswith(("<", "&")) and len(token) > 1:
                    if self.used == self.reopened:  # bigger than any message could hold
                        break
                    self.flush()
                    continue
                head, token = _break(token, self.room())
                if head:
                    self.add(head)
                self.flush()


def _cost(token: str) -> int:
    """What adding `token` takes from the room: an opening tag takes its closing tag too, so
    the closing tag itself takes nothing more."""
    match = _TAG.match(token)
    if match is None or not token.startswith("<"):
        return size(token)
    if match.group(1) == "/":
        return 0
    return size(token) + size(f"</{match.group(2).lower()}>")


def _closes_nothing(token: str, open_tags: list[tuple[str, str]]) -> bool:
    match = _TAG.match(token)
    if match is None or match.group(1) != "/":
        return False
    return all(name != match.group(2).lower() for name, _ in open_tags)


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
        # A line that fits no message is broken anyway: it begins where the text is.
        if parts.fits(separator + tokens) or not parts.fits(tokens, fresh=True):
            parts.add_line(separator + tokens)
            continue
        parts.flush()
        parts.add_line(tokens)
    parts.flush()
    return parts.done or [""]


async def send_html(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send kume's HTML as one message or, past Telegram's limit, several in order with the
    buttons on the last; returns the last message sent."""
    sent = None
    parts = fit_message(text)
    for index, part in enumerate(parts):
        sent = await bot.send_message(
            chat_id,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if index == len(parts) - 1 else None,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    return sent
