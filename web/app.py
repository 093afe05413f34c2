"""The portal as a Starlette application.

Endpoints are plain functions: Starlette runs them in its thread pool, so the database's
blocking calls never hold up the event loop. Each request is one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker import portal
from tracker.db import session_scope
from tracker.health import check
from tracker.mail.subscribers import end_subscription
from tracker.unsubscribe import UNSUBSCRIBE_PATH, subscriber_of
from web import pages
from web.links import PATHS, Links

logger = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
ICS = "text/calendar; charset=utf-8"
CSS = "text/css; charset=utf-8"


@dataclass(frozen=True)
class Portal:
    """What the application needs: the database, the clock, and [web]."""

    engine: Engine
    now: Callable[[], datetime]
    base_url: str
    public_progress: bool = False
    secret: str | None = None  # [web] secret: signs the unsubscribe links

    @property
    def site(self) -> pages.Site:
        return pages.Site(Links(self.base_url), self.public_progress)


def create_app(config: Portal) -> Starlette:
    site = config.site

    def page(html: str | None) -> Response:
        if html is None:
            raise HTTPException(404)
        return HTMLResponse(html)

    def index(request: Request) -> Response:
        with session_scope(config.engine) as session:
            return page(pages.index(session, site, config.now()))

    def bulletin(request: Request) -> Response:
        with session_scope(config.engine) as session:
            return page(pages.bulletin(session, site, request.path_params["period"]))

    def feed(request: Request) -> Response:
        with session_scope(config.engine) as session:
            return Response(pages.feed(session, site, config.now()), media_type=ATOM)

    def events(request: Request) -> Response:
        with session_scope(config.engine) as session:
            return page(pages.events(session, site, config.now()))

    def event_ics(request: Request) -> Response:
        event_id = request.path_params["event_id"]
        with session_scope(config.engine) as session:
            body = pages.event_ics(session, event_id, config.now())
        if body is None:
            raise HTTPException(404)
        return Response(body, media_type=ICS, headers={
            "Content-Disposition": f'attachment; filename="etkinlik-{event_id}.ics"'})

    def calendar(request: Request) -> Response:
        with session_scope(config.engine) as session:
            return Response(pages.calendar(session, config.now()), media_type=ICS)

    def progress(request: Request) -> Response:
        with session_scope(config.engine) as session:
            return page(pages.progress(session, site))

    def stylesheet(request: Request) -> Response:
        return Response(pages.stylesheet(), media_type=CSS,
                        headers={"Cache-Control": "public, max-age=3600"})

    def unsubscribe(request: Request) -> Response:
        """GET: the confirmation form (a link scanner that opens it changes nothing). POST:
        unsubscribed, whether from the form or a mail provider's one-click POST (RFC 8058,
        body `List-Unsubscribe=One-Click`): the signed token in the address is what proves the
        right to it, so the body is not needed."""
        subscriber_id = _subscriber_id(config.secret, request.path_params["token"])
        with session_scope(config.engine) as session:
            subscriber = (None if subscriber_id is None
                          else portal.find_subscriber(session, subscriber_id))
            if subscriber is None:
                return HTMLResponse(pages.render(site, "unsubscribe.html", state="invalid"),
                                    status_code=404)
            address = portal.masked_address(subscriber.email)
            if request.method == "GET":
                state = "already" if subscriber.unsubscribed_at else "confirm"
                return HTMLResponse(pages.render(site, "unsubscribe.html", state=state,
                                                 address=address, action=request.url.path))
            already = subscriber.unsubscribed_at is not None
            end_subscription(session, subscriber, config.now())
            return HTMLResponse(pages.render(site, "unsubscribe.html",
                                             state="already" if already else "done",
                                             address=address))

    def healthz(request: Request) -> Response:
        health = check(config.engine, config.now())
        body = {
            "ok": health.ok,
            "database": health.database,
            "schema": {"revision": health.schema, "head": health.head,
                       "at_head": health.schema_at_head},
            "outbox_oldest_due_seconds": {"telegram": health.telegram_oldest_due,
                                          "mail": health.mail_oldest_due},
        }
        if health.error:
            body["error"] = health.error
        return Response(json.dumps(body), status_code=200 if health.ok else 503,
                        media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return HTMLResponse(pages.error(site, status), status_code=status)

    def server_error(request: Request, exc: Exception) -> Response:
        logger.error("portal: %s %s failed", request.method, request.url.path, exc_info=exc)
        return HTMLResponse(pages.error(site, 500), status_code=500)

    routes = [
        Route(PATHS["index"][0], index),
        Route(PATHS["bulletin"][0], bulletin),
        Route(PATHS["feed"][0], feed),
        Route(PATHS["events"][0], events),
        Route(PATHS["event_ics"][0].replace("{event_id}", "{event_id:int}"), event_ics),
        Route(PATHS["calendar"][0], calendar),
        Route(PATHS["progress"][0], progress),
        Route(PATHS["css"][0], stylesheet),
        Route(UNSUBSCRIBE_PATH, unsubscribe, methods=["GET", "POST"]),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                     exception_handlers={HTTPException: not_found, 500: server_error})


# No page runs a script or loads anything from elsewhere but a bulletin's own images: said to
# the browser too, so even a bulletin's HTML (shown as it went out) could run nothing.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
     b"script-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def _subscriber_id(secret: str | None, token: str) -> int | None:
    """The subscriber a link names; None for a forged token (or no [web] secret: then no
    link was ever made)."""
    if not secret:
        return None
    return subscriber_of(secret, token)
