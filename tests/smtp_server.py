"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, in a thread of its own.

It keeps every message it accepted, answers RCPT for chosen addresses with chosen codes
(`refuse`: a queue of answers per address, e.g. one 451 then acceptance), can hold a message
in DATA (`hold`) to leave it on the wire, and can be stopped and started again on the same port
(an outage).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    def __init__(self, port: int | None = None, *, users: dict[str, str] | None = None):
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.users = users  # login -> password; None: no AUTH
        self.received: list[tuple[list[str], bytes]] = []  # (recipients, message)
        self.refuse: dict[str, list[str]] = {}
        self.logins: list[tuple[str, str]] = []
        self.connections = 0
        self.hold = threading.Event()  # set: DATA waits until `release` is set
        self.release = threading.Event()
        self.holding = threading.Event()  # a message is held in DATA now
        self._controller: Controller | None = None
        self._lock = threading.Lock()

    # -- the server's answers -------------------------------------------------------------

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.connections += 1  # a client greets once per connection
        session.host_name = hostname  # what the default EHLO does, which this hook replaces
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self._lock:
            answers = self.refuse.get(address.casefold())
            answer = answers.pop(0) if answers else None
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.users is not None:
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append((login, password))
            return AuthResult(success=self.users.get(login) == password, handled=False)
        return AuthResult(success=False, handled=False)

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.users is not None:
            options.update(authenticator=self._authenticate, auth_require_tls=False,
                           auth_required=True)
        self._controller = Controller(self, hostname=self.host, port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.release.set()
            self._controller.stop()
            self._controller = None

    # -- what arrived -----------------------------------------------------------------------

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = [content for _, content in self.received]
        return [message_from_bytes(content, policy=default) for content in raw]  # type: ignore[misc]

    def per_address(self) -> Counter[str]:
        with self._lock:
            return Counter(r.casefold() for rcpts, _ in self.received for r in rcpts)
