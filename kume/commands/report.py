"""`kume report`: the agency's report (what /rapor sends) written to a directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kume.app import App, echo, help_text, instant_or_now, pass_app, say_error
from tracker import texts
from tracker.errors import DomainError


@click.command("report", help=help_text("report"))
@click.argument("words", nargs=-1, metavar=help_text("report_filters_metavar"))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=help_text("report_out"),
)
@click.option("--now", "now_text", help=help_text("report_now"))
@pass_app
def report_command(app: App, words: tuple[str, ...], out: Path, now_text: str | None) -> None:
    # deferred: pandas, openpyxl and matplotlib, for this command only
    from tracker.reports import build_report, parse_filters, write_report

    now = instant_or_now(now_text, app)
    settings = app.config.calendar.settings()
    try:
        with app.session() as session:
            filters = parse_filters(list(words), session=session, now=now, settings=settings)
            report = build_report(session, filters, now=now, settings=settings)
    except DomainError as error:
        say_error(texts.describe(error))
        sys.exit(1)
    out.mkdir(parents=True, exist_ok=True)
    paths = write_report(report, out)
    echo("cli/report_written.j2", out=out, files=[(p, p.stat().st_size) for p in paths])
