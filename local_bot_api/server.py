"""``LocalBotApi``: an in-memory stand-in for the Telegram Bot API over real local HTTP.

Telegram is unreachable from the development machine, so the bot's end-to-end tests and
the offline simulator point python-telegram-bot at this server instead::

    async with LocalBotApi() as api:
        app = (ApplicationBuilder().token(api.token)
               .base_url(api.base_url).base_file_url(api.base_file_url).build())
        user = api.user(42, "Ayşe")
        await user.send("/start")
        reply = await user.reply()

Requests are served exactly where PTB sends them (``POST {base_url}{token}/{method}``,
form-encoded or multipart, JSON-encoded nested values) and answered in Telegram's
``{"ok": ..., "result" | "error_code"/"description"/"parameters"}`` format.  On top of the
API it offers fault injection (``fail_next``/``delay_next``) and a call log (``calls``)
for reliability tests, and, when asked, Telegram's flood limits (``limits=TelegramLimits()``,
see :mod:`local_bot_api.limits`) and a network round trip added to every call
(``round_trip=0.1``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ApiError, default_description
from .limits import FloodControl, TelegramLimits
from .methods import BotMethods
from .params import log_view, read_params
from .simchat import SimGroup
from .simuser import SimUser
from .state import ApiState, scope_key
from .validation import Args

_MAX_BODY = 60 * 1024**2  # above Telegram's 50 MB upload limit, so the limit is ours
_NOT_STARTED = "LocalBotApi is not started"


@dataclass(frozen=True)
class Fault:
    """One injected failure for the next call of a method."""

    status: int
    description: str
    retry_after: int | None

    def error(self) -> ApiError:
        return ApiError(self.status, self.description, self.retry_after)


class LocalBotApi:
    """The server plus the simulated users; all state lives in memory, in one event loop."""

    def __init__(
        self,
        token: str = "123456:LOCAL",
        bot_username: str = "kume_bot",
        bot_id: int = 123456,
        *,
        bot_first_name: str = "Kume",
        limits: TelegramLimits | None = None,
        round_trip: float = 0.0,
    ):
        """``limits``: answer 429 as Telegram would (None: never on its own, the default,
        which keeps tests fast). ``round_trip``: seconds added to every call, as a network
        would (a call is counted and carried out when it arrives, and answered that much
        later)."""
        self.state = ApiState(token, bot_username, bot_id, bot_first_name)
        self.flood = FloodControl(limits) if limits is not None else None
        self.round_trip = round_trip
        self.methods = BotMethods(self.state)
        self.calls: list[tuple[float, str, dict[str, Any]]] = []
        # Every call answered with an error, injected faults included: (method, description).
        self.refused: list[tuple[str, str]] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalBotApi:
        """Listen on ``host:port`` (0 = any free port); returns self."""
        if self._runner is not None:
            raise RuntimeError("LocalBotApi already started")
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        self._port = runner.addresses[0][1]
        self.state.closing = False
        return self

    async def stop(self) -> None:
        """Release pending long polls and delays, then close the listener."""
        if self._runner is None:
            return
        self.state.closing = True
        await self.state.notify(activity=False)
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(_NOT_STARTED)
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: PTB appends the token."""
        return f"{self.url}/file/bot"

    # -- test driver -------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "tr",
    ) -> SimUser:
        """Get or create the simulated user ``user_id`` (its private chat has the same id)."""
        existing = self.state.users.get(user_id)
        if existing is not None:
            return existing
        created = SimUser(self.state, user_id, first_name, username, language_code)
        self.state.users[user_id] = created
        return created

    def group(self, chat_id: int, title: str = "Grup", *, kind: str = "supergroup",
              username: str | None = None) -> SimGroup:
        """Get or create the group or channel ``chat_id`` (negative; ``kind`` "group",
        "supergroup" or "channel"); the bot is not in it until ``add_bot``."""
        existing = self.state.groups.get(chat_id)
        if existing is not None:
            return existing
        created = SimGroup(self.state, chat_id, title, kind, username)
        self.state.groups[chat_id] = created
        return created

    @property
    def users(self) -> dict[int, SimUser]:
        return self.state.users

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to that chat fail with 403 until they write again."""
        self.state.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.state.blocked.discard(user_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail without side effects."""
        fault = Fault(status, description or default_description(status, retry_after), retry_after)
        self._faults.setdefault(method.lower(), deque()).extend([fault] * times)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` calls of ``method`` (to provoke client timeouts).

        The call is still executed after the delay even if the client gave up, like a
        real server whose response got lost: that is what makes retries risky.
        """
        self._delays.setdefault(method.lower(), deque()).extend([seconds] * times)

    def delays_left(self, method: str) -> int:
        """How many of ``method``'s delayed calls have not arrived yet."""
        return len(self._delays.get(method.lower(), ()))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every logged call of ``method`` (case-insensitive), in order."""
        wanted = method.lower()
        return [params for _, name, params in self.calls if name.lower() == wanted]

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """What getMyCommands would return for exactly this scope and language."""
        return [dict(c) for c in self.state.commands.get((scope_key(scope), language_code), [])]

    @property
    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by the bot (via a higher getUpdates offset)."""
        return list(self.state.updates)

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.state.token:
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        method = request.match_info["method"]
        try:
            params, uploads = await read_params(request)
        except ValueError:
            return _json(ApiError(400, "Bad Request: can't parse request").payload(), 400)
        self.calls.append((time.monotonic(), method, log_view(params, uploads)))
        polling = method.lower() == "getupdates"
        if not polling:
            self.state.inflight += 1
            await self.state.notify()
        try:
            try:
                result = await self._answer(method, params, uploads)
                body, status = {"ok": True, "result": result}, 200
            except ApiError as err:
                self.refused.append((method, err.description))
                body, status = err.payload(), err.status
            await self._travel()
        finally:
            if not polling:
                self.state.inflight -= 1
                await self.state.notify()
        return _json(body, status)

    async def _answer(self, method: str, params: dict[str, Any], uploads: dict) -> Any:
        await self._apply_delay(method)
        self._raise_fault(method)
        admission = self.flood.admit(method, params) if self.flood is not None else None
        try:
            return await self.methods.call(method, Args(params, uploads))
        except ApiError:
            if admission is not None:
                admission.undo()  # a refused call is not a message
            raise

    async def _travel(self) -> None:
        """The answer's way back (a plain sleep: waiting on the state's condition would wake
        every answer on the way at every call)."""
        if self.round_trip > 0:
            await asyncio.sleep(self.round_trip)

    @property
    def too_many_requests(self) -> int:
        """How many calls the flood limits refused with 429 (injected faults not counted)."""
        return self.flood.refusals if self.flood is not None else 0

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.state.token:
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        stored = self.state.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return _json(ApiError(404, "Not Found").payload(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    async def _apply_delay(self, method: str) -> None:
        queue = self._delays.get(method.lower())
        if not queue:
            return
        seconds = queue.popleft()
        deadline = asyncio.get_running_loop().time() + seconds
        await self.state.wait(lambda: self.state.closing, deadline)
        if self.state.closing:  # stop() cut the delay short: nothing may land after stop
            raise ApiError(502, "Bad Gateway")

    def _raise_fault(self, method: str) -> None:
        queue = self._faults.get(method.lower())
        if queue:
            raise queue.popleft().error()


def _json(body: dict, status: int) -> web.Response:
    return web.json_response(body, status=status)
