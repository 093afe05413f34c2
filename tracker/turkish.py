"""Turkish-aware text helpers."""

from __future__ import annotations

import re
import unicodedata

_ASCII = str.maketrans(
    {"ı": "i", "İ": "i", "I": "i", "ç": "c", "ğ": "g", "ö": "o", "ş": "s", "ü": "u"}
)
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """A lookup key: case-, accent- and dot-insensitive, so "IZKA", "izka" and "İZKA" match.

    Only for matching; never for display (Turkish casing of i/İ, ı/I is lossy).
    """
    text = text.translate(_ASCII).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip()


def clean(text: str | None) -> str:
    """Trim and collapse inner whitespace of a one-line value."""
    return _SPACES.sub(" ", text or "").strip()


def shorten(text: object, width: int) -> str:
    """At most `width` characters: a longer text is cut and ends with "…".

    For quoting stored text (titles, names, answers) in a message of bounded size; cut before
    escaping, so an HTML entity is never split.
    """
    value = "" if text is None else str(text)
    if len(value) <= width:
        return value
    return value[: max(width - 1, 0)].rstrip() + "…"
