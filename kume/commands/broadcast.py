"""`kume broadcast`: a notice to every member or one cluster's, from the command line.

It writes the notice into the outbox (tracker.announcements, the same rows /duyuru writes);
the running bot sends it within a second, or `kume run-due` does. Without --yes it shows
how many will get it and asks first.
"""

from __future__ import annotations

import sys

import click

from kume.app import App, echo, help_text, pass_app, say_error
from tracker import texts


@click.command("broadcast", help=help_text("broadcast"))
@click.option("--text", "text", required=True, help=help_text("broadcast_text"))
@click.option("--cluster", "cluster_code", help=help_text("broadcast_cluster"))
@click.option("--yes", "yes", is_flag=True, help=help_text("broadcast_yes"))
@pass_app
def broadcast_command(app: App, text: str, cluster_code: str | None, yes: bool) -> None:
    # deferred: keeps kume --help under 0.3 s
    import uuid

    from tracker.announcements import announce, audience, checked_text
    from tracker.cluster_chats import cluster_by_code

    text = checked_text(text)  # an empty or too long text is refused before anything
    with app.session() as session:
        clusters = [cluster_by_code(session, cluster_code)] if cluster_code else None
        heard = audience(session, [c.id for c in clusters if c.id] if clusters else None)
        if not heard.members and not heard.chats:
            say_error(texts.say("cli/broadcast.j2", "nobody", audience=heard))
            sys.exit(1)
        echo("cli/broadcast.j2", name="count", audience=heard)
        if not yes and not click.confirm(texts.say("cli/broadcast.j2", "confirm"),
                                         default=False):
            echo("cli/broadcast.j2", name="not_sent", audience=heard)
            return
        done = announce(session, text=text, audience=heard, subject=f"cli:{uuid.uuid4().hex}",
                        now=app.now(), author=None)
        echo("cli/broadcast.j2", name="queued", done=done, audience=heard)
