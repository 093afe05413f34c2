"""Telegram-style parsing of ``parse_mode=HTML`` text into plain text + entities.

Telegram rejects malformed HTML with ``400 Bad Request: can't parse entities: ...``
and otherwise stores the *plain* text plus a list of entities.  The stand-in must do
the same so that a bot which forgets ``html.escape`` fails in tests exactly as it would
in production, and so that ``Message.text`` seen by the bot looks like the real thing.

A hand-written scanner is used instead of :class:`html.parser.HTMLParser` because the
stdlib parser is lenient in ways Telegram is not: it silently treats a bare ``<`` as text,
accepts comments, ``<br/>`` and unknown entities.  Error wording follows Telegram's
(``Unsupported start tag "x" at byte offset N`` and friends).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# Only these named entities are accepted by Telegram; numeric ones are always fine.
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
# A whole tag, where quoted attribute values may contain "<" or ">".
_TAG_RE = re.compile(r"""</?[^<>"']*(?:(?:"[^"]*"|'[^']*')[^<>"']*)*>""")
_ATTR_RE = re.compile(r"""\s*([^\s=>"'/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
ALLOWED_TAGS = frozenset({*_SIMPLE_TYPES, "span", "a", "blockquote", "tg-emoji"})


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is Telegram's reason."""


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag, with the entity it will produce."""

    name: str
    offset: int  # in UTF-16 code units of the plain text
    entity: dict | None
    attrs: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Return ``(plain_text, entities)`` or raise :class:`EntityParseError`."""
    plain: list[str] = []
    plain_len = 0  # UTF-16 length of the plain text built so far
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            end = _tag_end(text, i)
            if text.startswith("</", i):
                _close_tag(text, i, end, stack, entities, plain_len)
            else:
                stack.append(_open_tag(text, i, end, plain_len))
            i = end + 1
            continue
        if ch == "&":
            match = _ENTITY_RE.match(text, i)
            if not match:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            piece = html.unescape(match.group())
            i = match.end()
        else:
            piece = ch
            i += 1
        plain.append(piece)
        plain_len += utf16_len(piece)
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    return "".join(plain), _sorted(entities)


def _tag_end(text: str, start: int) -> int:
    """Index of the ``>`` closing the tag that starts at ``start``."""
    match = _TAG_RE.match(text, start)
    if not match:
        opening = re.match(r"</?([^\s>]*)", text[start:])
        assert opening is not None  # everything in it is optional: it always matches
        name = opening.group(1)
        if name and name.lower() not in ALLOWED_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, start)}'
            )
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, start)}")
    return match.end() - 1


def _open_tag(text: str, start: int, end: int, plain_len: int) -> _OpenTag:
    body = text[start + 1 : end]
    name_match = re.match(r"[^\s>/]*", body)
    assert name_match is not None  # `*`: the empty name matches too
    name = name_match.group().lower()
    rest = body[name_match.end() :]
    if name not in ALLOWED_TAGS or rest.rstrip().endswith("/"):
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, start)}'
        )
    attrs = _parse_attrs(rest)
    entity = _entity_for(name, attrs, text, start)
    return _OpenTag(name=name, offset=plain_len, entity=entity, attrs=attrs)


def _parse_attrs(rest: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(rest):
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[match.group(1).lower()] = html.unescape(value)
    return attrs


def _entity_for(name: str, attrs: dict[str, str], text: str, start: int) -> dict | None:
    """Entity template for a start tag (offset/length are filled in on close)."""
    if name in _SIMPLE_TYPES:
        return {"type": _SIMPLE_TYPES[name]}
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, start)}"
            )
        return {"type": "spoiler"}
    if name == "a":
        href = attrs.get("href", "")
        return {"type": "text_link", "url": href} if href else None
    if name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        return {"type": kind}
    # tg-emoji
    emoji_id = attrs.get("emoji-id", "")
    if not emoji_id.isdigit():
        raise EntityParseError(
            f"Custom emoji identifier is invalid at byte offset {_byte_offset(text, start)}"
        )
    return {"type": "custom_emoji", "custom_emoji_id": emoji_id}


def _close_tag(
    text: str,
    start: int,
    end: int,
    stack: list[_OpenTag],
    entities: list[dict],
    plain_len: int,
) -> None:
    name = text[start + 2 : end].strip().lower()
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, start)}")
    top = stack.pop()
    if name != top.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, start)}, "
            f'expected "</{top.name}>", found "</{name}>"'
        )
    length = plain_len - top.offset
    if top.entity is None or length == 0:
        return
    language = top.attrs.get("class", "")
    parent = stack[-1] if stack else None
    if top.name == "code" and parent and parent.name == "pre" and parent.entity:
        # <pre><code class="language-x"> is one pre entity with a language, not two.
        if language.startswith("language-"):
            parent.entity["language"] = language.removeprefix("language-")
        return
    entities.append({**top.entity, "offset": top.offset, "length": length})


def _sorted(entities: list[dict]) -> list[dict]:
    """Telegram orders entities by offset, outer (longer) entities first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Strip surrounding whitespace like Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        begin = max(entity["offset"] - lead, 0)
        finish = min(entity["offset"] + entity["length"] - lead, total)
        if finish > begin:
            result.append({**entity, "offset": begin, "length": finish - begin})
    return stripped, result
