"""Every dialog is named right when its draft expires or is put aside with /iptal: the message
says which work it was and the command that takes it up again."""

from __future__ import annotations

import pytest

from tracker import texts
from tracker.dialogs.registry import ENGINES

COMMANDS = {"status": "/durum", "figures": "/gosterge", "notice": "/duyuru", "event": "/etkinlik",
            "event_change": "/etkinlikler", "event_cancel": "/etkinlikler",
            "event_reject": "/etkinlikler", "bulletin": "/bulten", "head_count": "/yoklama"}


@pytest.mark.parametrize("kind", sorted(set(ENGINES) - {"firm"}))  # firm: asked, never resumed
def test_a_draft_expired_or_put_aside_names_the_command_that_takes_it_up(kind):
    expired = texts.render("messages/draft_expired.j2", kind=kind)
    put_aside = texts.render("messages/cancelled.j2", kind=kind, had_dialog=True)
    for text in (expired, put_aside):
        assert COMMANDS[kind] in text, text
        if kind != "status":
            assert "/durum" not in text and "durum bildirim" not in text, text
