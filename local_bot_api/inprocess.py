"""The stand-in without HTTP: a python-telegram-bot request object that calls the methods directly.

For handler tests that need no sockets at all::

    api = LocalBotApi()                      # never started: nothing listens
    app = (ApplicationBuilder().token(api.token)
           .request(InProcessRequest(api)).get_updates_request(InProcessRequest(api)).build())
    await app.initialize()
    await app.process_update(Update.de_json(update_dict, app.bot))

Every Bot API call the bot makes is answered by the same :class:`BotMethods` the HTTP server
uses, with the parameters decoded exactly as ``read_params`` decodes a form-encoded request,
so validation (HTML entities, markup, callback data) and Telegram's errors are the same.
Given a :class:`LocalBotApi`, calls are logged in ``api.calls`` and ``api.fail_next`` applies
(``delay_next`` does not: nothing here waits).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from telegram.request import BaseRequest, RequestData

from .errors import ApiError
from .methods import BotMethods
from .params import Upload, decode_value, log_view
from .state import ApiState
from .validation import Args

if TYPE_CHECKING:
    from .server import LocalBotApi


class InProcessRequest(BaseRequest):
    """Answers the bot's requests from an :class:`ApiState` in the same event loop."""

    def __init__(self, api: LocalBotApi | ApiState, *, read_timeout: float | None = 5.0):
        if isinstance(api, ApiState):
            self._state = api
            self._methods = BotMethods(api)
            self._calls: list[tuple[float, str, dict[str, Any]]] | None = None
        else:
            self._state = api.state
            self._methods = api.methods
            self._calls = api.calls
        self._api = None if isinstance(api, ApiState) else api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        path = unquote(urlsplit(url).path)  # file URLs arrive percent-encoded
        parts = path.split("/")
        if method == "GET" and "file" in parts:  # {base_file_url}{token}/{file_path}
            return self._file(parts)
        token = parts[-2].removeprefix("bot") if len(parts) >= 2 else ""
        if token != self._state.token:
            return _reply(ApiError(401, "Unauthorized").payload(), 401)
        name = parts[-1]
        params, uploads = _decode(request_data)
        if self._calls is not None:
            self._calls.append((time.monotonic(), name, log_view(params, uploads)))
        try:
            if self._api is not None:
                self._api._raise_fault(name)  # api.fail_next(...) works here too
            result = await self._methods.call(name, Args(params, uploads))
        except ApiError as err:
            return _reply(err.payload(), err.status)
        return _reply({"ok": True, "result": result}, 200)

    def _file(self, parts: list[str]) -> tuple[int, bytes]:
        index = parts.index("file")
        token = parts[index + 1].removeprefix("bot") if len(parts) > index + 1 else ""
        if token != self._state.token:
            return _reply(ApiError(401, "Unauthorized").payload(), 401)
        stored = self._state.files_by_path.get("/".join(parts[index + 2 :]))
        if stored is None:
            return _reply(ApiError(404, "Not Found").payload(), 404)
        return 200, stored.data


def _decode(request_data: RequestData | None) -> tuple[dict[str, Any], dict[str, Upload]]:
    """What the HTTP server would have read from PTB's form-encoded request."""
    if request_data is None:
        return {}, {}
    params = {k: decode_value(k, v) for k, v in request_data.json_parameters.items()}
    uploads: dict[str, Upload] = {}
    if request_data.contains_files:
        for key, (filename, content, mime) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            uploads[key] = Upload(filename or key, mime or "application/octet-stream", data)
    return params, uploads


def _reply(body: dict, status: int) -> tuple[int, bytes]:
    return status, json.dumps(body).encode("utf-8")
