"""`kume broadcast`: a notice to every member or one cluster's, from the command line.

It writes the notice into the outbox (tracker.announcements, the same rows /duyuru writes);
the running bot sends it within a second, or `kume run-due` does. Without --yes it shows
how many will get it and asks first.
"""

from __future__ import annotations

import sys

import click

from kume.app import App, confirmed, echo, help_text, pass_app, say_error
from tracker import texts

T = "cli/broadcast.j2"


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
        ids = [cluster_by_code(session, cluster_code).id or 0] if cluster_code else None
        heard = audience(session, ids)
        if not heard.members and not heard.chats:
            say_error(texts.say(T, "nobody", audience=heard))
            sys.exit(1)
        echo(T, name="count", audience=heard)
    # No transaction stays open while a person thinks; the audience is read again to write.
    if not yes and not confirmed(texts.say(T, "confirm")):
        echo(T, name="not_sent", audience=heard)
        return
    with app.session() as session:
        heard = audience(session, ids)
        done = announce(session, text=text, audience=heard, subject=f"cli:{uuid.uuid4().hex}",
                        now=app.now(), author=None)
        echo(T, name="queued", done=done, audience=heard)
