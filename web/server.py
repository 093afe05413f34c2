"""`kume web`: the portal served by uvicorn on [web] listen and port."""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from web.app import Portal, create_app


def server(config: Portal, host: str, port: int, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for the portal, not yet started (`.run()` serves until stopped; tests
    run it in a thread and set `should_exit`).

    `log_config=None`: uvicorn's records go through the process's own logging, where kume's
    redaction masks secrets (uvicorn's formatters would read the arguments it has merged)."""
    app: Starlette = create_app(config)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                         log_config=None, proxy_headers=True,
                                         server_header=False))
