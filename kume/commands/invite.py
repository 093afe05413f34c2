"""`kume invite`: an invitation link, made at the command line."""

from __future__ import annotations

from pathlib import Path

import click

from kume.app import App, help_text, pass_app
from tracker import texts


@click.command("invite", help=help_text("invite"))
@click.option("--org", "organisation", help=help_text("invite_org"))
@click.option("--role", required=True, help=help_text("invite_role"))
@click.option("--cluster", help=help_text("invite_cluster"))
@click.option("--multi", is_flag=True, help=help_text("invite_multi"))
@click.option("--days", type=int, default=14, show_default=True, help=help_text("invite_days"))
@click.option("--qr", "qr", type=click.Path(dir_okay=False, path_type=Path),
              help=help_text("invite_qr"))
@pass_app
def invite(
    app: App,
    organisation: str | None,
    role: str,
    cluster: str | None,
    multi: bool,
    days: int,
    qr: Path | None,
) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.people import create_invite, parse_role

    parsed = parse_role(role)
    with app.session() as session:
        created = create_invite(
            session,
            organisation=organisation,
            role=parsed,
            cluster=cluster,
            multi=multi,
            days=days,
            now=app.now(),
        )
        link = created.link(app.config.telegram.username)
        # Rendered while the rows are loaded, shown once they are committed.
        text = texts.render(
            "cli/invite_created.j2", created=created, link=link, days=days, qr=qr
        )
    if qr is not None:
        from tracker.qr import write_qr

        write_qr(link, qr)
    click.echo(text)
