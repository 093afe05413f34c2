"""`kume mail send` and `kume subscribers`: the e-mail outbox sent through [smtp], and the
list of e-mail subscribers (import, list, remove, export)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kume.app import App, help_text, pass_app, say_error, write_to_stdout
from tracker import texts

T = "cli/mail.j2"
S = "cli/subscribers.j2"


@click.group("mail", help=help_text("mail"))
def mail_group() -> None:
    pass


@mail_group.command("send", help=help_text("mail_send"))
@pass_app
def mail_send(app: App) -> None:
    # deferred: aiosmtplib, SQLAlchemy and asyncio, for this command only
    import asyncio

    from bot.mailer import MailSender, MailSettings
    from tracker.clock import Clock
    from tracker.mail.outbox import mail_counts

    config = app.config
    sender = MailSender(app.ready_engine, Clock(config.clock.start),
                        MailSettings.from_config(config))
    report = asyncio.run(sender.drain())
    with app.session() as session:
        waiting = {str(status): count for status, count in mail_counts(session).items()}
    click.echo(texts.say(T, "sent", report=report, waiting=waiting))
    if report.halted:
        say_error(texts.say(T, "halted", code=report.halted, reason=report.reason,
                            host=config.smtp.host, port=config.smtp.port))
        sys.exit(1)


@click.group("subscribers", help=help_text("subscribers"))
def subscribers_group() -> None:
    pass


@subscribers_group.command("import", help=help_text("subscribers_import"))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help=help_text("subscribers_strict"))
@click.option("--source", help=help_text("subscribers_source"))
@pass_app
def subscribers_import(app: App, file: Path, strict: bool, source: str | None) -> None:
    # deferred: SQLAlchemy, email-validator, openpyxl
    from sqlmodel import func, select

    from tracker.mail.subscribers import check_clusters, import_subscribers, read_subscribers
    from tracker.models import Subscriber

    read = read_subscribers(file)
    now = app.now()
    with app.session() as session:
        problems = sorted([*read.problems, *check_clusters(session, read.lines)],
                          key=lambda p: p.line or 0)
        if strict and problems:
            say_error(texts.say(S, "refused", problems=problems))
            sys.exit(1)
        if not read.lines:
            say_error(texts.say(S, "nothing_imported", problems=problems))
            sys.exit(1)
        report = import_subscribers(session, read.lines, source=source or file.name, now=now)
        total = session.exec(select(func.count()).select_from(Subscriber)).one()
    click.echo(texts.say(S, "imported", report=report, problems=problems, total=total))


@subscribers_group.command("list", help=help_text("subscribers_list"))
@pass_app
def subscribers_list(app: App) -> None:
    from tracker.mail.subscribers import list_subscribers  # deferred: SQLAlchemy

    with app.session() as session:
        click.echo(texts.say(S, "listing", rows=list_subscribers(session)))


@subscribers_group.command("remove", help=help_text("subscribers_remove"))
@click.argument("email")
@pass_app
def subscribers_remove(app: App, email: str) -> None:
    from tracker.mail.subscribers import remove_subscriber  # deferred: SQLAlchemy

    with app.session() as session:
        found = remove_subscriber(session, email, app.now())
    if not found:
        say_error(texts.say(S, "not_found", email=email))
        sys.exit(1)
    click.echo(texts.say(S, "removed", email=email))


@subscribers_group.command("export", help=help_text("subscribers_export"))
@click.option("--out", "out", default="-", show_default=True, help=help_text("out_file"))
@pass_app
def subscribers_export(app: App, out: str) -> None:
    # deferred: SQLAlchemy
    from tracker.mail.subscribers import export_rows
    from tracker.spreadsheets import csv_bytes

    with app.session() as session:
        rows = export_rows(session)
    data = csv_bytes(rows)
    if out == "-":
        write_to_stdout(data)
        return
    Path(out).write_bytes(data)
    click.echo(texts.say(S, "exported", count=len(rows) - 1, path=out))
