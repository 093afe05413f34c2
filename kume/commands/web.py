"""`kume web` and `kume archive build`: the public portal, live or as a static site."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kume.app import App, help_text, instant_or_now, pass_app
from tracker import texts
from tracker.clock import Clock

if TYPE_CHECKING:
    from web.app import Portal

WORDS = "cli/web.j2"


def _portal(app: App) -> Portal:
    # deferred: Starlette and the database layer, for these commands only
    from web.app import Portal

    web = app.config.web
    return Portal(engine=app.ready_engine, now=Clock(app.config.clock.start).now,
                  base_url=web.base_url, public_progress=web.public_progress,
                  secret=web.secret.get_secret_value() if web.secret else None)


@click.command("web", help=help_text("web"))
@pass_app
def web_command(app: App) -> None:
    # deferred: uvicorn, for this command only
    from web.server import server

    web = app.config.web
    portal = _portal(app)  # first: a database kume db upgrade has not prepared is said plainly
    # A long-running server logs at the configured level, like `kume run` (requests at INFO).
    logging.getLogger().setLevel(logging.DEBUG if app.verbose else app.config.logging.level)
    click.echo(texts.say(WORDS, "serving", listen=web.listen, port=web.port,
                         base_url=web.base_url))
    if web.secret is None:
        click.echo(texts.say(WORDS, "no_secret"))
    server(portal, web.listen, web.port,
           log_level="debug" if app.verbose else app.config.logging.level.lower()).run()


@click.group("archive", help=help_text("archive"))
def archive() -> None:
    pass


@archive.command("build", help=help_text("archive_build"))
@click.option("--out", "out", required=True,
              type=click.Path(file_okay=False, path_type=Path), help=help_text("archive_out"))
@click.option("--now", "now_text", help=help_text("report_now"))
@pass_app
def archive_build(app: App, out: Path, now_text: str | None) -> None:
    # deferred: the pages and the database layer, for this command only
    from web.archive import build

    now = instant_or_now(now_text, app)
    web = app.config.web
    with app.session() as session:
        written = build(session, out, web.base_url, web.public_progress, now)
    click.echo(texts.say(WORDS, "archive_written", out=str(out), files=len(written.files),
                         bulletins=written.bulletins, events=written.events))
