"""`kume bulletin`: a period's bulletin previewed, sent (or scheduled) and listed."""

from __future__ import annotations

from pathlib import Path

import click

from kume.app import App, confirmed, echo, help_text, instant_or_now, pass_app
from tracker import texts

TELEGRAM_SEPARATOR = "\n\n-----\n\n"  # between the Telegram messages in telegram.txt


@click.group(help=help_text("bulletin"))
def bulletin() -> None:
    pass


@bulletin.command("preview", help=help_text("bulletin_preview"))
@click.option("--period", required=True, help=help_text("bulletin_period"))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=help_text("bulletin_out"))
@pass_app
def bulletin_preview(app: App, period: str, out: Path) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.bulletins.draft import compose
    from tracker.bulletins.period import parse_period
    from tracker.bulletins.render import email_html, plain_text, telegram_parts
    from tracker.bulletins.store import find_bulletin

    chosen = parse_period(period)
    now = app.now()
    with app.session() as session:
        stored = find_bulletin(session, chosen)
        if stored is not None and stored.frozen_html is not None:  # sent: what went out
            html, text = stored.frozen_html, stored.frozen_text or ""
            parts = list(stored.frozen_telegram or [])
        else:
            draft = compose(session, chosen, now, stored.id if stored is not None else None)
            html, text, parts = email_html(draft), plain_text(draft), telegram_parts(draft)
    out.mkdir(parents=True, exist_ok=True)
    files = {"bulten.html": html, "bulten.txt": text,
             "telegram.txt": TELEGRAM_SEPARATOR.join(parts) + "\n"}
    for name, content in files.items():
        (out / name).write_text(content, encoding="utf-8")
    echo("cli/bulletin.j2", name="preview", out=out, files=sorted(files), parts=len(parts))


@bulletin.command("send", help=help_text("bulletin_send"))
@click.option("--period", required=True, help=help_text("bulletin_period"))
@click.option("--at", "at", metavar="ISO", help=help_text("bulletin_at"))
@click.option("--yes", is_flag=True, help=help_text("bulletin_yes"))
@pass_app
def bulletin_send(app: App, period: str, at: str | None, yes: bool) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.bulletins.period import parse_period
    from tracker.bulletins.send import MailLinks, audience, send_bulletin
    from tracker.bulletins.store import editable, open_bulletin, schedule

    chosen = parse_period(period)
    now = app.now()
    when = instant_or_now(at, app) if at is not None else None
    web = app.config.web
    links = MailLinks(web.base_url, web.secret.get_secret_value() if web.secret else None)
    with app.session() as session:
        stored = editable(open_bulletin(session, chosen, None, now))
        who = audience(session, stored, links, now)
        echo("cli/bulletin.j2", name="audience", period=chosen, audience=who, at=when)
        if not yes and not confirmed(texts.render("cli/bulletin.j2", name="confirm").strip()):
            echo("cli/bulletin.j2", name="not_sent")
            return
        if when is not None:  # a moment gone by is refused, never taken for "now"
            schedule(session, stored, when, now)
            echo("cli/bulletin.j2", name="scheduled", period=chosen, at=when)
            return
        sent = send_bulletin(session, stored, now, links)
    echo("cli/bulletin.j2", name="sent", period=chosen, delivery=sent)


@bulletin.command("list", help=help_text("bulletin_list"))
@pass_app
def bulletin_list(app: App) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.bulletins.store import all_bulletins, items_of

    with app.session() as session:
        rows = [(b, len(items_of(session, b))) for b in all_bulletins(session)]
        echo("cli/bulletin.j2", name="list", rows=rows)
