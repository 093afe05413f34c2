"""`kume run` and `kume simulate`: the bot, on Telegram or in the terminal."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

import click

from kume.app import App, help_text, pass_app
from tracker import texts


@click.command("run", help=help_text("run"))
@pass_app
def run(app: App) -> None:
    config = app.config
    if config.telegram.token is None:
        # deferred: the bot and Telegram's library, for this command only
        from bot.simulator import run_interactive

        click.echo(texts.say("cli/simulator.j2", "no_token"))
        status = run_interactive(config)
        if status:
            sys.exit(status)
        return
    # deferred: the bot and Telegram's library, for this command only
    from bot.runner import run_bot
    from tracker.setup import prepare_database

    logging.getLogger().setLevel(logging.DEBUG if app.verbose else config.logging.level)
    prepare_database(app.engine)
    run_bot(config)


def _when_option(ctx: click.Context, param: click.Parameter, value: str | None
                 ) -> datetime | None:
    if value is None:
        return None
    # deferred: the simulator loads the bot and Telegram's library
    from bot.simulator import parse_when

    return parse_when(value)


@click.command("simulate", help=help_text("simulate"))
@click.option(
    "--script",
    "script",
    type=click.Path(dir_okay=False, path_type=Path),
    help=help_text("simulate_script"),
)
@click.option("--as", "persona", help=help_text("simulate_as"))
@click.option(
    "--date",
    "date",
    metavar="ISO",
    callback=_when_option,
    help=help_text("simulate_date"),
)
@pass_app
def simulate(app: App, script: Path | None, persona: str | None, date: datetime | None) -> None:
    # deferred: the bot and Telegram's library, for this command only
    from bot.simulator import run_interactive, run_script

    if script is not None:
        status = run_script(app.config, script, persona=persona, date=date)
    else:
        status = run_interactive(app.config, persona=persona, date=date)
    if status:
        sys.exit(status)
