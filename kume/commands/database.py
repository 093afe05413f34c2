"""`kume db`: the database's schema."""

from __future__ import annotations

import click

from kume.app import App, echo, help_text, pass_app


@click.group(help=help_text("db"))
def db() -> None:
    pass


@db.command("upgrade", help=help_text("db_upgrade"))
@pass_app
def db_upgrade(app: App) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.db import safe_url
    from tracker.setup import prepare_database

    result = prepare_database(app.engine)
    echo("cli/db_upgrade.j2", result=result, url=safe_url(app.config.database.url))
