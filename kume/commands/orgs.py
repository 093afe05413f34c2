"""`kume orgs`: the organisations."""

from __future__ import annotations

import click

from kume.app import App, echo, help_text, pass_app


@click.group(help=help_text("orgs"))
def orgs() -> None:
    pass


@orgs.command("list", help=help_text("orgs_list"))
@pass_app
def orgs_list(app: App) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.organisations import list_organisations

    with app.session() as session:
        echo("cli/orgs_list.j2", organisations=list_organisations(session))
