"""`kume report`: the agency's report (what /rapor sends) written to a directory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kume.cli import App, cli, echo, pass_app
from tracker import texts
from tracker.db import session_scope
from tracker.errors import DomainError


@cli.command("report")
@click.argument("words", nargs=-1, metavar="[SÜZGEÇLER]...")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Çıktı klasörü (yoksa oluşturulur).",
)
@click.option("--now", "now_text", help="Bu ana göre (ISO 8601; saat dilimi yoksa İstanbul).")
@pass_app
def report_command(app: App, words: tuple[str, ...], out: Path, now_text: str | None) -> None:
    """Raporu yazar: özet (ozet.txt), Excel çalışma kitabı (rapor.xlsx) ve grafikler (PNG).

    Süzgeçler sohbetteki /rapor ile aynıdır, ör. 2014Q2, 2014, Ö2, H1.2, E1.2.4, gosterge,
    katilim, kume organik-gida.
    """
    from kume.cli_outbox import _instant
    from tracker.reports import build_report, parse_filters, write_report

    now = _instant(now_text, app)
    settings = app.config.calendar.settings()
    try:
        with session_scope(app.ready_engine) as session:
            filters = parse_filters(list(words), session=session, now=now, settings=settings)
            report = build_report(session, filters, now=now, settings=settings)
    except DomainError as error:
        click.echo(texts.render("cli/error.j2", message=texts.describe(error)), err=True)
        sys.exit(1)
    out.mkdir(parents=True, exist_ok=True)
    paths = write_report(report, out)
    echo("cli/report_written.j2", out=out, files=[(p, p.stat().st_size) for p in paths])
