"""kume's HTTP layer to the Bot API: python-telegram-bot's `BaseRequest` over aiohttp.

Why not PTB's own HTTPXRequest: measured on the update load (bench/throughput.py, py-spy), a
call through httpx and httpcore cost kume more CPU than all its own work for an update (about
2 ms a call on this machine, most of it anyio's cancel scopes and locks and the connection
pool's bookkeeping, which grows with calls in flight), and the bot is bound by its CPU.
aiohttp parses HTTP in C and keeps a plain pool; the same call costs a fraction of that.

Why hand-written: PTB documents `BaseRequest` as the way to use another HTTP library, and its
team's aiohttp implementation lives in ptbcontrib, which is not published on PyPI (installed
from git only) and is GPL-licensed; kume is MIT. This is the small part kume needs: form or
multipart bodies as PTB encodes them, its four timeouts, and its two errors.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = "application/x-www-form-urlencoded"
# The token is part of every URL (…/bot<token>/method); some aiohttp errors quote the URL.
TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s'\"]+")


def redacted(text: str) -> str:
    """An error's text without the bot's token. kume.redaction masks the token in every log
    record and printed error; this keeps it out of what is stored too (an outbox row's last
    error, which `kume outbox` and the database show)."""
    return TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot<jeton>", text)


class AiohttpRequest(BaseRequest):
    """One connection pool to the Bot API; `pool_size` calls at once at most (PTB's builder
    uses 256 for calls and 1 for getUpdates, which holds its one connection open)."""

    __slots__ = ("_session", "_pool_size", "_read", "_write", "_connect", "_pool", "_media_write",
                 "_proxies")

    def __init__(
        self,
        *,
        pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._proxies: dict[str, str | None] = {}  # by origin: see _proxy_for

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        # The session belongs to the running loop: made here, not in __init__.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = bool(request_data and request_data.contains_files)
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        write = write_timeout
        if isinstance(write, DefaultValue):
            write = self._media_write if files else self._write
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp has no write timeout of its own: the whole call is bounded by all four.
        total = None if None in (read, write, connect, pool) else (
            read + write + connect + pool)  # type: ignore[operator]
        timeout = aiohttp.ClientTimeout(
            total=total, connect=pool, sock_connect=connect, sock_read=read)
        body, headers = _body(request_data)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout,
                proxy=self._proxy_for(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {redacted(str(err))}") from err

    def _proxy_for(self, url: str) -> str | None:
        """HTTP(S)_PROXY and NO_PROXY from the environment, as under PTB's httpx: a public
        body's network may reach Telegram only through a proxy. Read once per origin:
        aiohttp's own `trust_env` reads the environment and ~/.netrc again at every call,
        0.7 ms of CPU an update on this machine (bench/throughput.py)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            proxies = getproxies_environment()
            bypass = proxy_bypass(parts.netloc)
            self._proxies[origin] = None if bypass else (
                proxies.get(parts.scheme) or proxies.get("all"))
        return self._proxies[origin]


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """PTB's encoding: each parameter JSON-encoded as a form field; multipart with the files
    when there are any."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.url_encoded_parameters().encode(), {"Content-Type": FORM}
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form, None


def telegram_requests(timeout: float = 10.0) -> tuple[AiohttpRequest, AiohttpRequest]:
    """A Bot's two HTTP layers: for its calls, and for getUpdates (which holds its one
    connection open)."""
    return (AiohttpRequest(read_timeout=timeout, write_timeout=timeout),
            AiohttpRequest(pool_size=1, read_timeout=timeout, write_timeout=timeout))
