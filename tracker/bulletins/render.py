"""A bulletin's three versions from one draft: Telegram (HTML parse mode, split at section
boundaries into messages under 4,096 characters), e-mail HTML (CSS inlined) and plain text.

The templates are in templates/bulletins/. The Telegram and e-mail ones are rendered with
autoescape (every stored text escaped), the plain-text one without.
"""

from __future__ import annotations

from collections.abc import Iterator

import css_inline

from tracker.bulletins.draft import BulletinDraft
from tracker.message_fit import MAX_TEXT, fit_message, size
from tracker.texts import html_env, plain_env

TELEGRAM = "bulletins/telegram.j2"
EMAIL = "bulletins/email.j2"
TEXT = "bulletins/text.j2"
# Where each subscriber's own unsubscribe link goes: the frozen e-mail and the preview carry
# this mark, and each mail gets its own link in its place (`personal`). URL-safe, so escaping
# leaves it as it is.
UNSUBSCRIBE_PLACEHOLDER = "https://kume.invalid/abonelik/iptal/KUME-UNSUBSCRIBE-LINK"
_SEPARATOR = "\n\n"


def _sections(draft: BulletinDraft) -> Iterator[str]:
    """The Telegram sections, in order; an empty section is left out."""
    module = html_env().get_template(TELEGRAM).module
    yield str(module.header(draft)).strip()  # type: ignore[attr-defined]
    shown = {"news": draft.news, "actions": draft.actions, "held": draft.held,
             "upcoming": draft.upcoming, "highlights": draft.highlights,
             "growth": draft.growth}
    for name, content in shown.items():
        if content:
            yield str(getattr(module, name)(draft)).strip()
    yield str(module.footer(draft)).strip()  # type: ignore[attr-defined]


def telegram_parts(draft: BulletinDraft, limit: int = MAX_TEXT) -> list[str]:
    """The Telegram messages: whole sections packed while they fit `limit`; a section longer
    than a message alone is split between its lines (tracker.message_fit)."""
    parts: list[str] = []
    current = ""
    for section in _sections(draft):
        for piece in fit_message(section, limit):
            joined = f"{current}{_SEPARATOR}{piece}" if current else piece
            if size(joined) <= limit:
                current = joined
                continue
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def email_html(draft: BulletinDraft, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER) -> str:
    """The e-mail's HTML part, its CSS inlined (mail clients drop or ignore <style>)."""
    page = html_env().get_template(EMAIL).render(d=draft, unsubscribe_url=unsubscribe_url)
    return str(css_inline.inline(page))


def plain_text(draft: BulletinDraft, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER) -> str:
    text = plain_env().get_template(TEXT).render(d=draft, unsubscribe_url=unsubscribe_url)
    return text.strip("\n") + "\n"


def personal(text: str, unsubscribe_url: str) -> str:
    """A frozen version with the recipient's own unsubscribe link in place of the mark."""
    return text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)
