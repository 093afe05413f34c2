"""A mail as a bulk message, built from data that may hold anything: a carriage return or a
line feed in a name, a subject or an address never starts a header of its own (one shared
place: tracker.mail.message.header_text / checked_address)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest

from tracker.mail.message import (
    UNSUBSCRIBE_PLACEHOLDER,
    MailIdentity,
    Outgoing,
    UnsafeHeader,
    build_message,
    checked_address,
    header_text,
)

NOW = datetime(2014, 4, 2, 7, 0, tzinfo=UTC)
IDENTITY = MailIdentity(sender="İzmir Kalkınma Ajansı <bulten@izka.example.org>",
                        reply_to="Kümelenme Birimi <kume@izka.example.org>",
                        base_url="https://portal.example.org/", secret="s")


def parsed(mail: Outgoing, identity: MailIdentity = IDENTITY):  # type: ignore[no-untyped-def]
    return message_from_bytes(build_message(mail, identity, NOW).as_bytes(), policy=default)


@pytest.mark.parametrize("raw", ["a\r\nBcc: x@y", "a\nBcc: x@y", "a\rBcc: x@y",
                                 "a\u2028Bcc: x@y", "a\x00\x0bBcc: x@y", "a\u0085Bcc: x@y"])
def test_header_text_keeps_every_header_value_on_one_line(raw):
    assert header_text(raw) == "a Bcc: x@y"


@pytest.mark.parametrize("raw", ["a@b.org\r\nBcc: x@y", "a@b.org\n", "\ta@b.org", "a b@c.org",
                                 "", "ab.org", "a@b@c.org"])
def test_an_unsafe_address_is_refused_not_cleaned(raw):
    with pytest.raises(UnsafeHeader):
        checked_address(raw)


def test_names_and_subjects_with_line_breaks_cannot_add_headers():
    message = parsed(Outgoing(address="ali@example.com", name="Ali\r\nBcc: kurban@example.com",
                              subject_line="Bülten\nBcc: kurban@example.com", text="t",
                              html="<p>h</p>", subscriber_id=3))
    assert message["Bcc"] is None
    assert str(message["Subject"]) == "Bülten Bcc: kurban@example.com"
    assert message["To"].addresses[0].display_name == "Ali Bcc: kurban@example.com"
    assert message["To"].addresses[0].addr_spec == "ali@example.com"


def test_a_configured_sender_with_a_line_break_cannot_add_headers_either():
    identity = MailIdentity(sender="Ajans\r\nBcc: x@y.org <bulten@izka.example.org>",
                            secret="s")
    message = parsed(Outgoing("ali@example.com", "s", "t", "h"), identity)
    assert message["Bcc"] is None
    assert message["From"].addresses[0].addr_spec == "bulten@izka.example.org"


def test_the_turkish_display_names_are_encoded_and_read_back_intact():
    message = build_message(Outgoing("ali@example.com", "Şubat bülteni", "t", "h",
                                     name="Çağrı Işıl Öğüt"), IDENTITY, NOW)
    raw = message.as_bytes()
    assert all(b < 128 for b in raw)  # encoded words, not raw UTF-8 in the headers
    back = message_from_bytes(raw, policy=default)
    assert back["From"].addresses[0].display_name == "İzmir Kalkınma Ajansı"
    assert back["Reply-To"].addresses[0].display_name == "Kümelenme Birimi"
    assert back["To"].addresses[0].display_name == "Çağrı Işıl Öğüt"
    assert str(back["Subject"]) == "Şubat bülteni"


def test_the_unsubscribe_link_is_put_in_each_mail_and_without_a_subscriber_only_mailto():
    message = parsed(Outgoing("ali@example.com", "s", f"Ayrıl: {UNSUBSCRIBE_PLACEHOLDER}",
                              f'<a href="{UNSUBSCRIBE_PLACEHOLDER}">x</a>', subscriber_id=5))
    link = str(message["List-Unsubscribe"]).split(",")[0].strip("<> ")
    assert link.startswith("https://portal.example.org/abonelik/iptal/")
    assert link in message.get_body(("plain",)).get_content()
    assert f'href="{link}"' in message.get_body(("html",)).get_content()
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    personal = parsed(Outgoing("ali@example.com", "s", "t", "h"))
    assert str(personal["List-Unsubscribe"]) == (
        "<mailto:bulten@izka.example.org?subject=unsubscribe>")
    assert personal["List-Unsubscribe-Post"] is None  # one-click needs the https link
