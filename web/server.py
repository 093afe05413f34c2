"""`kume web`: the portal served by uvicorn on [web] listen and port."""

from __future__ import annotations

import logging
import re

import uvicorn
from starlette.applications import Starlette

from tracker.unsubscribe import UNSUBSCRIBE_PATH
from web.app import Portal, create_app

# An unsubscribe link's token is enough to unsubscribe its subscriber: the access log, which
# may be shared with whoever reads logs, shows the route without it.
_TOKEN = re.compile(re.escape(UNSUBSCRIBE_PATH.split("{", 1)[0]) + r"[^\s\"?]+")
_HIDDEN = UNSUBSCRIBE_PATH.format(token="***")


class HideUnsubscribeTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = _TOKEN.sub(_HIDDEN, message), None
        return True


def server(config: Portal, host: str, port: int, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for the portal, not yet started (`.run()` serves until stopped; tests
    run it in a thread and set `should_exit`).

    `log_config=None`: uvicorn's records go through the process's own logging, where kume's
    redaction masks secrets (uvicorn's formatters would read the arguments it has merged)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideUnsubscribeTokens) for f in access.filters):
        access.addFilter(HideUnsubscribeTokens())
    app: Starlette = create_app(config)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                         log_config=None, proxy_headers=True,
                                         server_header=False))
