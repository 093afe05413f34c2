"""`kume plan`: the action plan shown, exported and imported."""

from __future__ import annotations

from pathlib import Path

import click

from kume.app import App, echo, help_text, pass_app, write_to_stdout

# tracker.planfile.FORMATS, which loads SQLAlchemy; a test keeps the two equal.
PLAN_FORMATS = ("json", "xlsx", "csv")


@click.group(help=help_text("plan"))
def plan() -> None:
    pass


@plan.command("show", help=help_text("plan_show"))
@click.argument("code", required=False)
@click.option("--plan", "plan_code", help=help_text("plan_code"))
@pass_app
def plan_show(app: App, code: str | None, plan_code: str | None) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.plans import find_item, plan_tree, resolve_plan

    with app.session() as session:
        tree = plan_tree(session, resolve_plan(session, plan_code))
        if code is None:
            echo("cli/plan_show.j2", tree=tree)
        else:
            echo("cli/plan_item.j2", tree=tree, item=find_item(tree, code))


@plan.command("export", help=help_text("plan_export"))
@click.option(
    "--format", "fmt", type=click.Choice(PLAN_FORMATS), default="json", show_default=True
)
@click.option("--out", "out", required=True, help=help_text("out_file"))
@click.option("--plan", "plan_code", help=help_text("plan_code"))
@pass_app
def plan_export(app: App, fmt: str, out: str, plan_code: str | None) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.planfile import export_plan
    from tracker.plans import resolve_plan

    with app.session() as session:
        data = export_plan(session, resolve_plan(session, plan_code), fmt)
    if out == "-":
        write_to_stdout(data)
    else:
        Path(out).write_bytes(data)
        echo("cli/plan_exported.j2", path=out, fmt=fmt, size=len(data))


@plan.command("import", help=help_text("plan_import"))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def plan_import(app: App, path: Path) -> None:
    # deferred: keeps kume --help under 0.3 s
    from tracker.planfile import import_plan
    from tracker.plans import plan_tree

    with app.session() as session:
        tree = plan_tree(session, import_plan(session, path, shown_name=str(path)))
    echo("cli/plan_imported.j2", tree=tree)
