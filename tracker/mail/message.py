"""A mail outbox row as a proper bulk e-mail (stdlib `email`, policy SMTP): text and HTML as
`multipart/alternative`, Message-ID, Date, From with its Turkish display name encoded, Reply-To,
List-Id, and the two unsubscribe headers mailbox providers require of bulk senders:
List-Unsubscribe (the signed https link and a mailto) and List-Unsubscribe-Post (RFC 8058
one-click).

Every header value built from data passes through `header_text` or `checked_address`, the one
place where a carriage return or a line feed (a header injection) is cleaned away or refused;
the policy would refuse a raw one too, but with a traceback instead of a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html import escape

from tracker.unsubscribe import unsubscribe_url

# Written into a mail's text and HTML where the subscriber's own unsubscribe link goes: one
# rendering of a bulletin serves every subscriber, the link is put in as each mail is built.
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


class UnsafeHeader(ValueError):
    """An address that would smuggle a header or is no address at all."""


def header_text(value: str) -> str:
    """A header's text on one line: every control character (CR, LF, tab, NUL, the Unicode
    line separators) becomes a space, runs of spaces one; a name or subject cannot start a
    header of its own."""
    return " ".join(_CONTROL.sub(" ", value).split())


def checked_address(value: str) -> str:
    """An address as it may stand in a header or an SMTP command: refused, not cleaned, when
    it holds a control character or a space (cleaning would mail someone else)."""
    address = value.strip(" ")
    if not address or _CONTROL.search(address) or " " in address or address.count("@") != 1:
        raise UnsafeHeader(f"not a usable address: {value!r}")
    return address


_NAMED = re.compile(r"(?P<name>.*?)\s*<(?P<address>[^<>]*)>")


def name_and_address(value: str) -> tuple[str, str]:
    """ "İzmir Kalkınma Ajansı <bulten@x.org>" as its display name and address, on one line
    first: the address is what stands in the last angle brackets, the name everything before."""
    text = header_text(value)
    match = _NAMED.fullmatch(text)
    if match is None:
        return "", text
    return match["name"].strip().strip('"').strip(), match["address"].strip()


@dataclass(frozen=True)
class MailIdentity:
    """Who kume's mails come from and where their links point ([smtp] and [web])."""

    sender: str  # "İzmir Kalkınma Ajansı <bulten@example.org>"
    reply_to: str | None = None
    base_url: str = "http://127.0.0.1:8080"
    secret: str | None = None  # [web] secret: signs the unsubscribe links

    @property
    def sender_name(self) -> str:
        return name_and_address(self.sender)[0]

    @property
    def sender_address(self) -> str:
        return checked_address(name_and_address(self.sender)[1])

    @property
    def domain(self) -> str:
        return self.sender_address.rpartition("@")[2]

    @property
    def list_id(self) -> str:
        local = self.sender_address.partition("@")[0]
        return f"<{local}.{self.domain}>"

    def unsubscribe_link(self, subscriber_id: int | None) -> str | None:
        if subscriber_id is None or not self.secret:
            return None
        return unsubscribe_url(self.base_url, self.secret, subscriber_id)


@dataclass(frozen=True)
class Outgoing:
    """What a mail needs to be built (a mail outbox row has these fields)."""

    address: str
    subject_line: str
    text: str
    html: str
    subscriber_id: int | None = None
    name: str = ""


def build_message(mail: Outgoing, identity: MailIdentity, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = header_text(mail.subject_line)
    message["From"] = _address(identity.sender_name, identity.sender_address)
    message["To"] = _address(header_text(mail.name), checked_address(mail.address))
    if identity.reply_to:
        name, address = name_and_address(identity.reply_to)
        message["Reply-To"] = _address(name, checked_address(address))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=identity.domain)
    message["List-Id"] = identity.list_id
    link = identity.unsubscribe_link(mail.subscriber_id)
    mailto = f"mailto:{identity.sender_address}?subject=unsubscribe"
    if link is not None:
        message["List-Unsubscribe"] = f"<{link}>, <{mailto}>"
        # RFC 8058: a provider's "unsubscribe" button POSTs this to the https link.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        message["List-Unsubscribe"] = f"<{mailto}>"
    shown = link or mailto
    message.set_content(mail.text.replace(UNSUBSCRIBE_PLACEHOLDER, shown), cte="quoted-printable")
    message.add_alternative(mail.html.replace(UNSUBSCRIBE_PLACEHOLDER, escape(shown)),
                            subtype="html", cte="quoted-printable")
    return message


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)
