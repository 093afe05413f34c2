"""`kume export`: what was reported, with every version."""

from __future__ import annotations

from pathlib import Path

import click

from kume.app import App, echo, help_text, pass_app, write_to_stdout
from tracker.quarters import Quarter, QuarterError


def _quarter_option(ctx: click.Context, param: click.Parameter, value: str | None
                    ) -> Quarter | None:
    if value is None:
        return None
    try:
        return Quarter.parse(value)
    except QuarterError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


@click.group("export", help=help_text("export"))
def export_group() -> None:
    pass


@export_group.command("updates", help=help_text("export_updates"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "csv", "xlsx")),
    default="json",
    show_default=True,
)
@click.option("--out", "out", required=True, help=help_text("out_file"))
@click.option("--plan", "plan_code", help=help_text("plan_code"))
@click.option(
    "--since",
    metavar=help_text("quarter_metavar"),
    callback=_quarter_option,
    help=help_text("export_since"),
)
@click.option(
    "--until",
    metavar=help_text("quarter_metavar"),
    callback=_quarter_option,
    help=help_text("export_until"),
)
@pass_app
def export_updates(
    app: App,
    fmt: str,
    out: str,
    plan_code: str | None,
    since: Quarter | None,
    until: Quarter | None,
) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.plans import resolve_plan
    from tracker.updates_export import collect_updates, render

    with app.session() as session:
        exported = collect_updates(session, resolve_plan(session, plan_code), since, until)
    data = render(exported, fmt)
    if out == "-":
        write_to_stdout(data)
    else:
        Path(out).write_bytes(data)
        echo(
            "cli/updates_exported.j2",
            path=out,
            fmt=fmt,
            statuses=len(exported.status_updates),
            values=len(exported.indicator_values),
            size=len(data),
        )
